"""The QA benchmark: does DocChat answer right, or say plainly that the documents do not hold it?

Every question of eval/qa/questions-*.jsonl is asked through the engine's real path (hybrid
retrieval, quarantine, the configured chat model) over the corpus of eval/qa/corpus.py. Scored
per split (dev: tuned on; test: only reported) and per kind:
- hit@5: a top-5 chunk is on the reference page and holds the whole supporting quote;
- page@5: a top-5 chunk is on the reference page (the quote may straddle two chunks);
- mrr@10: of that chunk;
- correct: an answer (not a refusal) that contains every keyword;
- refused: an answerable question answered "not found" (lower is better);
- abstained: a trap answered "not found";
- citation precision: share of an answer's citations whose span overlaps the supporting quote."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.metrics import find_quote
from eval.qa.corpus import corpus_files
from eval.qa.dataset import KINDS, Question, load, mentions
from eval.runner import answer as engine_answer
from rag.engine import Engine
from rag.errors import Refused
from rag.settings import Settings
from rag.types import Answer, Hit, Principal

QA_USER = Principal("qa-bench")
MARKER = re.compile(r"\s*\[\d{1,3}\]")
METRICS = ("hit@5", "page@5", "mrr@10", "correct", "refused", "abstained", "citation_precision")


@dataclass(frozen=True)
class Span:
    doc_id: str
    page: int
    start: int
    end: int

    def overlaps(self, doc_id: str, page: int, start: int, end: int) -> bool:
        return doc_id == self.doc_id and page == self.page and start < self.end and self.start < end


def build_engine(data_dir: Path, settings: Settings | None = None, log: Callable[[str], None] = lambda m: None,
                 **backends) -> Engine:
    engine = Engine((settings or Settings()).model_copy(update={"data_dir": data_dir}), **backends)
    files = corpus_files()
    log(f"indexing {len(files)} documents into {data_dir}")
    reports = engine.ingest_many(files, QA_USER)
    rejected = [r for r in reports if r.status == "rejected"]
    if rejected:
        raise RuntimeError(f"QA corpus: {rejected[0].name} was rejected: {rejected[0].error}")
    return engine


def references(engine: Engine, questions: Sequence[Question]) -> dict[str, list[Span]]:
    """Each answerable question's supporting quotes as page spans of the indexed documents."""
    by_name = {d.name: d for d in engine.documents(QA_USER)}
    pages: dict[tuple[str, int], str] = {}
    out: dict[str, list[Span]] = {}
    for q in questions:
        for ctx in q.item.reference_contexts:
            doc = by_name[ctx.doc]
            if (doc.doc_id, 1) not in pages:
                pages.update({(doc.doc_id, p.number): p.text for p in engine.pages(doc.doc_id, QA_USER)})
            found = find_quote(pages[(doc.doc_id, ctx.page or 1)], ctx.quote)
            if found is None:
                raise RuntimeError(f"{q.id}: its quote is not on {ctx.doc} page {ctx.page} (python -m eval.qa.dataset)")
            out.setdefault(q.id, []).append(Span(doc.doc_id, ctx.page or 1, *found))
    return out


def holds(hit: Hit, span: Span) -> bool:
    c = hit.chunk
    return c.doc_id == span.doc_id and c.page == span.page and c.start <= span.start and span.end <= c.end


def first_rank(hits: Sequence[Hit], spans: Sequence[Span]) -> int | None:
    return next((rank for rank, h in enumerate(hits, start=1) if any(holds(h, s) for s in spans)), None)


def citation_precision(answer: Answer, spans: Sequence[Span]) -> float | None:
    """Share of the answer's citations with a span on a supporting quote; None without citations."""
    if not answer.citations:
        return None
    good = sum(any(s.overlaps(c.doc_id, c.page, a, b) for s in spans for a, b in (c.spans or ((c.start, c.end),)))
               for c in answer.citations)
    return good / len(answer.citations)


