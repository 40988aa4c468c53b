"""An offline synthetic dataset from the user's own documents: no LLM, deterministic for a seed.

Questions come from section headings ("What does the section X cover?" -> the text under it) and
from salient sentences: definitions ("X is Y" -> "What is X?") or, failing that, the sentence's
rarest terms ("What does <doc> say about <terms>?"). The source sentence is the reference answer
and the reference context. A few questions about things no document mentions are added as
unanswerable. Every item is labelled synthetic."""

from __future__ import annotations

import math
import random
import re
from collections import Counter

from eval.datasets import EvalItem, ReferenceContext
from rag.engine import Engine
from rag.text import WORD, content_terms, sentence_spans, squash
from rag.types import Document, Page, Principal

DEFINITION = re.compile(r"^(?:The |A |An )?(?P<subject>[A-Za-z][\w\s/()-]{2,50}?) (?P<verb>is|are) (?:a|an|the|used|one)\b")
HEADING = re.compile(r"^(?:\d+(?:\.\d+)*\.?\s+)?(?P<title>[A-Z][^.!?:;]{3,60})$")
OFF_TOPIC = (
    "What is the boiling point of tungsten in kelvin?",
    "Who won the 1930 football world cup?",
    "How many moons does Neptune have?",
    "What is the recommended dose of ibuprofen for children?",
    "Which grape varieties are allowed in Chianti Classico?",
)


def salient_sentences(page: Page) -> list[str]:
    out = []
    for start, end in sentence_spans(page.text):
        sentence = squash(page.text[start:end])
        words = sentence.split()
        if 8 <= len(words) <= 40 and sentence[-1:] in ".!?" and sum(w.isalpha() for w in words) > len(words) * 0.6:
            out.append(sentence)
    return out


def headings(page: Page) -> list[tuple[str, str]]:
    """(heading, the first sentence under it) for heading-like lines of a page."""
    lines = [line.strip() for line in page.text.splitlines()]
    out = []
    for i, line in enumerate(lines[:-1]):
        match = HEADING.match(line)
        if match and 1 <= len(line.split()) <= 8 and not line.isupper():
            after = next((s for s in salient_sentences(Page(page.number, "\n".join(lines[i + 1:i + 12]))) if s), None)
            if after:
                out.append((match.group("title").strip(), after))
    return out


def question_for(sentence: str, document: Document, idf: dict[str, float]) -> str:
    match = DEFINITION.match(sentence)
    if match and len(match.group("subject").split()) <= 6:
        return f"What {match.group('verb')} {match.group('subject').strip()}?"
    words = [w for w in WORD.findall(sentence) if content_terms(w) and len(w) > 3 and not w.isdigit()]
    key = sorted(dict.fromkeys(words), key=lambda w: -idf.get(content_terms(w)[0], 0))[:3]
    return f"What does {document.name} say about {' and '.join(key)}?"


def candidates(engine: Engine, principal: Principal) -> list[tuple[Document, int, str, str | None]]:
    """(document, page, sentence, heading or None) for every usable sentence, in document order."""
    out = []
    for document in sorted(engine.documents(principal), key=lambda d: d.name):
        for page in engine.pages(document.doc_id, principal):
            out += [(document, page.number, s, None) for s in salient_sentences(page)]
            out += [(document, page.number, s, h) for h, s in headings(page)]
    return out


def generate(engine: Engine, principal: Principal, size: int = 20, seed: int = 0, unanswerable: int = 3) -> list[EvalItem]:
    pool = candidates(engine, principal)
    counts = Counter(t for _, _, s, _ in pool for t in set(content_terms(s)))
    idf = {t: math.log((1 + len(pool)) / (1 + n)) for t, n in counts.items()}
    rng = random.Random(seed)
    chosen = rng.sample(pool, min(size, len(pool)))
    items = []
    for n, (document, page, sentence, heading) in enumerate(chosen, start=1):
        question = (f"What does the section \"{heading}\" of {document.name} cover?" if heading
                    else question_for(sentence, document, idf))
        items.append(EvalItem(f"syn-{n}", question, sentence, (ReferenceContext(document.name, page, sentence),),
                              synthetic=True, meta={"template": "heading" if heading else "sentence"}))
    for n, question in enumerate(rng.sample(OFF_TOPIC, min(unanswerable, len(OFF_TOPIC))), start=1):
        items.append(EvalItem(f"syn-unanswerable-{n}", question, answerable=False, synthetic=True))
    return items
