"""The local hybrid index: tantivy (BM25, text + metadata + vector bytes committed together)
plus an exact numpy cosine scan; the candidates of both are rescored with their sentence vectors
and fused by score (rag/fusion.py), or by reciprocal rank with `RAG_FUSION=rrf`."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np
import tantivy

from rag.backends.local.vectors import Rows, VectorMatrix, key_of, pack, unpack
from rag.errors import BackendUnavailable, Forbidden, NotFound
from rag.fusion import convex, rrf
from rag.protocols import Upsert
from rag.settings import Settings
from rag.text import RARE_VALUE, code_names, dehyphenate, named_values, spoken, under_heading
from rag.types import NAMED_ENTRY, NAMED_VALUE, Chunk, Document, Hit, Mode, Principal

WORDS = re.compile(r"\w+", re.UNICODE)
WRITER_HEAP = 64_000_000
MAX_DOCUMENTS = 100_000
NAMED_CHUNKS = 50  # chunks read per heading a question names (a manual's entry is a few chunks)
BOOSTS = {"section": 0.5, "title": 1.0}  # the heading path and the document's name, next to the text (issue 16)
# tantivy's "en_stem" tokenizer, the one the text field is indexed with, for reading a question's terms as BM25 does
EN_STEM = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(40))
           .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.stemmer("english")).build())
NO_WRITE = "Check free disk space and that DocChat may write there (RAG_DATA_DIR); nothing was changed."


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for raw in ("id", "kind", "doc_id", "owner", "collection"):
        sb.add_text_field(raw, stored=True, tokenizer_name="raw")
    sb.add_text_field("text", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("section", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("title", stored=True, tokenizer_name="default")
    for number in ("page", "start", "end"):
        sb.add_unsigned_field(number, stored=True)
    sb.add_bytes_field("vector", stored=True)
    sb.add_bytes_field("meta", stored=True)
    sb.add_integer_field("key", fast=True)  # chunk id hash: BM25 candidates without fetching stored docs
    return sb.build()


def named_flags(key: str, headed: set[str], valued: set[str]) -> tuple[str, ...]:
    """Why a hit leads, for the retrieval inspector."""
    return (*((NAMED_ENTRY,) if key in headed else ()), *((NAMED_VALUE,) if key in valued else ()))


@functools.cache
def _lexical_pool(pid: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="bm25")


def lexical_pool() -> ThreadPoolExecutor:
    """Where BM25 runs beside the vector scan: both release the GIL, so a hybrid query on two cores takes the longer
    of the two, not their sum (docs/performance.md). A few workers: concurrent sessions queue here rather than
    oversubscribe the cores. One pool per process: a forked child has none of its parent's threads."""
    return _lexical_pool(os.getpid())


def first(fields: dict, name: str, default=None):
    values = fields.get(name)
    return values[0] if values else default


