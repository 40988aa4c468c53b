"""Page furniture, headings and line-end hyphenation: what the chunker leaves out, what search reads."""

import pytest

from rag.ingest.chunker import Chunker, heading_level, page_headings
from rag.ingest.layout import furniture_spans, mark_furniture
from rag.ingest.parsers import PdfParser, single_struck
from rag.text import (
    clean_with_offsets,
    dehyphenate,
    glossary_spans,
    heading_spans,
    original_span,
    sentence_spans,
    squash_runs,
    table_rows,
    term_spans,
)
from rag.types import Document, Page
from tests.conftest import MIME_SPEC, TASN1
from tests.fakes import HashEmbedder

DOC = Document("d1", "manual.pdf", "pdf", "0" * 64, 1, "alice")
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"]


def body(n: int) -> str:
    """Eight lines of prose, different on every page (apart from their numbers, records repeat)."""
    lines = [f"The {WORDS[(n + i) % 16]} record of kind {n} is stored after {WORDS[(n * 3 + i) % 16]}." for i in range(8)]
    return "\n".join(lines)


def book(count: int = 8) -> list[Page]:
    """A printed manual: front matter, then a running header with the printed number, a footer, a page number."""
    pages = [Page(1, "Manual\nTable of Contents\n1 Introduction . . . . . . . . 1\n2 Records . . . . . . . 2")]
    for n in range(2, count + 1):
        header = f"Chapter {n // 3}: Records {n - 1}" if n % 2 else str(n - 1)
        pages.append(Page(n, f"{header}\n{body(n)}\nACME Corp confidential\n"))
    return pages


def furniture_of(pages: list[Page]) -> list[list[str]]:
    return [[page.text[s:e] for s, e in spans] for page, spans in zip(pages, furniture_spans(pages), strict=True)]


def test_running_headers_footers_page_numbers_and_leaders_are_furniture():
    found = furniture_of(book())
    assert found[0] == ["1 Introduction . . . . . . . . 1", "2 Records . . . . . . . 2"]
    assert found[1] == ["1", "ACME Corp confidential"]
    assert found[2] == ["Chapter 1: Records 2", "ACME Corp confidential"]
    assert all(len(spans) == 2 for spans in found[1:])


def test_body_lines_that_only_look_alike_are_kept():
    pages = book()
    found = furniture_of(pages)
    for page, lines in zip(pages, found, strict=True):
        assert not any("record" in line for line in lines), page.number  # varies with n, and is not at an edge
    few = [Page(1, "Intro\nACME Corp confidential"), Page(2, "More\nACME Corp confidential")]
    assert furniture_of(few) == [[], []]  # two pages cannot tell a running footer from a repeated line


def test_a_number_at_the_edge_is_a_page_number_only_where_the_pages_agree():
    pages = [Page(n, f"Results for {WORDS[n]} {n + 2}\n{body(n)}\n") for n in range(1, 7)]
    assert furniture_of(pages)[0] == ["Results for bravo 3"]  # printed number = position + 2 on every page
    varied = [Page(n, f"Results for {WORDS[n]} {n * 7}\n{body(n)}\n") for n in range(1, 7)]
    assert furniture_of(varied) == [[]] * 6


def test_a_browsers_footer_with_the_pages_address_is_furniture():
    """Chromium's "Save as PDF" prints the date and title over each page and its address and number under it, the
    address cut at the line's width with "…": 129 characters on rustdoc's book, too long to count as a running line,
    so each page's footer was a chunk of its own and came fifth for "Which lints does rustdoc allow?"."""
    address = "file:///root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/rustdoc/" \
              "write-documentation/documentati\u2026"
    pages = [Page(n, f"{body(n)}\n12/7/26, 5:43 PM Documentation tests - The rustdoc book\n{address} {n}/6")
             for n in range(1, 7)]
    assert all(found[-1] == f"{address} {n}/6" for n, found in enumerate(furniture_of(pages), start=1))


def test_a_saved_man_pages_running_header_and_footer_are_furniture():
    """`man mkdir > mkdir.txt` keeps groff's header and footer; the footer alone became a chunk that ranked second
    for "What does mkdir -p do?"."""
    page = Page(1, "MKDIR(1)\t\t\t User Commands\t\t\t      MKDIR(1)\n\nNAME\n       mkdir - make directories\n\n"
                   "       -p, --parents\n\t      make parent directories as needed\n\n"
                   "GNU coreutils 9.1\t\tSeptember 2022\t\t\t      MKDIR(1)\n")
    assert furniture_of([page]) == [["MKDIR(1)\t\t\t User Commands\t\t\t      MKDIR(1)",
                                     "GNU coreutils 9.1\t\tSeptember 2022\t\t\t      MKDIR(1)"]]
    prose = Page(1, "See the manual.\nFor details read  GREP(1)\nand more.")  # not at an edge of the page
    assert furniture_of([prose]) == [[]]


@pytest.mark.parametrize("line", ["7", "iii", "Page 7", "Page 7 of 9", "7/9", "- 7 -"])
def test_bare_page_number_lines(line):
    assert furniture_of([Page(1, f"{line}\nSome prose here.")]) == [[line]]


def printed_manual(count: int = 5, lines: int = 24) -> str:
    """A manual as nroff prints it to plain text with no form feeds (man-db's man-db-manual.txt): each printed page
    opens with a running header and ends with its number alone on a centred line."""
    pages = []
    for n in range(1, count + 1):
        prose = "\n".join(f"The {WORDS[(n + i) % 16]} entry {i} of part {n} is kept with its records." for i in range(lines))
        pages.append(f"man-db                     v2.11.2                    2023-01-08\n\n{prose}\n\n"
                     f"                                   {n}\n\n")
    return "".join(pages)


def test_a_printed_manual_saved_as_one_text_has_its_running_headers_and_page_numbers_as_furniture():
    """man-db's manual quoted "16" and "man-db v2.11.2 2023-01-08" inside its answers ("It attempts to use NROFF with
    the following three macro packages: 16"): the text has no form feeds, so it was one page with no edges."""
    text = printed_manual()
    page = mark_furniture([Page(1, text)])[0]
    found = [" ".join(text[s:e].split()) for s, e in page.furniture]
    assert found.count("man-db v2.11.2 2023-01-08") == 5 and [f for f in found if f.isdigit()] == ["1", "2", "3", "4", "5"]
    assert len(found) == 10 and page.number == 1  # still one page: nothing else is furniture
    chunks = Chunker(HashEmbedder(), 200, 20).chunk(DOC, [page])
    assert chunks and all("v2.11.2" not in c.text and text[c.start:c.end] == c.text for c in chunks)
    assert not any(line.strip().isdigit() for c in chunks for line in c.text.splitlines())


