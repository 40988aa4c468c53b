"""bench.ocr's known-item queries and its OCR cache, without running the (slow) benchmark."""

from __future__ import annotations

from PIL import Image

from bench.ocr import SOURCES, CachedPages, known_item_queries
from rag.ingest.ocr import TesseractOcr
from rag.ingest.parsers import PdfParser
from tests.scans import scan_image


def test_known_item_queries_are_one_unrepeated_line_of_each_pages_text_layer():
    originals = {path.name: path.read_bytes() for path in SOURCES}
    queries = known_item_queries(originals)
    assert queries == known_item_queries(originals)  # deterministic
    for name, data in originals.items():
        pages = list(PdfParser().parse(data))
        lines = [{" ".join(line.split()) for line in p.text.splitlines()} for p in pages]
        mine = [q for q in queries if q["doc"] == name]
        assert [q["page"] for q in mine] == [p.number for p in pages]  # every page of these PDFs has one
        for q in mine:
            assert 6 <= len(q["q"].split()) <= 20
            assert [i + 1 for i, page_lines in enumerate(lines) if q["q"] in page_lines] == [q["page"]]


def test_the_ocr_cache_returns_the_same_reading_without_running_tesseract_again(tmp_path, monkeypatch):
    image = scan_image()
    original_data = TesseractOcr.data
    calls = []

    def counted(ocr, number, grey):
        calls.append(number)
        return original_data(ocr, number, grey)

    monkeypatch.setattr(TesseractOcr, "data", counted)
    CachedPages(tmp_path).install()  # wraps the counted reader
    ocr = TesseractOcr()
    ocr.check()
    first = ocr.page(1, image)
    again = ocr.page(1, image.copy())
    other = ocr.page(1, Image.new("L", image.size, "white"))
    assert calls == [1, 1] and again == first and other.text == ""
    assert "needle" in first.text and first.words
