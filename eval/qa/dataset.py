"""The QA benchmark's question set: loading, locating quotes in page text, and the checks every
question passes (quote on its page, keywords in the quote, paraphrase, traps truly unanswerable).

`python -m eval.qa.dataset` runs the checks and prints the paraphrase measure."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.datasets import EvalItem, parse_dataset
from eval.metrics import find_quote
from rag.text import content_terms

HERE = Path(__file__).parent
KINDS = ("factual", "numeric", "list", "procedure", "definition", "yesno", "adjacent")
TRAPS = ("value-not-given", "other-document", "detail-not-there", "no-document")
SPLITS = ("dev", "test")
PHRASINGS = ("paraphrase", "literal")  # an analyst's own words (the benchmark proper), or the document's
MAX_OVERLAP = 0.25  # mean share of a question's content words found in its supporting quote


@dataclass(frozen=True)
class Question:
    item: EvalItem
    split: str
    kind: str  # one of KINDS, or "trap"
    keywords: tuple[tuple[str, ...], ...]  # each keyword: accepted variants
    trap: str = ""
    absent: tuple[str, ...] = ()  # regexes grep found in no document (traps)
    phrasing: str = "paraphrase"  # one of PHRASINGS: literal questions are reported apart, never in the kinds
    round: int = 1  # 1: the first set; 2: the questions of questions-r2-*.jsonl, written later and blind to the reader

    @property
    def literal(self) -> bool:
        return self.phrasing == "literal"

    @property
    def id(self) -> str:
        return self.item.id


def load(paths: Sequence[Path] | None = None) -> list[Question]:
    """Every question file (questions-*.jsonl beside this module), validated by parse_dataset."""
    out = []
    for path in paths or sorted(HERE.glob("questions-*.jsonl")):
        written = 2 if path.name.startswith("questions-r2-") else 1
        for item in parse_dataset(path.read_bytes(), path.name):
            meta = item.meta
            keywords = tuple(tuple(k) if isinstance(k, list) else (k,) for k in meta.get("keywords", []))
            out.append(Question(item, meta["split"], meta["kind"], keywords, meta.get("trap", ""),
                                tuple(meta.get("absent", [])), meta.get("phrasing", "paraphrase"), written))
    return out


def overlap(question: str, quote: str) -> float:
    """Share of the question's distinct content words that occur in the quote (stemmed)."""
    asked = set(content_terms(question))
    return len(asked & set(content_terms(quote))) / len(asked) if asked else 0.0


def benchmark_items(split: str | None = None) -> list[EvalItem]:
    """The benchmark as an ordinary evaluation dataset (the Evaluate page, python -m eval run qa)."""
    return [q.item for q in load() if split in (None, q.split)]


def mentions(text: str, variants: tuple[str, ...]) -> bool:
    flat = " ".join(text.split()).lower()
    return any(" ".join(v.split()).lower() in flat for v in variants)


def check(questions: Sequence[Question], pages: dict[tuple[str, int], str]) -> list[str]:
    """Plain-words problems with the question set; empty when every question is sound."""
    problems, seen = [], set()
    everything = "\n".join(pages.values())
    for q in questions:
        where = q.id
        if q.id in seen:
            problems.append(f"{where}: id used twice")
        seen.add(q.id)
        if q.split not in SPLITS:
            problems.append(f"{where}: split must be one of {SPLITS}")
        if q.phrasing not in PHRASINGS or (q.literal and not q.item.answerable):
            problems.append(f"{where}: phrasing must be one of {PHRASINGS}, and a trap is paraphrased")
        if q.item.answerable:
            if q.kind not in KINDS:
                problems.append(f"{where}: kind {q.kind!r} is not one of {KINDS}")
            if not q.keywords or not q.item.reference_contexts:
                problems.append(f"{where}: needs keywords and a reference context")
            for ctx in q.item.reference_contexts:
                text = pages.get((ctx.doc, ctx.page or 0))
                if text is None:
                    problems.append(f"{where}: no page {ctx.page} in {ctx.doc}")
                elif find_quote(text, ctx.quote) is None:
                    problems.append(f"{where}: quote not found on {ctx.doc} page {ctx.page}")
            quotes = " ".join(c.quote for c in q.item.reference_contexts)
            for variants in q.keywords:
                if not mentions(quotes, variants):
                    problems.append(f"{where}: keyword {variants} not in the supporting quote")
        else:
            if q.kind != "trap" or q.trap not in TRAPS:
                problems.append(f"{where}: a trap needs kind 'trap' and trap one of {TRAPS}")
            if not q.absent:
                problems.append(f"{where}: a trap needs the `absent` regexes that were grepped for")
            for pattern in q.absent:
                if re.search(pattern, everything, re.IGNORECASE):
                    problems.append(f"{where}: {pattern!r} does occur in the documents")
    return problems


def corpus_pages() -> dict[tuple[str, int], str]:
    from eval.qa.corpus import corpus_files
    from rag.ingest.parsers import DocxParser, PdfParser, TxtParser

    parsers = {".pdf": PdfParser(), ".docx": DocxParser(), ".txt": TxtParser()}
    return {(name, page.number): page.text for name, data in corpus_files()
            for page in parsers[Path(name).suffix].parse(data)}


def paraphrased(questions: Sequence[Question]) -> list[Question]:
    """The answerable questions in an analyst's words: the benchmark proper (literal ones are reported apart)."""
    return [q for q in questions if q.item.answerable and not q.literal]


def paraphrase(questions: Sequence[Question]) -> float:
    """The mean question/quote word overlap of the paraphrased answerable questions (literal ones are
    in the document's words on purpose: they check that easy questions are answered)."""
    answerable = paraphrased(questions)
    scores = [overlap(q.item.question, " ".join(c.quote for c in q.item.reference_contexts)) for q in answerable]
    return sum(scores) / len(scores) if scores else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])] or None
    questions = load(paths)
    problems = check(questions, corpus_pages())
    for problem in problems:
        print(problem)
    answerable = paraphrased(questions)
    traps, literal = sum(not q.item.answerable for q in questions), sum(q.literal for q in questions)
    print(f"{len(answerable)} answerable, {traps} traps, {literal} literal; "
          f"mean question/quote word overlap {paraphrase(questions):.3f} (limit {MAX_OVERLAP})")
    for q in answerable:
        score = overlap(q.item.question, " ".join(c.quote for c in q.item.reference_contexts))
        if score > 0.5:
            print(f"  high overlap {score:.2f}: {q.id}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