def test_numbers_alone_on_their_lines_are_not_page_numbers_unless_they_end_pages():
    """A list numbered on lines of their own, or three short pages, is not a printed manual."""
    listed = "Steps\n\n" + "".join(f"{n}\n\nDo the {WORDS[n]} thing.\n\n" for n in range(1, 8))
    assert mark_furniture([Page(1, listed)])[0].furniture == ()
    for text in printed_manual(lines=5), printed_manual(count=3):  # only the text's last line, a page number at its edge
        assert [text[s:e] for s, e in mark_furniture([Page(1, text)])[0].furniture] == [text.split()[-1]]


def test_chunks_leave_furniture_out_and_keep_exact_offsets():
    pages = mark_furniture(book())
    chunks = Chunker(HashEmbedder(), 200, 20).chunk(DOC, pages)
    by_number = {p.number: p for p in pages}
    assert chunks
    for chunk in chunks:
        assert by_number[chunk.page].text[chunk.start:chunk.end] == chunk.text
        assert "ACME" not in chunk.text and "Chapter" not in chunk.text and ". . ." not in chunk.text
        assert not chunk.text.split("\n")[0].isdigit()


def test_sentences_keep_headings_of_every_kind_apart():
    cases = {
        "1\n1 Introduction\nThis document describes the library.": ["1", "1 Introduction", "This document describes the library."],
        "See <https://gnu.org/>\n3.2 Invoking asn1Coding\nasn1Coding generates DER.":
            ["See <https://gnu.org/>", "3.2 Invoking asn1Coding", "asn1Coding generates DER."],
        "2 ASN.1 structure handling\n2.1 ASN.1 syntax\nThe parser is case sensitive.":
            ["2 ASN.1 structure handling", "2.1 ASN.1 syntax", "The parser is case sensitive."],
        "</mime-type>\n2.4. The glob files\nThe globs2 file is a list.":
            ["</mime-type>", "2.4. The glob files", "The globs2 file is a list."],
        "Done here.\nThe glob files\nThe globs2 file is a list.": ["Done here.", "The glob files", "The globs2 file is a list."],
    }
    for text, expected in cases.items():
        assert [text[s:e] for s, e in sentence_spans(text)] == expected


def test_wrapped_lines_are_not_headings():
    for text in ("We measured the value returned by all of the\n2 ASN.1 structures defined here.",
                 "Install a file into the\nMIME folder.", "It is\ndeprecated.",
                 "The parser reads a whole line of input before it looks at the\nContent of the file."):
        assert heading_spans(text) == [], text


def test_a_wrapped_numbered_list_item_is_not_a_heading_but_a_short_numbered_title_is():
    bsd = ("are met:\n1. Redistributions of source code must retain the above copyright\n"
           "   notice, this list of conditions and the following disclaimer.\n")
    assert heading_spans(bsd) == []
    assert "1. Redistributions of source code must retain the above copyright notice" in " ".join(
        " ".join(bsd[s:e].split()) for s, e in sentence_spans(bsd))  # one sentence, not a heading and a tail
    manual = "The tools are below.\n3.2 Invoking asn1Coding\nasn1Coding generates a DER encoding."
    assert [manual[s:e] for s, e in heading_spans(manual)] == ["3.2 Invoking asn1Coding"]


def test_a_section_number_with_its_period_starts_a_heading_after_any_line():
    """The MIME spec's title page ends in an address ("tal197 at users.sf.net"), then "1. Introduction", "1.1. Version":
    prose runs on into "2 ASN.1 structures", never into "1.1."; a numbered title may ask ("1.2. What is this spec?")."""
    spec = ("Thomas Leonard\ntal197 at users.sf.net\n1. Introduction\n1.1. Version\nThis is version 0.21 of the "
            "specification.\n1.2. What is this spec?\nMany programs use the MIME system.")
    assert [spec[s:e] for s, e in heading_spans(spec)] == ["1. Introduction", "1.1. Version", "1.2. What is this spec?"]
    assert "1.2." not in [spec[s:e] for s, e in sentence_spans(spec)]
    assert heading_spans("We measured all of the\n2 ASN.1 structures here.") == []  # no period: the line runs on
    assert heading_spans("Is it one of the\n2 Why not?\nNo.") == []  # an undotted line that asks runs on too



def test_a_subsection_named_in_lower_case_is_a_heading():
    """Debian's Python policy: "2.7. python-central (removed)" was glued to "python-central provided another way to
    manage Python modules.", so "From which release has python-central been removed?" quoted python-support's
    section, whose heading was a unit of its own no more than this one. A wrapped sentence's number is none."""
    policy = ("Debian Stretch and later releases.\n2.7. python-central (removed)\npython-central provided another way "
              "to manage Python modules.\nThe notes were written for the\n2.7. python3 has it.")
    assert [policy[s:e] for s, e in heading_spans(policy)] == ["2.7. python-central (removed)"]
    assert "python-central provided another way to manage Python modules." in [
        policy[s:e] for s, e in sentence_spans(policy)]

def test_an_upper_case_section_title_is_a_heading_even_before_a_lower_case_sentence():
    """A man page's "SETUID AND SETGID BITS" was glued to "chmod clears the set-group-ID bit ..."."""
    man = "symbolic links.\n\nSETUID AND SETGID BITS\nchmod clears the set-group-ID bit of a regular file.\n\nSEE ALSO\nFull documentation."
    assert [man[s:e] for s, e in heading_spans(man)] == ["SETUID AND SETGID BITS", "SEE ALSO"]
    assert "chmod clears the set-group-ID bit of a regular file." in [man[s:e] for s, e in sentence_spans(man)]
    constant = "Returns:\n\nASN1_SUCCESS\nif the structure was created."  # a constant alone on its line
    assert heading_spans(constant) == []
    apache = ("the following conditions:\n4. Redistribution. You may reproduce and distribute copies of the\n"
              "Work or Derivative Works thereof in any medium.")
    assert heading_spans(apache) == []  # a wrapped numbered clause that ends in "the"


def test_code_labels_and_table_rows_are_not_headings():
    """They made chunks' heading paths read "LEN = strlen(VALUE)+1 > 4.3 DER functions" (libtasn1.pdf)."""
    for line in ("LEN = strlen(VALUE)+1", "Version ::=INTEGER", "Example { 1 2 3 4 }", "Usage: asn1Parser [OPTION] FILE",
                 "Since: 1.6", "4 CARD32 MIME_TYPE_OFFSET", "4 CARD32 WEIGHT in lower 8 bits",
                 "Report bugs to: help-libtasn1@gnu.org", "X Desktop Group (http://www.freedesktop.org)"):
        text = f"The function is done.\n{line}\nThe next function starts here."
        assert heading_spans(text) == [], line
    for title in ("4.3 DER functions", "2.9. The mime.cache files", "GREP_COLORS", "SEE ALSO"):
        text = f"The function is done.\n\n{title}\nThe next function starts here."
        assert [text[s:e] for s, e in heading_spans(text)] == [title], title