class LocalHybridIndex:
    keeps_sentences = True  # upsert_many takes each chunk's sentence vectors (rag/ingest/pipeline.py)

    def __init__(self, settings: Settings):
        self.settings = settings
        self.folder = Path(settings.index_dir)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackendUnavailable(f"Could not create the index folder {self.folder} ({exc.strerror}). {NO_WRITE}") from exc
        self.schema = build_schema()
        self._lock = threading.RLock()
        try:
            self.index = tantivy.Index(self.schema, path=str(self.folder))
        except ValueError as exc:
            hint = (" It was written by another DocChat version: move the folder aside and ingest your files again."
                    if "schema does not match" in str(exc) else f" {NO_WRITE}" if "IoError" in str(exc) else "")
            raise BackendUnavailable(f"Could not open the index in {self.folder}: {exc}.{hint}") from exc
        self._opstamp = -1
        self.vectors = VectorMatrix()
        self._key_to_id: dict[int, str] = {}
        self._refresh()

    # --- freshness: another process (CLI, second app) may have committed since we looked
    def _disk_opstamp(self) -> int:
        try:
            return int(json.loads((self.folder / "meta.json").read_text())["opstamp"])
        except (FileNotFoundError, ValueError, KeyError):
            return 0

    def _refresh(self) -> None:
        with self._lock:
            opstamp = self._disk_opstamp()
            if opstamp == self._opstamp:
                return
            self.index.reload()
            keys = self._committed_keys()
            cached = VectorMatrix.load(self.folder, opstamp)
            if cached is None or not np.array_equal(np.sort(cached.keys()), keys):
                cached = self._scan_vectors()  # start-up check failed: the matrix must mirror the text index
                self._save_cache(cached, opstamp)
            self.vectors, self._opstamp = cached, opstamp
            self._key_to_id = dict(zip(cached.keys().tolist(), cached.ids, strict=True))

    def _committed_keys(self) -> np.ndarray:
        """Sorted id hashes of every committed chunk, read from the fast field (no stored docs)."""
        searcher = self.index.searcher()
        hits = searcher.search(self._term("kind", "chunk"), limit=max(searcher.num_docs, 1), count=False).hits
        return np.sort(np.array(searcher.fast_field_values("key", [a for _, a in hits]), dtype=np.int64))

    def _scan_vectors(self) -> VectorMatrix:
        """Rebuild the matrix from the vectors stored in tantivy (startup check failed or no cache)."""
        state = VectorMatrix()
        searcher = self.index.searcher()
        total = max(searcher.num_docs, 1)
        result = searcher.search(self._term("kind", "chunk"), limit=total, count=False)
        by_doc: dict[str, list] = {}
        for _, address in result.hits:
            fields = searcher.doc(address).to_dict()
            by_doc.setdefault(first(fields, "doc_id"), []).append(fields)
        for doc_id, rows in by_doc.items():
            unpacked = [unpack(first(f, "vector")) for f in rows]
            vectors = np.stack([v for v, _ in unpacked])
            sentences = [s if s is not None else np.zeros((0, len(v)), dtype=np.float16) for v, s in unpacked]
            state.add(Rows([first(f, "id") for f in rows], doc_id, first(rows[0], "owner"),
                           first(rows[0], "collection"), vectors, sentences))
        return state

    def _count_kind(self, kind: str) -> int:
        return self.index.searcher().search(self._term("kind", kind), limit=1, count=True).count

    def _ids_of(self, searcher, addresses) -> list[str | None]:
        keys = searcher.fast_field_values("key", addresses)
        return [self._key_to_id.get(k) for k in keys]

    # --- queries
    def _term(self, field: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, field, value)

    def _scope(self, principal: Principal, doc_ids: Sequence[str] | None = None) -> list:
        allowed = [(tantivy.Occur.Should, self._term("owner", principal.user_id))]
        allowed += [(tantivy.Occur.Should, self._term("collection", g)) for g in principal.groups if g]
        clauses = [(tantivy.Occur.Must, tantivy.Query.boolean_query(allowed))]
        if doc_ids is not None:
            ids = [(tantivy.Occur.Should, self._term("doc_id", d)) for d in doc_ids] or [
                (tantivy.Occur.Must, tantivy.Query.empty_query())]
            clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query(ids)))
        return clauses

    def _find(self, kind: str, principal: Principal, doc_ids=None, text_query=None, limit=MAX_DOCUMENTS):
        clauses = [(tantivy.Occur.Must, self._term("kind", kind)), *self._scope(principal, doc_ids)]
        if text_query is not None:
            clauses.append((tantivy.Occur.Must, text_query))
        searcher = self.index.searcher()
        hits = searcher.search(tantivy.Query.boolean_query(clauses), limit=limit, count=False).hits
        return [(score, searcher.doc(address).to_dict()) for score, address in hits]

    def _bm25(self, text: str, principal, doc_ids, depth) -> tuple[list[tuple[str, float]], dict]:
        """BM25's ranking, and the stored fields of its best chunk (read by address: a lookup by id costs 15x)."""
        words = " ".join(w.lower() for w in WORDS.findall(text))
        if not words:
            return [], {}
        query, _errors = self.index.parse_query_lenient(words, ["text", "section", "title"], field_boosts=BOOSTS)
        clauses = [(tantivy.Occur.Must, self._term("kind", "chunk")), *self._scope(principal, doc_ids),
                   (tantivy.Occur.Must, query)]
        searcher = self.index.searcher()
        hits = searcher.search(tantivy.Query.boolean_query(clauses), limit=depth, count=False).hits
        ids = self._ids_of(searcher, [a for _, a in hits])
        best = searcher.doc(hits[0][1]).to_dict() if hits else {}
        return [(i, score) for i, (score, _) in zip(ids, hits, strict=True) if i is not None], best

    def lexical_cover(self, text: str, fields: dict) -> float:
        """Share of the question's term weight (tantivy's own IDF, its en_stem terms) that one chunk's stored
        `fields` hold in its text, heading path or title: how much of the question BM25's best match matched."""
        terms = set(EN_STEM.analyze(text))
        if not terms:
            return 0.0
        held = set(EN_STEM.analyze(" ".join(first(fields, f, "") for f in ("text", "section", "title"))))
        searcher = self.index.searcher()
        total = max(1, searcher.num_docs)
        idf = {t: np.log(1 + (total - (n := searcher.doc_freq("text", t)) + 0.5) / (n + 0.5)) for t in terms}
        weight = sum(idf.values())
        return float(sum(idf[t] for t in terms & held) / weight) if weight > 0 else 0.0

    def under_named_heading(self, text: str, principal, doc_ids=None) -> set[str]:
        """Ids of the chunks whose heading path ends with a name the question gives in code form: "what does
        asn1_read_value return" names the manual's "asn1 read value" entry, whichever words it is asked in."""
        found: set[str] = set()
        for name in code_names(text):
            words = EN_STEM.analyze(spoken(name))
            if not words:
                continue
            query = (tantivy.Query.phrase_query(self.schema, "section", words) if len(words) > 1
                     else self._term("section", words[0]))
            found.update(first(fields, "id") for _, fields in self._find("chunk", principal, doc_ids, query, NAMED_CHUNKS)
                         if under_heading(first(fields, "section", ""), [name]))
        return found

    def holding_named_value(self, text: str, principal, doc_ids=None) -> set[str]:
        """Ids of the few chunks that hold a name with a digit the question gives ("When was OpenSSL 3.0.19
        published?"), as a phrase in their text or heading path: each name's chunks, when there are at most
        RARE_VALUE of them (a release's notes under its heading are all its chunks; when they are many, the name
        does not single one out and the fused order stands)."""
        found: set[str] = set()
        for name in named_values(text):
            words = EN_STEM.analyze(name)  # "3.0.19" -> "3" "0" "19", as the text field was indexed
            if len(words) < 2:
                continue
            phrases = [tantivy.Query.phrase_query(self.schema, field, words) for field in ("text", "section")]
            query = tantivy.Query.boolean_query([(tantivy.Occur.Should, phrase) for phrase in phrases])
            chunks = self._find("chunk", principal, doc_ids, query, RARE_VALUE + 1)
            if len(chunks) <= RARE_VALUE:
                found.update(first(fields, "id") for _, fields in chunks)
        return found

    def search(self, text, vector, k, principal, mode: Mode = "hybrid", doc_ids=None) -> list[Hit]:
        self._refresh()
        depth = max(self.settings.candidates, k)
        s = self.settings
        with self._lock:
            lexical = lexical_pool().submit(self._bm25, text, principal, doc_ids, depth) if mode in ("hybrid", "bm25") else None
            dense = []
            if mode in ("hybrid", "vector") and vector is not None:
                dense = self.vectors.search(vector, depth, self.vectors.mask(principal, doc_ids))
            bm25, best = lexical.result() if lexical is not None else ([], {})
            headed = self.under_named_heading(text, principal, doc_ids) if mode == "hybrid" and s.named_headings else set()
            valued = self.holding_named_value(text, principal, doc_ids) if mode == "hybrid" and s.named_values else set()
            named = headed | valued
            if dense and (s.sentence_share > 0 or (s.fusion == "convex" and bm25) or named):
                # every candidate of either list, and each chunk of a named entry, gets a dense score
                candidates = list(dict.fromkeys([i for i, _ in bm25] + [i for i, _ in dense] + sorted(named)))
                dense = self.vectors.rescore(vector, candidates, s.sentence_share)
            if s.fusion == "convex":
                share = s.vector_share if bm25 and dense else float(bool(dense))
                if bm25 and dense and s.lexical_floor > 0 and self.lexical_cover(text, best) < s.lexical_floor:
                    share = 1.0  # a paraphrase: BM25's scores are noise, its candidates still count
                fused = convex(bm25, dense, share)
            else:
                fused = rrf(bm25, dense, s.rrf_k, s.bm25_weight, s.vector_weight)
            if named:  # the entry the question names leads; the fused order stands within and after it
                fused.sort(key=lambda f: f.key not in named)
            fused = fused[:k]
        stored = {first(f, "id"): f for _, f in self._find_ids([f.key for f in fused])} if fused else {}
        return [Hit(self._chunk(stored[f.key]), f.score, f.bm25_rank, f.vector_rank, f.bm25_score, f.vector_score,
                    flags=named_flags(f.key, headed, valued)) for f in fused if f.key in stored]

    def _find_ids(self, ids: Sequence[str]):
        searcher = self.index.searcher()
        query = tantivy.Query.term_set_query(self.schema, "id", list(ids))
        return [(s, searcher.doc(a).to_dict()) for s, a in searcher.search(query, limit=len(ids)).hits]

    @staticmethod
    def _chunk(fields: dict) -> Chunk:
        original = first(fields, "meta")  # set when the searchable text differs from the chunk's (see _chunk_doc)
        return Chunk(
            chunk_id=first(fields, "id"), doc_id=first(fields, "doc_id"),
            text=original.decode() if original is not None else first(fields, "text", ""),
            page=first(fields, "page", 0), start=first(fields, "start", 0), end=first(fields, "end", 0),
            section=first(fields, "section", ""), title=first(fields, "title", ""),
            owner=first(fields, "owner", ""), collection=first(fields, "collection", ""),
        )

    # --- documents
    def documents(self, principal: Principal) -> list[Document]:
        self._refresh()
        docs = [Document(**json.loads(first(f, "meta"))) for _, f in self._find("document", principal)]
        return sorted(docs, key=lambda d: (d.uploaded_at, d.name), reverse=True)

    def document(self, doc_id: str, principal: Principal) -> Document:
        self._refresh()
        found = self._find("document", principal, doc_ids=[doc_id], limit=1)
        if not found:
            raise NotFound(f"No document {doc_id!r} in your library.")
        return Document(**json.loads(first(found[0][1], "meta")))

    def chunks(self, doc_id: str, principal: Principal) -> list[Chunk]:
        self.document(doc_id, principal)
        chunks = [self._chunk(f) for _, f in self._find("chunk", principal, doc_ids=[doc_id])]
        return sorted(chunks, key=lambda c: (c.page, c.start))

    def count(self) -> int:
        self._refresh()
        return self._count_kind("chunk")

    # --- writes: one commit per call, whole documents only
    def upsert(self, document: Document, chunks: Sequence[Chunk], vectors: np.ndarray,
               sentences: Sequence[np.ndarray] | None = None) -> None:
        self.upsert_many([(document, chunks, vectors)], None if sentences is None else [sentences])

    def upsert_many(self, items: Sequence[Upsert], sentences: Sequence[Sequence[np.ndarray]] | None = None) -> None:
        """`sentences[i][j]`: the sentence vectors of chunk j of item i, kept for sentence-grain rescoring."""
        per_item = sentences if sentences is not None else [None] * len(items)
        latest = {document.doc_id: (document, chunks, vectors, extra)
                  for (document, chunks, vectors), extra in zip(items, per_item, strict=True)}
        docs = []
        for document, chunks, vectors, extra in latest.values():
            docs += [self._chunk_doc(c, v, None if extra is None else extra[j])
                     for j, (c, v) in enumerate(zip(chunks, vectors, strict=True))]
            docs.append(tantivy.Document(id=f"doc:{document.doc_id}", kind="document", doc_id=document.doc_id,
                                         owner=document.owner, collection=document.collection,
                                         title=document.name, meta=json.dumps(asdict(document)).encode()))
        self._commit(list(latest), docs)
        with self._lock:
            for document, chunks, vectors, extra in latest.values():
                self.vectors.remove_doc(document.doc_id)
                if len(chunks):
                    self.vectors.add(Rows([c.chunk_id for c in chunks], document.doc_id, document.owner,
                                          document.collection, np.asarray(vectors, dtype=np.float32), extra))
                    self._key_to_id.update((key_of(c.chunk_id), c.chunk_id) for c in chunks)

    @staticmethod
    def _chunk_doc(chunk: Chunk, vector: np.ndarray, sentences: np.ndarray | None = None) -> tantivy.Document:
        """BM25 indexes the text with line-end hyphens joined; the chunk's own text, which must stay
        `page.text[start:end]`, then rides along in `meta` (same schema, so existing indexes still open)."""
        searchable = dehyphenate(chunk.text)
        doc = tantivy.Document(
            id=chunk.chunk_id, kind="chunk", doc_id=chunk.doc_id, owner=chunk.owner, collection=chunk.collection,
            text=searchable, section=chunk.section, title=chunk.title, page=chunk.page, start=chunk.start,
            end=chunk.end, vector=pack(vector, sentences), key=key_of(chunk.chunk_id),
        )
        if searchable != chunk.text:
            doc.add_bytes("meta", chunk.text.encode())
        return doc

    def delete(self, doc_id: str, principal: Principal) -> None:
        document = self.document(doc_id, principal)
        if document.owner != principal.user_id:
            raise Forbidden(f"{document.name!r} is shared with you; only its owner can delete it.")
        self._commit([doc_id], [])
        with self._lock:
            self.vectors.remove_doc(doc_id)

    def _commit(self, doc_ids: Sequence[str], docs: list[tantivy.Document]) -> None:
        """Delete the documents' old entries and add the new ones in one atomic commit."""
        with self._lock:
            self._refresh()
            writer = self._writer()
            try:
                for doc_id in doc_ids:
                    writer.delete_documents_by_term("doc_id", doc_id)
                for doc in docs:
                    writer.add_document(doc)
                opstamp = writer.commit()
            except (ValueError, OSError) as exc:  # tantivy reports a full disk or a read-only folder as ValueError
                self._rollback(writer)
                raise BackendUnavailable(f"Could not write the index in {self.folder} ({exc}). {NO_WRITE}") from exc
            except BaseException:
                self._rollback(writer)
                raise
            finally:
                writer.wait_merging_threads()  # releases the lock for other processes
            self.index.reload()
            self._opstamp = opstamp

    def _writer(self):
        """One writer at a time across processes: wait for the lock rather than fail."""
        deadline = time.monotonic() + self.settings.index_lock_timeout
        while True:
            try:
                return self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
            except ValueError as exc:
                if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                    raise BackendUnavailable(
                        "The index is busy with another upload and did not free up in "
                        f"{self.settings.index_lock_timeout:.0f} s; try again (RAG_INDEX_LOCK_TIMEOUT)."
                    ) from exc
                time.sleep(0.1)

    @staticmethod
    def _rollback(writer) -> None:
        with contextlib.suppress(ValueError):  # the commit did not happen; the index on disk is the previous one
            writer.rollback()

    def _save_cache(self, vectors: VectorMatrix, opstamp: int) -> None:
        """The vector cache only speeds up opening: on a full or read-only disk, skip it."""
        with contextlib.suppress(OSError):
            vectors.save(self.folder, opstamp)

    def flush(self) -> None:
        """Save the vector cache for the current commit so other processes open fast."""
        with self._lock:
            self._save_cache(self.vectors, self._opstamp)
