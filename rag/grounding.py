"""Live groundedness check: is each answer sentence supported by the spans it cites?

A sentence passes when every number in it appears in a cited span and its words are found there
(lexical support), or it says the same thing in other words (embedding similarity to the best
cited sentence, with some lexical overlap). A sentence that cites nothing is unsupported, except
the not-found reply. The extractive answerer quotes verbatim, so its sentences always pass."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.prompt import NOT_FOUND
from rag.protocols import Embedder
from rag.text import NUMBER, content_terms, sentence_spans, squash
from rag.types import Answer

# [n] is a citation unless it reads like an index in quoted code ("value[0]=0x01")
MARKER = re.compile(r"(?:(?<!\w)|(?=\[\d{1,3}\](?:[\s.,;:!?\[]|$)))\[(\d{1,3})\]")
LEXICAL_ALONE = 0.75  # share of the sentence's content terms found in the cited spans
LEXICAL_WITH_MEANING = 0.35  # ... enough when the meaning is close too
SEMANTIC_MIN = 0.6  # cosine similarity to the closest cited sentence


@dataclass(frozen=True)
class SentenceCheck:
    sentence: str
    cites: tuple[int, ...]
    supported: bool
    reason: str = ""  # why not, in plain words
    lexical: float = 0.0
    semantic: float | None = None


def cited_sentences(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Answer sentences without their markers, each with the [n] it cites. Markers that open a
    sentence ("... end. [2] Next") belong to the sentence before."""
    out: list[tuple[str, list[int]]] = []
    for start, end in sentence_spans(text, max_chars=len(text) + 1):
        segment = text[start:end]
        lead = re.match(r"(?:\s*\[\d{1,3}\](?!\w))+[.,;:]?", segment)
        if lead and out:
            out[-1][1].extend(int(n) for n in MARKER.findall(lead.group()))
            segment = segment[lead.end():]
        sentence = squash(MARKER.sub(" ", segment)).strip()
        sentence = re.sub(r"\s+([.,;:!?])", r"\1", sentence)
        numbers = [int(n) for n in MARKER.findall(segment)]
        if re.search(r"\w", sentence):
            out.append((sentence, numbers))
        elif out:
            out[-1][1].extend(numbers)
    return [(s, tuple(dict.fromkeys(n))) for s, n in out]


def cited_spans(answer: Answer, numbers: tuple[int, ...]) -> list[str]:
    """The source each valid [n] points at. The whole chunk, not the narrowed quote: a quote is only
    narrowed when a sentence is verbatim, and then the chunk holds it anyway; with its heading path, the
    headings above it (a changelog entry's release, "2.2.0", is one)."""
    hits = [answer.hits[n - 1] for n in numbers if 1 <= n <= len(answer.hits)]
    return [f"{hit.chunk.section}\n{hit.chunk.text}" if hit.chunk.section else hit.chunk.text for hit in hits]


def numbers_in(text: str) -> set[str]:
    return {n.replace(",", "") for n in NUMBER.findall(text)}


def lexical_support(sentence: str, spans: list[str]) -> float:
    terms = set(content_terms(sentence))
    if not terms:
        return 1.0
    found = set(content_terms(" ".join(spans)))
    return len(terms & found) / len(terms)


def semantic_support(sentence: str, spans: list[str], embedder: Embedder) -> float:
    """Cosine similarity of the sentence to the closest sentence of the cited spans."""
    pieces = [squash(s[a:b]) for s in spans for a, b in sentence_spans(s)] or [squash(" ".join(spans))]
    vectors = embedder.embed([sentence, *pieces])
    return float(np.max(vectors[1:] @ vectors[0]))


def check_sentence(sentence: str, cites: tuple[int, ...], answer: Answer, embedder: Embedder | None) -> SentenceCheck:
    if squash(sentence).lower() == NOT_FOUND.lower():
        return SentenceCheck(sentence, cites, True)
    spans = cited_spans(answer, cites)
    if not spans:
        return SentenceCheck(sentence, cites, False, "cites no source")
    missing = sorted(numbers_in(sentence) - numbers_in(" ".join(spans)))
    lexical = lexical_support(sentence, spans)
    if missing:
        return SentenceCheck(sentence, cites, False, f"number not in the cited source: {', '.join(missing)}", lexical)
    if lexical >= LEXICAL_ALONE:
        return SentenceCheck(sentence, cites, True, "", lexical)
    semantic = semantic_support(sentence, spans, embedder) if embedder is not None else None
    if semantic is not None and semantic >= SEMANTIC_MIN and lexical >= LEXICAL_WITH_MEANING:
        return SentenceCheck(sentence, cites, True, "", lexical, semantic)
    return SentenceCheck(sentence, cites, False, "the cited source does not say this", lexical, semantic)


def check_answer(answer: Answer, embedder: Embedder | None = None) -> list[SentenceCheck]:
    """One check per answer sentence (the not-found reply passes)."""
    return [check_sentence(s, cites, answer, embedder) for s, cites in cited_sentences(answer.text)]


def unsupported_sentences(answer: Answer, embedder: Embedder | None = None) -> list[str]:
    """The sentences of `answer` that the spans they cite do not support."""
    return [c.sentence for c in check_answer(answer, embedder) if not c.supported]