def test_a_markdown_files_headings_and_code_fences_are_never_glued_to_its_prose():
    """Node.js's SECURITY.md, uploaded as .md: "## Reporting a bug in a third-party module" was quoted with the
    sentence under it, and pip's "```{note}" fence opened a quoted sentence. A comment in an example ("# This file
    was generated by the") and date(1)'s "#      use opposite case" are no headings."""
    md = ("# Security\n\n## Reporting a bug in a third-party module\n\nSecurity bugs in third-party modules should be "
          "reported to their maintainers.\n\n```{note}\nPinning refers to using the `==` operator.\n```\n\nDone.")
    assert [md[s:e] for s, e in heading_spans(md)] == ["# Security", "## Reporting a bug in a third-party module"]
    assert [md[s:e] for s, e in sentence_spans(md)] == [
        "# Security", "## Reporting a bug in a third-party module",
        "Security bugs in third-party modules should be reported to their maintainers.",
        "Pinning refers to using the `==` operator.", "Done."]
    for line in ("# This file was automatically generated by the", "# update-mime-database command. DO NOT EDIT!",
                 "#      use opposite case if possible"):
        text = f"The file looks like this:\n\n{line}\nThe next line starts here."
        assert heading_spans(text) == [], line
    # a chunk's heading path holds the titles without their marks
    assert [h for _, h in page_headings(Page(1, md))] == ["Security", "Reporting a bug in a third-party module"]


def test_a_markdown_files_front_matter_is_furniture():
    """systemd's DISTRO_PORTING.md opens with Jekyll's front matter, which was quoted as an answer ("--- title: Porting
    systemd To New Distributions category: Concepts ..."). A rule ("---") around prose is no front matter."""
    md = "---\ntitle: Porting systemd\ntags:\n  - porting\n---\n\n# Porting systemd\n\nYou need to make changes."
    page = mark_furniture([Page(1, md)])[0]
    assert [md[a:b] for a, b in page.furniture] == ["---\ntitle: Porting systemd\ntags:\n  - porting\n---"]
    chunks = Chunker(HashEmbedder(), 200, 20).chunk(DOC, [page])
    assert chunks[0].text.startswith("# Porting systemd") and "title:" not in chunks[0].text
    for text in ("---\nThis is prose between two rules.\n---\nMore.", "Intro\n---\ntitle: x\n---\n"):
        assert mark_furniture([Page(1, text)])[0].furniture == (), text
    assert mark_furniture([Page(1, "Intro."), Page(2, md)])[1].furniture == ()  # only where the file starts


def test_a_texinfo_definitions_name_line_is_a_heading_and_a_synopsis_is_not():
    """libtasn1.pdf glued "... use a NULL value for der ." (asn1_length_der's last sentence) to "asn1 octet der",
    the name line of the next function's entry, so its chunks' paths never named a function."""
    page = ("The maximum length this function will encode is ASN1_\nMAX_LENGTH_SIZE .\n"
            "To know the size of the DER encoding use a NULL value for der .\nasn1 octet der\n"
            "[Function]void asn1_octet_der (const unsigned char * str, int str_len,\nunsigned char * der, int * der_len)\n"
            "str: the input data.\nCreates a length-value DER encoding for the input data.")
    assert [page[s:e] for s, e in heading_spans(page)] == ["asn1 octet der"]
    sentences = [" ".join(page[s:e].split()) for s, e in sentence_spans(page)]
    assert "To know the size of the DER encoding use a NULL value for der ." in sentences
    synopsis = "Copy SOURCE to DEST.\ncp -t DIRECTORY\n[OPTION]... SOURCE..."  # a man page's wrapped synopsis
    assert heading_spans(synopsis) == []


def test_a_definition_lists_terms_are_units_of_their_own():
    """Debian's "Users and Groups", printed to PDF from its HTML, sets each group's name on a line above its
    description. "dialout" was glued to the end of kmem's sentence ("... setgid kmem. dialout Full and direct access
    to serial ports."), so the description never came with its name."""
    page = ("This is mostly a BSD relic, but programs can thus be made setgid kmem.\ndialout\n"
            "Full and direct access to serial ports. Members of this group can reconfigure the modem.\n"
            "dip\nThe group's name stands for \"Dialup IP\".\nold-versions")
    assert [page[s:e] for s, e in term_spans(page)] == ["dialout", "dip", "old-versions"]  # a chunk may end on one
    assert [page[s:e] for s, e in sentence_spans(page)] == [
        "This is mostly a BSD relic, but programs can thus be made setgid kmem.", "dialout",
        "Full and direct access to serial ports.", "Members of this group can reconfigure the modem.", "dip",
        "The group's name stands for \"Dialup IP\".", "old-versions"]
    # a heading's line is not also a term (a Texinfo definition's name ends its chunk without its "[Function]" line)
    texinfo = "Returns: the search result.\nasn1 read tag\n[Function]int asn1_read_tag (asn1 node const root)"
    assert [texinfo[s:e] for s, e in heading_spans(texinfo)] == ["asn1 read tag"] and term_spans(texinfo) == []
    assert len(sentence_spans(texinfo)) == len(set(sentence_spans(texinfo)))
    # a line the sentence before runs on into, a clause ending in a function word, code, a capitalised line (a
    # heading's rule) and a line above lower-case text are no terms
    for text in ("The value is set by\nthe caller\nThe end.", "It ends.\nsee the\nThe end.",
                 "It ends.\nx = y\nThe end.", "It ends.\nRoot\nThe end.", "It ends.\nfoo bar\nand more."):
        assert term_spans(text) == [], text
    # a page saved with a blank line between wrapped lines: the end of an option's description, and tr's description
    # of a character class, are no terms (blank lines do not make the line before a finished one)
    for text in ("--preserve-status\n\n\texit with the same status as COMMAND, even when the\n\n\tcommand times out\n\n"
                 "--foreground\n\n\twhen not running timeout directly", "[:digit:]\n\n\tall digits\n\n[:graph:]\n"):
        assert term_spans(text) == [], text
    assert [t[s:e] for t in ["Definitions\n\nstaff\n\nAllows users to add local modifications."]
            for s, e in term_spans(t)] == ["staff"]  # under a title, across a Word document's blank lines


