"""validate -> store original -> parse -> chunk -> embed -> index, one document at a time.

The index commit is the last step and holds the document record and all its chunks, so a
document is either fully searchable or absent, whatever happens before it."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

import numpy as np

from rag.errors import InvalidDocument
from rag.ingest.chunker import Chunker
from rag.ingest.parsers import DocxParser, PdfParser, TxtParser
from rag.ingest.validate import check_name, check_size, detect_kind
from rag.protocols import BlobStore, Embedder, Index, Parser
from rag.settings import Settings
from rag.telemetry import span
from rag.types import PRIVATE, Document, IngestReport, Page, Principal

Progress = Callable[[str, float], None]  # (stage, fraction of the whole file done)
STAGES = ("stored", "parsed", "chunked", "embedded", "indexed")


def doc_id_for(owner: str, collection: str, name: str) -> str:
    """Same owner, collection and name -> same id, so a changed re-upload replaces the old version."""
    return hashlib.sha256(f"{owner}\0{collection}\0{name}".encode()).hexdigest()[:16]


def original_key(document: Document) -> str:
    owner = hashlib.sha256(document.owner.encode()).hexdigest()[:16]
    return f"originals/{owner}/{document.sha256}"


def pages_key(document: Document) -> str:
    return original_key(document).replace("originals/", "pages/", 1) + ".json"


def parsers(settings: Settings) -> dict[str, Parser]:
    return {
        "pdf": PdfParser(settings.max_pages),
        "docx": DocxParser(int(settings.max_unzipped_mb * 2**20), settings.max_pages),
        "txt": TxtParser(settings.max_pages),
    }


@dataclass
class Ingestor:
    settings: Settings
    embedder: Embedder
    index: Index
    blobs: BlobStore

    def ingest(self, name: str, data: bytes, principal: Principal, collection: str = PRIVATE,
               progress: Progress | None = None) -> IngestReport:
        """Never raises for a bad file: the report carries the reason in plain words."""
        started, timings = time.perf_counter(), {}
        try:
            report = self._ingest(name, data, principal, collection, progress or (lambda s, f: None), timings)
        except InvalidDocument as exc:
            return IngestReport(name=name, status="rejected", error=str(exc), seconds=time.perf_counter() - started,
                                stage_seconds=timings)
        return replace(report, seconds=time.perf_counter() - started, stage_seconds=timings)

    def _ingest(self, name, data, principal, collection, progress: Progress, timings) -> IngestReport:
        name = check_name(name)
        check_size(data, self.settings.max_upload_bytes)
        if collection != PRIVATE and collection not in principal.groups:
            raise InvalidDocument(f"You are not a member of {collection!r}; upload to your own library or a group of yours.")
        kind = detect_kind(name, data)
        sha = hashlib.sha256(data).hexdigest()
        existing = self._same_bytes(sha, principal)
        if existing is not None:
            return IngestReport(name, existing.doc_id, "unchanged", existing.pages, existing.chunks)
        doc_id = doc_id_for(principal.user_id, collection, name)
        previous = next((d for d in self.index.documents(principal) if d.doc_id == doc_id), None)
        document = Document(doc_id, name, kind, sha, len(data), principal.user_id, collection,
                            uploaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
                            uploaded_by=principal.display_name or principal.user_id)
        pages = self._stage("parsed", timings, progress, 0.15, lambda: list(parsers(self.settings)[kind].parse(data)))
        self._stage("stored", timings, progress, 0.2, lambda: self._store(document, data, pages))
        try:
            chunks = self._stage("chunked", timings, progress, 0.3, lambda: self._chunker().chunk(document, pages))
            if not chunks:
                raise InvalidDocument("No text could be taken from this file.")
            vectors = self._stage("embedded", timings, progress, 0.9,
                                  lambda: self._embed([c.text for c in chunks], progress))
            document = replace(document, pages=len(pages), chunks=len(chunks))
            self._stage("indexed", timings, progress, 1.0, lambda: self.index.upsert(document, chunks, vectors))
        except BaseException:
            self._unstore(document)  # nothing left behind; a replaced version keeps its own files
            raise
        if previous is not None:
            self._unstore(previous)
        return IngestReport(name, doc_id, "replaced" if previous else "indexed", len(pages), len(chunks))

    @staticmethod
    def _stage(stage: str, timings: dict, progress: Progress, done: float, work):
        started = time.perf_counter()
        with span(f"ingest.{stage}"):
            result = work()
        timings[stage] = time.perf_counter() - started
        progress(stage, done)
        return result

    def _same_bytes(self, sha: str, principal: Principal) -> Document | None:
        return next((d for d in self.index.documents(principal)
                     if d.sha256 == sha and d.owner == principal.user_id), None)

    def _store(self, document: Document, data: bytes, pages: list[Page]) -> None:
        meta = {"owner": document.owner, "name": document.name, "kind": document.kind, "sha256": document.sha256}
        self.blobs.put(original_key(document), data, meta)
        self.blobs.put(pages_key(document), json.dumps([asdict(p) for p in pages]).encode(), {"sha256": document.sha256})

    def _unstore(self, document: Document) -> None:
        unstore(self.blobs, document)

    def _chunker(self) -> Chunker:
        return Chunker(self.embedder, self.settings.chunk_tokens, self.settings.chunk_overlap)

    def _embed(self, texts: list[str], progress: Progress) -> np.ndarray:
        batch = max(1, self.settings.embed_batch) * 4
        parts = []
        for start in range(0, len(texts), batch):
            parts.append(self.embedder.embed(texts[start:start + batch]))
            progress("embedding", 0.3 + 0.6 * min(1.0, (start + batch) / len(texts)))
        return np.concatenate(parts) if parts else np.zeros((0, self.embedder.dim), dtype=np.float32)


def unstore(blobs: BlobStore, document: Document) -> None:
    """Remove a document's original and its parsed pages."""
    blobs.delete(original_key(document))
    blobs.delete(pages_key(document))


def load_pages(blobs: BlobStore, document: Document) -> list[Page]:
    return [Page(**p) for p in json.loads(blobs.get(pages_key(document)))]
