"""Small text helpers shared by the ingest pipeline, the answerers and the groundedness check."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

# a sentence ends at end punctuation (with the quote or parenthesis it closes) before a capital (not after "i.e." or
# "e.g."), or before a lower-case word two spaces on, as typed text and nroff set a sentence's end ("... the dpkg status
# lock.  dpkg (and dpkg-query) reads ..."), at a blank line, a list item's bullet, or a Markdown code fence ("```{note}",
# "```"): the fence's line is left out of both
CLOSERS = "\"')]"  # what may close a sentence after its full stop
FENCE = re.compile(r"^[ \t]*```([^\n]*)$", re.MULTILINE)  # a Markdown code block's fence: "```js" opens, "```" closes
SENTENCE_END = re.compile(rf"(?<=[.!?])(?<!\bi\.e\.)(?<!\be\.g\.)(?:[{re.escape(CLOSERS)}]*\s+(?=[\"'(\[]?[A-Z0-9])"
                          # not before a reference that ends the line: "... AuthEnvelopedData parsing. (CVE-2025-15467)"
                          r"(?!\([^()\n.!?]*\)[ \t]*(?:\n|$))|"
                          rf"(?<=[^\W\d]\.)(?<!\betc\.)(?<!\b(?:eg|ie|cf|vs)\.)[{re.escape(CLOSERS)}]*[ \t]{{2,}}(?=[a-z]))|"
                          rf"\n\s*\n|\n(?=\s*[-*•\u2022]\s)|(?m:{FENCE.pattern})|"
                          r"(?<=:)[ \t]*\n(?=[ \t]*\(?(?:\d{1,2}|[a-z])[.)][ \t])")  # a list's opener, over its first item
WORD = re.compile(r"[A-Za-z0-9_]+(?:[.'-][A-Za-z0-9_]+)*|[^\W\d_]+", re.UNICODE)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
LABEL = re.compile(r"\s*(?:\d{1,2}(?:\.\d{1,3})*\.|[a-z]\.|[ivx]{1,4}\.)\s*")  # a clause's or an item's number alone
STOPWORDS = frozenset(["a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "there", "here", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "do", "does", "did", "done", "can", "could", "should", "would", "will", "shall", "may", "might", "must", "i", "you", "he", "she", "we", "they", "me", "him", "her", "us", "them", "my", "your", "our", "their", "not", "no", "yes", "about", "into", "over", "under", "than", "then", "so", "such", "also", "any", "all", "some", "more", "most", "other", "only", "own", "same", "very", "just", "s", "t", "please", "tell", "explain", "describe", "give", "show", "list"])
# "1 Introduction", "2.4. The glob files", "A.1 GNU Free Documentation License", "Appendix A Copying Information"
NUMBERED = re.compile(r"(?:\d{1,2}(?:\.\d{1,3})*\.?|[A-Z](?:\.\d{1,3})+\.?|(?:Appendix|Chapter|Part|Section)[ \t]+[A-Z0-9]{1,3}[.:]?)"
                      r"[ \t]+[A-Z][^\n]{0,70}(?<![.,;:!?])")
# a man page's running header or footer, as `man` prints it: "LS(1)   User Commands   LS(1)", "GNU coreutils 9.1
# September 2022   LS(1)": the page's name set apart in a column at the line's end
MAN_RUNNING = re.compile(r"[^\n]*\S(?=[ \t]*(?:\t|  ))[ \t]+[A-Z][\w.+-]*\(\d\w*\)")
SECTION_NUMBER = re.compile(r"\d{1,2}(?:\.\d{1,3})*\.[ \t]")  # "1. ", "2.4. "
# a subsection's number over a lower-case name: "2.7. python-central (removed)", a program's or a function's
NAMED_SUBSECTION = re.compile(r"\d{1,2}(?:\.\d{1,3})+\.[ \t]+[a-z][\w.+-]*(?:[ \t]+[^\n]{0,60})?(?<![.,;:!?])")
# "manip-\nulation"; groff (man's text output) hyphenates with U+2010: "inter\u2010\n   active"
HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])[-\u2010][ \t]*\n[ \t]*(?=[^\W\d_])")
# an identifier wrapped after its underscore: "ASN1_\nMAX_LENGTH_SIZE", "asn1_der_\ndecoding()" (the line break goes)
UNDERSCORE_BREAK = re.compile(r"(?<=[A-Za-z0-9]_)[ \t]*\n[ \t]*(?=[A-Za-z0-9])")


Spans = list[tuple[int, int]]


def sentence_spans(text: str, max_chars: int = 400, units: tuple[Spans, Spans] | None = None) -> Spans:
    """(start, end) of each sentence; heading lines, terms, table rows, rules and comments on their own; long runs are cut
    at line ends. `units`: the text's `line_units`, where the caller has them already."""
    headings, terms = units if units is not None else line_units(text)
    spans, cursor = [], 0
    marked = [m.span(1) for m in MARKDOWN_ROW.finditer(text)]
    marked += [m.span(1) if m.re.groups else m.span() for unseen in UNSEEN for m in unseen.finditer(text)]
    units = headings + terms + marked + table_rows(text)
    if fields := [m.span() for m in COPYRIGHT_FIELD.finditer(text)]:  # a field's lines are not headings nor terms
        units = fields + [(s, e) for s, e in units if not any(s < b and a < e for a, b in fields)]
    for start, end in sorted(set(units)):
        spans += _sentences(text, cursor, start, max_chars)
        spans.append((start, end))
        cursor = end
    spans += _sentences(text, cursor, len(text), max_chars)
    return [stripped(text, s, e) for s, e in spans if text[s:e].strip()]


