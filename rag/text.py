"""Small text helpers shared by the answerers and the groundedness check."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n|\n(?=\s*[-*•\u2022]\s)")
WORD = re.compile(r"[A-Za-z0-9_]+(?:[.'-][A-Za-z0-9_]+)*|[^\W\d_]+", re.UNICODE)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
STOPWORDS = frozenset(["a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "there", "here", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "do", "does", "did", "done", "can", "could", "should", "would", "will", "shall", "may", "might", "must", "i", "you", "he", "she", "we", "they", "me", "him", "her", "us", "them", "my", "your", "our", "their", "not", "no", "yes", "about", "into", "over", "under", "than", "then", "so", "such", "also", "any", "all", "some", "more", "most", "other", "only", "own", "same", "very", "just", "s", "t", "please", "tell", "explain", "describe", "give", "show", "list"])


def sentence_spans(text: str, max_chars: int = 400) -> list[tuple[int, int]]:
    """(start, end) of each sentence; long line-wrapped runs are also cut at line ends."""
    spans, start = [], 0
    for match in SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while e - s > max_chars:
            cut = text.rfind("\n", s + 40, s + max_chars)
            cut = cut if cut > s else text.rfind(" ", s + 40, s + max_chars)
            cut = cut if cut > s else s + max_chars
            out.append((s, cut))
            s = cut
        out.append((s, e))
    out = [piece for s, e in out for piece in split_heading(text, s, e)]
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e - (len(text[s:e]) - len(text[s:e].rstrip())))
            for s, e in out if text[s:e].strip()]


def split_heading(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A short first line without end punctuation, followed by a capitalised line, is a heading
    ("2.4. The glob files\nThe globs2 file is..."): keep it out of the sentence after it."""
    chunk = text[start:end].lstrip()
    offset = start + (end - start - len(chunk))
    newline = chunk.find("\n")
    if newline < 0:
        return [(start, end)]
    line, rest = chunk[:newline].strip(), chunk[newline + 1:].lstrip()
    words = line.split()
    if (words and len(line) <= 60 and len(words) <= 8 and line[-1] not in ".,;:!?-" and rest[:1].isupper()
            and (line[0].isupper() or line[0].isdigit()) and words[-1].lower() not in STOPWORDS):
        return [(offset, offset + newline), (offset + newline + 1, end)]
    return [(start, end)]


def stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_terms(text: str) -> list[str]:
    return [stem(w) for w in WORD.findall(text) if w.lower() not in STOPWORDS]


def squash(text: str) -> str:
    return " ".join(text.split())
