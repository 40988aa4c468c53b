"""History + question -> search query -> hits -> streamed answer with citations mapped to spans."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from rag.errors import RagError
from rag.grounding import unsupported_sentences
from rag.prompt import NOT_FOUND
from rag.protocols import ChatModel, ChatRequest, Embedder
from rag.text import WORD, content_terms, squash
from rag.types import Answer, Assessment, Citation, Hit, Turn

MARKER = re.compile(r"\[(\d{1,3})\]")
FOLLOW_UP_WORDS = 8
# shown with an answer that cites no source (Answer.uncited), in the app, the CLI and exports
UNCITED = ("Not supported by your documents: this answer cites none of them, so it may be the model's own words. "
           "Check it against the retrieved passages before relying on it.")


def search_query(chat: ChatModel, history: Sequence[Turn], question: str) -> str:
    """A standalone query: the chat model rewrites follow-ups; without one, a short follow-up
    inherits the key terms of the previous question."""
    if not any(t.role == "user" for t in history):
        return question
    if chat.can_rewrite:
        return chat.rewrite(history, question).strip() or question
    if len(WORD.findall(question)) > FOLLOW_UP_WORDS:
        return question
    last = max(i for i, t in enumerate(history) if t.role == "user")
    # the previous question as it was searched: a follow-up of a follow-up ("What does %e show in it?", then "And
    # %r?") keeps the topic the first one carried
    previous = search_query(chat, history[:last], history[last].content)
    carried = [w for w in WORD.findall(previous) if content_terms(w)]
    return " ".join(dict.fromkeys([*carried, question]))


def locate(sentence: str, chunk_text: str) -> tuple[int, int] | None:
    """Where a quoted sentence sits in the chunk, tolerant of line breaks and spacing. One or two words ("Cancels the
    timeout." has three; a table's "gz   gzip -dc" may have two) only where they occur once, as a whole."""
    words = [w for w in squash(sentence).split(" ") if w]
    if not words:
        return None
    if len(words) < 3:
        found = list(re.finditer(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)", chunk_text))
        return found[0].span() if len(found) == 1 else None
    match = re.search(r"\s+".join(re.escape(w) for w in words), chunk_text)
    if match is None and "-" in chunk_text:  # quoted with line-end hyphenation joined ("manip-\nulation")
        match = re.search(r"\s+".join(r"(?:-\s*)?".join(map(re.escape, w)) for w in words), chunk_text)
    return (match.start(), match.end()) if match else None


def split_cited(text: str) -> list[tuple[str, list[int]]]:
    """Pieces of the answer, each followed by the [n] markers that cite it."""
    pieces, last = [], 0
    # "value[0]" in quoted code is an index, not a citation: a marker never touches an identifier
    for group in re.finditer(r"(?<![\w\]])(?:\s*\[\d{1,3}\])+", text):
        numbers = [int(n) for n in MARKER.findall(group.group())]
        pieces.append((text[last:group.start()].strip(), numbers))
        last = group.end()
    return pieces


def cite(text: str, hits: Sequence[Hit]) -> list[Citation]:
    """Map each [n] to its chunk; narrow the span to the quoted sentence when it is verbatim."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for piece, numbers in split_cited(text):
        sentence = re.split(r"(?<=[.!?])\s+", piece)[-1] if len(piece) > 600 else piece
        for n in numbers:
            if not 1 <= n <= len(hits):
                continue
            spans.setdefault(n, [])
            found = locate(sentence, hits[n - 1].chunk.text)
            if found and found not in spans[n]:
                spans[n].append(found)
    citations = []
    for n in sorted(spans):
        chunk = hits[n - 1].chunk
        local = sorted(spans[n]) or [(0, len(chunk.text))]
        page_spans = tuple((chunk.start + s, chunk.start + e) for s, e in local)
        quote = chunk.text[local[0][0]:local[-1][1]] if spans[n] else chunk.text
        citations.append(Citation(n, chunk.chunk_id, chunk.doc_id, chunk.title, chunk.page,
                                  page_spans[0][0], page_spans[-1][1], quote, page_spans))
    return citations


class AnswerStream:
    """Iterate for text deltas (e.g. with st.write_stream); `.answer` is complete afterwards. When the
    model fails part-way the RagError propagates and `.answer` keeps the text that arrived, with
    `interrupted` set to the error's message (the caller keeps the question; see ui/chat.py)."""

    def __init__(self, answer: Answer, deltas: Iterator[str], on_done: Callable[[Answer], None] | None = None,
                 embedder: Embedder | None = None):
        self.answer = answer
        self._deltas = deltas
        self._on_done = on_done
        self._embedder = embedder  # for the groundedness check of the finished answer

    def __iter__(self) -> Iterator[str]:
        parts: list[str] = []
        try:
            for delta in self._deltas:
                if isinstance(delta, Assessment):  # the model's own confidence, after its text
                    self._assess(delta)
                    continue
                parts.append(delta)
                yield delta
        except RagError as exc:  # the model failed part-way: keep what arrived, marked, and tell the caller
            self._finish("".join(parts), interrupted=str(exc))
            raise
        self._finish("".join(parts))

    def _assess(self, assessment: Assessment) -> None:
        answer = self.answer
        answer.confidence = assessment.confidence
        answer.emphasis = list(assessment.emphasis)
        answer.related = [answer.hits[n - 1] for n in assessment.related if 1 <= n <= len(answer.hits)]
        answer.reason = assessment.reason

    def _finish(self, text: str, interrupted: str = "") -> None:
        answer = self.answer
        answer.text, answer.interrupted = text.strip(), interrupted
        answer.citations = cite(answer.text, answer.hits)
        answer.unsupported = unsupported_sentences(answer, self._embedder) if not interrupted else []
        not_found = NOT_FOUND.lower() in answer.text.lower()
        answer.abstained = bool(interrupted) or not answer.citations or not_found
        answer.uncited = bool(answer.text) and not answer.citations and not not_found and not interrupted
        if self._on_done:
            self._on_done(answer)

    def complete(self) -> Answer:
        for _ in self:
            pass
        return self.answer


def stream_answer(chat: ChatModel, question: str, query: str, hits: list[Hit], history: Sequence[Turn],
                  on_done: Callable[[Answer], None] | None = None, embedder: Embedder | None = None,
                  retrieved: list[Hit] | None = None) -> AnswerStream:
    answer = Answer(question=question, search_query=query, hits=hits, retrieved=retrieved or list(hits))
    deltas = chat.stream(ChatRequest(question, hits, tuple(history), query=query)) if hits else iter([NOT_FOUND])
    return AnswerStream(answer, deltas, on_done, embedder)