def test_a_glossarys_capitalised_terms_are_terms_not_headings():
    """A Word policy's definitions, each a short bold paragraph over a one-line description: "Personal data" read as a
    heading, so its description was never quoted under it. Section titles over longer bodies, upper-case titles and
    a single short heading stay headings."""
    glossary = ("Personal data\n\nAny information relating to an identified natural person.\n\nData controller\n\n"
                "The organisation that decides why and how personal data is processed.\n\nReporting\n\n"
                "Staff report breaches within 24 hours.\n\nTerms of use\n\nSee the annex.")
    terms = [glossary[s:e] for s, e in glossary_spans(glossary)]
    assert terms == ["Personal data", "Data controller", "Reporting", "Terms of use"]
    assert heading_spans(glossary) == [] and [glossary[s:e] for s, e in term_spans(glossary)] == terms
    body = "The " + "x " * 140 + "end."  # a section's paragraph, not a description
    sections = f"Statement of Purpose\n\n{body}\n\nLicense\n\n{body}"
    assert glossary_spans(sections) == [] and len(heading_spans(sections)) == 2
    titles = "AUTHOR\nWritten by Richard Stallman.\nREPORTING BUGS\nEmail bug reports to the address."
    assert glossary_spans(titles) == [] and len(heading_spans(titles)) == 2
    assert glossary_spans("Introduction\n\nThis manual describes the tool.\n\nIt has three parts, and more.") == []


MD_TABLE = ("Depending on the host platform, the selection of toolchains may vary.\n\n"
            "| Operating System | Compiler Versions                          |\n"
            "| ---------------- | ------------------------------------------ |\n"
            "| Linux            | GCC >= 10.1                                |\n"
            "| GNU/Linux        | e.g. Ubuntu 20.04, Debian 10               |\n"
            "| macOS            | Xcode >= 11 (Apple LLVM >= 11)             |\n"
            "Binaries are produced on these.")


def test_a_markdown_tables_rows_are_units_of_their_own():
    """Node.js's BUILDING.md: its tables' rows have no end punctuation, so a whole table was one sentence, quoted as a
    blob; a cell's "e.g." split a row in two."""
    rows = [line for line in MD_TABLE.split("\n") if line.startswith("|")]
    assert [MD_TABLE[s:e] for s, e in sentence_spans(MD_TABLE)] == [
        "Depending on the host platform, the selection of toolchains may vary.", *rows, "Binaries are produced on these."]


SPEC = ("TRIGGERS\n========\n\nIntroduction\n------------\n\nA trigger is a facility.\n\n"
        "Timing guarantees, races, etc.\n------------------------------\n\nActivating a trigger has no effect.\n\n"
        " Command line\t\tTrigproc\n ----------------------+---------------\n --unpack\t\tno\n\n"
        "x = 1\n-----\n")


def test_an_underlined_title_is_a_heading_and_underlines_and_rules_are_units_of_their_own():
    """dpkg's triggers spec underlines its titles (reStructuredText's, AsciiDoc's and Markdown's setext headings):
    "Concepts --------" was a unit, quoted glued to the sentence after it, and no chunk's path named "Concepts"."""
    assert [SPEC[s:e] for s, e in heading_spans(SPEC)] == ["TRIGGERS", "Introduction", "Timing guarantees, races, etc."]
    units = [SPEC[s:e] for s, e in sentence_spans(SPEC)]
    for unit in ("========", "Introduction", "------------", "A trigger is a facility.", "-----",
                 "----------------------+---------------"):  # a plain-text table's border is a rule too
        assert unit in units, unit
    page = Page(1, SPEC)
    assert [h for _, h in page_headings(page)] == ["TRIGGERS", "Introduction", "Timing guarantees, races, etc."]


def test_a_release_underlined_however_short_is_a_heading():
    """gdk-pixbuf's NEWS underlines each release with three marks ("2.42.10 (stable)\n==="): its entries sat under
    no release, so "Who fixed the LZW code size check in 2.42.9?" found none of 2.42.9's. A short underline under a
    title that is not a release stays what it was."""
    news = ("2.42.10 (stable)\n===\n\n- Search for rst2man.py [!145, Matt Turner]\n\n2.42.9 (stable)\n===\n\n"
            "- Fix the check for maximum value of LZW initial code size [#136, Robert Ancell]\n\n"
            "Known problems with the build\n===\n\n- None.\n")
    assert [news[s:e] for s, e in heading_spans(news)] == ["2.42.10 (stable)", "2.42.9 (stable)"]
    # xz's NEWS: a release with its date alone after a blank line, its entries indented under it
    news = "XZ Utils Release Notes\n======================\n\n5.4.1 (2023-01-11)\n\n    * liblzma:\n\n        - Fixed it.\n"
    assert [news[s:e] for s, e in heading_spans(news)] == ["XZ Utils Release Notes", "5.4.1 (2023-01-11)"]


def test_a_title_after_a_sentence_that_ends_inside_a_parenthesis_is_a_heading():
    """Ninja's manual, printed to PDF: "(Note that ... you don't need to pass -j.)" ended the paragraph above
    "Environment variables", which was read as part of the next sentence."""
    text = ("(Note that Ninja defaults to running commands in\nparallel anyway, so typically you don't need to pass -j.)\n"
            "Environment variables\n"
            "Ninja supports one environment variable to control its behavior.")
    assert [text[s:e] for s, e in heading_spans(text)] == ["Environment variables"]
    assert "Environment variables" in [text[s:e] for s, e in sentence_spans(text)]
    # a line that ends in a bracket but no sentence does not finish one: a wrapped reference runs on
    text = "For details see the manual page\nchmod(1)\nFile modes are\nexplained there."
    assert heading_spans(text) == []


ASCIIDOC = ("OPTIONS FOR 'split'\n-------------------\nThese options for 'split' may also be given to 'push'.\n\n"
            "-b <branch>::\n--branch=<branch>::\n\tAfter generating the synthetic history, create a new branch.\n"
            "\t<branch> must not already exist.\n\n--rejoin::\n\tAfter splitting, merge the new history back.\n+\n"
            "Unfortunately, using this option makes 'git log' show an extra copy of every new commit.\n")


def test_a_line_that_ends_in_a_preposition_runs_on_and_is_no_heading():
    """A report printed to PDF: "There were fourteen priority-one incidents between" over "July and September, ..."
    read as a heading, so "How many P1 incidents were there?" was answered from "July and September, against six"."""
    text = ("Incidents\nThere were fourteen priority-one incidents between\nJuly and September, against six in the "
            "previous\nquarter.")
    assert [text[s:e] for s, e in heading_spans(text)] == ["Incidents"]


