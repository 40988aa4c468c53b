"""The engine's one entry point for the app, the CLI and the evaluation: backends from the
registry, wired once, every call scoped to a Principal."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property

from rag import audit, registry, telemetry
from rag.answer import AnswerStream, search_query, stream_answer
from rag.audit import audited, fingerprint
from rag.guard import RATE_LIMITER, check_question, content_screen, sources_for
from rag.ingest.pipeline import Ingestor, Progress, load_pages, original_key, unstore
from rag.protocols import BlobStore, ChatModel, Embedder, Index
from rag.retrieve import retrieve
from rag.settings import Settings, get_settings
from rag.telemetry import span
from rag.types import PRIVATE, Answer, Document, Hit, IngestReport, Mode, Page, Principal, Turn


def report_fields(report: IngestReport) -> dict:
    """What the audit log keeps of an ingest report (never the document's text)."""
    fields = {"doc_id": report.doc_id, "result": report.status, "pages": report.pages, "chunks": report.chunks}
    return fields | ({"status": "rejected", "error": report.error} if report.status == "rejected" else {})


class Engine:
    def __init__(self, settings: Settings | None = None, **backends):
        """`backends` (embedder=, index=, blobs=, chat=, secrets=) override the configured ones."""
        self.settings = settings or get_settings()
        self.__dict__.update({k: v for k, v in backends.items() if v is not None})
        audit.configure(self.settings)
        telemetry.configure(self.settings)

    # backends are built on first use, so the app starts before the model is loaded
    @cached_property
    def secrets(self):
        return registry.create("secrets", self.settings)

    @cached_property
    def embedder(self) -> Embedder:
        return registry.create("embedder", self.settings, **self._deps("embedder"))

    @cached_property
    def index(self) -> Index:
        return registry.create("index", self.settings, **self._deps("index"))

    @cached_property
    def blobs(self) -> BlobStore:
        return registry.create("blobs", self.settings, **self._deps("blobs"))

    @cached_property
    def chat(self) -> ChatModel:
        return registry.create("chat", self.settings, **self._deps("chat"))

    @cached_property
    def content_safety(self):
        """Azure AI Content Safety when RAG_CONTENT_SAFETY_ENDPOINT is set, else None."""
        return content_screen(self.settings)

    def _deps(self, seam: str) -> dict:
        """Collaborators a backend asks for by constructor parameter name."""
        import inspect

        params = inspect.signature(registry.backend_class(seam, getattr(self.settings, seam))).parameters
        return {name: getattr(self, name) for name in ("embedder", "secrets") if name in params}

    # --- documents
    def ingest(self, name: str, data: bytes, principal: Principal, collection: str = PRIVATE,
               progress: Progress | None = None) -> IngestReport:
        with audited("upload", principal, name=name, bytes=len(data), collection=collection) as entry, \
                span("rag.ingest", collection=collection, bytes=len(data)):
            ingestor = Ingestor(self.settings, self.embedder, self.index, self.blobs)
            report = ingestor.ingest(name, data, principal, collection, progress)
            entry.update(report_fields(report))
            return report

    def ingest_many(self, files: Iterable[tuple[str, bytes]], principal: Principal, collection: str = PRIVATE,
                    on_report: Callable[[int, IngestReport], None] | None = None,
                    progress: Progress | None = None) -> list[IngestReport]:
        """Many files at once (the CLI, bulk loads): small files share embedding batches and index
        commits. One audit entry per file, as with `ingest`, also for the files a failure stops."""
        pending: dict[int, dict] = {}  # audit entries of the files read and not yet reported

        def read():
            for position, (name, data) in enumerate(files):
                pending[position] = {"name": name, "bytes": len(data), "collection": collection}
                yield name, data

        def done(position: int, report: IngestReport) -> None:
            audit.finish("upload", principal, pending.pop(position) | report_fields(report), report.seconds)
            if on_report:
                on_report(position, report)

        started = time.perf_counter()
        with span("rag.ingest_many", collection=collection):
            ingestor = Ingestor(self.settings, self.embedder, self.index, self.blobs)
            try:
                return ingestor.ingest_many(read(), principal, collection, on_report=done, progress=progress)
            except BaseException as exc:  # the files it stopped are logged as a failed `ingest` logs its file
                failed = {"status": audit.status_of(exc), "error": type(exc).__name__}
                for entry in pending.values():
                    audit.finish("upload", principal, entry | failed, time.perf_counter() - started)
                raise

    def documents(self, principal: Principal) -> list[Document]:
        return self.index.documents(principal)

    def document(self, doc_id: str, principal: Principal) -> Document:
        return self.index.document(doc_id, principal)

    def pages(self, doc_id: str, principal: Principal) -> list[Page]:
        return load_pages(self.blobs, self.index.document(doc_id, principal))

    def original(self, doc_id: str, principal: Principal) -> bytes:
        return self.blobs.get(original_key(self.index.document(doc_id, principal)))

    def delete(self, doc_id: str, principal: Principal) -> Document:
        with audited("delete", principal, doc_id=doc_id[:64]):
            return self._delete(doc_id, principal)

    def _delete(self, doc_id: str, principal: Principal) -> Document:
        document = self.index.document(doc_id, principal)
        self.index.delete(doc_id, principal)  # scoped: raises Forbidden unless the principal owns it
        unstore(self.blobs, document)
        return document

    # --- questions
    def search(self, query: str, principal: Principal, k: int | None = None, mode: Mode = "hybrid",
               doc_ids: Sequence[str] | None = None) -> list[Hit]:
        with span("rag.search", mode=mode):
            return retrieve(self.index, self.embedder, query, principal, k or self.settings.top_k, mode, doc_ids)

    def ask(self, question: str, principal: Principal, history: Sequence[Turn] = (), k: int | None = None,
            mode: Mode = "hybrid", doc_ids: Sequence[str] | None = None) -> AnswerStream:
        started = time.perf_counter()
        with audited("question", principal, **fingerprint(question)) as entry, span("rag.ask", mode=mode):
            question = check_question(question, self.settings)
            RATE_LIMITER.check(principal.user_id, self.settings.rate_limit_per_minute)
            history = list(history)[-self.settings.max_history_turns:]
            with span("answer.rewrite", turns=len(history)):
                query = search_query(self.chat, history, question)
            hits = self.search(query, principal, k, mode, doc_ids)
            with span("answer.screen", hits=len(hits)):
                sources = sources_for(question, hits, self.settings, self.content_safety)  # injection quarantine
            entry.update(documents=sorted({h.chunk.doc_id for h in sources}), quarantined=len(hits) - len(sources))
            generate = telemetry.start_span("answer.generate", sources=len(sources))
        return stream_answer(self.chat, question, query, sources, history, embedder=self.embedder,
                             on_done=self._answered(principal, generate, started), retrieved=hits)

    @staticmethod
    def _answered(principal: Principal, generate, started: float) -> Callable[[Answer], None]:
        """Ends the generation span and writes the audit line once the streamed answer is complete."""
        def done(answer: Answer) -> None:
            generate.set_attribute("abstained", answer.abstained)
            generate.end()
            audit.write("answer", principal, {
                **fingerprint(answer.question), "status": "interrupted" if answer.interrupted else "ok",
                "abstained": answer.abstained,
                "cited": sorted({c.doc_id for c in answer.citations}),
                "latency_ms": round((time.perf_counter() - started) * 1000, 1)})
        return done
