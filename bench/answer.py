"""Time to the first streamed token after retrieval, and to the whole answer, for the extractive
answerer on real questions over the two known PDFs (bf16 default vs fp32, interleaved)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.common import percentiles_ms, ratio, table
from bench.corpus import PDF_QUESTIONS, QUICK_PDFS


def run(quick: bool) -> dict:
    from rag.answer import stream_answer
    from rag.engine import Engine
    from rag.settings import Settings
    from rag.types import Principal

    repeats = 2 if quick else 5
    principal = Principal("bench")
    with tempfile.TemporaryDirectory(prefix="docchat-answer-") as tmp:
        engines = {p: Engine(Settings(data_dir=tmp, embed_precision=p)) for p in ("auto", "fp32")}
        for path in QUICK_PDFS:
            engines["auto"].ingest(Path(path).name, Path(path).read_bytes(), principal)
        timings = {p: {"retrieval": [], "first_token": [], "total": []} for p in engines}
        abstained = 0
        for _ in range(repeats):
            for question, _doc in PDF_QUESTIONS:
                for precision, engine in engines.items():
                    t0 = time.perf_counter()
                    hits = engine.search(question, principal)
                    t1 = time.perf_counter()
                    stream = iter(stream_answer(engine.chat, question, question, hits, []))
                    first = next(stream, "")
                    t2 = time.perf_counter()
                    rest = "".join(stream)
                    t3 = time.perf_counter()
                    abstained += precision == "auto" and "could not find" in (first + rest).lower()
                    for key, value in (("retrieval", t1 - t0), ("first_token", t2 - t1), ("total", t3 - t1)):
                        timings[precision][key].append(value)
    return {"questions": len(PDF_QUESTIONS), "repeats": repeats, "abstained_answers": abstained,
            "by_precision": {p: {k: percentiles_ms(v) for k, v in t.items()} for p, t in timings.items()}}


def markdown(results: dict) -> str:
    rows = []
    for precision, r in results["by_precision"].items():
        rows.append([precision, r["retrieval"]["p50"], r["first_token"]["p50"], r["first_token"]["p95"],
                     r["total"]["p50"], r["total"]["p95"]])
    speed = ratio(results["by_precision"]["fp32"]["first_token"]["p50"], results["by_precision"]["auto"]["first_token"]["p50"])
    return (table(["embedder precision", "retrieval p50 ms", "first token p50 ms", "first token p95 ms",
                   "answer total p50 ms", "answer total p95 ms"], rows)
            + f"\n\nfp32/default first-token p50 = {speed}; abstained answers: {results['abstained_answers']}")
