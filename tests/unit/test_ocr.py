"""Local OCR on pages made at test time: scanned PDFs, mixed PDFs, PNG/JPEG/TIFF uploads; word boxes,
offsets, progress, and bad input that is rejected clearly and leaves nothing behind."""

import io
import struct
import threading
import zlib

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from rag.errors import InvalidDocument
from rag.ingest.images import ImageParser
from rag.ingest.ocr import INSTALL, TesseractOcr, correct_confusions, span_boxes, uncertain_spans
from rag.ingest.parsers import PdfParser
from rag.ingest.pipeline import Ingestor, load_pages
from rag.ingest.validate import detect_kind
from rag.types import Page, Principal, WordBox
from tests.conftest import TASN1
from tests.contracts.parser import ParserContract
from tests.fakes import HashEmbedder
from tests.scans import NEEDLE_LINES, encode, png, scan_image, scanned_pdf, text_box

ME = Principal("me")


@pytest.fixture
def ingestor(settings):
    from rag.backends.local.blobs import FilesystemBlobStore
    from rag.backends.local.index import LocalHybridIndex

    return Ingestor(settings, HashEmbedder(), LocalHybridIndex(settings), FilesystemBlobStore(settings))


def files_left(settings) -> list[str]:
    return [p.name for p in settings.blob_dir.rglob("*") if p.is_file()] if settings.blob_dir.exists() else []


def assert_words_index_text(page: Page) -> None:
    assert page.words
    for word in page.words:
        assert page.text[word.start:word.end].strip() == page.text[word.start:word.end] != ""
        assert 0 <= word.left < word.right <= 1 and 0 <= word.top < word.bottom <= 1


class TestImageParser(ParserContract):
    @pytest.fixture
    def parser(self):
        return ImageParser()

    @pytest.fixture
    def sample(self):
        return png()

    @pytest.fixture
    def garbage(self):
        return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"broken" * 20


class TestScannedPdfParser(ParserContract):
    """The PDF parser on an image-only PDF passes the same contract through OCR."""

    @pytest.fixture
    def parser(self):
        return PdfParser()

    @pytest.fixture
    def sample(self):
        return scanned_pdf()

    @pytest.fixture
    def garbage(self):
        return b"%PDF-1.4 nothing else"


def test_a_scanned_pdf_page_is_read_in_reading_order_with_word_boxes():
    [page] = PdfParser().parse(scanned_pdf([NEEDLE_LINES + ("", "A paragraph further down.")]))
    assert " ".join(page.text.split()) == " ".join(NEEDLE_LINES) + " A paragraph further down."
    assert [line for line in page.text.splitlines() if line][:2] == list(NEEDLE_LINES)
    # paragraphs flow as in a text layer, one newline apart: a blank line would cut a sentence in two
    assert "\nA paragraph further down." in page.text and "\n\n" not in page.text
    assert_words_index_text(page)
    [needle] = [w for w in page.words if page.text[w.start:w.end] == "needle"]
    expected = text_box(0, NEEDLE_LINES[0], "needle")
    assert all(abs(a - b) < 0.02 for a, b in zip((needle.left, needle.right), (expected[0], expected[2]), strict=True))
    assert abs(needle.top - expected[1]) < 0.05 and needle.confidence > 0.8


def test_a_mixed_pdf_keeps_its_text_layer_and_reads_only_the_scanned_page():
    writer = PdfWriter()
    writer.add_page(PdfReader(TASN1).pages[0])
    writer.append(PdfReader(io.BytesIO(scanned_pdf())))
    out = io.BytesIO()
    writer.write(out)
    calls = []
    first, second = PdfParser().parse(out.getvalue(), on_page=lambda done, total: calls.append((done, total)))
    assert first.text == PdfReader(TASN1).pages[0].extract_text() and first.words == ()
    assert "needle" in second.text and second.words
    assert calls == [(1, 1)]  # one page needed OCR


def test_a_multi_page_tiff_is_one_page_per_frame_in_order():
    data = encode([scan_image(["First page about apples."]), scan_image(["Second page about pears."])], "TIFF",
                  compression="tiff_lzw")
    assert detect_kind("scan.tiff", data) == "image"
    calls = []
    pages = list(ImageParser().parse(data, on_page=lambda done, total: calls.append((done, total))))
    assert [p.number for p in pages] == [1, 2]
    assert "apples" in pages[0].text and "pears" in pages[1].text
    assert calls == [(1, 2), (2, 2)]


def test_a_phone_photo_is_turned_upright_from_its_exif_orientation():
    rotated = scan_image().rotate(90, expand=True).convert("RGB")  # the camera stored it sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    data = encode([rotated], "JPEG", quality=85, exif=exif.tobytes())
    assert detect_kind("IMG_0001.jpg", data) == "image"
    [page] = ImageParser().parse(data)
    assert "needle is hidden" in page.text


def test_transparent_png_reads_as_black_on_white():
    image = scan_image(mode="LA")
    image.putalpha(image.getchannel("L").point(lambda v: 255 - v))  # ink opaque, paper transparent
    [page] = ImageParser().parse(encode([image], "PNG"))
    assert "haystack" in page.text


