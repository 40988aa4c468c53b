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


# Every attribute of every field is set: left out, the REST API makes each Edm.String searchable and
# each simple field filterable, sortable and facetable (which also caps a value at 32 KB).
ATTRIBUTES = ("key", "retrievable", "searchable", "filterable", "sortable", "facetable")
# (name, type, attributes that are true); filterable: exactly what our filters and key-range paging use
FIELDS: list[tuple[str, str, frozenset[str]]] = [
    ("id", "Edm.String", frozenset({"key", "retrievable", "filterable", "sortable"})),  # $orderby for paging
    ("kind", "Edm.String", frozenset({"retrievable", "filterable"})),
    ("doc_id", "Edm.String", frozenset({"retrievable", "filterable"})),
    ("owner", "Edm.String", frozenset({"retrievable", "filterable"})),
    ("collection", "Edm.String", frozenset({"retrievable", "filterable"})),
    ("title", "Edm.String", frozenset({"retrievable", "searchable"})),
    ("section", "Edm.String", frozenset({"retrievable", "searchable"})),  # the chunk's heading path
    ("content", "Edm.String", frozenset({"retrievable", "searchable"})),
    ("page", "Edm.Int32", frozenset({"retrievable"})),
    ("start", "Edm.Int32", frozenset({"retrievable"})),
    ("end", "Edm.Int32", frozenset({"retrievable"})),
    ("vector", "Collection(Edm.Single)", frozenset({"searchable"})),
    ("name", "Edm.String", frozenset({"retrievable"})),
    ("kind_of_file", "Edm.String", frozenset({"retrievable"})),
    ("sha256", "Edm.String", frozenset({"retrievable"})),
    ("size", "Edm.Int64", frozenset({"retrievable"})),
    ("pages", "Edm.Int32", frozenset({"retrievable"})),
    ("chunks", "Edm.Int32", frozenset({"retrievable"})),
    ("uploaded_at", "Edm.String", frozenset({"retrievable"})),
    ("uploaded_by", "Edm.String", frozenset({"retrievable"})),
]
SEARCH_FIELDS = [name for name, type_, on in FIELDS if "searchable" in on and type_ == "Edm.String"]


def _field(name: str, type_: str, on: frozenset[str], dim: int, analyzer: str) -> SearchField:
    options: dict[str, object] = {attribute: attribute in on for attribute in ATTRIBUTES}
    if type_ == "Collection(Edm.Single)":
        options.update(vector_search_dimensions=dim, vector_search_profile_name=VECTOR_PROFILE)
    elif "searchable" in on:
        options["analyzer_name"] = analyzer
    return SearchField(name=name, type=type_, **options)


def index_definition(name: str, dim: int, analyzer: str) -> SearchIndex:
    return SearchIndex(
        name=name,
        fields=[_field(field, type_, on, dim, analyzer) for field, type_, on in FIELDS],
        vector_search=VectorSearch(
            algorithms=[HnswAlgorithmConfiguration(name=HNSW, parameters=HnswParameters(metric="cosine"))],
            profiles=[VectorSearchProfile(name=VECTOR_PROFILE, algorithm_configuration_name=HNSW)],
        ),
        semantic_search=SemanticSearch(
            default_configuration_name=SEMANTIC_CONFIG,
            configurations=[SemanticConfiguration(name=SEMANTIC_CONFIG, prioritized_fields=SemanticPrioritizedFields(
                title_field=SemanticField(field_name="title"), content_fields=[SemanticField(field_name="content")],
                keywords_fields=[SemanticField(field_name="section")]))],
        ),
    )


def schema_drift(existing: dict[str, dict[str, object]]) -> list[str]:
    """How the fields an index has (name -> REST attributes) differ from the schema: the attributes that
    need the index re-created (the service never changes them in place; missing fields it can add)."""
    drift = []
    for name, _type, on in FIELDS:
        field = existing.get(name)
        if field is None:
            continue
        for attribute in ATTRIBUTES:
            if attribute == "key" or (name == "vector" and attribute == "retrievable"):
                continue
            if bool(field.get(attribute)) != (attribute in on):
                drift.append(f"{name}.{attribute} is {bool(field.get(attribute))}, wants {attribute in on}")
    return drift


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
