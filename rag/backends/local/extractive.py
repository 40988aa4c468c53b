"""The offline ChatModel: quotes the retrieved sentences that best answer the question, verbatim,
each with its source number. Grounded by construction; abstains below a calibrated score."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from rag.guard import FLAG, looks_like_injection
from rag.prompt import NOT_FOUND
from rag.protocols import ChatRequest, Embedder
from rag.settings import Settings
from rag.text import content_terms, sentence_spans, squash
from rag.types import Turn

MAX_CANDIDATES = 24
MIN_WORDS = 4
LEADER = re.compile(r"(\.\s?){4,}")  # table-of-contents dot leaders


def quotable(text: str) -> bool:
    """Prose worth quoting: enough words, mostly letters, not a table-of-contents line."""
    letters = sum(ch.isalpha() for ch in text)
    return len(text.split()) >= MIN_WORDS and letters >= 0.5 * len(text.replace(" ", "")) and not LEADER.search(text)


@dataclass
class Candidate:
    source: int  # 1-based source number
    position: int
    text: str
    lexical: float = 0.0
    semantic: float = 0.0

    @property
    def score(self) -> float:
        return 0.65 * self.semantic + 0.35 * self.lexical


def lexical_overlap(question_terms: list[str], sentence: str, idf: dict[str, float]) -> float:
    """IDF-weighted share of the question's content terms found in the sentence."""
    if not question_terms:
        return 0.0
    present = set(content_terms(sentence))
    total = sum(idf[t] for t in question_terms)
    return sum(idf[t] for t in question_terms if t in present) / total


class ExtractiveChatModel:
    name = "extractive"
    can_rewrite = False

    def __init__(self, settings: Settings, embedder: Embedder):
        self.embedder = embedder
        self.threshold = settings.answer_threshold
        self.max_sentences = settings.answer_sentences

    def candidates(self, request: ChatRequest) -> list[Candidate]:
        found, seen = [], set()
        for n, hit in enumerate(request.hits, start=1):
            if FLAG in hit.flags or looks_like_injection(hit.chunk.text):
                continue  # never quote injected instructions, even as data (docs/security.md)
            for position, (start, end) in enumerate(sentence_spans(hit.chunk.text)):
                text = hit.chunk.text[start:end]
                key = squash(text).lower()
                if quotable(text) and key not in seen:
                    seen.add(key)
                    found.append(Candidate(n, position, text))
        return found

    def rank(self, question: str, candidates: list[Candidate]) -> list[Candidate]:
        terms = list(dict.fromkeys(content_terms(question)))
        docs = [set(content_terms(c.text)) for c in candidates]
        idf = {t: math.log(1 + (len(docs) + 1) / (1 + sum(t in d for d in docs))) for t in terms}
        for c in candidates:
            c.lexical = lexical_overlap(terms, c.text, idf)
        # embed only the lexically most promising sentences: keeps the first token fast
        shortlist = sorted(candidates, key=lambda c: (-c.lexical, c.source, c.position))[:MAX_CANDIDATES]
        vectors = self.embedder.embed([question] + [squash(c.text) for c in shortlist])
        for c, similarity in zip(shortlist, vectors[1:] @ vectors[0], strict=True):
            c.semantic = float(similarity)
        return sorted(shortlist, key=lambda c: -c.score)

    def select(self, question: str, request: ChatRequest) -> list[Candidate]:
        ranked = self.rank(question, self.candidates(request))
        if not ranked or ranked[0].score < self.threshold:
            return []
        best = ranked[0].score
        chosen: list[Candidate] = []
        for c in ranked:
            text = squash(c.text).lower()
            if c.score < max(self.threshold, best - 0.12) or len(chosen) == self.max_sentences:
                break
            if not any(text in squash(o.text).lower() or squash(o.text).lower() in text for o in chosen):
                chosen.append(c)  # a sentence quoted twice (chunk overlap) is said once
        return sorted(chosen, key=lambda c: (c.source, c.position))

    def stream(self, request: ChatRequest) -> Iterator[str]:
        chosen = self.select(request.question, request) if request.hits else []
        if not chosen:
            yield NOT_FOUND
            return
        for i, c in enumerate(chosen):
            sentence = squash(c.text)
            yield from re.findall(r"\S+\s*", sentence)
            yield f" [{c.source}]" + ("" if i == len(chosen) - 1 else "\n\n")

    def rewrite(self, history: Sequence[Turn], question: str) -> str:
        return question

    def scores(self, request: ChatRequest) -> np.ndarray:
        """Best sentence score per question, for calibrating the threshold (bench/eval)."""
        ranked = self.rank(request.question, self.candidates(request))
        return np.array([ranked[0].score if ranked else 0.0])
