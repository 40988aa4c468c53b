"""Question -> hybrid hits within the principal's scope, with instruction-like chunks flagged."""

from __future__ import annotations

from collections.abc import Sequence

from rag.guard import flag, looks_like_injection
from rag.protocols import Embedder, Index
from rag.types import Hit, Mode, Principal


def retrieve(
    index: Index,
    embedder: Embedder,
    query: str,
    principal: Principal,
    k: int,
    mode: Mode = "hybrid",
    doc_ids: Sequence[str] | None = None,
) -> list[Hit]:
    vector = embedder.embed([query])[0] if mode != "bm25" else None
    hits = index.search(query, vector, k, principal, mode=mode, doc_ids=doc_ids)
    return [flag(h) if looks_like_injection(h.chunk.text) else h for h in hits]
