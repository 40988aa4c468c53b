"""Embeddings cached by sha256(text), so an ingestion stopped by a quota error resumes where it stopped.

An embedding is a pure function of (model, dimensions, text): a re-run only sends what is missing.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path

import numpy as np

from rag.errors import BackendUnavailable
from rag.settings import Settings

# Texts sent to the wrapped embedder per call; each slice is stored before the next is asked for,
# so at most this many embeddings are lost when a call fails.
SLICE = 256
SQLITE_MAX_VARIABLES = 900  # under SQLite's default limit of 999 host parameters

Compute = Callable[[Sequence[str]], np.ndarray]


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / "cache" / "embeddings.sqlite"


class EmbeddingCache:
    """A small SQLite table: (model, sha256) -> float32 vector bytes."""

    def __init__(self, path: Path, model: str, dim: int):
        self.path = Path(path)
        self.model = model
        self.dim = dim
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db, db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS vectors (model TEXT, sha TEXT, vector BLOB, PRIMARY KEY (model, sha))"
                )
        except (OSError, sqlite3.Error) as exc:
            raise BackendUnavailable(
                f"Could not open the embedding cache {self.path} ({exc}). "
                "Check that DocChat may write to the data folder (RAG_DATA_DIR)."
            ) from exc

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def lookup(self, shas: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with closing(self._connect()) as db:
            for start in range(0, len(shas), SQLITE_MAX_VARIABLES):
                part = list(shas[start : start + SQLITE_MAX_VARIABLES])
                marks = ",".join("?" * len(part))
                rows = db.execute(
                    f"SELECT sha, vector FROM vectors WHERE model = ? AND sha IN ({marks})", [self.model, *part]
                )
                for sha, blob in rows:
                    found[sha] = np.frombuffer(blob, dtype=np.float32)
        return {sha: vec for sha, vec in found.items() if vec.shape == (self.dim,)}

    def store(self, shas: Sequence[str], vectors: np.ndarray) -> None:
        rows = [(self.model, sha, np.asarray(vec, dtype=np.float32).tobytes()) for sha, vec in zip(shas, vectors, strict=True)]
        with closing(self._connect()) as db, db:
            db.executemany("INSERT OR REPLACE INTO vectors (model, sha, vector) VALUES (?, ?, ?)", rows)

    def embed(self, texts: Sequence[str], compute: Compute) -> np.ndarray:
        """Vectors for `texts`, asking `compute` only for texts not cached yet, slice by slice."""
        shas = [text_key(text) for text in texts]
        known = self.lookup(sorted(set(shas)))
        missing = {sha: text for sha, text in zip(shas, texts, strict=True) if sha not in known}
        pending = list(missing.items())
        for start in range(0, len(pending), SLICE):
            part = pending[start : start + SLICE]
            vectors = np.asarray(compute([text for _, text in part]), dtype=np.float32)
            self.store([sha for sha, _ in part], vectors)
            known.update({sha: vec for (sha, _), vec in zip(part, vectors, strict=True)})
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([known[sha] for sha in shas]).astype(np.float32, copy=False)


class CachedEmbedder:
    """Wraps any Embedder with an EmbeddingCache; same name, dim, max_tokens and token counting."""

    def __init__(self, inner, path: Path):
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.max_tokens = inner.max_tokens
        self.cache = EmbeddingCache(path, model=f"{inner.name}:{inner.dim}", dim=inner.dim)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.cache.embed(texts, self.inner.embed)
