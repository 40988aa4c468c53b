"""A large corpus for latency at scale: real man-page text repeated with variation, random unit
vectors (same seed, same numpy -> the same data in the product venv and the anchor venv)."""

from __future__ import annotations

import numpy as np

from bench.manpages import man_pages

DIM = 384
PIECE = 800  # characters, about a 200-token chunk


def base_pieces() -> list[str]:
    pieces = []
    for page in man_pages(120):
        text = " ".join(page.text.split())
        pieces += [text[i:i + PIECE] for i in range(0, len(text), PIECE) if len(text[i:i + PIECE]) > 200]
    return pieces


def synthetic_corpus(chunks: int, queries: int, seed: int = 8):
    """(texts, vectors, owners, query texts, query vectors); owners alternate alice/bob per 1000 rows."""
    rng = np.random.default_rng(seed)
    pieces = base_pieces()
    words = " ".join(pieces).split()
    extra = rng.integers(0, len(words), size=(chunks, 4))
    texts = [f"{pieces[i % len(pieces)]} {' '.join(words[j] for j in extra[i])}" for i in range(chunks)]
    vectors = unit(rng.standard_normal((chunks, DIM), dtype=np.float32))
    owners = ["alice" if (i // 1000) % 2 == 0 else "bob" for i in range(chunks)]
    descriptions = [p.description for p in man_pages(120)]
    query_texts = [descriptions[i % len(descriptions)] for i in range(queries)]
    query_vectors = unit(rng.standard_normal((queries, DIM), dtype=np.float32))
    return texts, vectors, owners, query_texts, query_vectors


def unit(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)