def test_a_markdown_files_html_comment_is_a_unit_of_its_own():
    """Node.js's API reference keeps each entry's history in an HTML comment under its heading, which the rendered
    page never shows; it was read into the first sentence after it."""
    text = "### `timeout.close()`\n<!-- YAML\nadded: v0.9.1\n-->\nCancels the timeout."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "### `timeout.close()`", "<!-- YAML\nadded: v0.9.1\n-->", "Cancels the timeout."]


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def test_a_sentence_goes_on_past_a_displayed_command():
    """man-db's manual: "... all cat files produced by man will be compressed with" over "     gzip -7c" over "and have
    a .gz extension appended." was three sentences, the command alone too short to quote, so "Which gzip options
    are used?" was answered from a table of decompressors."""
    text = ("man-db compresses cat files by default.  During configuration, all cat files will be compressed with\n\n"
            "     gzip -7c\n\nand have a .gz extension appended.  If gzip is not found,\n\n     compress -c\n\n"
            "is used instead.\n\nIf using a Bourne style login shell, the commands\n\n     export MANPATH\n"
            "     MANPATH=`manpath -q`\n\ncan be added to $HOME/.profile")
    assert sentences(text) == [
        "man-db compresses cat files by default.",
        "During configuration, all cat files will be compressed with\n\n     gzip -7c\n\nand have a .gz extension appended.",
        "If gzip is not found,\n\n     compress -c\n\nis used instead.",
        "If using a Bourne style login shell, the commands\n\n     export MANPATH\n     MANPATH=`manpath -q`\n\n"
        "can be added to $HOME/.profile"]


def test_paragraphs_at_one_margin_and_option_lines_stay_apart():
    """What a displayed line does not join (these hold before the change too, and must after it): a Word list's items,
    paragraphs at one margin; a man page's option line and its description; a finished sentence and a display."""
    assert sentences("records under a legal hold\n\nrecords older than 50 years") == [
        "records under a legal hold", "records older than 50 years"]
    assert sentences("-i[SUFFIX], --in-place[=SUFFIX]\n\n       edit files in place") == [
        "-i[SUFFIX], --in-place[=SUFFIX]", "edit files in place"]
    assert sentences("The tool keeps every copy.\n\n     cp -a src dst")[0] == "The tool keeps every copy."
    # bash(1): a subsection's title over its first term stays a title (it was read as prose going on into a display)
    bash = "   Completing\n       complete (TAB)\n\t      Attempt to perform completion on the text before point."
    assert sentences(bash) == ["Completing", "complete (TAB)", "Attempt to perform completion on the text before point."]
    # curl(1): a list's next term, back at a lesser margin (tabs expanded), after a description that went on into none
    curl = ("\t\t\t     backends (Added in 7.88.0)\n\n\t      content_type   The Content-Type of the document.")
    assert len(sentences(curl)) == 2
    # a README's bullet that ends on "it", then a paragraph: "it" is no word a displayed line goes on from
    readme = ("* if a user exists with an uid outside our range we don't change it\n\n   The following pairs are allocated.")
    assert len(sentences(readme)) == 2
    items = ("   (a) You must give any other recipients of the Work or\n       Derivative Works a copy of this License; and\n\n"
             "   (b) You must cause any modified files to carry notices")  # Apache 2.0's list: each item its own
    assert sentences(items) == ["(a) You must give any other recipients of the Work or\n       Derivative Works a copy of "
                                "this License; and", "(b) You must cause any modified files to carry notices"]


def test_i_e_and_e_g_never_end_a_sentence():
    """Git's release notes: "... the message it gives while preparing for the root commit, i.e. "Initial commit", was
    hard to understand" was quoted as two sentences, the first ending on "i.e."."""
    text = 'The message it gives, i.e. "Initial commit", was hard. Use a tool, e.g. Ninja or Make. It ends here.'
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        'The message it gives, i.e. "Initial commit", was hard.', "Use a tool, e.g. Ninja or Make.", "It ends here."]



def test_a_list_opener_ends_before_its_first_numbered_item():
    """rustdoc's book: "Here's the full algorithm rustdoc uses to preprocess examples:" over "1. Some common allow
    attributes are inserted, ..." was one sentence ending "examples: 1.", so it opened no list, and "Which lints does
    rustdoc allow?" quoted the opener without its items."""
    text = ("The algorithm rustdoc uses:\n1. Some allow attributes are inserted.\n2. Any attributes are added.\n"
            "The options are:\n  a) one thing\nThe ratio is 3:\n1.5 at most.")
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "The algorithm rustdoc uses:", "1.", "Some allow attributes are inserted.", "2.", "Any attributes are added.",
        "The options are:", "a) one thing", "The ratio is 3:\n1.5 at most."]


def test_two_spaces_after_a_full_stop_end_a_sentence_before_a_lower_case_word():
    """dpkg's triggers spec, typed with two spaces after a sentence: "... take out the dpkg status lock.  dpkg (and
    dpkg-query) reads triggers/Unincorp ..." was one sentence, so "What does dpkg-trigger print?" quoted both, and
    nroff sets man pages the same way ("... the GNU version of df.  df displays ..."). Not after an abbreviation, a
    number ("1.1.  man-db", a section's), an ellipsis or a command named "." ("retained when .  completes")."""
    text = "It takes the status lock.  dpkg (and dpkg-query) reads it.  Then it ends."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "It takes the status lock.", "dpkg (and dpkg-query) reads it.", "Then it ends."]
    for one in ("Program names in bold, eg.  man, etc.  and more.", "See section 1.1.  man-db is the package.",
                "Of the form name=(value1 ...  valuen) here.", "The trap is retained when .  completes.",
                "One space. then lower case"):
        assert len(sentence_spans(one)) == 1, one


def test_a_sentence_keeps_the_parenthesis_or_quote_its_full_stop_closes():
    """"(If <T> chooses, explicit trigger activation ... in this way.)" was quoted without its ")", and "grep
    [OPTION...]" as "grep [OPTION..."; gzip's "(On some systems ... link to compress.)  zcat uncompresses ..." was one
    sentence."""
    text = '(If T chooses, it need not.) Then "go here." See grep [OPTION...] Now (compress.)  zcat runs.'
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "(If T chooses, it need not.)", 'Then "go here."', "See grep [OPTION...]", "Now (compress.)", "zcat runs."]


def test_a_formats_placeholders_are_terms_over_what_they_stand_for():
    """Ninja's manual lists NINJA_STATUS's placeholders as "%e" over "Elapsed time in seconds."; the placeholder was
    read into the description before it."""
    text = "Several placeholders are available:\n%f\nThe number of finished edges.\n%e\nElapsed time in seconds.\n"
    assert [text[s:e] for s, e in term_spans(text)] == ["%f", "%e"]
    assert "Elapsed time in seconds." in [text[s:e] for s, e in sentence_spans(text)]


def test_an_asciidoc_labelled_lists_terms_and_continuations_are_units_of_their_own():
    """Git's manuals are AsciiDoc: an option's entry is headed "-b <branch>::" (code-like, so never a term before),
    and "+" joins its paragraphs; both were read into the description's sentence."""
    assert [ASCIIDOC[s:e] for s, e in term_spans(ASCIIDOC)] == ["-b <branch>::", "--branch=<branch>::", "--rejoin::"]
    units = [ASCIIDOC[s:e] for s, e in sentence_spans(ASCIIDOC)]
    assert "+" in units and "After splitting, merge the new history back." in units


