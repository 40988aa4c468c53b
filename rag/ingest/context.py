"""What the embedder reads for a chunk: its text with the document's name and heading path in
front, and each of its sentences with the document's name. The chunk's own text and offsets are
unchanged; only the vectors carry the context (measured in docs/evaluation.md, issue 16).

A chunk that says "The parser is case sensitive." means little alone; "libtasn1 > 2.1 ASN.1
syntax" in front tells the embedder which parser, and a question naming libtasn1 finds it."""

from __future__ import annotations

import re

from rag.ingest.validate import EXTENSIONS
from rag.text import dehyphenate, line_units, sentence_spans, squash_runs
from rag.types import Chunk

EXTENSION = re.compile(rf"(?:{'|'.join(map(re.escape, EXTENSIONS))})$", re.IGNORECASE)  # every name the uploader takes
MIN_WORDS = 2  # "NAME", "1." alone say nothing a question could match


def document_label(name: str) -> str:
    """The document's name as a reader would say it: "libtasn1.pdf" -> "libtasn1"."""
    return EXTENSION.sub("", name)


def embedding_text(chunk: Chunk) -> str:
    head = " > ".join(part for part in (document_label(chunk.title), chunk.section) if part)
    body = squash_runs(dehyphenate(chunk.text))  # "manip-\nulation" reads as one word, "| ------ |" as "| --- |"
    return f"{head}\n{body}" if head else body


def sentence_texts(chunk: Chunk) -> list[str]:
    """Each sentence of the chunk worth a vector, prefixed with the document's name; a definition list's term line
    is read with the description under it ("dialout: Full and direct access to serial ports.")."""
    text, label = squash_runs(dehyphenate(chunk.text)), document_label(chunk.title)
    units = line_units(text)
    terms, sentences, term = set(units[1]), [], ""
    for s, e in sentence_spans(text, units=units):
        if (s, e) in terms:
            term = text[s:e]
            continue
        sentences.append(f"{term}: {text[s:e]}" if term else text[s:e])
        term = ""
    return [f"{label}: {s}" if label else s for s in sentences if len(s.split()) >= MIN_WORDS]
