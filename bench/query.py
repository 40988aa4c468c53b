"""Hybrid retrieval latency through LocalHybridIndex.search (settings defaults) at 10k and 100k
chunks, with and without a principal filter, and the cold start of a 100k-chunk index.

Each chunk also has SENTENCES sentence vectors (the QA corpus averages 6.4, man pages 7.5), so the
sentence-grain rescoring and its memory are measured at full size; `chunk_vectors_only` repeats
the query timing without them (RAG_SENTENCE_SHARE=0), as the baseline of the same run. From
vectors.COARSE_ROWS chunks the vector scan reads an 8-bit copy of the matrix; `exact_scan` repeats
the timing with the exact float32 scan, the other same-run baseline."""

from __future__ import annotations

import gc
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import percentiles_ms, ratio, table
from bench.synthetic import synthetic_corpus

ROWS_PER_DOCUMENT = 1000
SENTENCES = 7


def sentence_vectors(vectors: np.ndarray, seed: int = 3) -> list[np.ndarray]:
    """Per chunk, SENTENCES unit vectors near its own (a sentence resembles its chunk)."""
    rng = np.random.default_rng(seed)
    noisy = vectors[:, None, :] + 0.8 * rng.standard_normal((len(vectors), SENTENCES, vectors.shape[1]), dtype=np.float32)
    noisy /= np.linalg.norm(noisy, axis=2, keepdims=True)
    return list(noisy.astype(np.float16))


def build(folder: Path, texts, vectors, owners):
    from rag.backends.local.index import LocalHybridIndex
    from rag.settings import Settings
    from rag.types import Chunk, Document

    index = LocalHybridIndex(Settings(data_dir=folder))
    sentences = sentence_vectors(vectors)
    for start in range(0, len(texts), ROWS_PER_DOCUMENT):
        doc_id, owner = f"d{start // ROWS_PER_DOCUMENT:05d}", owners[start]
        collection = "private" if owner == "alice" else "shared"  # bob shares his half with a group
        document = Document(doc_id, f"{doc_id}.txt", "txt", doc_id, 1, owner, collection, chunks=ROWS_PER_DOCUMENT)
        end = min(len(texts), start + ROWS_PER_DOCUMENT)
        chunks = [Chunk(f"{doc_id}:{i:05d}", doc_id, texts[i], 1, 0, len(texts[i]), "", document.name, owner, collection)
                  for i in range(start, end)]
        index.upsert(document, chunks, vectors[start:end], sentences[start:end])
    index.flush()
    return index


def memory_mb(index) -> dict:
    index.vectors._materialise()
    coarse = index.vectors._coarse  # the 8-bit copy the scan reads, once a query has built it (large indexes)
    return {"chunk_vectors_mb": round(index.vectors.matrix.nbytes / 2**20, 1),
            "sentence_vectors_mb": round(index.vectors.sentences.nbytes / 2**20, 1),
            "scan_copy_mb": round(coarse.ntotal * coarse.code_size / 2**20, 1) if coarse is not None else 0.0}


def measure(index, query_texts, query_vectors) -> dict:
    from rag.types import Principal

    everyone = Principal("alice", groups=("shared",))  # sees all rows: the filter keeps everything
    own = Principal("alice")  # sees half: bob's shared rows are filtered out
    out = {}
    for label, principal in (("no_filter", everyone), ("filter", own)):
        index.search(query_texts[0], query_vectors[0], index.settings.top_k, principal)  # warm
        seconds = []
        for text, vector in zip(query_texts, query_vectors, strict=True):
            t0 = time.perf_counter()
            index.search(text, vector, index.settings.top_k, principal)
            seconds.append(time.perf_counter() - t0)
        out[label] = percentiles_ms(seconds)
    return out