def test_a_restructuredtext_paragraph_that_ends_in_two_colons_is_one_sentence_not_a_term():
    """reStructuredText (Sphinx's, requests' manual) ends a paragraph with "::" over its literal block; the line was
    read as an AsciiDoc term and cut from its sentence, so "... or as a tuple of both" was quoted."""
    text = ("You can also specify a local cert to use as client side certificate, as a single\nfile (containing the "
            "private key and the certificate) or as a tuple of both\nfiles' paths::\n\n    >>> requests.get(url, "
            "cert='/path/client.cert')\n\nThe private key must be unencrypted.\n")
    assert term_spans(text) == []
    assert " ".join(text.split()).split(" >>>")[0] in [" ".join(text[s:e].split()) for s, e in sentence_spans(text)]
    # a paragraph's short last line is no term either: CMake's "... the command" over "implicitly invokes" was cut
    text = ("When a ``<min>`` version higher than 2.4 is specified the command\nimplicitly invokes\n\n"
            ".. code-block:: cmake\n\n  cmake_policy(VERSION <min>[...<max>])\n\nwhich sets CMake policies.\n")
    assert term_spans(text) == []
    code = 'value="$x01$x02" , len=3 -> three bytes\noctet string\nGeneralString: VALUE contains the string.'
    assert [code[s:e] for s, e in term_spans(code)] == ["octet string"]  # under a line of code, as it was
    assert [ASCIIDOC[s:e] for s, e in term_spans(ASCIIDOC)] == ["-b <branch>::", "--branch=<branch>::", "--rejoin::"]


def test_restructuredtexts_markup_is_a_unit_of_its_own_and_its_literal_blocks_are_found():
    """A directive's marker glued to its admonition's sentence (".. warning:: The private key ... must be
    unencrypted."), hyperlink targets glued to each other; a literal block is the indented text under "::"."""
    from rag.text import literal_blocks

    text = (".. _ca-certificates:\n\n.. warning:: The private key *must* be unencrypted.\n\n.. versionadded:: 2.10.0"
            "\n\nLet's persist some cookies::\n\n    s = requests.Session()\n\n    s.get(url)\nBack at the margin.\n\n"
            ">>> r.status_code\n200\n\n.. note::\n\n   An important note.\n\n.. _certifi: https://certifi.io/\n"
            ".. _`urllib3`: https://github.com/urllib3/urllib3\n")
    units = [" ".join(text[s:e].split()) for s, e in sentence_spans(text)]
    for unit in (".. _ca-certificates:", ".. warning::", "The private key *must* be unencrypted.", ".. versionadded:: 2.10.0",
                 ".. note::", "An important note.", ".. _certifi: https://certifi.io/",
                 ".. _`urllib3`: https://github.com/urllib3/urllib3"):
        assert unit in units
    assert [" ".join(text[s:e].split()) for s, e in literal_blocks(text)] == [
        "s = requests.Session() s.get(url)", ">>> r.status_code 200"]
    assert literal_blocks(ASCIIDOC, term_spans(ASCIIDOC)) == []


PROPERTIES = ("Some properties have well known types.\n  Property        Type    Description\n"
              "  --------------------------------------------------------------\n"
              "  family          String  Font family names\n  pixelsize       Double  Pixel size\n"
              "  spacing         Int     Proportional, dual-width, monospace or charcell\n"
              "  Name                            Meaning\n  ----------------------------------------------\n"
              "  Times-12                        12 point Times Roman\n  Times-12:bold                   12 point Times Bold\n"
              "Constants are listed below.\n  light           weight          50\n  bold            weight          200\n"
              "  italic          slant           100\n")


def test_a_table_laid_out_with_spaces_has_a_unit_for_each_row():
    """fontconfig's manual, printed to PDF, and dpkg's triggers spec set tables with spaces and tabs: the rows were
    glued into one sentence ("family String Font family names pixelsize Double Pixel size ..."), and "bold weight
    200", under four words, was never a candidate."""
    rows = [PROPERTIES[s:e] for s, e in table_rows(PROPERTIES)]
    assert rows == ["Property        Type    Description", "family          String  Font family names",
                    "pixelsize       Double  Pixel size",
                    "spacing         Int     Proportional, dual-width, monospace or charcell",
                    "Name                            Meaning", "Times-12                        12 point Times Roman",
                    "Times-12:bold                   12 point Times Bold", "light           weight          50",
                    "bold            weight          200", "italic          slant           100"]
    assert set(rows) <= {PROPERTIES[s:e] for s, e in sentence_spans(PROPERTIES)}
    tabs = " Command line\t\tTrigproc\tConfigure\n --unpack\t\tno\t\tnone\n --install\t\tn/a\t\tthese\n"
    assert len(table_rows(tabs)) == 3  # tabs line up as the eye sees them
    # not tables: a man page's options (two cells, no column names over a rule), a box drawn around prose
    options = "  -a, --all      do not ignore entries\n  -b, --bytes    count bytes\n  -c  --chars    count chars\n"
    box = ("*  Covered Software is provided under this License on an \"as is\"       *\n"
           "*  basis, without warranty of any kind, either expressed, implied, or  *\n"
           "*  statutory, including, without limitation, warranties that the       *\n")
    groff = ("       is 1.  If max-procs is 0, xargs will run as many processes as possible at\n"
             "       a time.  Use the -n option or the -L option with -P; otherwise\n"
             "       chances are that only one exec will be done.  While xargs is running, you\n"
             "       can send its process a SIGUSR1 signal.  The count rises.  It never falls.\n")  # two spaces a sentence
    assert table_rows(options) == [] and table_rows(box) == [] and table_rows(groff) == []


def test_the_embedder_reads_and_counts_a_markdown_delimiter_line_short():
    """The delimiter line under a table's column names ("| ---------------- |", 86 word pieces) took half a chunk's
    budget, so the chunk ended before the table's rows; other rules and dashes stay as they are."""
    assert squash_runs(MD_TABLE).split("\n")[3] == "| --- | --- |"
    for text in ("--------------------", "a ---- b", "=========", "|:----|----:|"):
        assert squash_runs(text) == (text if "|" not in text else "|:---|---:|"), text

    class Pieces(HashEmbedder):
        def count_tokens(self, text: str) -> int:  # a word-piece tokenizer splits a dash run into many pieces
            return len(text.split()) + text.count("-")

    spans = Chunker(Pieces(), 64, 0).spans(MD_TABLE)
    assert any("Operating System" in MD_TABLE[s:e] and "GCC >= 10.1" in MD_TABLE[s:e] for s, e in spans)


