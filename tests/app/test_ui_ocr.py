"""The source view for documents read by OCR: the cited span boxed on the page image from word boxes
(scanned PDFs and image uploads), uncertain words underlined, document text escaped."""

import html
import re

import pytest
from PIL import Image

from rag.engine import Engine
from rag.ingest.images import ImageParser
from rag.ingest.ocr import span_boxes
from rag.settings import Settings
from rag.types import Page, Principal, WordBox
from tests.app.conftest import app, texts, use_data_dir
from tests.scans import encode, png, scan_image, scanned_pdf, text_box
from ui.documents import stage_words
from ui.pdf import render_image_page, render_page
from ui.render import page_html
from ui.source import UNCERTAIN_CLASS, marked_html, ocr_page_html

CALIBRATION = ("The glow widget is calibrated every morning at dawn.", "Operators read the calibration log first.")
CRANE = ("The harbour crane lifts forty tonnes on calm days.", "Wind above gale force stops the crane.")
QUESTIONS = {"scan.pdf": "When is the glow widget calibrated?", "photo.jpg": "How much does the harbour crane lift?"}


def yellow_at(image: Image.Image, box: tuple[float, float, float, float]) -> int:
    """Highlighted pixels inside a (fractions) box of the image."""
    left, top, right, bottom = (round(v * s) for v, s in zip(box, (image.width, image.height) * 2, strict=True))
    crop = image.convert("RGB").crop((left, top, right, bottom))
    return sum(1 for r, g, b in crop.get_flattened_data() if r > 200 and g > 170 and b < 150)


@pytest.fixture(scope="module")
def needle_page() -> Page:
    [page] = ImageParser().parse(png())
    return page


def test_an_image_page_is_boxed_where_the_cited_word_is(needle_page):
    start = needle_page.text.index("needle")
    fractions = span_boxes(needle_page, [(start, start + len("needle"))])
    image, boxes = render_image_page(png(), 1, fractions, width=620)
    assert boxes == 1 and image.width == 620
    where = text_box(0, "The needle is hidden in the haystack.", "needle")
    elsewhere = text_box(1, "Second line of the scanned page.", "Second")
    assert yellow_at(image, where) > 200 and yellow_at(image, elsewhere) == 0


def test_a_scanned_pdf_page_is_boxed_from_its_words_not_its_missing_text_layer(needle_page):
    start = needle_page.text.index("haystack")
    fractions = span_boxes(needle_page, [(start, start + len("haystack"))])
    image, boxes = render_page(scanned_pdf(), 1, ["haystack"], fractions=fractions)
    assert boxes == 1 and yellow_at(image, text_box(0, "The needle is hidden in the haystack.", "haystack")) > 200
    _, found = render_page(scanned_pdf(), 1, ["The needle is hidden in the haystack."])
    assert found == 0  # the quote search alone finds nothing on a page without a text layer


def test_marked_html_escapes_ocr_text_and_underlines_uncertain_words():
    text = "<script>x()</script> clear blurry"
    words = (WordBox(0, 20, 0, 0, .3, .1, 0.9), WordBox(21, 26, .4, 0, .5, .1, 0.95),
             WordBox(27, 33, .6, 0, .7, .1, 0.2))
    out = marked_html(text, [(21, 33)], [(27, 33)])
    assert "<script>" not in out and html.escape("<script>x()</script>") in out
    assert re.findall(r'<mark id="docchat-focus">(.*?)</mark>', out) == ["clear "]
    assert f'<mark><span class="{UNCERTAIN_CLASS}"' in out and ">blurry</span></mark>" in out
    page = Page(1, text, words=words)
    assert UNCERTAIN_CLASS in ocr_page_html(page) and ocr_page_html(page).startswith('<div class="docchat-page"')
    assert ocr_page_html(Page(1, text)) == page_html(text)  # a text layer: the page as before


def test_the_upload_progress_counts_ocr_pages():
    assert stage_words("recognising 3/40") == "Reading the scan (OCR): page 3 of 40"
    assert stage_words("parsed") == "Text extracted"


@pytest.fixture(scope="module")
def ocr_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("ocr") / "data"
    engine = Engine(Settings(data_dir=data))
    me = Principal("local", "Local user")
    photo = scan_image(CRANE).convert("RGB").rotate(1.5, expand=True, fillcolor="white")  # a hand-held shot
    uploads = (("scan.pdf", scanned_pdf([["A cover page about nothing in particular."], CALIBRATION])),
               ("photo.jpg", encode([photo], "JPEG", quality=80)))
    for name, content in uploads:
        report = engine.ingest(name, content, me)
        assert report.status == "indexed", report.error
    return data


@pytest.mark.parametrize("title", ["scan.pdf", "photo.jpg"])
def test_a_citation_of_a_scan_opens_the_page_image_with_the_passage_boxed(ocr_dir, monkeypatch, title):
    use_data_dir(monkeypatch, ocr_dir)
    at = app("pages/chat.py")
    at.chat_input[0].set_value(QUESTIONS[title]).run()
    assert not at.exception, at.exception
    answer = at.session_state["docchat"].exchanges[0].answer
    citation = next(c for c in answer.citations if c.title == title)
    at.pills[0].set_value(citation.n).run()
    assert not at.exception and not at.error
    assert f"Source [{citation.n}]" in texts(at.subheader)
    assert any("recognised by OCR" in c.value for c in at.caption)
    assert at.image and "cited passage highlighted" in at.image[0].captions[0]