def test_span_boxes_cover_the_cited_words_one_box_per_line():
    [page] = ImageParser().parse(png())
    start = page.text.index("hidden")
    end = page.text.index("line") + len("line")  # across the line break
    boxes = span_boxes(page, [(start, end)])
    assert len(boxes) == 2
    hidden = text_box(0, NEEDLE_LINES[0], "hidden")
    assert abs(boxes[0][0] - hidden[0]) < 0.02 and boxes[0][1] < boxes[1][1]
    assert span_boxes(page, [(len(page.text), len(page.text))]) == []


def test_uncertain_spans_are_the_low_confidence_words():
    page = Page(1, "sure maybe", words=(WordBox(0, 4, 0, 0, .1, .1, 0.95), WordBox(5, 10, .2, 0, .3, .1, 0.31)))
    assert uncertain_spans(page) == [(5, 10)]


def test_scanned_upload_is_indexed_with_exact_offsets_and_word_boxes_survive_storage(ingestor, settings):
    stages = []
    report = ingestor.ingest("scan.pdf", scanned_pdf([NEEDLE_LINES, ["Another scanned page about the haystack."]]), ME,
                             progress=lambda stage, fraction: stages.append(stage))
    assert report.status == "indexed" and report.pages == 2, report.error
    assert [s for s in stages if s.startswith("recognising")] == ["recognising 1/2", "recognising 2/2"]
    document = ingestor.index.document(report.doc_id, ME)
    pages = load_pages(ingestor.blobs, document)
    assert all(isinstance(w, WordBox) for p in pages for w in p.words) and all(p.words for p in pages)
    chunks = ingestor.index.chunks(report.doc_id, ME)
    assert chunks and all(c.text == pages[c.page - 1].text[c.start:c.end] for c in chunks)
    hits = ingestor.index.search("needle haystack", None, 3, ME, mode="bm25")
    assert hits and hits[0].chunk.doc_id == report.doc_id


def test_ocr_does_not_hold_the_index_other_users_search_while_a_scan_is_read(ingestor):
    other = Principal("other")
    assert ingestor.ingest("notes.txt", b"The other user's notes about zebras.", other).status == "indexed"
    reading, searched, results = threading.Event(), threading.Event(), {}

    def progress(stage, fraction):
        if stage == "recognising 1/2":
            reading.set()
            searched.wait(60)  # the scan stays mid-OCR until the other user's search is answered

    worker = threading.Thread(target=lambda: results.update(
        scan=ingestor.ingest("scan.pdf", scanned_pdf([NEEDLE_LINES, NEEDLE_LINES]), ME, progress=progress)))
    worker.start()
    assert reading.wait(60)
    results["search"] = ingestor.index.search("zebras", None, 3, other, mode="bm25")
    searched.set()
    worker.join(120)
    assert results["search"] and results["search"][0].chunk.text.endswith("zebras.")
    assert results["scan"].status == "indexed"


BAD_IMAGES = {
    "corrupt png": ("scan.png", png()[:400], "damaged"),
    "not an image after the magic": ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\xff" * 300, "damaged"),
    "truncated jpeg": ("photo.jpg", encode([scan_image().convert("RGB")], "JPEG")[:2000], "damaged"),
    "blank image": ("blank.png", png([]), "no text was recognised on any page"),
    "blank scanned pdf": ("blank.pdf", scanned_pdf([[]]), "no text was recognised on any page"),
    "too many frames": ("long.tiff", encode([scan_image(["page"])] * 3, "TIFF"), "at most 2 (RAG_OCR_MAX_PAGES)"),
    "too many scanned pages": ("long.pdf", scanned_pdf([["one"], ["two"], ["three"]]), "at most 2 (RAG_OCR_MAX_PAGES)"),
    "too many pixels": ("huge.png", encode([Image.new("1", (3000, 2000), 1)], "PNG"), "decompression bomb"),
}


@pytest.mark.parametrize("case", list(BAD_IMAGES))
def test_bad_images_are_rejected_clearly_and_leave_nothing(case, ingestor, settings):
    ingestor.settings = settings.model_copy(update={"ocr_max_pages": 2, "ocr_max_megapixels": 5.0})
    name, data, message = BAD_IMAGES[case]
    report = ingestor.ingest(name, data, ME)
    assert report.status == "rejected"
    assert message.lower() in report.error.lower(), report.error
    assert files_left(settings) == [] and ingestor.index.documents(ME) == []


def test_a_decompression_bomb_is_refused_before_decoding_with_the_default_cap():
    bomb = encode([Image.new("1", (9000, 9000), 1)], "PNG")  # 81 megapixels in a few KB
    assert len(bomb) < 200_000
    with pytest.raises(InvalidDocument, match=r"\(81 megapixels\); the limit is 50 megapixels"):
        list(ImageParser().parse(bomb))


