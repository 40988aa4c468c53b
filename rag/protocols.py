"""The seams. Each backend implements one of these and passes its contract suite in tests/contracts."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from rag.errors import ConfigError
from rag.store.model import Conversation, ConversationInfo, StoredTurn
from rag.types import Answer, Assessment, Chunk, Document, Hit, Mode, Page, Principal, Turn

Upsert = tuple[Document, Sequence[Chunk], np.ndarray]  # a document, its chunks and their vectors


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int
    max_tokens: int  # the longest input, in this embedder's own tokens, it reads without truncating

    def count_tokens(self, text: str) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, shape (len(texts), dim)."""
        ...


@runtime_checkable
class Index(Protocol):
    """Chunks, their vectors and document records. Every read and delete is scoped to a principal."""

    def upsert(self, document: Document, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Replace everything of `document.doc_id` with these chunks, atomically."""
        ...

    def upsert_many(self, items: Sequence[Upsert]) -> None:
        """`upsert` for several documents in one write (the local index: one commit); each document
        is still replaced whole or not at all, and a doc_id given twice keeps its last version.
        An index with `keeps_sentences = True` also takes `sentences`: per item, per chunk, the
        vectors of its sentences (rag/ingest/context.py), for rescoring at sentence grain."""
        ...

    def delete(self, doc_id: str, principal: Principal) -> None:
        """Remove a document the principal owns; NotFound if not visible, Forbidden if not owned."""
        ...

    def search(
        self,
        text: str,
        vector: np.ndarray | None,
        k: int,
        principal: Principal,
        mode: Mode = "hybrid",
        doc_ids: Sequence[str] | None = None,
    ) -> list[Hit]: ...

    def documents(self, principal: Principal) -> list[Document]: ...

    def document(self, doc_id: str, principal: Principal) -> Document:
        """NotFound unless the document exists and the principal may see it."""
        ...

    def chunks(self, doc_id: str, principal: Principal) -> list[Chunk]: ...

    def count(self) -> int:
        """Number of chunks in the whole index (for the About page and benchmarks)."""
        ...


@runtime_checkable
class BlobStore(Protocol):
    """Original files and derived artefacts, keyed by name (content-addressed by the caller)."""

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None: ...

    def get(self, key: str) -> bytes:
        """NotFound if absent."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def metadata(self, key: str) -> dict[str, str]: ...


class SecretAccessDenied(ConfigError):
    """The store holds secrets but refuses this identity: never a reason to fall back to another key."""


@runtime_checkable
class SecretStore(Protocol):
    def get(self, name: str) -> str:
        """ConfigError naming the store and the secret if it is missing (callers may fall back);
        SecretAccessDenied naming the store and the role to grant if the store refuses to read it."""
        ...


@dataclass(frozen=True)
class ChatRequest:
    """What a chat model answers from: the question, the history and numbered sources."""

    question: str
    hits: Sequence[Hit]
    history: Sequence[Turn] = field(default_factory=tuple)
    system: str = ""
    query: str = ""  # the standalone search query, for a reader that does not read the history


@runtime_checkable
class ChatModel(Protocol):
    name: str
    can_rewrite: bool  # whether `rewrite` uses a model (else answer.py falls back to key terms)

    def stream(self, request: ChatRequest) -> Iterator[str | Assessment]:
        """Text deltas of an answer that cites sources as [n]; optionally, after the text, one
        Assessment (the answer's calibrated confidence, emphasis, related sources)."""
        ...

    def rewrite(self, history: Sequence[Turn], question: str) -> str:
        """A standalone search query for a follow-up question."""
        ...


@dataclass(frozen=True)
class Screening:
    """A content screen's verdict on a question and the sources retrieved for it."""

    question_attack: bool = False
    source_attacks: tuple[bool, ...] = ()  # one per source, in the order given
    harms: dict[str, int] = field(default_factory=dict)  # category -> severity (0-7)


@runtime_checkable
class ContentScreen(Protocol):
    """An external screen (Azure AI Content Safety) on top of the built-in injection patterns."""

    def screen(self, question: str, sources: Sequence[str]) -> Screening:
        """A verdict with exactly one `source_attacks` entry per source; ConfigError/BackendUnavailable on failure."""
        ...


@runtime_checkable
class Parser(Protocol):
    kind: str

    def parse(self, data: bytes, on_page: Callable[[int, int], None] | None = None) -> Iterator[Page]:
        """Pages in order; InvalidDocument for anything unreadable. A parser doing slow work per page
        (OCR) calls `on_page(done, total)` after each page."""
        ...


@runtime_checkable
class Store(Protocol):
    """Conversations, feedback and evaluation runs. A conversation is its owner's; members of the one
    group it is shared with read it. Every call on a conversation is scoped to the principal: NotFound
    if they cannot see it, Forbidden if they see it (shared) but do not own it."""

    def create(self, principal: Principal, title: str = "") -> ConversationInfo: ...

    def append(self, conv_id: str, principal: Principal, question: str, answer: Answer) -> StoredTurn:
        """Add one turn, whole or not at all; concurrent appends each get their own next number."""
        ...

    def conversations(self, principal: Principal, query: str = "") -> list[ConversationInfo]:
        """The principal's own, newest first; `query` matches the title or a turn's text."""
        ...

    def shared_with_me(self, principal: Principal) -> list[ConversationInfo]: ...

    def conversation(self, conv_id: str, principal: Principal) -> Conversation: ...

    def rename(self, conv_id: str, principal: Principal, title: str) -> ConversationInfo: ...

    def share(self, conv_id: str, principal: Principal, group: str) -> ConversationInfo:
        """Share read-only with one of the principal's groups; "" unshares, at once."""
        ...

    def delete(self, conv_id: str, principal: Principal) -> None: ...

    def delete_all(self, principal: Principal) -> int:
        """Delete every conversation the principal owns; returns how many."""
        ...

    def add_feedback(self, principal: Principal, record: dict, conv_id: str = "", turn: int = 0) -> dict:
        """Keep a rating; on a turn of one's own conversation it replaces that turn's earlier rating."""
        ...

    def feedback(self, principal: Principal) -> list[dict]:
        """The principal's ratings, oldest first."""
        ...

    def delete_feedback(self, principal: Principal) -> int: ...

    def save_run(self, run: dict) -> None:
        """An evaluation run with its per-question rows; listed only once all of it is stored."""
        ...

    def runs(self) -> list[dict]:
        """Run headers (no rows), newest first."""
        ...

    def run(self, run_id: str) -> dict: ...

    def purge(self, before: str) -> int:
        """Retention: delete conversations last updated before this ISO time; returns how many."""
        ...

    def flag(self, name: str) -> bool: ...

    def set_flag(self, name: str) -> None: ...
