"""One DocChat ingest run in a fresh process: `python -m bench.ingest_worker SPEC --precision P --out F`.

End to end = engine construction, model load and every document through Engine.ingest_many (the
product's path for many files, as `python -m rag ingest FOLDER`: validate, store, parse, chunk, then
embed and index in groups), then the spec's queries."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from bench.corpus import known_item, rank_of

STAGES = {"parse": "parsed", "chunk": "chunked", "embed": "embedded", "index": "indexed", "store": "stored"}


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("spec")
    args.add_argument("--precision", default="auto")
    args.add_argument("--before", action="store_true",
                      help="the embedder's settings before issue #8 (fp32, libgomp's spin-waiting threads); "
                           "the rest of the pipeline is today's")
    args.add_argument("--out", required=True)
    opts = args.parse_args()
    if opts.before:
        os.environ["GOMP_SPINCOUNT"] = "300000"  # libgomp's default, overriding the embedder's passive waiting
        opts.precision = "fp32"
    spec = json.loads(Path(opts.spec).read_text())
    with tempfile.TemporaryDirectory(prefix="docchat-bench-") as data:
        result = run(spec, data, opts.precision)
    result["system"] = "docchat-before" if opts.before else "docchat"
    Path(opts.out).write_text(json.dumps(result))


def run(spec: dict, data_dir: str, precision: str) -> dict:
    started = time.perf_counter()
    from rag.backends.local.embedder import cpu_has_bf16
    from rag.engine import Engine
    from rag.settings import Settings
    from rag.types import Principal

    engine, principal = Engine(Settings(data_dir=data_dir, embed_precision=precision)), Principal("bench")
    loading = time.perf_counter()
    engine.embedder.model  # noqa: B018 - timed separately: the anchor pays the same load
    load = time.perf_counter() - loading
    stages, pages, chunks, failed = dict.fromkeys(STAGES, 0.0), 0, 0, []
    files = ((Path(path).name, Path(path).read_bytes()) for path in spec["documents"])
    for path, report in zip(spec["documents"], engine.ingest_many(files, principal), strict=True):
        if report.status not in ("indexed", "replaced"):
            failed.append({"document": path, "status": report.status, "error": report.error})
        for stage, key in STAGES.items():
            stages[stage] += report.stage_seconds.get(key, 0.0)
        pages, chunks = pages + report.pages, chunks + report.chunks
    total = time.perf_counter() - started
    return {"precision": precision, "bf16_native": cpu_has_bf16(), "documents": len(spec["documents"]),
            "pages": pages, "chunks": chunks, "failed": failed, "seconds": total, "model_load_seconds": load,
            "stage_seconds": stages, **queries(engine, principal, spec["queries"])}


def queries(engine, principal, items: list[dict]) -> dict:
    embed, search, ranks = [], [], []
    for item in items:
        t0 = time.perf_counter()
        vector = engine.embedder.embed([item["q"]])[0]
        t1 = time.perf_counter()
        hits = engine.index.search(item["q"], vector, 50, principal)
        t2 = time.perf_counter()
        embed.append(t1 - t0)
        search.append(t2 - t1)
        ranks.append(rank_of(item["doc"], [h.chunk.title for h in hits]))
    return {"query_embed_seconds": embed, "query_search_seconds": search, "known_item": known_item(ranks)}


if __name__ == "__main__":
    main()
