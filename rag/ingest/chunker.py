"""Pages -> chunks measured in the embedder's own tokens, each keeping its exact span in the page.

Chunks cover only the prose between a page's furniture spans (running headers, page numbers).
Each chunk's `section` is its heading path: the page's own section (a DOCX heading) and the last
headings above the chunk, which may be pages back ("libtasn1 > 3 Utilities > 3.2 Invoking asn1Coding");
where the headings' marks give their levels (Markdown's "##", POD's "=head2"), its ancestors
("v2.14.3 (2026-11-04) > What's Changed > Fixes"), never a previous sibling."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from rag.protocols import Embedder
from rag.text import heading_spans, release_of, squash_runs
from rag.types import Chunk, Document, Page

TRAIL = 2  # headings kept in a chunk's path (and a changelog's release above them)
HEADING_MARKS = re.compile(r"^(?:#+|=(?:head\d|item))[ \t]*")
LEVEL = re.compile(r"(#+)[ \t]|=head(\d)")  # Markdown's "## ", POD's "=head2"
ITEM_LEVEL = 9  # POD's "=item", under any "=headN"
MARKDOWN = (".md", ".markdown")  # where "#" marks a heading's level
MAX_SECTION = 200  # characters


class Chunker:
    def __init__(self, embedder: Embedder, chunk_tokens: int, overlap_tokens: int):
        # a chunk longer than the embedder's window would be cut silently and lose text from retrieval
        self.size = max(16, min(chunk_tokens, embedder.max_tokens))
        self.overlap = max(0, min(overlap_tokens, self.size // 2))
        # the splitter measures the same pieces again as it merges them: count each text once, as the embedder reads
        # it (a Markdown table's delimiter line cut short, see embedding_text)
        self.count_tokens = functools.lru_cache(maxsize=4096)(lambda text: embedder.count_tokens(squash_runs(text)))
        self.splitter = RecursiveCharacterTextSplitter(
            chunk_size=self.size, chunk_overlap=self.overlap, length_function=self.count_tokens,
            separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""], keep_separator="end",
        )

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) offsets of each chunk in `text`; text[start:end] is the chunk, verbatim."""
        spans, cursor = [], 0
        for piece in self.splitter.split_text(text):
            start = text.find(piece, cursor)
            if start < 0:  # cannot happen for verbatim pieces; stay correct if the splitter changes
                start = text.find(piece)
            if start < 0:
                continue
            spans.extend(self._fit(text, start, start + len(piece)))
            cursor = start + 1
        return spans

    def page_spans(self, page: Page) -> list[tuple[int, int]]:
        """Chunk spans of the prose between the page's furniture: no chunk holds a header or page number."""
        spans, cursor = [], 0
        for start, end in sorted(page.furniture) + [(len(page.text), len(page.text))]:
            if start > cursor:
                spans += [(cursor + s, cursor + e) for s, e in self.spans(page.text[cursor:start])]
            cursor = max(cursor, end)
        return spans

    def _fit(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Hard-split a span that is still over the token budget (one very long 'word', a table row)."""
        if self.count_tokens(text[start:end]) <= self.size:
            return [(start, end)]
        mid = start + (end - start) // 2
        space = text.rfind(" ", start + 1, mid + 1)
        mid = space if space > start else mid
        return self._fit(text, start, mid) + self._fit(text, mid, end)

    def chunk(self, document: Document, pages: Iterable[Page]) -> list[Chunk]:
        chunks: list[Chunk] = []
        trail: list[tuple[int | None, str]] = []  # (level, title) of the headings above, latest last
        markdown = document.name.lower().endswith(MARKDOWN)
        for page in pages:
            headings = page_headings(page)
            if page.section:  # a DOCX section starts afresh under its own heading
                trail = []
            for start, end in self.page_spans(page):
                if not page.text[start:end].strip():
                    continue
                while headings and headings[0][0] <= start:
                    climb(trail, page, *headings.pop(0), markdown=markdown)
                chunks.append(Chunk(
                    chunk_id=f"{document.doc_id}:{len(chunks):05d}", doc_id=document.doc_id,
                    text=page.text[start:end], page=page.number, start=start, end=end,
                    section=heading_path(page.section, path(trail)), title=document.name, owner=document.owner,
                    collection=document.collection,
                ))
            for heading in headings:
                climb(trail, page, *heading, markdown=markdown)
        return chunks


def heading_level(line: str, markdown: bool = True) -> int | None:
    """A heading's depth where its marks give it (Markdown's "## Fixes" is 2, in a Markdown file: elsewhere "# ps axjf"
    is a root shell's prompt; POD's "=head2" 2, an "=item" under either); None for a heading known by its look alone
    (a PDF's "2.1 Invoking asn1Parser")."""
    match = LEVEL.match(line)
    if match and (match.group(2) or markdown):
        return len(match.group(1)) if match.group(1) else int(match.group(2))
    return ITEM_LEVEL if line.startswith("=item") else None


def climb(trail: list[tuple[int | None, str]], page: Page, offset: int, title: str, markdown: bool) -> None:
    """Add a heading to the trail: one with a level closes the sections at its level and below ("## v2.14.2" after
    "## v2.14.3 > ### What's Changed > #### Fixes" is a sibling of the first, not under the last). Its marks open
    its line: an indented "# Put 80 spaces in the buffer" is a comment in a manual's example."""
    at_start = offset == 0 or page.text[offset - 1] == "\n"
    level = heading_level(page.text[offset:offset + 8], markdown) if at_start else None
    if level is not None:
        while trail and trail[-1][0] is not None and trail[-1][0] >= level:
            trail.pop()
    trail.append((level, title))


def path(trail: list[tuple[int | None, str]]) -> list[str]:
    """The titles a chunk's path keeps: the last two headings (its ancestors, where levels make them so), and a
    changelog's release above them ("v2.14.3 (2026-11-04) > What's Changed > Fixes": an entry keeps its release)."""
    titles = [title for _, title in trail[-TRAIL:]]
    release = next((title for level, title in reversed(trail[:-TRAIL]) if level is not None and release_of(title)), None)
    return [release, *titles] if release else titles


def page_headings(page: Page) -> list[tuple[int, str]]:
    """(offset, text) of the page's heading lines, running headers and footers left out."""
    def furniture(a: int, b: int) -> bool:
        return any(a < f_end and f_start < b for f_start, f_end in page.furniture)
    # a Markdown heading's marks are not part of its title ("## Scope" is "Scope" in the path), nor POD's ("=head2 Scope")
    return [(a, " ".join(HEADING_MARKS.sub("", page.text[a:b]).split())) for a, b in heading_spans(page.text)
            if not furniture(a, b)]


def heading_path(section: str, trail: list[str]) -> str:
    parts: list[str] = []
    for part in [section, *trail]:
        if part and part not in parts:
            parts.append(part)
    return " > ".join(parts)[:MAX_SECTION]