def pypdf_page(extracted: str) -> str:
    """The parser's text of a one-page PDF whose text layer pypdf reads as `extracted`."""

    class Page:
        def extract_text(self):
            return extracted

    class Reader:
        pages = [Page()]

    return PdfParser._text(Reader(), 1)


def test_a_line_a_browser_printed_twice_to_fake_bold_is_read_once():
    """Chromium's "Save as PDF" draws a semi-bold heading twice at the same place; pypdf read "3.1. 3.1.
    VersionsVersions", glued into quotes and heading paths ("AbstractAbstract > ContentsContents")."""
    assert single_struck("3.1. 3.1. VersionsVersions") == "3.1. Versions"
    assert single_struck("2. 2. Completing the move to Python 3Completing the move to Python 3") == (
        "2. Completing the move to Python 3")
    for line in ("couscous dish", "Hello world", "----", "ab", "", "1010", "Bora Bora"):
        assert single_struck(line) == line
    assert pypdf_page("AbstractAbstract\nThis document describes the packaging of Python.") == (
        "Abstract\nThis document describes the packaging of Python.")


def test_a_fonts_ligature_glyphs_are_read_as_their_letters():
    """Chromium's "Save as PDF" of rustdoc's book draws "ﬁ" and "ﬀ" as one glyph each, which pypdf reads as one
    character: "diﬀerent" and "ﬁrst" matched no search for "different" or "first", and answers quoted them so."""
    assert pypdf_page("rust and .rust have diﬀerent eﬀects\nthe ﬁrst one is an eﬃcient ﬂag") == (
        "rust and .rust have different effects\nthe first one is an efficient flag")


def test_line_end_hyphens_join_between_lowercase_letters():
    assert dehyphenate("DER manip-\nulation and man-\n  agement.") == "DER manipulation and management."
    assert dehyphenate("ASN1-\nEncoding, x -\ny, 3-\n4, well-known") == "ASN1-\nEncoding, x -\ny, 3-\n4, well-known"
    # `man xargs > xargs.txt`: groff hyphenates with U+2010 HYPHEN
    assert dehyphenate("run an inter\u2010\n\t      active application") == "run an interactive application"


def test_identifiers_wrapped_after_an_underscore_are_whole_again():
    """pypdf breaks libtasn1's names at line ends ("ASN1_\nMAX_LENGTH_SIZE"); quoted and searched, they were
    "ASN1_ MAX_LENGTH_SIZE", which no question's identifier matches."""
    text = "encode is ASN1_\nMAX_LENGTH_SIZE .\nthe function asn1_der_ \n decoding() and TAR_\n\nNext"
    clean, mapping = clean_with_offsets(text)
    assert clean == "encode is ASN1_MAX_LENGTH_SIZE .\nthe function asn1_der_decoding() and TAR_\n\nNext"
    assert dehyphenate(text) == clean and all(text[o] == c for o, c in zip(mapping, clean, strict=True))
    start = clean.index("ASN1_MAX")
    assert text[slice(*original_span(mapping, start, start + len("ASN1_MAX_LENGTH_SIZE")))] == "ASN1_\nMAX_LENGTH_SIZE"


def test_clean_offsets_map_back_to_the_original_characters():
    text = "Rules (DER) manip-\nulation.\nStructures man- \n agement, and more."
    clean, mapping = clean_with_offsets(text)
    assert clean == "Rules (DER) manipulation.\nStructures management, and more."
    assert len(mapping) == len(clean) and all(text[o] == c for o, c in zip(mapping, clean, strict=True))
    for word in ("manipulation", "management", "Rules", "more."):
        start = clean.index(word)
        s, e = original_span(mapping, start, start + len(word))
        assert text[s:e].replace("-\n", "").replace("- \n ", "") == word
    assert clean_with_offsets("") == ("", [])


@pytest.fixture(scope="module")
def real_pages():
    return {path.name: mark_furniture(list(PdfParser().parse(path.read_bytes()))) for path in (TASN1, MIME_SPEC)}


def test_real_running_headers_are_furniture(real_pages):
    tasn1 = {p.number: [p.text[s:e] for s, e in p.furniture] for p in real_pages["libtasn1.pdf"]}
    assert tasn1[10] == ["Chapter 3: Utilities 7"] and tasn1[4] == ["1"] and tasn1[28] == ["Appendix A: Copying Information 25"]
    assert len(tasn1[3]) > 20  # the table of contents: "1 Introduction . . . 1" and so on
    mime = [[p.text[s:e] for s, e in p.furniture] for p in real_pages["shared-mime-info-spec.pdf"]]
    assert mime[6] == ["Shared MIME-info Database", "7"] and all(len(lines) == 2 for lines in mime)


def test_real_chunks_hold_no_furniture_and_keep_exact_offsets(real_pages):
    chunker = Chunker(HashEmbedder(), 200, 20)
    for pages in real_pages.values():
        by_number = {p.number: p for p in pages}
        chunks = chunker.chunk(DOC, pages)
        assert len(chunks) > len(pages) / 2
        for chunk in chunks:
            page = by_number[chunk.page]
            assert page.text[chunk.start:chunk.end] == chunk.text
            assert not any(chunk.start < e and s < chunk.end for s, e in page.furniture)
            lines = [line.strip() for line in chunk.text.splitlines()]
            assert "Shared MIME-info Database" not in lines and not any(line.isdigit() for line in lines[:1] + lines[-1:])
            assert not any(line.startswith(("Chapter 3: Utilities", "Chapter 4: Function reference")) for line in lines)
    intro = next(c for c in chunker.chunk(DOC, real_pages["libtasn1.pdf"]) if c.page == 4)
    assert intro.text.startswith("1 Introduction\nThis document")


class RecordingEmbedder(HashEmbedder):
    def __init__(self):
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts):
        self.texts += list(texts)
        return super().embed(texts)


def test_search_and_embeddings_read_joined_words_and_chunks_stay_verbatim(settings):
    from rag.engine import Engine
    from rag.types import Principal

    me, embedder = Principal("me"), RecordingEmbedder()
    engine = Engine(settings, embedder=embedder)
    pages = [f"Field guide {n}\nNotes on {WORDS[n]} and {WORDS[n + 1]} lists for page {n}.\n" for n in range(1, 6)]
    pages[2] = "Field guide 3\nThe library handles DER manip-\nulation of records.\n"
    report = engine.ingest("guide.txt", "\f".join(pages).encode(), me)
    assert report.status == "indexed", report.error
    hit = engine.search("manipulation", me, mode="bm25")[0]
    assert hit.chunk.text == "The library handles DER manip-\nulation of records."
    page = engine.pages(hit.chunk.doc_id, me)[hit.chunk.page - 1]
    assert page.text[hit.chunk.start:hit.chunk.end] == hit.chunk.text
    assert page.text.startswith("Field guide 3") and page.furniture == ((0, 13),)  # shown in the page view, not chunked
    assert "guide\nThe library handles DER manipulation of records." in embedder.texts  # the chunk, named
    assert "guide: The library handles DER manipulation of records." in embedder.texts  # its one sentence
    assert not any("Field guide" in text for text in embedder.texts)


