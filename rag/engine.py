"""The engine's one entry point for the app, the CLI and the evaluation: backends from the
registry, wired once, every call scoped to a Principal."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from rag import registry
from rag.answer import AnswerStream, search_query, stream_answer
from rag.guard import RATE_LIMITER, check_question
from rag.ingest.pipeline import Ingestor, Progress, load_pages, original_key
from rag.protocols import BlobStore, ChatModel, Embedder, Index
from rag.retrieve import retrieve
from rag.settings import Settings, get_settings
from rag.types import PRIVATE, Document, Hit, IngestReport, Mode, Page, Principal, Turn


class Engine:
    def __init__(self, settings: Settings | None = None, **backends):
        """`backends` (embedder=, index=, blobs=, chat=, secrets=) override the configured ones."""
        self.settings = settings or get_settings()
        self.__dict__.update({k: v for k, v in backends.items() if v is not None})

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

    def _deps(self, seam: str) -> dict:
        """Collaborators a backend asks for by constructor parameter name."""
        import inspect

        params = inspect.signature(registry.backend_class(seam, getattr(self.settings, seam))).parameters
        return {name: getattr(self, name) for name in ("embedder", "secrets") if name in params}

    # --- documents
    def ingest(self, name: str, data: bytes, principal: Principal, collection: str = PRIVATE,
               progress: Progress | None = None) -> IngestReport:
        ingestor = Ingestor(self.settings, self.embedder, self.index, self.blobs)
        return ingestor.ingest(name, data, principal, collection, progress)

    def documents(self, principal: Principal) -> list[Document]:
        return self.index.documents(principal)

    def document(self, doc_id: str, principal: Principal) -> Document:
        return self.index.document(doc_id, principal)

    def pages(self, doc_id: str, principal: Principal) -> list[Page]:
        return load_pages(self.blobs, self.index.document(doc_id, principal))

    def original(self, doc_id: str, principal: Principal) -> bytes:
        return self.blobs.get(original_key(self.index.document(doc_id, principal)))

    def delete(self, doc_id: str, principal: Principal) -> Document:
        document = self.index.document(doc_id, principal)
        self.index.delete(doc_id, principal)  # scoped: raises Forbidden unless the principal owns it
        for key in (original_key(document), original_key(document).replace("originals/", "pages/", 1) + ".json"):
            self.blobs.delete(key)
        return document

    # --- questions
    def search(self, query: str, principal: Principal, k: int | None = None, mode: Mode = "hybrid",
               doc_ids: Sequence[str] | None = None) -> list[Hit]:
        return retrieve(self.index, self.embedder, query, principal, k or self.settings.top_k, mode, doc_ids)

    def ask(self, question: str, principal: Principal, history: Sequence[Turn] = (), k: int | None = None,
            mode: Mode = "hybrid", doc_ids: Sequence[str] | None = None) -> AnswerStream:
        question = check_question(question, self.settings)
        RATE_LIMITER.check(principal.user_id, self.settings.rate_limit_per_minute)
        history = list(history)[-self.settings.max_history_turns:]
        query = search_query(self.chat, history, question)
        hits = self.search(query, principal, k, mode, doc_ids)
        return stream_answer(self.chat, question, query, hits, history, embedder=self.embedder)
