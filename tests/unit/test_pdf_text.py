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
    the target a question named. A PDF whose producer is Chromium's Skia is read by pdfium, the browser's own reader."""
    pages = list(PdfParser().parse(PRINTED.read_bytes()))
    text = " ".join(page.text for page in pages)
    assert {"arm-unknown-linux-gnueabi", "aarch64-unknown-linux-musl", "different", "hardfloat"} <= words(text), text
    assert "gnue abi" not in text
    assert "arm-unknown-linux-\ngnueabihf" in text  # a line-end hyphen, as pypdf gives it (the chunker joins it)


def test_a_tex_pdf_is_read_as_before() -> None:
    """libtasn1's manual (pdfTeX) is read by pypdf, whose layout of its Texinfo definitions the reader knows:
    "[Function]int asn1_parser2tree (...)" (pdfium puts "[Function]" at the line's end)."""
    text = " ".join(page.text for page in PdfParser().parse(Path(TASN1).read_bytes()))
    assert "[Function]int asn1_parser2tree (const char * file" in text
