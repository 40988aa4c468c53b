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
MAX_RUNNING = 160  # longer lines are prose, even if they repeat; a browser prints the page's address, cut at ~130
LINE = re.compile(r"[^\n]+")
DIGITS = re.compile(r"\d+")
PAGE_NUMBER = re.compile(r"(?i)(?:page[ \t]+)?(?:\d{1,4}|[ivxlc]{1,7})(?:[ \t]*(?:/|of)[ \t]*\d{1,4})?|[-\u2013\u2014][ \t]*\d{1,4}[ \t]*[-\u2013\u2014]")
DOT_LEADER = re.compile(r"(?:[.\u2026\u00b7][ \t]*){4,}(?:\d{1,4}|[ivxlc]{1,7})$", re.IGNORECASE)
EDGE_NUMBER = re.compile(r"^(\d{1,4})\b|\b(\d{1,4})$")
# a printed page's number alone on its line between blank lines, as nroff prints a manual to plain text with no form feeds
NUMBER_LINE = re.compile(r"(?:^|\n)[ \t]*\n[ \t]*(\d{1,4})[ \t]*\n[ \t]*(?:\n|$)")
PRINTED_LINES = 20  # a printed page holds this many lines at least (nroff's hold 66)

# a Markdown file's YAML front matter: "---", "key: value" lines, "---" (Jekyll, Hugo, MkDocs); metadata, not prose
FRONT_MATTER = re.compile(r"\s*(---[ \t]*\n(?:[ \t]*(?:[\w.-]+[ \t]*:.*|-[ \t].*|#.*)?\n){1,60}?(?:---|\.\.\.)[ \t]*)(?:\n|$)")

Span = tuple[int, int]


def mark_furniture(pages: Sequence[Page]) -> list[Page]:
    """The pages with `furniture` set from the whole document (see `furniture_spans`)."""
    if len(pages) == 1 and (printed := printed_pages(pages[0].text)):
        # one text holding a whole printed manual (nroff's output saved without form feeds): its printed pages
        # carry the running headers and numbers, so they are read as pages, and the text stays one page
        text = pages[0].text
        parts = [Page(number, text[a:b]) for number, (a, b) in enumerate(printed, start=1)]
        spans = tuple((a + s, a + e) for (a, _), found in zip(printed, furniture_spans(parts), strict=True) for s, e in found)
        return [replace(pages[0], furniture=spans)]
    return [replace(page, furniture=spans) for page, spans in zip(pages, furniture_spans(pages), strict=True)]


def printed_pages(text: str) -> list[Span]:
    """The (start, end) of each printed page of a text that numbers its pages, each ending in its number alone on a
    line ("                    7"), the numbers running 1, 2, 3 ... on pages of PRINTED_LINES lines or more; [] for
    any other text (a numbered list's "1", "2" between paragraphs is not far enough apart)."""
    numbers = [(m.start(1), m.end(1), int(m.group(1))) for m in NUMBER_LINE.finditer(text)]
    run: list[tuple[int, int, int]] = []
    for number in numbers:
        if run and number[2] != run[-1][2] + 1:
            if len(run) >= MIN_PAGES:
                break
            run = []
        run.append(number)
    if len(run) < MIN_PAGES:
        return []
    ends = [end for _, end, _ in run]
    parts = list(zip([0, *ends], [*ends, len(text)], strict=True))
    if any(text.count("\n", a, b) < PRINTED_LINES for a, b in parts[1:-1]):
        return []
    return parts


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
