"""Page furniture: running headers and footers, page numbers, table-of-contents leader lines.

A pass over all pages of a document after parsing. It marks spans, it never edits text: the page
view still shows every character and chunk offsets stay exact; the chunker leaves the spans out."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from rag.text import MAN_RUNNING
from rag.types import Page

EDGE_LINES = 3  # running headers and footers sit in the first or last few lines of a page
MIN_REPEATS, MIN_SHARE, MIN_PAGES = 3, 0.3, 4  # "repeats": on >= 3 pages and >= 30 % of a document of >= 4 pages
MAX_RUNNING = 120  # longer lines are prose, even if they repeat
LINE = re.compile(r"[^\n]+")
DIGITS = re.compile(r"\d+")
PAGE_NUMBER = re.compile(r"(?i)(?:page[ \t]+)?(?:\d{1,4}|[ivxlc]{1,7})(?:[ \t]*(?:/|of)[ \t]*\d{1,4})?|[-\u2013\u2014][ \t]*\d{1,4}[ \t]*[-\u2013\u2014]")
DOT_LEADER = re.compile(r"(?:[.\u2026\u00b7][ \t]*){4,}(?:\d{1,4}|[ivxlc]{1,7})$", re.IGNORECASE)
EDGE_NUMBER = re.compile(r"^(\d{1,4})\b|\b(\d{1,4})$")

# a Markdown file's YAML front matter: "---", "key: value" lines, "---" (Jekyll, Hugo, MkDocs); metadata, not prose
FRONT_MATTER = re.compile(r"\s*(---[ \t]*\n(?:[ \t]*(?:[\w.-]+[ \t]*:.*|-[ \t].*|#.*)?\n){1,60}?(?:---|\.\.\.)[ \t]*)(?:\n|$)")

Span = tuple[int, int]


def mark_furniture(pages: Sequence[Page]) -> list[Page]:
    """The pages with `furniture` set from the whole document (see `furniture_spans`)."""
    return [replace(page, furniture=spans) for page, spans in zip(pages, furniture_spans(pages), strict=True)]


def furniture_spans(pages: Sequence[Page]) -> list[tuple[Span, ...]]:
    """For each page, the (start, end) of its furniture lines, in order:

    - a line among the first or last EDGE_LINES that repeats, digits aside, at the edges of many pages;
    - a bare page number ("7", "iii", "Page 7 of 9", "- 7 -") as the first or last line;
    - a first or last line ending or starting with the printed page number, where most pages print
      it at the same distance from their position ("Chapter 3: Utilities 7" on the 10th page);
    - a table-of-contents or index line with a dot leader ("2.4 The glob files . . . . 7");
    - a man page's running header or footer as the first or last line ("LS(1)   User Commands   LS(1)"), which
      `man ls > ls.txt` keeps;
    - a Markdown file's YAML front matter ("---\ntitle: ...\n---") at the start of its first page."""
    lines = [stripped_lines(page.text) for page in pages]
    repeated = running_lines(pages, lines)
    offset = page_number_offset(pages, lines)
    spans = []
    for i, (page, page_lines) in enumerate(zip(pages, lines, strict=True)):
        edges = {*page_lines[:1], *page_lines[-1:]}
        ends = {*page_lines[:EDGE_LINES], *page_lines[-EDGE_LINES:]}
        front = FRONT_MATTER.match(page.text) if i == 0 else None
        before = [front.span(1)] if front else []
        spans.append(tuple(before) + tuple(
            (start, end) for start, end in page_lines
            if not (front and end <= front.end(1)) and (
                DOT_LEADER.search(page.text[start:end])
                or ((start, end) in ends and running_key(page.text[start:end]) in repeated)
                or ((start, end) in edges and (is_page_number(page.text[start:end], page.number, offset)
                                              or MAN_RUNNING.fullmatch(page.text[start:end]) is not None)))
        ))
    return spans


def stripped_lines(text: str) -> list[Span]:
    """(start, end) of each non-blank line, without its surrounding white space."""
    spans = []
    for match in LINE.finditer(text):
        line = match.group()
        if line.strip():
            lead = len(line) - len(line.lstrip())
            spans.append((match.start() + lead, match.start() + lead + len(line.strip())))
    return spans


def running_key(line: str) -> str:
    """Lines equal but for their numbers share a key: "Chapter 4: Function reference 9" and "... 10"."""
    return DIGITS.sub("#", " ".join(line.split()))


def recurs(count: int, pages: int) -> bool:
    return pages >= MIN_PAGES and count >= MIN_REPEATS and count >= MIN_SHARE * pages


def running_lines(pages: Sequence[Page], lines: list[list[Span]]) -> set[str]:
    """Keys of the edge lines that repeat across the document's pages."""
    counts: Counter[str] = Counter()
    for page, page_lines in zip(pages, lines, strict=True):
        ends = page_lines[:EDGE_LINES] + page_lines[-EDGE_LINES:]
        counts.update({running_key(page.text[s:e]) for s, e in ends if e - s <= MAX_RUNNING})
    return {key for key, count in counts.items() if recurs(count, len(pages))}


def page_number_offset(pages: Sequence[Page], lines: list[list[Span]]) -> int | None:
    """page position - printed page number, when most pages agree on it (front matter shifts it)."""
    counts: Counter[int] = Counter()
    for page, page_lines in zip(pages, lines, strict=True):
        edges = {page.text[s:e] for s, e in (*page_lines[:1], *page_lines[-1:])}
        counts.update({page.number - number for line in edges for number in edge_numbers(line)})
    if not counts:
        return None
    offset, count = counts.most_common(1)[0]
    return offset if recurs(count, len(pages)) else None


def edge_numbers(line: str) -> set[int]:
    """The numbers a line starts or ends with: where a running header prints the page number."""
    if len(line) > MAX_RUNNING:
        return set()
    return {int(n) for match in EDGE_NUMBER.finditer(line) for n in match.groups() if n}


def is_page_number(line: str, number: int, offset: int | None) -> bool:
    if PAGE_NUMBER.fullmatch(line):
        return True
    return offset is not None and (number - offset) in edge_numbers(line)
