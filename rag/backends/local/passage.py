"""A retrieved chunk read into sentences for the extractive reader: which sentences may be quoted, the
context a sentence is looked up in, and the phrase of a quote that answers (emphasis)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from rag.backends.local.question import HOLDS, TYPED, Question, manual_page, title_words, values
from rag.guard import FLAG, looks_like_injection
from rag.text import (
    BLANK_LINE,
    FENCE,
    LABEL,
    MAN_RUNNING,
    TABLE_CELLS,
    UNSEEN,
    cell_starts,
    clean_with_offsets,
    content_terms,
    line_units,
    literal_blocks,
    release_of,
    sentence_spans,
    unmarked,
)
from rag.types import Hit

MIN_WORDS = 4
ENTRY_SENTENCES = 3  # a definition list's description is this long at most, for finding its term
LEADER = re.compile(r"(\.\s?){4,}")  # table-of-contents dot leaders
# how the tail of a sentence the chunk boundary cut starts: closing punctuation or a continuation
# ("...SIZE];'). ASN1_MAX..."). A chunk almost always starts after a line break (538 of the QA corpus's 638
# chunks that do not start their page), and man pages start sentences in lower case ("gunzip can ...").
CUT = re.compile(r"[.,;:!?)\]}\u2019\u201d]")
# ... or a wrapped line's function word or auxiliary: "of your accepting any such warranty ...", "must just be
# created with ..." (a man page's lower-case
# sentence starts with a command name, "gunzip can ...", and commands named like these, which(1), as(1), are left out)
# a man page's name line: "tail - output the last part of files", "gzip, gunzip, zcat - compress or expand files"
NAME_LINE = re.compile(r"([\w.+-]+)(?:,\s*[\w.+-]+)*\s+-\s+[^.]*$")
# a token of a man page's SYNOPSIS: "[OPTION]...", "--files0-from=F", "FILE...", "|"
SYNOPSIS_TOKEN = re.compile(r"\[[^\]]*\](?:\.\.\.)?|--?[\w-]+(?:=\S+)?|[A-Z][A-Z0-9_]*(?:\.\.\.)?|\.\.\.|\||[{}]")
IDENTIFIER_HEADING = re.compile(r"-{0,2}[A-Za-z_][\w.:-]*(?:\([^()\n]*\))?")  # "OPT_UTC_Z", "orjson.dumps()"
CODE_MARK = re.compile(r"_|\(|^-|\w\.\w|::|[a-z][A-Z]")  # what sets an identifier apart from a word ("Serialize")
OPENING_QUOTES = re.compile(r"\s*(?:\"{3}|'{3})\s*$")  # the triple quotes that open a quoted text, on its own line
OPTION_LINE = re.compile(r"\s*--?[A-Za-z0-9][^\n.]{0,60}")  # "-i[SUFFIX], --in-place[=SUFFIX]": a man page's term line
# an entry whose option and description share the sentence: "-t     sort by time", "-T, --tabsize=COLS\n   assume ...",
# "--help display this help and exit"
ENTRY = re.compile(r"--?[A-Za-z0-9][^\s,]*(?:,[ \t]*--?[A-Za-z0-9][^\s,]*)*(?:[ \t]{2,}|[ \t]*\n|[ \t](?=[a-z]))")
BULLET = re.compile(r"[-*\u2022][ \t]")  # a list item's bullet: "- ", "* ", "• "
# cells of a table row, as the DOCX parser joins them ("CCTV footage | 30 days"), or as a Markdown table pads them
# ("| Linux            | GCC >= 10.1   |"; its "| ----- | --- |" line under the column names is one too)
ROW_CELLS = re.compile(r"\S[ \t]+\|[ \t]+\S")
JOINS = "and|or|nor"  # a clause list's last item may end on one: "(a) You must give ... a copy of this License; and"
OPEN = ("of|to|by|with|for|from|in|on|into|than|the|a|an|is|are|be|was|were|been|has|have|had|must|should|shall|will|"
        "would|can|could|may|might|not")  # a clause that stops on one of these goes on
CONTINUES = re.compile(rf"(?:{JOINS}|{OPEN})\s")
# ... and how the head of a sentence the chunk's end cut ends: on one of those words, bar a clause list's "; and"
CUT_OFF = re.compile(rf"\w\s(?:{OPEN})$")


def opens_list(text: str) -> bool:
    """The sentence opens a list, whose items follow it ("... one of these constants:", "staff must not:"), or a text
    it quotes, its triple quotes aside (Node.js's LICENSE: "... is licensed as follows:" over a licence)."""
    return OPENING_QUOTES.sub("", text).rstrip().endswith(":")


def asks(text: str) -> bool:
    """The sentence is a question the document asks (an FAQ's "Who approves my claim?"): it answers nothing."""
    return text.rstrip().endswith("?")


class Placed(Protocol):
    """A sentence of a passage (the reader's Candidate): where it stands and what it says."""

    position: int
    start: int
    text: str


def quotable(text: str) -> bool:
    """Prose worth quoting: enough words, mostly letters (a table's cell bars aside: "| Linux | GCC >= 10.1 |") or, in a
    sentence, letters and digits ("orjson supports CPython 3.10, 3.11, 3.12, 3.13, 3.14, and 3.15."), not a
    table-of-contents line."""
    letters, text = sum(ch.isalpha() for ch in text), text.replace("|", " ")
    words, chars = len(text.split()), len(text.replace(" ", ""))
    sentence = text.strip()[:1].isalpha() and text.rstrip()[-1:] == "."
    short = words == MIN_WORDS - 1 and text.strip()[:1].isupper() and sentence  # "Cancels the timeout."
    values = sentence and letters + sum(ch.isdigit() for ch in text) >= 0.75 * chars
    return (words >= MIN_WORDS or short) and (letters >= 0.5 * chars or values) and not LEADER.search(text)


SHORT_LINE = 0.6  # a line this much shorter than the widest one, ending a sentence, ends its paragraph


@dataclass
class Passage:
    """A chunk read into sentences: its clean text, sentence spans and heading."""

    source: int
    hit: Hit
    text: str
    spans: list[tuple[int, int]]
    headings: list[tuple[int, int]]
    terms: list[tuple[int, int]] = field(default_factory=list)  # definition lists' term lines

    def sentence(self, i: int) -> str:
        return self.text[self.spans[i][0]:self.spans[i][1]] if 0 <= i < len(self.spans) else ""

    def fragment(self, i: int) -> bool:
        """Sentence `i` is a piece of one a chunk boundary cut: the tail that starts the chunk ("...SIZE];').
        ASN1_MAX..."), not a sentence, list item or option line that starts it ("• A magic-deleteall element ...",
        "gunzip can currently decompress ..."), or the head that ends it mid-clause ("Repeated splits ... are
        guaranteed to be identical ... as long as the")."""
        text = self.sentence(i)
        if i == 0 and self.hit.chunk.start > 0 and (CUT.match(text) or CONTINUES.match(text)):
            return True
        return (i == len(self.spans) - 1 and self.spans[i] not in self.headings and self.spans[i] not in self.terms
                and CUT_OFF.search(text) is not None)

    def gap(self, i: int) -> str:
        """The white space between sentence `i` and the one before it ("" before the first)."""
        return self.text[self.spans[i - 1][1]:self.spans[i][0]] if i > 0 else ""

    def paragraph_starts(self, i: int) -> bool:
        """Sentence `i` opens a paragraph: the sentence before it ends, and a blank line follows, or its line
        ends well short of the passage's widest (a PDF's paragraphs often have no blank line between them). A
        list's items ("0 if OK,\n\n1 if minor problems,") are one paragraph."""
        if i <= 0 or i >= len(self.spans) or not self.sentence(i - 1).rstrip().endswith((".", "!", "?")):
            return False
        gap = self.gap(i)
        if BLANK_LINE.search(gap):
            return True
        if "\n" not in gap:
            return False
        line = self.text[self.text.rfind("\n", 0, self.spans[i - 1][1]) + 1:self.spans[i - 1][1]]
        return len(line) < SHORT_LINE * self.widest_line

    @functools.cached_property
    def widest_line(self) -> int:
        return max(len(line) for line in self.text.split("\n"))

    @functools.cached_property
    def code_blocks(self) -> list[tuple[int, int]]:
        """The text between a Markdown file's code fences. A fence that names a language opens a block; a bare one
        closes the open block, or opens one, but where it is the chunk's first and no bare fence follows to close
        it: the chunk started inside that block. A chunk may end inside one too. And reStructuredText's literal and
        doctest blocks (`literal_blocks`)."""
        fences, blocks, opened = list(FENCE.finditer(self.text)), [], None
        for k, fence in enumerate(fences):
            bare = not fence.group(1).strip()
            if opened is not None:
                blocks.append((opened, fence.start()))
                opened = None
            elif bare and k == 0 and (k + 1 == len(fences) or fences[k + 1].group(1).strip()):
                blocks.append((0, fence.start()))
            else:
                opened = fence.end()
        blocks += [(opened, len(self.text))] if opened is not None else []
        return blocks + literal_blocks(self.text, self.terms)

    def code(self, i: int) -> bool:
        """Sentence `i` is a line of a code block (`code_blocks`)."""
        if not 0 <= i < len(self.spans):
            return False
        start = self.spans[i][0]
        return any(a <= start < b for a, b in self.code_blocks)

    def term(self, i: int) -> str:
        """The option line sentence `i` describes, where a manual page sets it on a line of its own above the
        description ("-i[SUFFIX], --in-place[=SUFFIX]" above "edit files in place ..."), or the term of a definition
        list ("dialout" above "Full and direct access to serial ports."), or the heading that names one identifier
        ("### OPT_UTC_Z" above "Serialize a UTC timezone ... as `Z`", an API reference's); else ""."""
        before = self.sentence(i - 1) if i > 0 else ""
        if 0 < i < len(self.spans) and (self.spans[i - 1] in self.terms or self.identifier(i - 1)):
            return before
        return before if OPTION_LINE.fullmatch(before) and not OPTION_LINE.match(self.sentence(i)) else ""

    def identifier(self, i: int) -> str:
        """The identifier sentence `i` is, a heading of nothing else ("OPT_UTC_Z" of "### OPT_UTC_Z", "orjson.Fragment"
        of "### `orjson.Fragment`", "bar_format" over its underline): the name of what its section describes, as a
        definition list's term is; else ""."""
        if not 0 <= i < len(self.spans) or self.spans[i] not in self.headings:
            return ""
        name = unmarked(self.sentence(i)).strip("`")
        return name if IDENTIFIER_HEADING.fullmatch(name) and CODE_MARK.search(name) else ""

    def entry_term(self, i: int) -> int | None:
        """The definition list's term line whose entry sentence `i` is in ("dialout" for "Members of this group can
        reconfigure the modem", its description's second sentence): the nearest term up to `ENTRY_SENTENCES` back,
        with no heading between."""
        for j in range(i - 1, max(-1, i - 1 - ENTRY_SENTENCES), -1):
            if self.spans[j] in self.terms:
                return j
            if self.spans[j] in self.headings:
                return None
        return None

    def starts_line(self, i: int) -> bool:
        """Nothing but white space stands before sentence `i` on its line."""
        start = self.spans[i][0]
        return not self.text[self.text.rfind("\n", 0, start) + 1:start].strip()

    def ends_line(self, i: int) -> bool:
        """Nothing but white space stands after sentence `i` on its line."""
        end = self.spans[i][1]
        line_end = self.text.find("\n", end)
        return not self.text[end:line_end if line_end >= 0 else None].strip()

    def run_start(self, i: int, member) -> int:
        """The first of the sentences before `i`, and `i`, that are all `member`s of one run (a table's rows, a
        list's items)."""
        while member(i - 1):
            i -= 1
        return i

    def label(self, i: int) -> bool:
        """Sentence `i` is only the number of the clause after it, at the start of its line ("2." of "2. You may
        modify ..."), not the end of a version ("Mozilla Public License, v. 2.0.")."""
        return self.starts_line(i) and LABEL.fullmatch(self.sentence(i)) is not None

    def opens_entry(self, i: int) -> bool:
        """Sentence `i` starts an entry of a man page: the option line of the description after it, or an option
        with its description ("-u     with -lt: sort by ...")."""
        return bool(self.term(i + 1)) or bool(ENTRY.match(self.sentence(i)))

    def row(self, i: int) -> bool:
        """Sentence `i` is a row of a table, a line of its own: a Word table's (its cells joined by " | ", the DOCX
        parser's form), a Markdown table's, or one laid out with spaces ("pixelsize       Double  Pixel size")."""
        if not (0 <= i < len(self.spans) and self.starts_line(i) and self.ends_line(i)):
            return False
        sentence = self.sentence(i)
        return ROW_CELLS.search(sentence) is not None or ("\n" not in sentence and len(cell_starts(sentence)) >= TABLE_CELLS)

    def rule(self, i: int) -> bool:
        """Sentence `i` is a rule (a title's underline or a table's border, "----------------"), a Markdown file's
        HTML comment or link reference definition, reStructuredText's markup (".. _target:", ".. note::"), which a
        reader of the rendered file never sees, an Info manual's navigation ("* Exit status::", "File: sed.info, Node:
        ..."), POD's markup ("=over 4", "=cut"): never quoted."""
        sentence = self.sentence(i)
        return any(unseen.fullmatch(sentence) is not None for unseen in UNSEEN)

    def bullet(self, i: int) -> bool:
        """Sentence `i` is a bulleted list item ("• Share passwords with anyone", "* Data received from ...")."""
        return BULLET.match(self.sentence(i)) is not None

    def item_start(self, i: int) -> int | None:
        """The bulleted item sentence `i` is in, by its first sentence: `i` itself, or the bullet it runs on from
        ("• Portability. The code should work ... The library itself should be ..."), not past a heading, a blank
        line or the end of a list."""
        for j in range(i, -1, -1):
            if self.bullet(j):
                return j
            if self.spans[j] in self.headings or self.after_list(j) or BLANK_LINE.search(self.gap(j)):
                return None
        return None

    def after_list(self, i: int) -> bool:
        """Sentence `i` starts a line after a bulleted item: not the item's own next sentence ("• Portability. The
        code should work ..." is one item), but what follows the list."""
        return (0 < i < len(self.spans) and self.bullet(i - 1) and not self.bullet(i)
                and "\n" in self.text[self.spans[i - 1][1]:self.spans[i][0]])

    def list_opener(self, i: int) -> int | None:
        """The sentence that opens the bulleted list item `i` is in ("When using company systems, staff must not:"),
        if the passage holds it: an item alone ("• Share passwords with anyone") may say the opposite of its list."""
        before = self.run_start(i, self.bullet) - 1
        return before if self.bullet(i) and before >= 0 and opens_list(self.sentence(before)) else None

    def in_table(self, i: int) -> bool:
        """Sentence `i` is one of two or more rows in a row: a table's, not a shell pipeline alone on its line."""
        return self.row(i) and (self.row(i - 1) or self.row(i + 1))

    def header(self, i: int) -> int | None:
        """The first row of the table row `i` stands in (its column names, where the table has them), if the
        passage holds it and it is another row: a row alone ("Board minutes | Permanently | Company Secretary")
        does not say which column is which. A passage that opens inside a table (the chunk starts mid-page on a
        row) does not hold it: its first row is another record; nor a table whose first row holds a number."""
        first = self.run_start(i, lambda j: self.row(j) or (j > 0 and self.rule(j) and self.row(j - 1)))  # a rule
        # under the column names
        opens_inside = first == 0 and self.hit.chunk.start > 0
        cells = re.split(r"[ \t]*\|[ \t]*|\t|[ \t]{2,}", self.sentence(first).strip(" |"))
        numbered = any(re.fullmatch(r"[\d.,%]+", cell) for cell in cells)  # "light   weight   50" is a record
        return first if first < i and self.row(i) and not opens_inside and not numbered else None

    def release(self, start: int) -> tuple[str, int | None]:
        """The changelog release heading nearest above `start` ("2.2.0", "1.26.0 (2026-09-30)") and its sentence number
        when this passage holds it (else it is in the chunk's heading path); ("", None) under none."""
        for i in reversed(range(len(self.spans))):
            if self.spans[i][0] <= start and self.spans[i] in self.headings and release_of(self.sentence(i)):
                return unmarked(self.sentence(i)), i
        return next(((part, None) for part in reversed(self.hit.chunk.section.split(" > ")) if release_of(part)), ("", None))

    def heading_before(self, start: int) -> str:
        before = [self.text[a:b] for a, b in self.headings if b <= start]
        return before[-1] if before else self.hit.chunk.section.rsplit(" > ", 1)[-1]  # the path's last heading

    def window(self, c: Placed) -> str:
        """A candidate with its heading and the sentences either side, within its section (a heading after it
        starts another): the evidence its terms are looked up in."""
        if self.in_table(c.position):  # a table's row is read under the table's column names, not next to other rows
            header = self.header(c.position)
            return " ".join([self.heading_before(c.start), self.sentence(header) if header is not None else "", c.text])
        after = c.position + 1
        following = self.sentence(after) if after < len(self.spans) and self.spans[after] not in self.headings else ""
        return " ".join([self.heading_before(c.start), self.sentence(c.position - 1), c.text, following])


def passages(hits: Sequence[Hit]) -> dict[int, Passage]:
    out = {}
    for n, hit in enumerate(hits, start=1):
        if FLAG in hit.flags or looks_like_injection(hit.chunk.text):
            continue  # never quote injected instructions, even as data (docs/security.md)
        text = clean_with_offsets(hit.chunk.text)[0]
        units = line_units(text)
        out[n] = Passage(n, hit, text, sentence_spans(text, units=units), *units)
    return out


def furniture_line(text: str) -> bool:
    """A man page's running header or footer line ("diffutils 3.8   August 2021   DIFF(1)")."""
    return MAN_RUNNING.fullmatch(text.strip()) is not None


def synopsis_line(text: str, title: str) -> bool:
    """A line of a man page's SYNOPSIS ("wc [OPTION]... [FILE]...", "[FILE]... wc [OPTION]... --files0-from=F"): how
    the command is written, every token the program's name, a bracketed or upper-case placeholder or an option."""
    program = manual_page(title)
    tokens = text.split()
    return (program is not None and any(t.startswith("[") for t in tokens)
            and all(t == program or SYNOPSIS_TOKEN.fullmatch(t) for t in tokens))


def title_line(text: str, title: str) -> bool:
    """A man page's name line ("tail - output the last part of files"): the page's title, like a heading, close
    in meaning to every question about the command and the answer to none."""
    match = NAME_LINE.match(text.strip())
    return bool(match) and match.group(1).lower() in title_words(title)


def junk(text: str) -> float:
    """Share of a sentence that is not prose: links, addresses, code punctuation."""
    links = sum(len(m) for m in re.findall(r"<?https?://\S+|\S+@\S+", text))
    symbols = sum(not (ch.isalnum() or ch.isspace() or ch in ".,;:'\"()-") for ch in text)
    return min(1.0, (links + symbols) / max(1, len(text)))


def terms_of(text: str) -> set[str]:
    return set(content_terms(text))


def emphasis(question: Question, text: str, passage: str = "") -> list[str]:
    """The phrase of the quote that answers: the typed value nearest the question's terms anywhere in the quoted
    `passage` (the value is often in the sentence next to the one that matched), else the clause of the passage
    that shares most of the question's words, one of the best sentence `text` on a tie."""
    asked, quoted = set(question.terms), passage or text
    if question.kind in TYPED and question.kind in HOLDS:
        # not a value the question states itself ("how many zero bytes"), nor an index in code ("str[0]",
        # "der[len-1]"): that is not the value asked for, though it may gate evidence
        typed = [m for m in values(quoted, question.kind, question.text)
                 if not (quoted[m.start() - 1:m.start()] == "[" or quoted[m.end():m.end() + 1] == "]")]
        if typed:
            def distance(m: re.Match) -> int:
                near = quoted[max(0, m.start() - 60):m.end() + 60]
                return -len(asked & terms_of(near))
            best = min(typed, key=distance)
            clause = next((c for c in clauses(quoted) if best.group() in c), best.group())
            return [clause.rstrip(" .,;:")]
    found, in_best = clauses(quoted), set(clauses(text))
    if not found:
        return []
    scored = max(found, key=lambda c: (len(asked & terms_of(c)), c in in_best, -len(c)))
    return [scored.rstrip(" .,;:")] if asked & terms_of(scored) and scored != quoted.strip() else []


def clauses(text: str) -> list[str]:
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    # clauses end at a comma, semicolon or colon, before a parenthesis, at a dash, and at a table's cell (" | ")
    return [c.strip() for s in sentences for c in re.split(r"(?<=[,;:])\s+|\s+(?=\()|\s+-{1,2}\s+|\s+\|\s+", s)
            if len(c.split()) >= 2]