CHANGELOG = ("gzip (1.12-1) sid; urgency=high\n\n  * new upstream release\n    - zgrep: fix arbitrary-file-write "
             "vulnerability\n      address CVE-2022-1271 (closes: #1009168)\n\n -- Milan Kupcevic <milan@debian.org>  "
             "Sat, 09 Apr 2022 22:22:26 -0400\n\ngzip (1.10-1) unstable; urgency=medium\n\n  * new upstream version, "
             "closes: #925554\n\n -- Bdale Garbee <bdale@gag.com>  Tue, 25 Feb 2020 14:56:28 -0700\n")


def test_a_debian_changelogs_entry_line_is_a_heading():
    """gzip's Debian changelog: "gzip (1.12-1) sid; urgency=high" was read as a sentence, so quotes ran from one
    entry's trailer into the next entry's first line, and no change knew the version it belongs to."""
    assert [CHANGELOG[s:e] for s, e in heading_spans(CHANGELOG)] == [
        "gzip (1.12-1) sid; urgency=high", "gzip (1.10-1) unstable; urgency=medium"]
    assert heading_spans("x (1) a; b\n\nprintf(\"%d\", n); urgency = 1;\n") == []


POD = ("=head1 NAME\n\nExtUtils::MakeMaker::FAQ - Frequently Asked Questions About MakeMaker\n\n=head2 Module Installation\n\n"
       "=over 4\n\n=item How do I install a module into my home directory?\n\nIf you're not the Perl administrator you "
       "probably don't have\npermission to install a module to its default location.\n\n=back\n\n=cut\n")


def test_perls_pod_headings_are_units_and_its_markup_is_no_sentence() -> None:
    """Perl's POD (ExtUtils::MakeMaker's FAQ, uploaded as .txt): "=head1 NAME ExtUtils::MakeMaker::FAQ - ... =head1
    DESCRIPTION FAQs, tricks and tips for ..." was quoted as one sentence. Its headings and items are lines of their
    own, its markup ("=over 4", "=back", "=cut") is never quoted, and a heading path holds titles without marks."""
    units = [POD[a:b] for a, b in sentence_spans(POD)]
    assert units[:3] == ["=head1 NAME", "ExtUtils::MakeMaker::FAQ - Frequently Asked Questions About MakeMaker",
                         "=head2 Module Installation"]
    assert "=over 4" in units and "=back" in units and "=cut" in units
    assert [h for _, h in page_headings(Page(1, POD))] == [
        "NAME", "Module Installation", "How do I install a module into my home directory?"]


def test_a_markdown_chunks_path_holds_its_ancestors_not_the_previous_section():
    """pydantic's changelog: "## v2.14.3 (2026-11-04)" > "### What's Changed" > "#### Fixes" left a fix's chunk with
    the path "What's Changed > Fixes" (the last two headings), so no entry knew its release; and after "#### Fixes",
    the next release's "## v2.14.2" was read as under it. Where the marks give levels, the path is the ancestors."""
    md = ("# Pydantic\n\nIntro text of the project.\n\n## v2.14.3 (2026-11-04)\n\n### What's Changed\n\n#### Fixes\n\n"
          "- Fix a crash when a model has no fields.\n\n## v2.14.2 (2026-10-29)\n\nThe second patch release.\n\n"
          "### What's Changed\n\n- Bump PyO3 to 0.28.\n")
    doc = Document("d", "README.md", "txt", "x", 1, "me", "")
    chunker = Chunker(HashEmbedder(), 12, 0)
    sections = {c.text.split("\n")[0]: c.section for c in chunker.chunk(doc, [Page(1, md)])}
    assert sections["- Fix a crash when a model has no fields."] == "v2.14.3 (2026-11-04) > What's Changed > Fixes"
    assert sections["The second patch release."] == "Pydantic > v2.14.2 (2026-10-29)"  # not under the last "Fixes"
    # a heading known by its look alone keeps the last two, as before
    assert heading_level("2.1 Invoking asn1Parser") is None and heading_level("=head2 Scope", markdown=False) == 2
    assert heading_level("# ps axjf", markdown=False) is None  # a man page's root prompt, not a heading's level


COPYRIGHT_FILE = ("Files: configure\nCopyright: 1992-2012, Free Software Foundation, Inc.\nLicense: FSFUL\n This configure "
                  "script is free software.\n\nFiles: cups/md5-internal.h\n  cups/md5.c\nCopyright: 2007-2019, Apple Inc.\n"
                  "  1993-2007, Easy Software Products\n  1999, Aladdin Enterprises.\nLicense: Zlib\n")


def test_a_copyright_files_fields_are_units_and_its_files_field_a_term():
    """A Debian copyright file's records were cut at full stops and glued across fields ("1993-2007, Easy Software
    Products\\n 1999, Aladdin Enterprises." apart from "Copyright: 2007-2019, Apple Inc.", "cups/md5.c" a term of its
    own): each field is one unit with its continuation lines, and a licence's text under its License line is prose."""
    sentences = [COPYRIGHT_FILE[s:e] for s, e in sentence_spans(COPYRIGHT_FILE)]
    assert sentences == [
        "Files: configure", "Copyright: 1992-2012, Free Software Foundation, Inc.", "License: FSFUL",
        "This configure script is free software.", "Files: cups/md5-internal.h\n  cups/md5.c",
        "Copyright: 2007-2019, Apple Inc.\n  1993-2007, Easy Software Products\n  1999, Aladdin Enterprises.",
        "License: Zlib"]


def test_a_reference_that_ends_the_line_stays_with_its_sentence():
    """OpenSSL's NEWS: "Fixed Stack buffer overflow in CMS AuthEnvelopedData parsing. (CVE-2025-15467)" was two
    sentences, and "Which CVE identifier covers the stack overflow ...?" was answered without its CVE. A parenthesis of
    its own, a sentence with its full stop, or one that goes on, is still a sentence of its own."""
    text = "Fixed Stack buffer overflow in CMS AuthEnvelopedData parsing. (CVE-2025-15467)\n\nFixed a leak. (#1234)"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Fixed Stack buffer overflow in CMS AuthEnvelopedData parsing. (CVE-2025-15467)", "Fixed a leak. (#1234)"]
    for two in ("Callbacks are called. (See Receiving Change Notifications, below.)", "It ends. (It is long) And more."):
        assert len(sentence_spans(two)) == 2, two
