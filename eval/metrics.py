"""Retrieval metrics per question: hit@k, recall@k, MRR@k, nDCG@k, computed by ir-measures.

Relevance is judged per reference context, not per chunk: a retrieved chunk is relevant to a
reference when it is in the referenced document (and page, when given) and, when the reference
has a quote, contains the quote (whitespace-normalised, case-insensitive). Each reference counts
once: the first chunk that satisfies it is relevant, later ones are not (so recall@k is the share
of reference passages found in the top k, and duplicates do not inflate nDCG)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import ir_measures
from ir_measures import RR, R, Success, nDCG

from eval.datasets import EvalItem, ReferenceContext
from rag.text import squash
from rag.types import Chunk, Document

DEFAULT_KS = (1, 5, 10)
RETRIEVAL_METRICS = ("hit", "recall", "mrr", "ndcg")


def norm(text: str) -> str:
    return squash(text).lower()


def doc_aliases(documents: Sequence[Document]) -> dict[str, str]:
    """Every way a dataset may name a document (doc_id, file name) -> doc_id."""
    out = {d.doc_id: d.doc_id for d in documents}
    out.update({d.name: d.doc_id for d in documents})
    out.update({d.name.lower(): d.doc_id for d in documents})
    return out


def quote_pattern(quote: str) -> re.Pattern:
    """The quote's words in order, across any white space and line-end hyphenation ("manip-\\nulation"),
    case-insensitive."""
    parts = []
    for word in quote.split():
        letters = [re.escape(ch) for ch in word]
        parts.append(r"(?:-\s*)?".join(letters) if len(word) > 3 else "".join(letters))
    return re.compile(r"\s+".join(parts), re.IGNORECASE)


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where `quote` sits in `text` (see quote_pattern), or None."""
    match = quote_pattern(quote).search(text) if quote.strip() else None
    return (match.start(), match.end()) if match else None


def satisfies(chunk: Chunk, ref: ReferenceContext, aliases: Mapping[str, str]) -> bool:
    if ref.doc and aliases.get(ref.doc, aliases.get(ref.doc.lower(), ref.doc)) != chunk.doc_id:
        return False
    if ref.page is not None and ref.page != chunk.page:
        return False
    return not ref.quote or norm(ref.quote) in norm(chunk.text) or find_quote(chunk.text, ref.quote) is not None


def judge(item: EvalItem, chunks: Sequence[Chunk], aliases: Mapping[str, str]) -> list[str]:
    """Per retrieved chunk, in rank order: `ref<j>` when it is the first to satisfy reference j,
    else its own chunk id (not relevant)."""
    found: set[int] = set()
    units = []
    for chunk in chunks:
        unit = chunk.chunk_id
        for j, ref in enumerate(item.reference_contexts):
            if j not in found and satisfies(chunk, ref, aliases):
                found.add(j)
                unit = f"ref{j}"
                break
        units.append(unit)
    return units


def measures(ks: Sequence[int]) -> dict[str, object]:
    """Our metric names -> ir-measures measures."""
    out: dict[str, object] = {}
    for k in ks:
        out.update({f"hit@{k}": Success @ k, f"recall@{k}": R @ k, f"mrr@{k}": RR @ k, f"ndcg@{k}": nDCG @ k})
    return out


def retrieval_scores(judged: Mapping[str, Sequence[str]], references: Mapping[str, int],
                     ks: Sequence[int] = DEFAULT_KS) -> dict[str, dict[str, float]]:
    """Per question id: metric -> value. `judged` holds each question's units from `judge`;
    `references` its number of reference contexts (questions with none are left out)."""
    qrels = {q: {f"ref{j}": 1 for j in range(n)} for q, n in references.items() if n}
    run = {q: {unit: float(len(units) - rank) for rank, unit in enumerate(units)}
           for q, units in judged.items() if q in qrels}
    by_measure = {str(m): name for name, m in measures(ks).items()}
    out: dict[str, dict[str, float]] = {q: dict.fromkeys(by_measure.values(), 0.0) for q in qrels}
    if any(run.values()):
        for metric in ir_measures.iter_calc(list(measures(ks).values()), qrels, {q: r for q, r in run.items() if r}):
            out[metric.query_id][by_measure[str(metric.measure)]] = float(metric.value)
    return out


def mean_scores(per_question: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    rows = list(per_question.values())
    if not rows:
        return {}
    return {name: sum(r[name] for r in rows) / len(rows) for name in rows[0]}
