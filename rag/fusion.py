"""Reciprocal rank fusion: robust to the different scales of BM25 and cosine scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Fused:
    key: str
    score: float
    bm25_rank: int | None = None
    vector_rank: int | None = None
    bm25_score: float | None = None
    vector_score: float | None = None


def rrf(
    bm25: Sequence[tuple[str, float]],
    vector: Sequence[tuple[str, float]],
    k: int = 60,
    bm25_weight: float = 1.0,
    vector_weight: float = 1.0,
) -> list[Fused]:
    """Fuse two ranked lists of (key, score); each contributes weight / (k + rank)."""
    fused: dict[str, Fused] = {}
    for rank, (key, score) in enumerate(bm25, start=1):
        item = fused.setdefault(key, Fused(key, 0.0))
        item.bm25_rank, item.bm25_score = rank, score
        item.score += bm25_weight / (k + rank)
    for rank, (key, score) in enumerate(vector, start=1):
        item = fused.setdefault(key, Fused(key, 0.0))
        item.vector_rank, item.vector_score = rank, score
        item.score += vector_weight / (k + rank)
    # ties (same fused score) go to the better best rank, then to the key for determinism
    return sorted(fused.values(), key=lambda f: (-f.score, min(f.bm25_rank or 1e9, f.vector_rank or 1e9), f.key))
