"""The engine's one entry point for the app, the CLI and the evaluation: backends from the
registry, wired once, every call scoped to a Principal."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property

from rag import audit, registry, telemetry
from rag.answer import AnswerStream, search_query, stream_answer
from rag.audit import audited, fingerprint
from rag.guard import RATE_LIMITER, check_question, content_screen, sources_for
from rag.ingest.pipeline import Ingestor, Progress, load_pages, original_key, unstore
from rag.protocols import BlobStore, ChatModel, Embedder, Index, Store
from rag.retrieve import retrieve
from rag.settings import Settings, get_settings
from rag.store import migrate
from rag.store.model import Conversation, ConversationInfo, StoredTurn
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
    def store(self) -> Store:
        """Conversations, feedback and runs; on first use, files of earlier versions are imported once and
        conversations past RAG_CONVERSATION_RETENTION_DAYS are deleted."""
        store = registry.create("store", self.settings, **self._deps("store"))
        migrate.import_files(store, self.settings.data_dir)
        if self.settings.conversation_retention_days:
            cutoff = datetime.now(UTC) - timedelta(days=self.settings.conversation_retention_days)
            purged = store.purge(cutoff.isoformat())
            audit.write("conversation.purge", Principal("system"), {"conversations": purged, "status": "ok"})
        return store

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
                    on_report: Callable[[int, IngestReport], None] | None = None) -> list[IngestReport]:
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
                return ingestor.ingest_many(read(), principal, collection, on_report=done)
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

    # --- conversations (the store enforces who sees what; the audit log keeps ids and counts, never text)
    def new_conversation(self, principal: Principal) -> ConversationInfo:
        with audited("conversation.create", principal) as entry:
            info = self.store.create(principal)
            entry["conversation"] = info.conv_id
            return info

    def conversations(self, principal: Principal, query: str = "") -> list[ConversationInfo]:
        return self.store.conversations(principal, query)

    def shared_conversations(self, principal: Principal) -> list[ConversationInfo]:
        return self.store.shared_with_me(principal)

    def conversation(self, conv_id: str, principal: Principal) -> Conversation:
        with audited("conversation.read", principal, conversation=str(conv_id)[:64]) as entry:
            conversation = self.store.conversation(conv_id, principal)
            entry.update(turns=len(conversation.turns), read_only=conversation.read_only)
            return conversation

    def keep_turn(self, conv_id: str, principal: Principal, answer: Answer) -> StoredTurn:
        with audited("conversation.turn", principal, conversation=str(conv_id)[:64]) as entry:
            turn = self.store.append(conv_id, principal, answer.question, answer)
            entry["turn"] = turn.n
            return turn

    def rename_conversation(self, conv_id: str, principal: Principal, title: str) -> ConversationInfo:
        with audited("conversation.rename", principal, conversation=str(conv_id)[:64]):
            return self.store.rename(conv_id, principal, title)

    def share_conversation(self, conv_id: str, principal: Principal, group: str) -> ConversationInfo:
        with audited("conversation.share" if group else "conversation.unshare", principal,
                     conversation=str(conv_id)[:64], group=group[:200]):
            return self.store.share(conv_id, principal, group)

    def delete_conversation(self, conv_id: str, principal: Principal) -> None:
        with audited("conversation.delete", principal, conversation=str(conv_id)[:64]):
            self.store.delete(conv_id, principal)

    def delete_conversations(self, principal: Principal) -> int:
        with audited("conversation.delete_all", principal) as entry:
            entry["conversations"] = self.store.delete_all(principal)
            return entry["conversations"]

    def missing_sources(self, conversation: Conversation, principal: Principal) -> dict[str, str]:
        """doc_id -> title of the cited documents this principal cannot open now (deleted, or not theirs)."""
        visible = {d.doc_id for d in self.documents(principal)}
        return {c.doc_id: c.title for t in conversation.turns for c in t.answer.citations if c.doc_id not in visible}

    def delete_my_data(self, principal: Principal) -> dict[str, int]:
        """Every conversation, feedback record and document the principal owns; says how many of each."""
        with audited("delete_my_data", principal) as entry:
            removed = {"conversations": self.store.delete_all(principal),
                       "feedback": self.store.delete_feedback(principal), "documents": 0}
            for document in self.documents(principal):
                if document.owner == principal.user_id:
                    self._delete(document.doc_id, principal)
                    removed["documents"] += 1
            entry.update(removed)
            return removed
