"""Cosine search over an in-memory float32 matrix that mirrors the committed tantivy state, plus each
chunk's sentence vectors (float16) for rescoring candidates at sentence grain.

Up to COARSE_ROWS chunks the scan is exact (numpy). Beyond, reading 1.5 KB of float32 per chunk per
query is what a query costs (about 10 ms at 100k on one core, bound by memory bandwidth), so the scan
reads an 8-bit copy of the matrix instead (faiss's scalar quantizer, a quarter of the bytes) for four
times as many candidates as asked, and the exact float32 vectors score them and keep the best: the
scores are exact, and on 600 queries at 100k chunks so was every top 10."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from rag.backends.local.blobs import write_atomic
from rag.types import PRIVATE, Principal

log = logging.getLogger(__name__)
CACHE_FORMAT = 2  # 2: with sentence vectors
COARSE_ROWS = 20_000  # from this many chunks, an 8-bit scan picks the candidates (exact below: ~2 ms a query)
COARSE_DEPTH = 4  # ... this many times as many as asked for, of which the exact cosines keep the best


@functools.cache
def single_blas_thread() -> None:
    """One BLAS thread per query, set once per process (a per-query context costs ~2 ms): with
    concurrent readers, more threads per scan thrash the cores (4 readers on 2 cores: 178 -> 19 q/s)."""
    threadpool_limits(limits=1, user_api="blas")


@functools.cache
def faiss_module():
    """faiss, imported on the first large scan (a small library never loads it), on one thread per query
    for the same reason as single_blas_thread; None where it is not installed (the scan stays exact)."""
    try:
        import faiss
    except ImportError:
        log.warning("faiss-cpu is not installed (requirements/local.txt): large vector scans stay exact and slower")
        return None
    faiss.omp_set_num_threads(1)
    return faiss


def key_of(chunk_id: str) -> int:
    """A chunk id as the 63-bit integer tantivy keeps in a fast field."""
    return int.from_bytes(hashlib.blake2b(chunk_id.encode(), digest_size=8).digest(), "little") >> 1


@dataclass
class Codes:
    """Strings (owners, collections, doc ids) as small integers, so filters are numpy compares."""

    values: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def code(self, value: str) -> int:
        if value not in self.index:
            self.index[value] = len(self.values)
            self.values.append(value)
        return self.index[value]

    def known(self, values: Iterable[str]) -> list[int]:
        return [self.index[v] for v in values if v in self.index]


@dataclass
class Rows:
    """Rows to append: one document's chunks."""

    ids: list[str]
    doc_id: str
    owner: str
    collection: str
    vectors: np.ndarray
    sentences: Sequence[np.ndarray] | None = None  # per chunk: its sentences' vectors, (m, dim)


MAGIC = b"DCv2"  # as a float32 about 2.4e13: never the first component of a unit vector


def pack(vector: np.ndarray, sentences: np.ndarray | None) -> bytes:
    """A chunk's vector (float32) and its sentences' (float16) as the bytes stored in tantivy."""
    vector = np.asarray(vector, dtype=np.float32)
    if sentences is None:
        return vector.tobytes()
    return MAGIC + len(vector).to_bytes(4, "little") + vector.tobytes() + np.asarray(sentences, dtype=np.float16).tobytes()


def unpack(blob: bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """`pack` undone; bytes an older version stored (the chunk vector alone) have no sentences."""
    if not blob.startswith(MAGIC):
        return np.frombuffer(blob, dtype=np.float32), None
    dim = int.from_bytes(blob[4:8], "little")
    vector = np.frombuffer(blob, dtype=np.float32, count=dim, offset=8)
    return vector, np.frombuffer(blob, dtype=np.float16, offset=8 + 4 * dim).reshape(-1, dim)


def sentence_block(rows: Rows) -> tuple[np.ndarray, np.ndarray]:
    """The rows' sentence vectors stacked as float16, and how many belong to each chunk."""
    dim = rows.vectors.shape[1]
    parts = [np.asarray(p, dtype=np.float16).reshape(-1, dim) for p in rows.sentences or ()]
    counts = np.array([len(p) for p in parts] if parts else [0] * len(rows.ids), dtype=np.int32)
    return (np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float16)), counts