def test_a_forged_header_past_pillows_own_limit_is_a_bomb_not_a_crash():
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 1, 0, 0, 0, 0))  # 10 gigapixels
    forged = b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    with pytest.raises(InvalidDocument, match="decompression bomb"):
        list(ImageParser(max_megapixels=1e6).parse(forged))  # even with our cap lifted, Pillow's holds


def test_a_missing_tesseract_says_exactly_what_to_install():
    with pytest.raises(InvalidDocument) as error:
        TesseractOcr(command="/nonexistent/tesseract").check()
    assert str(error.value) == INSTALL and "apt-get install tesseract-ocr tesseract-ocr-eng" in INSTALL
    with pytest.raises(InvalidDocument, match="tesseract-ocr-xyz"):
        TesseractOcr(language="xyz").check()


def test_bulk_ingest_reports_ocr_pages_too_for_the_cli_progress_bar(ingestor):
    stages = []
    reports = ingestor.ingest_many([("notes.txt", b"Plain notes about zebras."), ("scan.png", png())], ME,
                                   progress=lambda stage, fraction: stages.append(stage))
    assert [r.status for r in reports] == ["indexed", "indexed"]
    assert [s for s in stages if s.startswith("recognising")] == ["recognising 1/1"]


def test_only_the_tesseract_process_gets_the_one_thread_limit(tmp_path):
    """In our own process the limit would also cap torch's threads, i.e. the embedder."""
    import os
    import subprocess
    import sys

    program = ("import os, pytesseract; from rag.ingest.images import ImageParser; from tests.scans import png; "
               "pages = list(ImageParser().parse(png())); "
               "print(os.environ.get('OMP_THREAD_LIMIT'), pytesseract.pytesseract.environ['OMP_THREAD_LIMIT'])")
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=120,
                          cwd=os.getcwd())
    assert done.stdout.split() == ["None", "1"], done.stderr[-500:]


def ocr_page(number: int, text: str) -> Page:
    """A page as OCR builds it: one word box per space-separated word, on one line."""
    words, start = [], 0
    for i, word in enumerate(text.split(" ")):
        words.append(WordBox(start, start + len(word), i / 20, 0.1, (i + 0.9) / 20, 0.15, 0.9))
        start += len(word) + 1
    return Page(number, text, words=tuple(words))


def test_a_misread_digit_of_a_name_takes_the_documents_own_spelling_and_keeps_its_offsets():
    pages = [ocr_page(1, "call ASN1_SUCCESS and asn1_parser2tree"), ocr_page(2, "an asn1_node or ASN1_VALUE"),
             ocr_page(3, "the asnl_node of asniParser, ASNl_node stays")]
    fixed = correct_confusions(pages)
    assert fixed[2].text == "the asn1_node of asn1Parser, ASN1_node stays"
    assert fixed[:2] == pages[:2]
    assert fixed[2].words == pages[2].words and len(fixed[2].text) == len(pages[2].text)
    assert [fixed[2].text[w.start:w.end] for w in fixed[2].words][1:4] == ["asn1_node", "of", "asn1Parser,"]


def test_words_ties_minorities_and_text_layer_pages_are_left_alone():
    layer = Page(1, "asnl_node in a text layer is kept, as is call1")  # a text layer is never rewritten
    pages = [layer, ocr_page(2, "asn1 asn1 asn1 file file fi1e vall val1 call1"), ocr_page(3, "asnl_x, fi1e, vall, calll")]
    fixed = correct_confusions(pages)
    assert fixed[0] is layer
    # asn1 holds 3 of its shape's 5 occurrences: a majority, and so does call1 (2 of 3, one in the text
    # layer). file/fi1e is a tie, and the winner has no digit to restore; vall outnumbers val1, no digit either.
    assert fixed[2].text == "asn1_x, fi1e, vall, call1"
    assert fixed[1].text == pages[1].text


def test_a_scanned_page_misreading_an_identifier_is_corrected_from_the_text_layer():
    writer = PdfWriter()
    writer.add_page(PdfReader(TASN1).pages[6])  # names asn1_node twice in its text layer
    writer.append(PdfReader(io.BytesIO(scanned_pdf([("Every asnl_node is opaque.",)]))))
    out = io.BytesIO()
    writer.write(out)
    first, second = PdfParser().parse(out.getvalue())
    assert first.text == PdfReader(TASN1).pages[6].extract_text()
    assert "Every asn1_node is opaque." in second.text
    assert_words_index_text(second)
    assert "asn1_node" in [second.text[w.start:w.end] for w in second.words]


def test_a_pdf_page_pdfium_cannot_load_is_a_damaged_document() -> None:
    """Fuzzing found a mutated scan whose page pdfium fails to load: a clear error, not a crash."""
    import pypdfium2 as pdfium

    from rag.ingest.images import PDFIUM_LOCK, open_page

    class Damaged:
        def __getitem__(self, index):
            raise pdfium.PdfiumError("Failed to load page.")

    with PDFIUM_LOCK, pytest.raises(InvalidDocument, match="Page 3 of this PDF is damaged"):
        open_page(Damaged(), 2)
