"""validate -> store original -> parse -> chunk -> embed -> index, one document at a time.

The index commit is the last step and holds the document record and all its chunks, so a
document is either fully searchable or absent, whatever happens before it."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

import numpy as np

from rag.errors import InvalidDocument
from rag.ingest.chunker import Chunker
from rag.ingest.context import embedding_text, sentence_texts
from rag.ingest.layout import mark_furniture
from rag.ingest.parsers import DocxParser, PdfParser, TxtParser
from rag.ingest.validate import check_name, check_size, detect_kind
from rag.protocols import BlobStore, Embedder, Index, Parser
from rag.settings import Settings
from rag.telemetry import span
from rag.types import PRIVATE, Chunk, Document, IngestReport, Page, Principal

Progress = Callable[[str, float], None]  # (stage, fraction of the whole file done)
STAGES = ("stored", "parsed", "chunked", "embedded", "indexed")
PAGED = ("pdf", "txt")  # kinds whose pages can carry running headers and page numbers (DOCX sections cannot)


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
class Pending:
    """A file parsed, stored and chunked, waiting to be embedded and indexed with its group."""

    position: int
    document: Document
    chunks: list[Chunk]
    previous: Document | None
    seconds: float  # its own work so far: validate, parse, store, chunk
    timings: dict[str, float]


@dataclass
class Ingestor:
    settings: Settings
    embedder: Embedder
    index: Index
    blobs: BlobStore

    def ingest(self, name: str, data: bytes, principal: Principal, collection: str = PRIVATE,
               progress: Progress | None = None) -> IngestReport:
        """Never raises for a bad file: the report carries the reason in plain words."""
        return self._run([(name, data)], principal, collection, progress or (lambda s, f: None), None)[0]

    def ingest_many(self, files: Iterable[tuple[str, bytes]], principal: Principal, collection: str = PRIVATE,
                    on_report: Callable[[int, IngestReport], None] | None = None) -> list[IngestReport]:
        """Reports in the order of `files`; `on_report(position, report)` as each file is done.

        Small files share work: their chunks are embedded in full batches and indexed in one
        commit, up to `group_chunks()` chunks at a time. Each document is still whole or absent."""
        return self._run(files, principal, collection, lambda s, f: None, on_report)

    def group_chunks(self) -> int:
        return max(1, self.settings.embed_batch) * 4

    def _run(self, files, principal, collection, progress: Progress, on_report) -> list[IngestReport]:
        reports: list[IngestReport | None] = []
        group: list[Pending] = []

        def done(position: int, report: IngestReport) -> None:
            reports[position] = report
            if on_report:
                on_report(position, report)

        def flush() -> None:
            for pending, report in self._finish(group, progress):
                done(pending.position, report)
            group.clear()

        try:
            for position, (name, data) in enumerate(files):
                reports.append(None)
                started, timings = time.perf_counter(), {}
                try:
                    file = self._identify(name, data, principal, collection)
                    if any(p.document.doc_id == file.doc_id or p.document.sha256 == file.sha256 for p in group):
                        paused = time.perf_counter()
                        flush()  # the same name or bytes twice in one upload: the later file sees the earlier one indexed
                        started += time.perf_counter() - paused
                    result = self._prepare(file, data, principal, progress, timings)
                except InvalidDocument as exc:
                    result = IngestReport(name=name, status="rejected", error=str(exc))
                seconds = time.perf_counter() - started
                if isinstance(result, IngestReport):
                    done(position, replace(result, seconds=seconds, stage_seconds=timings))
                    continue
                group.append(Pending(position, *result, seconds=seconds, timings=timings))
                if sum(len(p.chunks) for p in group) >= self.group_chunks():
                    flush()
            if group:
                flush()
        except BaseException:
            for pending in group:  # stored but never indexed: nothing left behind
                self._unstore(pending.document)
            raise
        return reports

    def _identify(self, name: str, data: bytes, principal: Principal, collection: str) -> Document:
        """Validate the upload and name it: the document it would become (pages and chunks still 0)."""
        name = check_name(name)
        check_size(data, self.settings.max_upload_bytes)
        if collection != PRIVATE and collection not in principal.groups:
            raise InvalidDocument(f"You are not a member of {collection!r}; upload to your own library or a group of yours.")
        kind = detect_kind(name, data)
        return Document(doc_id_for(principal.user_id, collection, name), name, kind, hashlib.sha256(data).hexdigest(),
                        len(data), principal.user_id, collection,
                        uploaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
                        uploaded_by=principal.display_name or principal.user_id)

    def _prepare(self, document: Document, data: bytes, principal: Principal, progress: Progress,
                 timings) -> IngestReport | tuple[Document, list[Chunk], Document | None]:
        """parse -> store -> chunk; an IngestReport when there is nothing more to do."""
        known = self.index.documents(principal)
        existing = next((d for d in known if d.sha256 == document.sha256 and d.owner == principal.user_id), None)
        if existing is not None:
            return IngestReport(document.name, existing.doc_id, "unchanged", existing.pages, existing.chunks)
        previous = next((d for d in known if d.doc_id == document.doc_id), None)
        parser = parsers(self.settings)[document.kind]
        pages = self._stage("parsed", timings, progress, 0.15, lambda: self._parse(parser, document, data))
        self._stage("stored", timings, progress, 0.2, lambda: self._store(document, data, pages))
        try:
            chunks = self._stage("chunked", timings, progress, 0.3, lambda: self._chunker().chunk(document, pages))
            if not chunks:
                raise InvalidDocument("No text could be taken from this file.")
        except BaseException:
            self._unstore(document)  # nothing left behind; a replaced version keeps its own files
            raise
        return replace(document, pages=len(pages), chunks=len(chunks)), chunks, previous

    @staticmethod
    def _parse(parser: Parser, document: Document, data: bytes) -> list[Page]:
        pages = list(parser.parse(data))
        return mark_furniture(pages) if document.kind in PAGED else pages

    def _finish(self, group: list[Pending], progress: Progress) -> list[tuple[Pending, IngestReport]]:
        """Embed and index a group; each file is charged its share of the shared stages by chunk count."""
        chunks = [c for p in group for c in p.chunks]
        texts = [embedding_text(c) for c in chunks]  # the name and heading path in front, hyphenation joined
        per_chunk = [sentence_texts(c) for c in chunks] if self._keeps_sentences() else []
        shared: dict[str, float] = {}
        try:
            flat = [s for sentences in per_chunk for s in sentences]
            vectors = self._stage("embedded", shared, progress, 0.9, lambda: self._embed(texts + flat, progress))
            vectors, flat_vectors = vectors[:len(texts)], vectors[len(texts):]
            of_chunk = np.split(flat_vectors, np.cumsum([len(t) for t in per_chunk])[:-1]) if per_chunk else []
            items, sentences, offset = [], [], 0
            for p in group:
                items.append((p.document, p.chunks, vectors[offset:offset + len(p.chunks)]))
                sentences.append(of_chunk[offset:offset + len(p.chunks)])
                offset += len(p.chunks)
            if per_chunk:
                self._stage("indexed", shared, progress, 1.0, lambda: self.index.upsert_many(items, sentences))
            else:
                self._stage("indexed", shared, progress, 1.0, lambda: self.index.upsert_many(items))
        except BaseException:
            for p in group:
                self._unstore(p.document)  # nothing left behind; a replaced version keeps its own files
            group.clear()
            raise
        finished = []
        for p in group:
            if p.previous is not None:
                self._unstore(p.previous)
            share = len(p.chunks) / len(texts)
            p.timings.update({stage: seconds * share for stage, seconds in shared.items()})
            finished.append((p, IngestReport(
                p.document.name, p.document.doc_id, "replaced" if p.previous else "indexed", p.document.pages,
                p.document.chunks, seconds=p.seconds + sum(shared.values()) * share, stage_seconds=p.timings)))
        return finished

    @staticmethod
    def _stage(stage: str, timings: dict, progress: Progress, done: float, work):
        started = time.perf_counter()
        with span(f"ingest.{stage}"):
            result = work()
        timings[stage] = time.perf_counter() - started
        progress(stage, done)
        return result

    def _store(self, document: Document, data: bytes, pages: list[Page]) -> None:
        meta = {"owner": document.owner, "name": document.name, "kind": document.kind, "sha256": document.sha256}
        self.blobs.put(original_key(document), data, meta)
        self.blobs.put(pages_key(document), json.dumps([asdict(p) for p in pages]).encode(), {"sha256": document.sha256})

    def _unstore(self, document: Document) -> None:
        unstore(self.blobs, document)

    def _keeps_sentences(self) -> bool:
        """Sentence vectors are embedded only for an index that scores them (the local one)."""
        return self.settings.sentence_share > 0 and getattr(self.index, "keeps_sentences", False)

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
    pages = json.loads(blobs.get(pages_key(document)))
    return [Page(**{**p, "furniture": tuple(map(tuple, p.get("furniture", ())))}) for p in pages]
