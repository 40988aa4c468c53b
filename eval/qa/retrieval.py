"""Retrieval on the QA benchmark: does a top-ranked chunk hold the passage that answers?

The questions are paraphrased (eval/qa/README.md), so this is the retrieval case analysts meet,
next to the known-item man-page benchmark. Per mode and split, over the answerable questions:
- hit@1, hit@5: a chunk at rank 1 / in the top 5 is on the reference page and holds the whole quote;
- mrr@10: of that chunk;
- recall@5: the share of the quote's characters that the top-5 chunks cover (a quote split across
  two chunks counts in part, where hit@5 counts it not at all)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from eval.qa.bench import QA_USER, Span, first_rank, mean, references
from eval.qa.dataset import Question, paraphrased
from rag.engine import Engine
from rag.types import Chunk, Mode

MODES: tuple[Mode, ...] = ("bm25", "vector", "hybrid")
METRICS = ("hit@1", "hit@5", "mrr@10", "recall@5")
Ranker = Callable[[Question], Sequence[Chunk]]


class Ranked:
    """The chunk-holding shape `first_rank` reads (a Hit's `.chunk`)."""

    __slots__ = ("chunk",)

    def __init__(self, chunk: Chunk):
        self.chunk = chunk


def covered(chunks: Sequence[Chunk], spans: Sequence[Span]) -> float:
    """Share of the quotes' characters inside any of the chunks."""
    total = sum(s.end - s.start for s in spans)
    inside = 0
    for s in spans:
        marks = bytearray(s.end - s.start)
        for c in chunks:
            if c.doc_id == s.doc_id and c.page == s.page:
                lo, hi = max(c.start, s.start), min(c.end, s.end)
                if lo < hi:
                    marks[lo - s.start:hi - s.start] = b"\1" * (hi - lo)
        inside += sum(marks)
    return inside / total if total else 0.0


def score(q: Question, chunks: Sequence[Chunk], spans: Sequence[Span]) -> dict:
    rank = first_rank([Ranked(c) for c in chunks[:10]], spans)
    return {"id": q.id, "split": q.split, "kind": q.kind, "rank": rank,
            "hit@1": float(rank == 1), "hit@5": float(rank is not None and rank <= 5),
            "mrr@10": 1.0 / rank if rank else 0.0, "recall@5": round(covered(chunks[:5], spans), 4)}


def engine_ranker(engine: Engine, mode: Mode, k: int = 10) -> Ranker:
    """Rankings exactly as the app retrieves (Engine.search)."""
    return lambda q: [h.chunk for h in engine.search(q.item.question, QA_USER, k=k, mode=mode)]


def rankers(engine: Engine) -> dict[str, Ranker]:
    return {mode: engine_ranker(engine, mode) for mode in MODES}


def run(engine: Engine, questions: Sequence[Question], rankers: dict[str, Ranker]) -> dict[str, list[dict]]:
    """ranker name -> one row per answerable paraphrased question (the literal ones are found by any mode)."""
    answerable = paraphrased(questions)
    spans = references(engine, answerable)
    return {name: [score(q, rank(q), spans[q.id]) for q in answerable] for name, rank in rankers.items()}


def summarize(rows: dict[str, list[dict]]) -> dict[str, dict[str, dict]]:
    """split -> ranker name -> metric -> mean (and n)."""
    out: dict[str, dict[str, dict]] = {}
    for split in ("dev", "test"):
        for name, mine in rows.items():
            group = [r for r in mine if r["split"] == split]
            if group:
                out.setdefault(split, {})[name] = {"n": len(group), **{m: mean([r[m] for r in group]) for m in METRICS}}
    return out


def markdown(summary: dict[str, dict[str, dict]], split: str) -> str:
    lines = [f"| {split} | n | " + " | ".join(METRICS) + " |", "|---|---:|" + "---:|" * len(METRICS)]
    for name, metrics in summary[split].items():
        lines.append(f"| {name} | {metrics['n']} | " + " | ".join(f"{metrics[m]:.3f}" for m in METRICS) + " |")
    return "\n".join(lines)