def score(q: Question, hits: Sequence[Hit], result: Answer | None, spans: Sequence[Span]) -> dict:
    """One question's row: its metrics, and what was answered (for reading the failures)."""
    abstained = result is None or result.abstained
    text = MARKER.sub("", result.text) if result is not None else ""
    row = {"id": q.id, "split": q.split, "kind": q.kind, "phrasing": q.phrasing, "round": q.round,
           "question": q.item.question, "answer": text,
           "confidence": getattr(result, "confidence", None),
           "cited": [f"{c.title} p{c.page}" for c in result.citations] if result else []}
    if not q.item.answerable:
        return {**row, "trap": q.trap, "abstained": float(abstained)}
    rank = first_rank(hits, spans)
    page = next((i for i, h in enumerate(hits[:5], start=1) if any(h.chunk.doc_id == s.doc_id and h.chunk.page == s.page
                                                                     for s in spans)), None)
    row.update({"hit@5": float(rank is not None and rank <= 5), "mrr@10": 1.0 / rank if rank and rank <= 10 else 0.0,
                "page@5": float(page is not None),
                "refused": float(abstained),
                "correct": float(not abstained and all(mentions(text, v) for v in q.keywords)),
                "expected": [c.quote for c in q.item.reference_contexts]})
    precision = citation_precision(result, spans) if result is not None and not abstained else None
    if precision is not None:
        row["citation_precision"] = precision
    return row


def ask(engine: Engine, q: Question, k: int) -> tuple[list[Hit], Answer | None]:
    hits = engine.search(q.item.question, QA_USER, k=max(k, 10))
    try:
        return hits, engine_answer(engine, q.item.question, hits[:k])
    except Refused:
        return hits, None


def run(engine: Engine, questions: Sequence[Question], progress: Callable[[int, int], None] = lambda i, n: None) -> list[dict]:
    spans = references(engine, [q for q in questions if q.item.answerable])
    rows = []
    for i, q in enumerate(questions):
        hits, result = ask(engine, q, engine.settings.top_k)
        rows.append(score(q, hits, result, spans.get(q.id, [])))
        progress(i + 1, len(questions))
    return rows


def mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def summarize(rows: Sequence[dict]) -> dict[str, dict[str, dict]]:
    """split -> group (each kind, "answerable", "traps": the paraphrased questions; "literal": those in the
    documents' own words, apart; "round 1", "round 2": the paraphrased questions and traps of each round of
    writing, eval/qa/README.md) -> metric -> mean (and n)."""
    out: dict[str, dict[str, dict]] = {}
    for split in ("dev", "test"):
        mine = [r for r in rows if r["split"] == split]
        asked = [r for r in mine if r["phrasing"] != "literal"]  # the paraphrased questions and the traps
        groups = {kind: [r for r in asked if r["kind"] == kind] for kind in KINDS}
        groups["answerable"] = [r for r in asked if r["kind"] != "trap"]
        groups["traps"] = [r for r in asked if r["kind"] == "trap"]
        groups["literal"] = [r for r in mine if r["phrasing"] == "literal"]
        rounds = sorted({r.get("round", 1) for r in asked})
        for n in rounds if len(rounds) > 1 else ():
            groups[f"round {n}"] = [r for r in asked if r.get("round", 1) == n]
        out[split] = {name: {"n": len(group), **{m: mean([r[m] for r in group if r.get(m) is not None])
                                                 for m in METRICS}}
                      for name, group in groups.items() if group}
    return out


def markdown(summary: dict[str, dict[str, dict]], split: str) -> str:
    lines = [f"| {split} | n | " + " | ".join(METRICS) + " |", "|---|---:|" + "---:|" * len(METRICS)]
    for group, metrics in summary[split].items():
        cells = ["" if metrics[m] is None else f"{metrics[m]:.2f}" for m in METRICS]
        lines.append(f"| {group} | {metrics['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def questions_for(quick: bool) -> list[Question]:
    """The whole set, or for --quick (CI) the test half only: it is reported, never tuned on."""
    questions = load()
    return [q for q in questions if q.split == "test"] if quick else questions
