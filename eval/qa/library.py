"""The QA benchmark's documents in a user's library, for running the benchmark from the app or the CLI."""

from __future__ import annotations

from collections.abc import Callable

from eval.errors import EvalError
from eval.qa.corpus import corpus_files
from rag.engine import Engine
from rag.types import Principal


def missing(engine: Engine, principal: Principal) -> list[str]:
    """Benchmark documents (by file name) the principal's library does not hold."""
    have = {d.name for d in engine.documents(principal)}
    return [name for name, _ in corpus_files() if name not in have]


def add_missing(engine: Engine, principal: Principal, progress: Callable[[int, int], None] = lambda d, t: None) -> int:
    """Ingest the missing benchmark documents for the principal; the number added."""
    wanted = set(missing(engine, principal))
    files = [(name, data) for name, data in corpus_files() if name in wanted]
    done = []

    def report(position: int, result) -> None:
        done.append(result)
        progress(len(done), len(files))

    reports = engine.ingest_many(files, principal, on_report=report)
    rejected = [r for r in reports if r.status == "rejected"]
    if rejected:
        raise EvalError(f"Could not add {rejected[0].name} to the library: {rejected[0].error}")
    return len(files)
