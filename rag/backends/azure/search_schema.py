"""The Azure AI Search side of our types: index schema, records, and the OData filters we send."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import Any

from azure.search.documents.indexes.models import (
    HnswAlgorithmConfiguration,
    HnswParameters,
    SearchField,
    SearchIndex,
    SemanticConfiguration,
    SemanticField,
    SemanticPrioritizedFields,
    SemanticSearch,
    VectorSearch,
    VectorSearchProfile,
)

from rag.types import Chunk, Document, Principal

SEMANTIC_CONFIG = "docchat-semantic"
VECTOR_PROFILE = "docchat-vector"
HNSW = "docchat-hnsw"
CHUNK_FIELDS = ["id", "doc_id", "owner", "collection", "title", "page", "section", "start", "end", "content"]
DOCUMENT_FIELDS = ["id", "doc_id", "owner", "collection", "name", "kind_of_file", "sha256", "size", "pages",
                   "chunks", "uploaded_at", "uploaded_by"]
# Simple query syntax operators; a question is words, not a query language, so they become spaces.
QUERY_OPERATORS = re.compile(r"[+\-|\"*()~\\/^:?!{}\[\]&]")
DELIMITERS = ",|;~"


def _field(name: str, type_: str = "Edm.String", **options: Any) -> SearchField:
    return SearchField(name=name, type=type_, **options)


def index_definition(name: str, dim: int, analyzer: str) -> SearchIndex:
    text = {"searchable": True, "analyzer_name": analyzer}
    filterable = {"filterable": True}
    fields = [
        _field("id", key=True, filterable=True),
        _field("kind", **filterable), _field("doc_id", **filterable),
        _field("owner", **filterable), _field("collection", **filterable),
        _field("title", **text), _field("content", **text), _field("section"),
        _field("page", "Edm.Int32", filterable=True, sortable=True),
        _field("start", "Edm.Int32"), _field("end", "Edm.Int32"),
        _field("vector", "Collection(Edm.Single)", searchable=True, retrievable=False,
               vector_search_dimensions=dim, vector_search_profile_name=VECTOR_PROFILE),
        _field("name", sortable=True), _field("kind_of_file", **filterable), _field("sha256", **filterable),
        _field("size", "Edm.Int64"), _field("pages", "Edm.Int32"), _field("chunks", "Edm.Int32"),
        _field("uploaded_at", sortable=True, filterable=True), _field("uploaded_by", **filterable),
    ]
    return SearchIndex(
        name=name,
        fields=fields,
        vector_search=VectorSearch(
            algorithms=[HnswAlgorithmConfiguration(name=HNSW, parameters=HnswParameters(metric="cosine"))],
            profiles=[VectorSearchProfile(name=VECTOR_PROFILE, algorithm_configuration_name=HNSW)],
        ),
        semantic_search=SemanticSearch(
            default_configuration_name=SEMANTIC_CONFIG,
            configurations=[SemanticConfiguration(name=SEMANTIC_CONFIG, prioritized_fields=SemanticPrioritizedFields(
                title_field=SemanticField(field_name="title"), content_fields=[SemanticField(field_name="content")]))],
        ),
    )


def record_key(kind: str, ident: str) -> str:
    """Keys allow only letters, digits, '_', '-' and '='; ids may hold anything, so they are base64url."""
    return base64.urlsafe_b64encode(f"{kind}:{ident}".encode()).decode()


def ident_of(key: str) -> str:
    return base64.urlsafe_b64decode(key.encode()).decode().split(":", 1)[1]


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def one_of(field: str, values: Sequence[str]) -> str:
    """`search.in` with a delimiter none of the values contains."""
    delimiter = next((d for d in DELIMITERS if not any(d in v for v in values)), None)
    if delimiter is None:
        return "(" + " or ".join(f"{field} eq {literal(v)}" for v in values) + ")"
    return f"search.in({field}, {literal(delimiter.join(values))}, {literal(delimiter)})"


def scope_filter(principal: Principal) -> str:
    """Own documents, plus collections named after the principal's groups (never the private '')."""
    own = f"owner eq {literal(principal.user_id)}"
    groups = [group for group in principal.groups if group]
    return f"({own} or {one_of('collection', groups)})" if groups else own


def chunk_filter(principal: Principal, doc_ids: Sequence[str] | None = None) -> str:
    parts = ["kind eq 'chunk'", scope_filter(principal)]
    if doc_ids is not None:
        parts.append(one_of("doc_id", list(doc_ids)) if doc_ids else "doc_id eq ''")
    return " and ".join(parts)


def document_filter(principal: Principal, doc_id: str | None = None) -> str:
    parts = ["kind eq 'document'", scope_filter(principal)]
    if doc_id is not None:
        parts.append(f"doc_id eq {literal(doc_id)}")
    return " and ".join(parts)


def query_text(text: str) -> str:
    return " ".join(QUERY_OPERATORS.sub(" ", text).split())


def chunk_record(chunk: Chunk, document: Document, vector: Sequence[float]) -> dict[str, Any]:
    return {
        "id": record_key("chunk", chunk.chunk_id), "kind": "chunk", "doc_id": document.doc_id,
        "owner": document.owner, "collection": document.collection, "title": chunk.title or document.name,
        "page": chunk.page, "section": chunk.section, "start": chunk.start, "end": chunk.end,
        "content": chunk.text, "vector": [float(x) for x in vector],
    }


def document_record(document: Document) -> dict[str, Any]:
    return {
        "id": record_key("document", document.doc_id), "kind": "document", "doc_id": document.doc_id,
        "owner": document.owner, "collection": document.collection, "title": document.name,
        "name": document.name, "kind_of_file": document.kind, "sha256": document.sha256, "size": document.size,
        "pages": document.pages, "chunks": document.chunks, "uploaded_at": document.uploaded_at,
        "uploaded_by": document.uploaded_by,
    }


def chunk_from(record: dict[str, Any]) -> Chunk:
    return Chunk(
        chunk_id=ident_of(record["id"]), doc_id=record["doc_id"], text=record.get("content") or "",
        page=int(record.get("page") or 0), start=int(record.get("start") or 0), end=int(record.get("end") or 0),
        section=record.get("section") or "", title=record.get("title") or "", owner=record.get("owner") or "",
        collection=record.get("collection") or "",
    )


def document_from(record: dict[str, Any]) -> Document:
    return Document(
        doc_id=record["doc_id"], name=record.get("name") or "", kind=record.get("kind_of_file") or "txt",
        sha256=record.get("sha256") or "", size=int(record.get("size") or 0), owner=record.get("owner") or "",
        collection=record.get("collection") or "", pages=int(record.get("pages") or 0),
        chunks=int(record.get("chunks") or 0), uploaded_at=record.get("uploaded_at") or "",
        uploaded_by=record.get("uploaded_by") or "",
    )
