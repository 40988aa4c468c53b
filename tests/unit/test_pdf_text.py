"""Which reader gives a PDF's text layer: a browser-printed PDF's words come out whole."""

from __future__ import annotations

import re
from pathlib import Path

from rag.ingest.parsers import PdfParser
from tests.conftest import TASN1

PRINTED = Path(__file__).parents[1] / "data" / "browser-printed.pdf"


def words(text: str) -> set[str]:
    return set(re.findall(r"[\w.+/-]+", text))


def test_a_browser_printed_pdf_keeps_its_words_whole() -> None:
    """The rustc book saved as PDF by Chromium (its web fonts embedded): pypdf's spacing split target triples at the
    fonts' kerning ("arm-unknown-linux-gnue abi", "x86_64-unknown-fre e bsd"), so neither search nor the reader found
    the target a question named. A PDF whose producer is Chromium's Skia is read by pdfium, the browser's own reader
    (the rustc book's platform table: right 19 -> 22 of 34 answers)."""
    pages = list(PdfParser().parse(PRINTED.read_bytes()))
    text = " ".join(page.text for page in pages)
    assert {"arm-unknown-linux-gnueabi", "aarch64-unknown-linux-musl", "different", "hardfloat"} <= words(text), text
    assert "gnue abi" not in text
    assert "arm-unknown-linux-\ngnueabihf" in text  # a line-end hyphen, as pypdf gives it (the chunker joins it)


def test_a_browser_printed_pdf_keeps_its_layout() -> None:
    """pdfium reads a line's text without its indentation and a run of spaces as one: a table's cells ran together
    and a code block lost its indentation (zlib's annotated example: right 26 -> 24 of 34 answers), which the layout
    reads. Both are given back from the characters' boxes."""
    text = list(PdfParser().parse(PRINTED.read_bytes()))[0].text
    assert re.search(r"^arm-unknown-linux-gnueabi {2,}Armv6 Linux \(kernel 3\.2\+, glibc 2\.17\)$", text, re.MULTILINE), text
    assert re.search(r"^ {8,}Armv6 Linux, hardfloat", text, re.MULTILINE), text  # a wrapped cell, under its column
    assert re.search(r"^Tier 1 targets can be thought of", text, re.MULTILINE), text  # prose at the margin


def test_a_tex_pdf_is_read_as_before() -> None:
    """libtasn1's manual (pdfTeX) is read by pypdf, whose layout of its Texinfo definitions the reader knows:
    "[Function]int asn1_parser2tree (...)" (pdfium puts "[Function]" at the line's end)."""
    text = " ".join(page.text for page in PdfParser().parse(Path(TASN1).read_bytes()))
    assert "[Function]int asn1_parser2tree (const char * file" in text