class VectorMatrix:
    def __init__(self, dim: int = 0):
        self.dim = dim
        self.ids: list[str] = []
        self.matrix = np.zeros((0, dim), dtype=np.float32)
        self.doc = np.zeros(0, dtype=np.int32)
        self.owner = np.zeros(0, dtype=np.int32)
        self.collection = np.zeros(0, dtype=np.int32)
        self.sentences = np.zeros((0, dim), dtype=np.float16)  # every chunk's sentence vectors, in row order
        self.sentence_count = np.zeros(0, dtype=np.int32)  # per chunk row
        self._sentence_start: np.ndarray | None = None
        self._row: dict[str, int] | None = None
        self._coarse = None  # the 8-bit copy of `matrix` the scan reads from COARSE_ROWS chunks on; built on demand
        self.docs, self.owners, self.collections = Codes(), Codes(), Codes()
        self._pending: list[Rows] = []
        self._removed: set[str] = set()

    def __len__(self) -> int:
        self._materialise()
        return len(self.ids)

    def keys(self) -> np.ndarray:
        self._materialise()
        return np.array([key_of(i) for i in self.ids], dtype=np.int64)

    def remove_doc(self, doc_id: str) -> None:
        self._pending = [rows for rows in self._pending if rows.doc_id != doc_id]
        self._removed.add(doc_id)

    def add(self, rows: Rows) -> None:
        if not self.dim:
            self.dim = rows.vectors.shape[1]
            self.matrix = np.zeros((0, self.dim), dtype=np.float32)
            self.sentences = np.zeros((0, self.dim), dtype=np.float16)
        self._pending.append(rows)

    def _materialise(self) -> None:
        """Apply queued removals and additions in one copy (ingest queues many, search needs one)."""
        if not self._pending and not self._removed:
            return
        removed = self.docs.known(self._removed)
        keep = ~np.isin(self.doc, removed) if removed else np.ones(len(self.ids), dtype=bool)
        self.ids = [i for i, k in zip(self.ids, keep, strict=True) if k]
        parts = [self.matrix[keep]] + [r.vectors.astype(np.float32) for r in self._pending]
        self.matrix = np.ascontiguousarray(np.concatenate(parts)) if parts else self.matrix
        for name, codes, attr in (("doc", self.docs, "doc_id"), ("owner", self.owners, "owner"),
                                  ("collection", self.collections, "collection")):
            fresh = [np.full(len(r.ids), codes.code(getattr(r, attr)), dtype=np.int32) for r in self._pending]
            setattr(self, name, np.concatenate([getattr(self, name)[keep], *fresh]))
        blocks = [sentence_block(r) for r in self._pending]
        kept_sentences = np.repeat(keep, self.sentence_count)
        self.sentences = np.concatenate([self.sentences[kept_sentences], *(b for b, _ in blocks)])
        self.sentence_count = np.concatenate([self.sentence_count[keep], *(c for _, c in blocks)])
        for rows in self._pending:
            self.ids.extend(rows.ids)
        self._pending, self._removed = [], set()
        self._sentence_start, self._row, self._coarse = None, None, None

    def mask(self, principal: Principal, doc_ids: Sequence[str] | None) -> np.ndarray:
        self._materialise()
        groups = self.collections.known(g for g in principal.groups if g != PRIVATE)
        owner = self.owners.index.get(principal.user_id, -1)
        allowed = (self.owner == owner) | np.isin(self.collection, groups)
        if doc_ids is not None:
            allowed &= np.isin(self.doc, self.docs.known(doc_ids))
        return allowed

    def search(self, vector: np.ndarray, depth: int, mask: np.ndarray) -> list[tuple[str, float]]:
        """Top `depth` (chunk id, cosine) among the rows the mask allows."""
        self._materialise()
        if not len(self.ids) or not mask.any():
            return []
        query = vector.astype(np.float32)
        depth = min(depth, int(mask.sum()))
        if len(self.ids) >= COARSE_ROWS and faiss_module() is not None:
            top = self.coarse_scan(query, COARSE_DEPTH * depth, mask)
            scores = self.matrix[top] @ query  # the exact cosines of the rows the 8-bit scan picked
            order = np.argsort(-scores, kind="stable")[:depth]
            return [(self.ids[top[i]], float(scores[i])) for i in order]
        single_blas_thread()
        scores = self.matrix @ query
        scores = np.where(mask, scores, -np.inf)
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top]

    def coarse_scan(self, query: np.ndarray, depth: int, mask: np.ndarray) -> np.ndarray:
        """Rows of the `depth` best approximate cosines among those the mask allows, from the 8-bit copy of
        the matrix (per-dimension ranges fitted on the vectors themselves; its top 50 holds 98 % of the exact one)."""
        faiss = faiss_module()
        if self._coarse is None:
            self._coarse = faiss.IndexScalarQuantizer(self.dim, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
            self._coarse.train(self.matrix)
            self._coarse.add(self.matrix)
        params = None
        if not mask.all():
            bits = np.packbits(mask, bitorder="little")  # faiss reads bit i of byte i // 8, low bit first
            params = faiss.SearchParameters(sel=faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits)))
        _, rows = self._coarse.search(query[None, :], depth, params=params)
        return rows[0][rows[0] >= 0]

    def rescore(self, vector: np.ndarray, ids: Sequence[str], sentence_share: float = 0.5) -> list[tuple[str, float]]:
        """(chunk id, dense score) for the given chunks, best first: the chunk's cosine mixed with
        its best sentence's (`sentence_share` of it); a chunk without sentence vectors keeps its cosine.
        A question that one sentence answers matches that sentence better than its whole chunk."""
        self._materialise()
        if self._row is None:
            self._row = {chunk_id: row for row, chunk_id in enumerate(self.ids)}
            self._sentence_start = np.concatenate([[0], np.cumsum(self.sentence_count)[:-1]]).astype(np.int64)
        rows = np.array([self._row[i] for i in ids if i in self._row], dtype=np.int64)
        if not len(rows):
            return []
        query = vector.astype(np.float32)
        scores = self.matrix[rows] @ query
        counts = self.sentence_count[rows]
        has = counts > 0
        if sentence_share > 0 and has.any():
            starts, counts = self._sentence_start[rows[has]], counts[has]
            offsets = np.cumsum(counts) - counts
            picked = np.repeat(starts - offsets, counts) + np.arange(counts.sum())
            sentence_scores = self.sentences[picked].astype(np.float32) @ query
            best = scores.copy()
            best[has] = np.maximum.reduceat(sentence_scores, offsets)
            scores = (1 - sentence_share) * scores + sentence_share * best
        order = np.argsort(-scores, kind="stable")
        return [(self.ids[rows[i]], float(scores[i])) for i in order]

    # --- cache next to the committed index, keyed by tantivy's opstamp
    def save(self, folder: Path, opstamp: int) -> None:
        self._materialise()
        head = {"format": CACHE_FORMAT, "opstamp": opstamp, "dim": self.dim, "ids": self.ids, "docs": self.docs.values,
                "owners": self.owners.values, "collections": self.collections.values}
        arrays = np.concatenate([self.doc, self.owner, self.collection, self.sentence_count]).astype(np.int32)
        header = json.dumps(head).encode()
        header += b" " * (-len(header) % 4)  # keep the arrays 4-byte aligned
        # one file, so the header and the arrays can never come from different commits
        sentences = self.sentences.tobytes() + b"\0" * (-self.sentences.nbytes % 4)
        payload = len(header).to_bytes(8, "little") + header + self.matrix.tobytes() + arrays.tobytes() + sentences
        write_atomic(folder / "vectors.cache", payload)

    @classmethod
    def load(cls, folder: Path, opstamp: int) -> VectorMatrix | None:
        try:
            blob = (folder / "vectors.cache").read_bytes()
            size = int.from_bytes(blob[:8], "little")
            head = json.loads(blob[8:8 + size])
            raw = np.frombuffer(blob, dtype=np.float32, offset=8 + size)
        except (FileNotFoundError, ValueError):
            return None
        n, dim = len(head["ids"]), head["dim"]
        if head["opstamp"] != opstamp or head.get("format") != CACHE_FORMAT or raw.size < n * dim + 4 * n:
            return None  # another commit, or a cache an older version wrote: rebuilt from the index
        state = cls(dim)
        state.ids = head["ids"]
        state.matrix = raw[: n * dim].reshape(n, dim).copy()
        ints = raw[n * dim:n * dim + 4 * n].view(np.int32)
        state.doc, state.owner, state.collection = ints[:n].copy(), ints[n:2 * n].copy(), ints[2 * n:3 * n].copy()
        state.sentence_count = ints[3 * n:].copy()
        total = int(state.sentence_count.sum())
        halves = raw[n * dim + 4 * n:].view(np.float16)
        if halves.size < total * dim:
            return None
        state.sentences = halves[: total * dim].reshape(total, dim).copy()
        for codes, values in ((state.docs, head["docs"]), (state.owners, head["owners"]),
                              (state.collections, head["collections"])):
            for v in values:
                codes.code(v)
        return state