def _sentences(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    spans = []
    for match in SENTENCE_END.finditer(text, start, end):
        if match.group().isspace() and interrupted(text, start, match.start(), match.end(), end):
            continue  # a blank line around a displayed command, inside its sentence
        closers = len(match.group()) - len(match.group().lstrip(CLOSERS))  # '... in this way.)': its parenthesis too
        spans.append((start, match.start() + closers))
        start = match.end()
    spans.append((start, end))
    out = []
    for s, e in spans:
        while e - s > max_chars:
            cut = text.rfind("\n", s + 40, s + max_chars)
            cut = cut if cut > s else text.rfind(" ", s + 40, s + max_chars)
            cut = cut if cut > s else s + max_chars
            out.append((s, cut))
            s = cut
        out.append((s, e))
    return out


def interrupted(text: str, start: int, gap: int, resume: int, end: int) -> bool:
    """A sentence goes on past the blank line text[gap:resume] into or out of a displayed line indented deeper than
    its prose: it stops mid-clause before it ("... compressed with" over "     gzip -7c", "If gzip is not found," over
    "     compress -c"), a prose line goes on in lower case into it ("... the commands" over "     export MANPATH"), and
    the sentence goes on in lower case after it ("can be added to $HOME/.profile"). Not a list's next item, a
    paragraph at the same margin (a Word list's items), a title over a term ("Completing" over "complete (TAB)")."""
    before, after = text[start:gap].strip(), text[resume:end].lstrip()
    if (not after or before[-1:] in ("", ".", "!", "?", ":", ";") or ITEM_MARK.match(before) or ITEM_MARK.match(after)
            or before.startswith("-") or len(before.split()) < 4):
        return False  # a sentence's end, an item of a list, a title or an option's line ("-i[SUFFIX], --in-place")
    inner, outer = indent(text, gap - 1), indent(text, resume)
    if outer > inner:  # into a display
        last = text[text.rfind("\n", 0, gap - 1) + 1:gap].split()
        return (before[-1] == "," or last[-1].lower() in DISPLAY_LEAD
                or (after[0].islower() and len(last) >= PROSE_WORDS))
    return outer < inner and after[0].islower() and bool(BLANK_LINE.search(before))  # out of one it went into


DISPLAY_LEAD = frozenset({"with", "to", "as", "of", "the", "a", "an", "and", "or", "by", "for", "from", "in", "on", "at",
                          "into", "onto", "like", "than", "via", "is", "are", "be", "was", "were"})
PROSE_WORDS = 6  # a line of prose, not a title ("Commands for Manipulating the History")
BLANK_LINE = re.compile(r"\n[ \t]*\n")
ITEM_MARK = re.compile(r"(?:\(?(?:[a-z]|[ivx]{1,4}|\d{1,2})[.)]|[-*+\u2022])\s")  # "(b) ", "2. ", "ii) ", "- ", "• "


def indent(text: str, at: int) -> int:
    """How far the line holding text[at] is indented, tabs expanded (the line alone is read: this runs for every blank
    line of every text)."""
    end = text.find("\n", at)
    line = text[text.rfind("\n", 0, at) + 1:end if end >= 0 else len(text)].expandtabs()
    return len(line) - len(line.lstrip())


def literal_blocks(text: str, terms: Spans = ()) -> Spans:
    """(start, end) of each reStructuredText literal block: the lines indented deeper than the paragraph whose last
    line ends in "::" (or than ".. code-block:: python"), from after its blank line to the first line back at the
    paragraph's margin; and each doctest block (">>> r = requests.get(url)" with its output, to its blank line) or
    shell session ("$ seq 2 | sed 1d" with its output). An AsciiDoc term's "::" (`terms`) leads no block."""
    blocks, lines = [m.span() for m in DOCTEST.finditer(text)], text_lines(text)
    for lead in LITERAL_LEAD.finditer(text):
        if any(a <= lead.end(1) < b for a, b in terms):
            continue
        margin, start, end = len(lead.group(1).expandtabs()), lead.end(), None
        for a, b in lines[bisect.bisect_left(lines, (start,)):]:  # the lines with something on them, after the lead
            if indent(text, a) <= margin:
                break
            end = b
        if end is not None:
            blocks.append((start, end))
    return sorted(blocks)


def line_units(text: str) -> tuple[Spans, Spans]:
    """The text's heading lines and term lines, the glossary read once for both."""
    glossary = glossary_spans(text)
    headings = heading_spans(text, glossary)
    return headings, term_spans(text, headings, glossary)


def heading_spans(text: str, glossary: Spans | None = None) -> Spans:
    """(start, end) of each line that reads as a heading, so it never glues to the sentence after it; a glossary's
    capitalised term is a term, not a heading."""
    glossary = set(glossary_spans(text) if glossary is None else glossary)
    return [span for span in line_spans(text, is_heading) if span not in glossary]


GLOSSED = 250  # characters: a glossary's description is a sentence or two


def glossary_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each term of a glossary written as short lines, each over a one-line description, two or more
    in a row: a Word policy's "Personal data" over "Any information relating to an identified ... person.", then "Data
    controller" over its own. Capitalised, each would read as a heading; upper-case ones are section titles
    ("AUTHOR" over "Written by ..." then "REPORTING BUGS"), and a term does not start with a digit or a dash."""
    lines = text_lines(text)
    texts = [text[a:b].strip() for a, b in lines]

    def term(i: int) -> bool:
        line = texts[i] if 0 <= i < len(texts) else ""
        return bool(line and len(line.split()) <= TERM_WORDS and len(line) <= 40 and line[0].isalpha()
                    and not line.isupper() and ends_like_title(line) and not CODE.search(line))

    def described(i: int) -> bool:  # a term over one short line that finishes a sentence (a section's is longer)
        return (term(i) and i + 1 < len(texts) and texts[i + 1][-1] in ".!?" and len(texts[i + 1]) <= GLOSSED
                and not term(i + 1))

    return [stripped(text, *line) for i, line in enumerate(lines) if described(i) and (described(i + 2) or described(i - 2))]


def term_spans(text: str, headings: Spans | None = None, glossary: Spans | None = None) -> Spans:
    """(start, end) of each line that is a definition list's term, so it never glues to the sentence before it; not
    a heading's line (a Texinfo definition's name, "asn1 read tag", is one)."""
    glossary = glossary_spans(text) if glossary is None else glossary
    headings = set(heading_spans(text, glossary) if headings is None else headings)
    # the lines either side, across blank lines: a term follows what ends
    spans = glossary + [span for span in line_spans(text, is_term, afresh=False)
                        if not displayed(text, span) and not wrapped(text, span)]
    return sorted({span for span in spans if span not in headings})


def wrapped(text: str, span: tuple[int, int]) -> bool:
    """The line goes on from the unfinished line of prose right above it, at its margin: a paragraph's wrapped last
    line, no term ("... higher than 2.4 is specified the command" over "implicitly invokes"; reStructuredText's "...
    or as a tuple of both" over "files' paths::", which ends the paragraph over its literal block)."""
    above = text.rfind("\n", 0, span[0])
    previous = text[text.rfind("\n", 0, above) + 1:above] if above > 0 else ""
    line = previous.strip()
    if not line or finished(line) or LABELLED.fullmatch(line) or RULE.fullmatch(line):
        return False
    if LABELLED.fullmatch(text[span[0]:span[1]]):
        return True  # an AsciiDoc term follows what ends, or a title, a blank line, another term
    words = line.split()  # of prose: most of them words of letters (not libtasn1's 'value="..." , len=3 -> three bytes')
    return (len(words) >= PROSE_WORDS and 2 * sum(w.isalpha() for w in words) > len(words)
            and indent(text, span[0]) == indent(text, above - 1))


def displayed(text: str, span: tuple[int, int]) -> bool:
    """The line is indented deeper than the unfinished line of prose before it: a command it displays ("... the
    commands" over "     export MANPATH"), not a term (a term stands at its description's margin or left of it)."""
    last = text.rfind("\n", 0, span[0])  # the end of the line before, then of the last one with something on it
    while last > 0 and text[last - 1].isspace():
        last -= 1
    previous = text[text.rfind("\n", 0, last) + 1:last] if last > 0 else ""
    if not previous.strip() or finished(previous) or len(previous.split()) < PROSE_WORDS:
        return False  # a title over its terms ("Completing" over "complete (TAB)")
    return indent(text, span[0]) > indent(text, last - 1)


def text_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line with something on it."""
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]*\S[^\n]*", text)]


def stripped(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without the white space at either end."""
    lead = len(text[start:end]) - len(text[start:end].lstrip())
    return start + lead, start + lead + len(text[start:end].strip())


def line_spans(text: str, test, afresh: bool = True) -> list[tuple[int, int]]:
    """(start, end) of each line, stripped, that passes `test(line, line before, line after)`; `afresh`: after a blank
    line or another such line, the line before counts as none."""
    lines = text_lines(text)
    spans: list[tuple[int, int]] = []
    for i, (start, end) in enumerate(lines):
        line = text[start:end].strip()
        after = text[slice(*lines[i + 1])].strip() if i + 1 < len(lines) else ""
        before = text[slice(*lines[i - 1])].strip() if i else ""
        if afresh and (not i or "\n\n" in text[lines[i - 1][1]:start] or (spans and spans[-1][1] == lines[i - 1][1])):
            before = ""
        if test(line, before, after):
            spans.append(stripped(text, start, end))
    return spans


# an upper-case title line: words of capitals and digits ("SEE ALSO", "TERMS AND CONDITIONS"); no
# underscores, so a constant alone on its line (ASN1_SUCCESS) is not one
CAPS = re.compile(r"[A-Z][A-Z0-9'&/-]*[A-Z0-9](?:[ \t]+[A-Z0-9'&/()-]+)*")
# the category a Texinfo manual prints at a definition ("[Function]", "[Macro]", "[Data type]"), at the start of
# the line after the definition's name
DEFINITION = re.compile(r"\[[A-Z][a-z]+(?: [A-Z]?[a-z]+)?\]")  # not a synopsis's "[OPTION]" or "[FILE]"
# a definition's signature, up to the line that closes its parameter list: "[Function]void asn1_octet_der (const
# unsigned char * str, int str_len,\nunsigned char * der, int * der_len)"; the parameters' descriptions follow
SIGNATURE = re.compile(rf"^{DEFINITION.pattern}[^\n]*(?:\n[^\n]*){{0,3}}?\)[ \t]*$", re.MULTILINE)
# a Markdown file's heading: "## Reporting a bug in Node.js" (one space after the marks: date(1)'s "#      use opposite
# case" is a flag's entry)
MARKDOWN_HEADING = re.compile(r"#{1,6} \S[^\n]{0,100}")
# Perl's POD: a heading ("=head2 Test::More", an FAQ's "=item How do I ...?"), and its markup, which a reader of the
# rendered page never sees ("=over 4", "=back", "=cut", "=begin html", "=encoding utf8")
POD_HEADING = re.compile(r"=(?:head[1-6]|item)[ \t]+\S[^\n]*")
POD_MARKUP = re.compile(r"^(=(?:over|back|cut|pod|begin|end|for|encoding)\b[^\n]*)$", re.MULTILINE)
# a Markdown table's row, whole ("| GNU/Linux | x64 | e.g. Ubuntu 20.04, Debian 10 |"): a unit, never split at a
# cell's "e.g." nor glued to the next row
MARKDOWN_ROW = re.compile(r"^[ \t]*(\|[^\n]*\S[^\n]*\|)[ \t]*$", re.MULTILINE)
# a rule alone on its line: a heading's underline ("Concepts\n--------", "TRIGGERS\n========", reStructuredText's,
# AsciiDoc's, Markdown's), a horizontal rule, a plain-text table's border ("-----------+-------+------"), AsciiDoc's
# "+" between an entry's paragraphs; never part of a sentence
RULE = re.compile(r"^[ \t]*([-=~^*_+#]{3,}(?:[ \t]*[-=~^*_+#|:])*|\+)[ \t]*$", re.MULTILINE)
# an HTML or XML comment (a Markdown file's "<!-- YAML added: v0.9.1 -->"): a rendered page never shows it
COMMENT = re.compile(r"<!--[\s\S]*?-->")
# a Markdown link's reference definition ("[`setTimeout()`]: #settimeoutcallback-delay-args", "[Event Loop]:
# https://nodejs.org/... "title""), a line of its own that a rendered page never shows either (not a footnote, "[^1]: ...")
LINK_DEFINITION = re.compile(r"^[ \t]{0,3}(\[[^\]\n^][^\]\n]*\]:[ \t]*<?[^\s>]+>?"
                             r"(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\)))?)[ \t]*$", re.MULTILINE)
# reStructuredText's markup, which its rendered page never shows: a hyperlink target (".. _custom-headers:", ".. _`urllib3`:
# https://github.com/urllib3/urllib3") and a directive's marker (".. code-block:: bash", ".. module:: requests.models"
# whole; an admonition's ".. note::", whose text follows on its line); a version directive (".. versionadded:: 2.10.0")
# is read as written. A substitution's definition (".. |Repology| image:: https://...") with its options (":target:
# https://...") and a line of substitutions alone, badges ("|Py-Versions| |Versions| |Docker|"), are images too.
RST_MARKUP = re.compile(r"^[ \t]*(\.\.[ \t]+(?:_[^\n]*\S|(?:note|warning|tip|hint|important|attention|caution|danger|"
                        r"error|seealso|admonition|topic|sidebar)::|"
                        r"(?:(?!version|deprecated)[A-Za-z][\w-]*(?::[\w-]+)?|\|[^|\n]+\|[ \t]+[A-Za-z][\w-]*)::"
                        r"(?:[ \t][^\n]*\S)?(?:\n[ \t]+:[\w-]+:(?:[ \t][^\n]*\S)?)*)|"
                        r"\|[^|\s](?:[^|\n]*[^|\s])?\|(?:[ \t]+\|[^|\s](?:[^|\n]*[^|\s])?\|)*)(?=[ \t]*$|[ \t])",
                        re.MULTILINE)
# an Info manual's navigation, which its reader moves by and never reads as text: a node's header ("File: sed.info,
# Node: Exit status,  Prev: ...,  Up: ..."), a menu ("* Menu:", "* Exit status::     Exit status of sed", "* grep:
# (grep).   Print lines ..."), and an index entry, its node and line wrapped or not ("* ADDR1,~N:   Range Addresses.
# (line 31)")
INFO_NAVIGATION = re.compile(r"^(File:[ \t]+[^,\n]+,[ \t]+Node:[^\n]*|\*[ \t]+Menu:|"
                             r"\*[ \t]+[^\n:]+::(?:[ \t]+\S[^\n]*)?(?:\n[ \t]{2,}\S[^\n]*)*|"
                             r"\*[ \t]+[^\n:]+:[ \t]+\([\w.+-]+\)[\w-]*\.(?:[ \t]{2,}\S[^\n]*)?|"
                             r"\*[ \t]+[^\n]+:[ \t]+[^\n]*\.(?:[ \t]*\n)?[ \t]+\(line[ \t]+\d+\))[ \t]*$", re.MULTILINE)
# a field of a Debian machine-readable copyright file: "Files: cups/md5-internal.h" with the files on its
# continuation lines, "Copyright: 2007-2019, Apple Inc." with the other holders on its own, "License: Zlib" (the
# licence's text under it is prose): each a unit, never glued to the field before or after it
COPYRIGHT_FIELD = re.compile(r"^(?:(?:Files|Copyright):[^\n]*(?:\n[ \t]+(?![ \t]*\.[ \t]*$)[^\n]*\S)*|"
                             r"(?:License|Upstream-Name|Upstream-Contact|Source|Format|Files-Excluded):[^\n]*\S)",
                             re.MULTILINE)
# what a reader of the rendered page never sees, a unit of its own (the group, where the pattern has one): never part
# of a sentence, never quoted (`Passage.rule`)
UNSEEN = (RULE, COMMENT, LINK_DEFINITION, RST_MARKUP, INFO_NAVIGATION, POD_MARKUP)
# a reStructuredText literal block's lead: a paragraph's last line ending in "::" ("Let's persist some cookies across
# requests::", or "::" alone), or a code directive (".. code-block:: python")
LITERAL_LEAD = re.compile(r"^([ \t]*)(?:(?!\.\.[ \t])\S[^\n]*::|::|\.\.[ \t]+(?:code-block|code|sourcecode)::[^\n]*)[ \t]*\n"
                          r"(?=[ \t]*\n)", re.MULTILINE)
# a session, to its blank line: a doctest (">>> r.status_code" and its output), or a shell's ("$ seq 3 | sed -n 2p" and
# its output; a command's name after the prompt, not "$ 100")
DOCTEST = re.compile(r"^[ \t]*(?:>>>|\$(?=[ \t]+[a-z./~]))[ \t][^\n]*(?:\n[ \t]*\S[^\n]*)*", re.MULTILINE)
UNDERLINE = re.compile(r"=+|-+|~+|\^+|\*+")  # under a heading: one mark repeated
WRAPPED = 50  # a numbered line this long that runs on in lower case is a wrapped list item, not a heading
# code, markup, labels and table rows are not titles: "LEN = strlen(VALUE)+1", "Version ::= INTEGER", "Example { 1 2 3 }",
# "Usage: asn1Parser [OPTION] FILE", "Since: 1.6", "4 CARD32 MIME_TYPE_OFFSET", "Report bugs to: help-libtasn1@gnu.org".
# A name alone on its line (GREP_COLORS, "Q [exit-code]") stays one: it labels the lines under it.
CODE = re.compile(r"[=;{}<>@|\\]|://|\w\(|^[A-Za-z]+:\s|^\S+\s+[A-Z]+\d+\b")
# a Debian changelog's entry opens with its package, version, distributions and urgency: "gzip (1.12-1) sid;
# urgency=high" heads the entry's changes and its " -- Name <address>  date" line
CHANGELOG_ENTRY = re.compile(r"[a-z0-9][a-z0-9+.-]+ \([^()\s]+\)(?: [\w.+/-]+)+; urgency=\w+(?:,[^\n]*)?")


def is_heading(line: str, before: str, after: str) -> bool:
    """A numbered heading line the line before does not run on into ("... There are\n2 ASN.1 types" does),
    a short capitalised line without end punctuation between a finished line and a new sentence, the name
    line of a definition in a Texinfo manual (over its "[Function]" line), a Markdown heading ("## Scope"), a POD
    heading or item ("=head1 NAME"), or a Debian changelog entry's first line."""
    words = line.split()
    titled = ends_like_title(line)  # "# This file was generated by the" is no title
    if MARKDOWN_HEADING.fullmatch(line):  # not a comment in an example
        return titled
    if POD_HEADING.fullmatch(line):
        return True
    if CHANGELOG_ENTRY.fullmatch(line):
        return True
    if CODE.search(line):
        return False
    if len(after) >= 3 and UNDERLINE.fullmatch(after) and len(words) <= 12:
        # underlined as long as the title ("Timing guarantees, races, etc.\n------------------------------"), or at
        # least half as long and ending as a title (a Markdown heading's "Scope\n---"), or a release's heading however
        # short its underline (gdk-pixbuf's NEWS: "2.42.10 (stable)\n===")
        return abs(len(after) - len(line)) <= 2 or (len(after) >= len(line) / 2 and titled) or bool(release_of(line))
    if not before and release_of(line) and re.search(r"\d+\.\d+\.\d+|[(\[]", line):
        return True  # a release's heading alone after a blank line, dated or to its patch level: "5.4.1 (2023-01-11)"
    if DEFINITION.match(after) and len(words) <= 8:
        return True  # "asn1 octet der" over "[Function]void asn1_octet_der (...)": where one function's entry starts
    if CAPS.fullmatch(line) and len(words) <= 6 and finished(before):
        return True  # a man page's or licence's section heading ("SETUID AND SETGID BITS"), whatever follows
    dotted = SECTION_NUMBER.match(line) is not None  # "1.1. Version": prose does not run on into "1.1."
    if len(words) <= 8 and NAMED_SUBSECTION.fullmatch(line) and finished(before) and titled:
        return True
    if len(words) <= 10 and NUMBERED.fullmatch(line.removesuffix("?") if dotted else line):
        # "1. Redistributions of source code must retain the above copyright\n   notice, ..."; "... copies of the\n Work"
        wrapped = len(line) >= WRAPPED and (after[:1].islower() or words[-1].lower() in STOPWORDS)
        return not wrapped and (not before or dotted or not (before[-1].islower() or before[-1] in ",-("))
    return bool(after and (finished(before) or len(before) <= 40)
                and len(line) <= 60 and len(words) <= 8 and titled
                and line[0].isupper() and (after[0].isupper() or after[0].isdigit()))


TABLE_CELLS = 3  # a row of a table laid out with spaces has three cells at least (a man page's option line has two)
TABLE_ROWS = 3


def cell_starts(line: str) -> list[int]:
    """The columns where a line's cells start, cells set apart by two spaces or a tab; a cell of marks alone is a
    border ("*  Covered Software is provided ...  *" in the MPL's box is one cell, a diagram's "│ error │" too),
    and a gap after a sentence's end is none (groff sets two spaces there: "a time.  Use the -n option")."""
    body = line.expandtabs().rstrip()  # columns as the eye sees them: "--unpack\t\tno" lines up with its header
    starts, last = [], ""
    for match in re.finditer(r"\S+(?: \S+)*", body):
        if re.search(r"\w", match.group()) and not (last and last[-1] in ".!?;:,"):
            starts.append(match.start())
        last = match.group()
    return starts


def table_rows(text: str) -> Spans:
    """(start, end) of each row of a table laid out with spaces, as a plain-text file or a PDF's preformatted text
    sets it: three lines or more, each of three cells or more whose columns line up with the first's (a rule under
    the column names and blank lines may stand between); two cells will do under column names over a rule ("Name
    Meaning" over "-----"). fontconfig's "  pixelsize       Double  Pixel size" was glued to the rows either side;
    each row is a unit, read under the column names (see the reader's `header`)."""
    lines = text_lines(text)
    rows: Spans = []
    run: Spans = []
    columns: list[int] = []
    need = TABLE_CELLS

    def flush() -> None:
        if len(run) >= TABLE_ROWS:
            rows.extend(run)
        run.clear()

    for i, (start, end) in enumerate(lines):
        line = text[start:end]
        if RULE.fullmatch(line):
            continue
        starts = cell_starts(line)
        aligned = sum(any(abs(c - d) <= 2 for d in columns) for c in starts[1:]) >= min(2, need - 1)
        if not (run and len(starts) >= need and aligned):
            flush()
            ruled = i + 1 < len(lines) and RULE.fullmatch(text[slice(*lines[i + 1])]) is not None
            need = 2 if ruled else TABLE_CELLS  # column names over a rule: a table of two columns
            columns = starts
            if len(starts) < need:
                continue
        run.append(stripped(text, start, end))
    flush()
    return rows


TERM_WORDS = 3  # "dialout", "q [exit-code]", "none, off": a term is a name, not a clause
PLACEHOLDER = re.compile(r"%[A-Za-z%]")  # a format's placeholder over what it stands for: "%e" over "Elapsed time ..."
# an AsciiDoc labelled list's term, whatever it holds: "-q::", "--prefix=<prefix>::", "add <repository> <remote-ref>::"
LABELLED = re.compile(r"\S[^\n]{0,80}?[^:\s]:{2,3}|\S[^\n]{0,80}?;;")


def is_term(line: str, before: str, after: str) -> bool:
    """A definition list's term alone on its line, above its description: "dialout" over "Full and direct access to
    serial ports.", "r filename" over "Append text read from filename." A short lower-case line (a capitalised one
    reads as a heading) without end punctuation, between a finished line, a title or nothing, and a new sentence, or
    the end of the text (a chunk may end on a term); blank lines between do not count. A term that starts with a dash
    is an option (`OPTION_LINE` in the reader). An AsciiDoc labelled list marks its terms ("--rejoin::")."""
    if LABELLED.fullmatch(line) or PLACEHOLDER.fullmatch(line):
        return True
    words = line.split()
    return bool(len(words) <= TERM_WORDS and line[0].islower() and words[0] not in STOPWORDS  # "all digits" describes
                and ends_like_title(line) and not CODE.search(line)
                and (finished(before) or ends_like_title(before)) and not after[:1].islower()
                and not after.startswith("-"))  # not the wrapped end of an option's description, above the next option


def finished(line: str) -> bool:
    """The line (the one before a title or a term) ends a sentence, also inside a parenthesis or quotes ("... you
    don't need to pass -j.)"), or there is none."""
    return not line or line.rstrip("\"')]\u2019\u201d")[-1:] in (".", "!", "?", ":")


# words a title does not end in, the stopwords and more: "There were fourteen priority-one incidents between" runs on
RUNS_ON = frozenset({"between", "against", "within", "without", "through", "during", "across", "among", "amongst",
                     "upon", "via", "per", "toward", "towards", "onto", "whether", "while", "although", "though",
                     "because", "unless", "until", "whereas", "nor", "either", "neither", "both", "each", "every",
                     "than", "including", "like", "unlike", "despite", "throughout", "whose"}) | STOPWORDS


def ends_like_title(line: str) -> bool:
    """The line ends as a title or a name does: without punctuation, and not in a function word ("... even when the",
    "... incidents between")."""
    return line[-1] not in ".,;:!?-" and line.split()[-1].lower() not in RUNS_ON


def clean_with_offsets(text: str) -> tuple[str, list[int]]:
    """`text` with line-end hyphenation joined ("manip-\\nulation" -> "manipulation") and identifiers
    wrapped after an underscore made whole ("ASN1_\\nMAX_LENGTH_SIZE" -> "ASN1_MAX_LENGTH_SIZE"), and for each
    character of the result its offset in `text`: a span [a, b) of the clean text is
    `text[mapping[a]:mapping[b - 1] + 1]` in the original (see `original_span`).

    Hyphens join only between two lowercase letters: pypdf cannot tell "well-\\nknown" from "manip-\\nulation",
    and the joined form is the likelier one; "ASN1-\\nEncoding" or "-\\n-" keep their hyphen."""
    cuts = [m for m in HYPHEN_BREAK.finditer(text) if text[m.start() - 1].islower() and text[m.end()].islower()]
    cuts += list(UNDERSCORE_BREAK.finditer(text))
    pieces, mapping, cursor = [], [], 0
    for match in sorted(cuts, key=lambda m: m.start()):
        pieces.append(text[cursor:match.start()])
        mapping.extend(range(cursor, match.start()))
        cursor = match.end()
    pieces.append(text[cursor:])
    mapping.extend(range(cursor, len(text)))
    return "".join(pieces), mapping


def original_span(mapping: list[int], start: int, end: int) -> tuple[int, int]:
    """The original (start, end) of the clean span [start, end), 0 <= start < end <= len(mapping)."""
    return mapping[start], mapping[end - 1] + 1


def dehyphenate(text: str) -> str:
    """The text search and embeddings see: line-end hyphenation and wrapped identifiers joined (see
    `clean_with_offsets`)."""
    return clean_with_offsets(text)[0] if "-" in text or "_" in text or "\u2010" in text else text


POSSESSIVE = re.compile(r"['\u2019]s$")


# the line under a Markdown table's column names: "| ---------------- | :-------: |"
DELIMITER_ROW = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+(?:[ \t]*:?-{3,}:?[ \t]*)?$", re.MULTILINE)


def squash_runs(text: str) -> str:
    """`text` with the dashes of a Markdown table's delimiter line cut to three a cell: what the embedder should read
    and count. "| ---------------- | ---------------- |" is 86 word pieces of nothing; it ended a chunk before the
    table's rows. (Cutting every rule and underline so moved an MPL 2.0 chunk and lost a QA dev answer.)"""
    return DELIMITER_ROW.sub(lambda m: re.sub(r"-{4,}", "---", m.group()), text)


def stem(word: str) -> str:
    word = POSSESSIVE.sub("", word.lower())  # "grep's" is "grep"
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_terms(text: str) -> list[str]:
    return [stem(w) for w in WORD.findall(text) if w.lower() not in STOPWORDS]


def squash(text: str) -> str:
    return " ".join(text.split())


CODE_NAME = re.compile(r"\b[A-Za-z]\w*_\w*[A-Za-z0-9]\b|\b[a-z]+[0-9]*[A-Z]\w*\b")  # snake_case, camelCase


MAX_CODE_NAMES = 5  # a question names a few; each costs the index one lookup


def code_names(text: str) -> list[str]:
    """The names in code form a question gives: "asn1_read_value", "asn1Parser" (a heading may be one); the
    first few."""
    return list(dict.fromkeys(m.group() for m in CODE_NAME.finditer(text)))[:MAX_CODE_NAMES]


# a name with a digit whose parts are joined by punctuation, as a release, an advisory, a standard or a platform is
# written: "3.0.19", "CVE-2024-5535", "win-x64", "ISO-8859-1"
NAMED_VALUE = re.compile(r"(?<![\w.\-/:+])\w+(?:[.\-/:+]\w+)+", re.UNICODE)
SERIES = re.compile(r"\d+[.:]\d+")  # "2.0", "3.5", "10:30": a licence's version, a series, an amount; no one thing
MEASURE = re.compile(r"\d+-[a-z]+", re.IGNORECASE)  # "64-bit", "8-byte", "2-pass": a size or a count, not a name
RARE_VALUE = 8  # chunks that may hold such a name for them to lead (both indexes); more, and it names a series ("3.0")


def named_values(text: str) -> list[str]:
    """The names with a digit, parts joined by punctuation, a question gives ("When was OpenSSL 3.0.19 published?"):
    BM25 reads "3.0.19" as the common words "3", "0", "19" and a sentence embedding barely tells it from "3.0.17", so
    the index looks them up as phrases; the first few."""
    names = (m.group() for m in NAMED_VALUE.finditer(text))
    return list(dict.fromkeys(n for n in names if any(ch.isdigit() for ch in n)
                              and not SERIES.fullmatch(n) and not MEASURE.fullmatch(n)))[:MAX_CODE_NAMES]


def spoken(name: str) -> str:
    """A name as a manual's heading may print it: "asn1_read_value" and "asn1 read  value" -> "asn1 read value"."""
    return " ".join(name.replace("_", " ").lower().split())


def under_heading(section: str, names: Sequence[str]) -> bool:
    """Whether a chunk's heading path ends with one of the names: "asn1 write value > asn1 read value" is under
    "asn1_read_value" (not under "asn1_write_value": the path's last heading is the chunk's own entry)."""
    last = spoken(section.rsplit(" > ", 1)[-1])
    return bool(last) and any(spoken(name) == last for name in names)


# a release's heading in a changelog: "2.2.0", "v2.14.3 (2026-11-04)", "1.26.0 (2026-09-30)", "E2fsprogs 1.47.0
# (February 5, 2023)", "Version 2.0 - 2024-01-01"; not a numbered section's title ("3.2 Invoking asn1Coding"), nor a
# licence's "Version 2.1, February 1999"; OpenSSL's "OpenSSL 3.0.17 [1 Jul 2025]"
RELEASE = re.compile(r"(?:[A-Za-z][\w+-]*\s+)?(?:v|version\s+|release\s+)?(\d+(?:\.\d+)+(?:[-.+]?[A-Za-z]+\d*)*)"
                     r"\s*(?:\([^()]*\)|\[[^\[\]]*\]|[-\u2013\u2014:]\s*\S*\d\S*)?", re.IGNORECASE)
# a heading for the changes since the release before: "Major changes between OpenSSL 3.0.16 and OpenSSL 3.0.17 [1 Jul
# 2025]", "Changes between 1.1.1 and 3.0.0": the release is the second
SINCE_RELEASE = re.compile(r"(?:major\s+)?changes\s+between\s+(?:[A-Za-z][\w+-]*\s+)?\S+\s+and\s+(.+)", re.IGNORECASE)


def unmarked(heading: str) -> str:
    """A heading without its Markdown marks ("## 2.2.0" -> "2.2.0")."""
    return heading.strip().lstrip("#").strip()


def release_of(heading: str) -> str:
    """The version a changelog's release heading names, lower-cased ("v2.14.3 (2026-11-04)" -> "2.14.3"); "" if the
    heading names no release."""
    heading = unmarked(heading)
    since = SINCE_RELEASE.fullmatch(heading)
    match = RELEASE.fullmatch(since.group(1) if since else heading)
    return match.group(1).lower() if match else ""
