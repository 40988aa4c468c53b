"""Fusing the BM25 and the dense ranking.

`convex` (the default) mixes min-max normalised scores: on paraphrased questions (the QA
benchmark) a strong cosine is strong evidence even when BM25 ranks the chunk nowhere, which rank
fusion cannot see (Bruch et al., "An Analysis of Fusion Functions for Hybrid Retrieval", 2023).
`rrf`, reciprocal rank fusion, uses ranks only and is robust to the two scales."""

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


def normalised(scores: Sequence[tuple[str, float]]) -> dict[str, float]:
    """Min-max onto [0, 1] (all equal: all 1)."""
    if not scores:
        return {}
    values = [v for _, v in scores]
    low, span = min(values), max(values) - min(values)
    return {key: (value - low) / span if span > 0 else 1.0 for key, value in scores}


def convex(
    bm25: Sequence[tuple[str, float]],
    vector: Sequence[tuple[str, float]],
    vector_share: float = 0.8,
) -> list[Fused]:
    """Fuse two ranked lists of (key, score): `vector_share` x the normalised dense score plus the
    rest x the normalised BM25 score; a key missing from a list gets 0 from it. The dense list
    should score every candidate of both lists (the local index rescores BM25's too)."""
    fused: dict[str, Fused] = {}
    for weight, ranked, normal, field in ((1.0 - vector_share, bm25, normalised(bm25), "bm25"),
                                          (vector_share, vector, normalised(vector), "vector")):
        for rank, (key, score) in enumerate(ranked, start=1):
            item = fused.setdefault(key, Fused(key, 0.0))
            setattr(item, f"{field}_rank", rank)
            setattr(item, f"{field}_score", score)
            item.score += weight * normal[key]
    return sorted(fused.values(), key=lambda f: (-f.score, min(f.bm25_rank or 1e9, f.vector_rank or 1e9), f.key))
