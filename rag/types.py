"""DocChat's own data types. Backends take and return these, never SDK types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["pdf", "docx", "txt", "image"]  # image: PNG, JPEG or TIFF, read by OCR
Mode = Literal["hybrid", "bm25", "vector"]
PRIVATE = ""  # the collection of a document that only its owner sees
RERANK_SKIPPED = "rerank-skipped"  # Hit flag: the semantic ranker refused, so this is plain hybrid order
NAMED_ENTRY = "named entry"  # Hit flag: under the heading the question names in code form; it leads the ranking
NAMED_VALUE = "named value"  # Hit flag: one of the few chunks that hold a name with a digit the question gives ("3.0.19")


@dataclass(frozen=True)
class Principal:
    """Who is asking. Scope: own documents plus collections named after one's groups."""

    user_id: str
    display_name: str = ""
    groups: tuple[str, ...] = ()

    def can_see(self, owner: str, collection: str) -> bool:
        return owner == self.user_id or (collection != PRIVATE and collection in self.groups)


@dataclass(frozen=True)
class WordBox:
    """A word recognised by OCR: `page.text[start:end]` and where it is on the page image."""

    start: int
    end: int
    left: float  # fractions of the page image's width and height, top-left origin: any rendering size fits
    top: float
    right: float
    bottom: float
    confidence: float  # 0-1, the OCR engine's own


@dataclass(frozen=True)
class Page:
    """One unit of a document's text: a PDF page, a DOCX section, a TXT file."""

    number: int  # 1-based
    text: str
    section: str = ""
    # (start, end) of running headers and footers, page numbers, contents leader lines: shown, never chunked
    furniture: tuple[tuple[int, int], ...] = ()
    words: tuple[WordBox, ...] = ()  # set when the text was recognised by OCR (no text layer)


@dataclass(frozen=True)
class Document:
    doc_id: str
    name: str
    kind: Kind
    sha256: str
    size: int
    owner: str
    collection: str = PRIVATE
    pages: int = 0
    chunks: int = 0
    uploaded_at: str = ""  # ISO 8601, UTC
    uploaded_by: str = ""


@dataclass(frozen=True)
class Chunk:
    """A span of one page: `text == page.text[start:end]`."""

    chunk_id: str
    doc_id: str
    text: str
    page: int
    start: int
    end: int
    section: str = ""
    title: str = ""  # the document's name, for display and BM25
    owner: str = ""
    collection: str = PRIVATE


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with how each retriever ranked it (ranks are 1-based, None = not found)."""

    chunk: Chunk
    score: float
    bm25_rank: int | None = None
    vector_rank: int | None = None
    bm25_score: float | None = None
    vector_score: float | None = None
    caption: str = ""  # e.g. Azure semantic ranker caption
    flags: tuple[str, ...] = ()  # e.g. ("instruction-like",) from the guard


@dataclass(frozen=True)
class Citation:
    """Source `[n]` of an answer: the chunk and the exact page spans the answer quotes."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    page: int
    start: int
    end: int
    quote: str
    spans: tuple[tuple[int, int], ...] = ()  # page offsets of each quoted passage


@dataclass(frozen=True)
class Assessment:
    """How sure a chat model is of its answer; a model may yield one after its text deltas."""

    confidence: float  # calibrated: the chance the answer is right (the extractive reader's is fitted)
    emphasis: tuple[str, ...] = ()  # the phrases of the answer that answer the question
    related: tuple[int, ...] = ()  # source numbers of the closest passages, when there is no answer
    reason: str = ""  # why there is no answer, in words for the retrieval inspector


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    content: str


@dataclass
class Answer:
    question: str
    search_query: str
    text: str = ""
    hits: list[Hit] = field(default_factory=list)  # the numbered sources the model read: [n] is hits[n-1]
    retrieved: list[Hit] = field(default_factory=list)  # everything retrieval returned, quarantined hits too
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    unsupported: list[str] = field(default_factory=list)  # sentences the groundedness check flags
    uncited: bool = False  # the model wrote an answer that cites no source: shown as not supported, never as grounded
    confidence: float | None = None  # from the model's Assessment, when it gives one
    emphasis: list[str] = field(default_factory=list)  # phrases of `text` that answer the question
    related: list[Hit] = field(default_factory=list)  # closest passages of a refusal: shown, not cited
    reason: str = ""  # why the model refused (the extractive reader's gate or its confidence), when it says
    interrupted: str = ""  # why the answer stopped part-way (the error's message); `text` is what arrived before


@dataclass(frozen=True)
class IngestReport:
    """What happened to one file: `error` is set (plain words) when it was rejected."""

    name: str
    doc_id: str = ""
    status: Literal["indexed", "unchanged", "replaced", "rejected"] = "indexed"
    pages: int = 0
    chunks: int = 0
    seconds: float = 0.0
    error: str = ""
    stage_seconds: dict[str, float] = field(default_factory=dict)
