"""python -m eval generate|run|runs|compare|feedback — evaluation from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from eval.datasets import load_dataset, save_dataset
from rag.errors import RagError


def engine_and_principal():
    from rag.engine import Engine
    from rag.types import Principal

    engine = Engine()
    return engine, Principal(engine.settings.local_user)


def cmd_generate(args) -> None:
    from eval.testset import generate_dataset, generator_label

    engine, principal = engine_and_principal()
    items = generate_dataset(engine, principal, size=args.size, seed=args.seed, unanswerable=args.unanswerable)
    print(f"{len(items)} questions ({generator_label(engine)}) written to {save_dataset(items, args.out)}")


def cmd_run(args) -> None:
    from eval.runner import RunConfig, presets, run_dataset
    from eval.runs import save_run

    engine, principal = engine_and_principal()
    available = presets(engine)
    unknown = [c for c in args.config if c not in available]
    if unknown:
        raise RagError(f"Unknown configuration {unknown[0]!r}; choose from: {', '.join(available)}.")
    configs = [RunConfig(**{**available[c].__dict__, "k": args.k or available[c].k, "answers": not args.no_answers})
               for c in args.config or ["hybrid"]]
    items, name = dataset_for(args.dataset, engine, principal, args.add_documents)
    run = run_dataset(engine, principal, items, configs, name, lambda f, m: print(f"{f:4.0%} {m}", file=sys.stderr))
    save_run(run, engine.store)
    print(json.dumps(run["summary"], indent=2) if args.json else f"run {run['run_id']} saved ({engine.settings.store} store)")


QA_DATASETS = {"qa": None, "qa:dev": "dev", "qa:test": "test"}


def dataset_for(name: str, engine, principal, add_documents: bool):
    """A dataset file, or the built-in QA benchmark (`qa`, `qa:dev`, `qa:test`), whose documents must
    be in the library: --add-documents puts the missing ones there first."""
    if name not in QA_DATASETS:
        return load_dataset(name), Path(name).name
    from eval.qa.dataset import benchmark_items
    from eval.qa.library import add_missing, missing

    absent = missing(engine, principal)
    if absent and not add_documents:
        raise RagError(f"The QA benchmark asks about {len(absent)} documents that are not in your library "
                       f"(e.g. {absent[0]}); run again with --add-documents to add them.")
    if absent:
        add_missing(engine, principal, lambda done, total: print(f"added {done}/{total} documents", file=sys.stderr))
    return benchmark_items(QA_DATASETS[name]), name


def cmd_runs(args) -> None:
    from eval.runs import list_runs
    from rag.engine import Engine

    for run in list_runs(Engine().store):
        print(run["run_id"], run["dataset"], ", ".join(run["configs"]))


def cmd_compare(args) -> None:
    from eval.runs import compare, load_run
    from rag.engine import Engine

    store = Engine().store
    frame = compare([load_run(store, r) for r in args.run_id])
    print(frame.to_json(orient="records", indent=2) if args.json else frame.to_string(index=False))


def cmd_feedback(args) -> None:
    from eval.feedback import feedback_dataset, read_feedback

    engine, principal = engine_and_principal()
    items = feedback_dataset(read_feedback(engine.store, principal))
    print(f"{len(items)} questions written to {save_dataset(items, args.out)}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="dataset from your documents: written by your chat model with ragas when "
                       "RAG_CHAT is openai or azure, else offline synthetic")
    g.add_argument("--out", default="synthetic.jsonl")
    g.add_argument("--size", type=int, default=20)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--unanswerable", type=int, default=3)
    r = sub.add_parser("run", help="evaluate a dataset under one or more configurations")
    r.add_argument("dataset", help="a .jsonl/.csv file, or the built-in QA benchmark: qa, qa:dev or qa:test")
    r.add_argument("--add-documents", action="store_true", help="qa: add the benchmark's documents to the library")
    r.add_argument("--config", action="append", default=[], help="a preset name; repeat to compare")
    r.add_argument("--k", type=int)
    r.add_argument("--no-answers", action="store_true", help="retrieval metrics only")
    r.add_argument("--json", action="store_true")
    sub.add_parser("runs", help="list stored runs, newest first")
    c = sub.add_parser("compare", help="summary metrics of stored runs side by side")
    c.add_argument("run_id", nargs="+")
    c.add_argument("--json", action="store_true")
    f = sub.add_parser("feedback", help="export your rated answers as a dataset")
    f.add_argument("--out", default="feedback.jsonl")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        globals()[f"cmd_{args.command}"](args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