def exact_scan(index, query_texts, query_vectors) -> dict:
    """`measure` with every scan exact (float32), whatever the index's size."""
    from rag.backends.local import vectors

    coarse_rows, vectors.COARSE_ROWS = vectors.COARSE_ROWS, sys.maxsize
    try:
        return measure(index, query_texts, query_vectors)
    finally:
        vectors.COARSE_ROWS = coarse_rows


def cold_start(folder: Path, repeats: int) -> dict:
    from rag.backends.local.index import LocalHybridIndex
    from rag.settings import Settings

    cached, scanned = [], []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        LocalHybridIndex(Settings(data_dir=folder))
        cached.append(time.perf_counter() - t0)
        (folder / "index" / "vectors.cache").unlink()
        t0 = time.perf_counter()
        LocalHybridIndex(Settings(data_dir=folder))  # rebuilds the matrix from tantivy and saves the cache
        scanned.append(time.perf_counter() - t0)
    return {"with_cache": percentiles_ms(cached), "without_cache": percentiles_ms(scanned)}


def run(quick: bool, anchor) -> dict:
    sizes = [10_000] if quick else [10_000, 100_000]
    n_queries = 100 if quick else 500
    results = {"sizes": {}}
    for size in sizes:
        texts, vectors, owners, q_texts, q_vectors = synthetic_corpus(size, n_queries)
        with tempfile.TemporaryDirectory(prefix="docchat-query-") as tmp:
            t0 = time.perf_counter()
            index = build(Path(tmp), texts, vectors, owners)
            entry = {"build_seconds": round(time.perf_counter() - t0, 2), "docchat": measure(index, q_texts, q_vectors),
                     "memory": memory_mb(index)}
            share = index.settings.sentence_share
            index.settings = index.settings.model_copy(update={"sentence_share": 0.0})
            entry["chunk_vectors_only"] = measure(index, q_texts, q_vectors)
            index.settings = index.settings.model_copy(update={"sentence_share": share})
            entry["exact_scan"] = exact_scan(index, q_texts, q_vectors)
            del index
            if size == max(sizes):
                entry["cold_start"] = cold_start(Path(tmp), 1 if quick else 3)
        entry["anchor"] = anchor.scale(size, n_queries) if anchor else None
        results["sizes"][str(size)] = entry
    return results


def markdown(results: dict) -> str:
    rows = []
    for size, entry in results["sizes"].items():
        for label in ("no_filter", "filter"):
            ours = entry["docchat"][label]
            theirs = (entry.get("anchor") or {}).get(label) or {}
            plain = entry.get("chunk_vectors_only", {}).get(label, {})
            exact = entry.get("exact_scan", {}).get(label, {})
            rows.append([size, label.replace("_", " "), ours["p50"], ours["p95"], ours["p99"], plain.get("p95"),
                         exact.get("p95"), ratio(exact.get("p95"), ours["p95"]),
                         theirs.get("p50"), theirs.get("p95"), ratio(theirs.get("p95"), ours["p95"])])
    text = table(["chunks", "principal filter", "DocChat p50 ms", "p95 ms", "p99 ms", "p95 ms, chunk vectors only",
                  "p95 ms, exact scan", "exact/DocChat p95", "anchor p50 ms", "anchor p95 ms", "anchor/DocChat p95"], rows)
    for size, entry in results["sizes"].items():
        if "memory" in entry:
            m = entry["memory"]
            text += (f"\n\n{size} chunks in memory: chunk vectors {m['chunk_vectors_mb']} MB, "
                     f"sentence vectors {m['sentence_vectors_mb']} MB ({SENTENCES} per chunk, float16)"
                     + (f", the scan's 8-bit copy {m['scan_copy_mb']} MB." if m.get("scan_copy_mb") else "."))
    for size, entry in results["sizes"].items():
        if "cold_start" in entry:
            c = entry["cold_start"]
            text += (f"\n\nCold start, {size} chunks: {c['with_cache']['p50']:.0f} ms with the vector cache, "
                     f"{c['without_cache']['p50']:.0f} ms without (median of {c['with_cache']['n']}).")
    return text
