"""The Index seam on Azure AI Search: chunks and document records in one index, every read scoped.

Hybrid queries send the text and the vector in one request (Azure fuses them with RRF); the semantic
ranker is optional. Writes go in batches whose per-record results are checked and retried.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np
from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.policies import RetryPolicy
from azure.search.documents import SearchClient
from azure.search.documents.indexes import SearchIndexClient
from azure.search.documents.models import VectorizedQuery

from rag.backends.azure.identity import credential_from, translate
from rag.backends.azure.search_schema import (
    CHUNK_FIELDS,
    DOCUMENT_FIELDS,
    SEARCH_FIELDS,
    SEMANTIC_CONFIG,
    chunk_filter,
    chunk_from,
    chunk_record,
    document_filter,
    document_from,
    document_record,
    index_definition,
    literal,
    one_of,
    query_text,
    schema_drift,
)
from rag.errors import BackendUnavailable, ConfigError, Forbidden, NotFound
from rag.protocols import Upsert
from rag.settings import Settings
from rag.text import RARE_VALUE, code_names, named_values, spoken, under_heading
from rag.types import NAMED_ENTRY, NAMED_VALUE, RERANK_SKIPPED, Chunk, Document, Hit, Mode, Principal

T = TypeVar("T")
log = logging.getLogger(__name__)

READER, WRITER, ADMIN = "Search Index Data Reader", "Search Index Data Contributor", "Search Service Contributor"
# Service limits for one indexing request: 1000 actions and 16 MB of payload. We stay a little under
# the size so the JSON envelope and escaping never push a batch over.
MAX_BATCH_DOCS = 1000
MAX_BATCH_BYTES = 15 * 1024 * 1024
PAGE = 1000  # the most results one search request returns; listings page by key range, never by `skip`
RETRYABLE_STATUS = {409, 422, 429, 503}  # per-record statuses the service says to retry
NAMED_CHUNKS = 50  # chunks read per heading a question names (a manual's entry is a few chunks)


class SafeToRepeatRetryPolicy(RetryPolicy):
    """azure-core retries a POST only on 500/503/504 unless Retry-After is sent; our POSTs (queries,
    uploads that replace, deletes) are safe to repeat, so a 429 with only retry-after-ms is retried too."""

    def _is_method_retryable(self, settings: dict[str, Any], request: Any, response: Any = None) -> bool:
        return True


def batches(records: Sequence[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    size = 0
    for record in records:
        record_size = len(json.dumps(record))
        if batch and (len(batch) >= MAX_BATCH_DOCS or size + record_size > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += record_size
    if batch:
        yield batch


class AzureSearchIndex:
    def __init__(self, settings: Settings, embedder: Any = None, **deps: Any):
        """`embedder` sets the vector size; `credential`, `transport`, `sleep`, `dim`: test hooks."""
        if not settings.azure_search_endpoint:
            raise ConfigError("RAG_INDEX=azure needs RAG_AZURE_SEARCH_ENDPOINT, e.g. https://NAME.search.windows.net.")
        self.settings = settings
        self.dim = embedder.dim if embedder is not None else deps.get("dim") or settings.azure_openai_embedding_dimensions
        self.name = settings.azure_search_index
        self.service = f"Azure AI Search index {self.name!r} at {settings.azure_search_endpoint}"
        # azure-core's retry policy retries 429/5xx and honours retry-after (sleeping via the transport)
        options: dict[str, Any] = {"retry_policy": SafeToRepeatRetryPolicy(retry_total=settings.chat_retries)}
        if deps.get("transport"):
            options["transport"] = deps["transport"]
        credential = credential_from(deps)
        self.client = SearchClient(settings.azure_search_endpoint, self.name, credential, **options)
        self.indexes = SearchIndexClient(settings.azure_search_endpoint, credential, **options)
        self.sleep: Callable[[float], None] = deps.get("sleep") or time.sleep
        self._ready = not settings.azure_search_manage_index
        self._warned = False  # a refused semantic query is logged once per index object

    # --- plumbing
    def _call(self, role: str, request: Callable[[], T]) -> T:
        try:
            return request()
        except ResourceNotFoundError as exc:
            raise ConfigError(
                f"{self.service} does not exist. Set RAG_AZURE_SEARCH_MANAGE_INDEX=true (needs the "
                f"'{ADMIN}' role) to let DocChat create it, or have the infrastructure create it."
            ) from exc
        except AzureError as exc:
            raise translate(exc, self.service, role) from exc

    def _existing_index(self) -> Any:
        try:
            return self.indexes.get_index(self.name)
        except ResourceNotFoundError:
            return None
        except AzureError as exc:
            raise translate(exc, self.service, ADMIN) from exc

    def _ensure_index(self) -> None:
        """Create the index, or add what a newer DocChat needs; refuse a vector size that differs."""
        if self._ready:
            return
        existing = self._existing_index()
        wanted = index_definition(self.name, self.dim, self.settings.azure_search_analyzer)
        dims = {f.name: f.vector_search_dimensions for f in existing.fields} if existing is not None else {}
        if dims.get("vector") not in (None, self.dim):
            raise ConfigError(
                f"{self.service} holds vectors of {dims['vector']} dims but the embedder makes {self.dim}. "
                "Use a new RAG_AZURE_SEARCH_INDEX (and re-ingest), or match RAG_AZURE_OPENAI_EMBEDDING_DIMENSIONS."
            )
        if existing is not None:
            self._refuse_old_schema(existing)
        missing = {f.name for f in wanted.fields} - set(dims)
        if existing is None or missing or not existing.semantic_search or self._semantic_differs(existing, wanted):
            self._call(ADMIN, lambda: self.indexes.create_or_update_index(wanted))
        self._ready = True

    @staticmethod
    def _semantic_differs(existing: Any, wanted: Any) -> bool:
        return existing.semantic_search.as_dict() != wanted.semantic_search.as_dict()

    def _refuse_old_schema(self, existing: Any) -> None:
        """Field attributes cannot change in place: an index made by an older DocChat is rebuilt from the blobs."""
        drift = schema_drift({f["name"]: f for f in existing.as_dict().get("fields", [])})
        if not drift:
            return
        new = f"{self.name}-v2"
        raise ConfigError(
            f"{self.service} has an older schema ({'; '.join(drift[:4])}{'; ...' if len(drift) > 4 else ''}). "
            "Its fields cannot be changed in place. Build a new index from the originals in blob storage: "
            f"`RAG_AZURE_SEARCH_INDEX={new} RAG_AZURE_SEARCH_MANAGE_INDEX=true python -m rag.backends.azure.reindex "
            f"--from {self.name}`, then set RAG_AZURE_SEARCH_INDEX={new} (chart: config.extra) and delete the old index "
            "(docs/azure.md, 'Index schema migration')."
        )

    def _select(self, filter_: str, fields: list[str]) -> list[dict[str, Any]]:
        """Every record matching `filter_`, page by page in key order: each page starts after the last
        key seen (`skip` would stop at the service's limit of 100,000, and unordered pages can overlap)."""
        out: list[dict[str, Any]] = []
        fields = fields if "id" in fields else ["id", *fields]
        while True:
            after = f"({filter_}) and id gt {literal(out[-1]['id'])}" if out else filter_
            page = self._call(READER, lambda after=after: list(self.client.search(
                search_text=None, filter=after, select=fields, top=PAGE, order_by=["id asc"])))
            out += page
            if len(page) < PAGE:
                return out

    def _write(self, action: str, records: list[dict[str, Any]]) -> None:
        send = self.client.upload_documents if action == "upload" else self.client.delete_documents
        for batch in batches(records):
            self._write_batch(send, batch)

    def _write_batch(self, send: Callable[..., Any], batch: list[dict[str, Any]]) -> None:
        pending = batch
        for attempt in range(self.settings.chat_retries + 1):
            results = self._call(WRITER, lambda pending=pending: send(documents=pending))
            failed = {r.key: r for r in results if not r.succeeded}
            if not failed:
                return
            key, first = next(iter(failed.items()))
            if any(r.status_code not in RETRYABLE_STATUS for r in failed.values()) or attempt == self.settings.chat_retries:
                raise BackendUnavailable(
                    f"{self.service} did not store {len(failed)} of {len(pending)} records (first: HTTP "
                    f"{first.status_code} {first.error_message}). Try the upload again; it resumes cleanly."
                )
            pending = [record for record in pending if record["id"] in failed]
            self.sleep(min(2.0**attempt, 30.0))

    # --- the Index protocol
    def upsert(self, document: Document, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        self.upsert_many([(document, chunks, vectors)])

    def upsert_many(self, items: Sequence[Upsert]) -> None:
        """New chunks and the document records first, then the old chunks not in the new sets."""
        self._ensure_index()
        latest = {document.doc_id: (document, chunks, vectors) for document, chunks, vectors in items}
        if not latest:
            return
        records = []
        for document, chunks, vectors in latest.values():
            vectors = np.asarray(vectors, dtype=np.float32).reshape(len(chunks), -1) if len(chunks) else vectors
            if len(chunks) and vectors.shape[1] != self.dim:
                raise ConfigError(f"Vectors of {vectors.shape[1]} dims do not fit {self.service} ({self.dim} dims).")
            records += [*(chunk_record(c, document, v) for c, v in zip(chunks, vectors, strict=True)),
                        document_record(document)]
        old = {r["id"] for r in self._select(f"kind eq 'chunk' and {one_of('doc_id', list(latest))}", ["id"])}
        stale = old - {r["id"] for r in records}  # chunk ids carry their doc id: one query for the whole group
        self._write("upload", records)
        if stale:
            self._write("delete", [{"id": key} for key in sorted(stale)])

    def delete(self, doc_id: str, principal: Principal) -> None:
        document = self.document(doc_id, principal)
        if document.owner != principal.user_id:
            raise Forbidden(f"{document.name} belongs to {document.owner}; only its owner can delete it.")
        chunks = self._select(f"kind eq 'chunk' and doc_id eq {literal(doc_id)}", ["id"])
        self._write("delete", [{"id": r["id"]} for r in chunks])
        records = self._select(f"kind eq 'document' and doc_id eq {literal(doc_id)}", ["id"])
        self._write("delete", [{"id": r["id"]} for r in records])  # last: a failed delete can be repeated

    def document(self, doc_id: str, principal: Principal) -> Document:
        self._ensure_index()
        found = self._select(document_filter(principal, doc_id), DOCUMENT_FIELDS)
        if not found:
            raise NotFound(f"No document {doc_id!r} that you can see.")
        return document_from(found[0])

    def documents(self, principal: Principal) -> list[Document]:
        self._ensure_index()
        records = self._select(document_filter(principal), DOCUMENT_FIELDS)
        return sorted((document_from(r) for r in records), key=lambda d: (d.name.lower(), d.doc_id))

    def chunks(self, doc_id: str, principal: Principal) -> list[Chunk]:
        self.document(doc_id, principal)
        records = self._select(chunk_filter(principal, [doc_id]), CHUNK_FIELDS)
        return sorted((chunk_from(r) for r in records), key=lambda c: (c.page, c.start, c.chunk_id))

    def count(self) -> int:
        self._ensure_index()
        results = self._call(READER, lambda: self.client.search(
            search_text=None, filter="kind eq 'chunk'", include_total_count=True, top=0))
        return int(self._call(READER, results.get_count) or 0)

    def search(self, text: str, vector: np.ndarray | None, k: int, principal: Principal,
               mode: Mode = "hybrid", doc_ids: Sequence[str] | None = None) -> list[Hit]:
        self._ensure_index()
        query = query_text(text) if mode in ("hybrid", "bm25") else ""
        use_vector = mode in ("hybrid", "vector") and vector is not None
        if k <= 0 or not (query or use_vector):
            return []
        vector = vector if use_vector else None
        request = {"search_text": query or None, "filter": chunk_filter(principal, doc_ids), "top": k,
                   "select": CHUNK_FIELDS, **({"search_fields": SEARCH_FIELDS} if query else {})}
        hits = self._ranked(request, query, vector, k)
        if mode == "hybrid" and (self.settings.named_headings or self.settings.named_values):
            headed = self.under_named_heading(text, principal, doc_ids) if self.settings.named_headings else []
            valued = self.holding_named_value(text, principal, doc_ids) if self.settings.named_values else []
            named = [(h, NAMED_ENTRY) for h in headed] + [(h, NAMED_VALUE) for h in valued]
            hits = lead(hits, named)[:k]
        return hits

    def _ranked(self, request: dict[str, Any], query: str, vector: np.ndarray | None, k: int) -> list[Hit]:
        semantic = bool(query) and vector is not None and self.settings.azure_semantic
        if semantic:
            try:
                results = list(self.client.search(**request, **self._query_options(query, vector, k, semantic=True)))
                return hits_from(results, True, True)
            except HttpResponseError as exc:
                if not self._semantic_refused(exc):
                    raise translate(exc, self.service, READER) from exc
        results = self._call(READER, lambda: list(self.client.search(
            **request, **self._query_options(query, vector, k, semantic=False))))
        hits = hits_from(results, bool(query), vector is not None)
        return [skipped(h) for h in hits] if semantic else hits

    def under_named_heading(self, text: str, principal: Principal, doc_ids: Sequence[str] | None = None) -> list[Hit]:
        """The chunks whose heading path ends with a name the question gives in code form (as the local index:
        "asn1_read_value" names a manual's "asn1 read value" entry): one phrase query on the heading path."""
        names = code_names(text)
        if not names:
            return []
        phrases = " ".join(f'"{spoken(name)}"' for name in names)  # letters, digits and spaces only
        results = self._call(READER, lambda: list(self.client.search(
            search_text=phrases, search_fields=["section"], filter=chunk_filter(principal, doc_ids),
            top=NAMED_CHUNKS, select=CHUNK_FIELDS)))
        return [h for h in hits_from(results, True, False) if under_heading(h.chunk.section, names)]

    def holding_named_value(self, text: str, principal: Principal,
                            doc_ids: Sequence[str] | None = None) -> list[Hit]:
        """The few chunks that hold a name with a digit the question gives ("3.0.19", "CVE-2024-5535"), as the
        local index finds them: one phrase query on the text and heading path per name, its chunks when at most
        RARE_VALUE (the service's analyzer reads the phrase as it read the text)."""
        found: list[Hit] = []
        for name in named_values(text):  # letters, digits and . - / : + only
            results = self._call(READER, lambda name=name: list(self.client.search(
                search_text=f'"{name}"', search_fields=["section", "content"], filter=chunk_filter(principal, doc_ids),
                top=RARE_VALUE + 1, select=CHUNK_FIELDS)))
            if len(results) <= RARE_VALUE:
                found += hits_from(results, True, False)
        return found

    def _semantic_refused(self, exc: HttpResponseError) -> bool:
        """Quota spent, plan off, or a transient failure: the plain hybrid query answers this request.
        Access and not-found errors would fail the plain query too, so they are reported instead."""
        status = exc.status_code or 0
        if status in (401, 403, 404):
            return False
        if not self._warned:
            self._warned = True
            log.warning("%s refused a semantic query (HTTP %s: %s); answering with plain hybrid search "
                        "(logged once; see docs/azure.md, 'Semantic ranker').", self.service, status,
                        (getattr(exc.error, "code", None) or "") if exc.error else "")
        return True

    def _query_options(self, query: str, vector: np.ndarray | None, k: int, semantic: bool) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if vector is not None:
            options["vector_queries"] = [VectorizedQuery(
                vector=[float(x) for x in np.asarray(vector).ravel()],
                k_nearest_neighbors=max(k, self.settings.candidates), fields="vector")]
        if query and vector is not None:
            if semantic:
                options.update(query_type="semantic", semantic_configuration_name=SEMANTIC_CONFIG,
                               query_caption="extractive")
            else:
                options["debug"] = "vector"  # per-retriever subscores, so hits can say how each ranked them
        return options


def lead(hits: list[Hit], named: list[tuple[Hit, str]]) -> list[Hit]:
    """The chunks the question names, each with its flag (the named entry's, the named value's), first (those the
    hybrid query ranked, in its order, then the others), then the rest."""
    flags: dict[str, tuple[str, ...]] = {}
    found: dict[str, Hit] = {}
    for hit, flag in named:
        key = hit.chunk.chunk_id
        found.setdefault(key, hit)
        if flag not in flags.setdefault(key, ()):
            flags[key] += (flag,)
    ranked = [h for h in hits if h.chunk.chunk_id in flags]
    seen = {h.chunk.chunk_id for h in ranked}
    # a chunk the hybrid query did not return has no BM25 rank of its own (the lookup's is not one)
    unranked = [replace(h, bm25_rank=None, bm25_score=None) for key, h in found.items() if key not in seen]
    leading = [replace(h, flags=(*h.flags, *flags[h.chunk.chunk_id])) for h in ranked + unranked]
    return leading + [h for h in hits if h.chunk.chunk_id not in flags]


def skipped(hit: Hit) -> Hit:
    return replace(hit, flags=(*hit.flags, RERANK_SKIPPED))


def subscores(result: dict[str, Any]) -> tuple[float | None, float | None]:
    """(text score, vector score) of a hybrid result from `debug=vector`, None where a retriever missed."""
    info = result.get("@search.document_debug_info")
    scores = getattr(getattr(info, "vectors", None), "subscores", None)
    if scores is None:
        return None, None
    text = scores.text.search_score if scores.text is not None else None
    vector = None
    for per_field in scores.vectors or []:
        for value in per_field.values():
            vector = value.search_score if vector is None else max(vector, value.search_score)
    return text, vector


def ranks(scores: list[float | None]) -> list[int | None]:
    """1-based rank among the returned hits by descending score; None where there is no score."""
    order = sorted((i for i, s in enumerate(scores) if s is not None), key=lambda i: -scores[i])
    out: list[int | None] = [None] * len(scores)
    for rank, i in enumerate(order, start=1):
        out[i] = rank
    return out


def hits_from(results: list[dict[str, Any]], text: bool, vector: bool) -> list[Hit]:
    scores = [float(r.get("@search.reranker_score") or r.get("@search.score") or 0.0) for r in results]
    if text and vector:
        pairs = [subscores(r) for r in results]
        text_scores, vector_scores = [p[0] for p in pairs], [p[1] for p in pairs]
    else:
        text_scores = scores if text else [None] * len(results)
        vector_scores = scores if vector else [None] * len(results)
    hits = []
    for r, score, ts, vs, tr, vr in zip(results, scores, text_scores, vector_scores,
                                        ranks(text_scores), ranks(vector_scores), strict=True):
        captions = r.get("@search.captions") or []
        caption = (getattr(captions[0], "text", None) or "") if captions else ""
        hits.append(Hit(chunk_from(r), score, bm25_rank=tr, vector_rank=vr, bm25_score=ts, vector_score=vs,
                        caption=caption))
    return hits
