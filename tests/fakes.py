"""Deterministic stand-ins registered like real backends: no model download, no network."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

WORD = re.compile(r"\w+")


class HashEmbedder:
    """Bag of words hashed into `dim` buckets: similar texts get similar unit vectors."""

    name = "hash"
    max_tokens = 256

    def __init__(self, settings=None, dim: int = 64):
        self.dim = dim

    def count_tokens(self, text: str) -> int:
        return len(WORD.findall(text))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in WORD.findall(text.lower()):
                bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[row, bucket % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms
