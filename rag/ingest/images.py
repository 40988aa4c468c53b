"""Page images: PNG, JPEG and TIFF uploads (a multi-page TIFF is one page per frame), and the
pages of a PDF that have no text layer, rendered for OCR. Everything a decoder can throw on a
damaged or hostile file becomes InvalidDocument; a pixel cap stops decompression bombs before
a single pixel is decoded."""

from __future__ import annotations

import io
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator

from PIL import Image, ImageOps, UnidentifiedImageError

from rag.errors import InvalidDocument
from rag.ingest.ocr import RENDER_DPI, PageProgress, TesseractOcr, correct_confusions
from rag.types import Page

FORMATS = ("PNG", "JPEG", "TIFF")
MAX_MEGAPIXELS_DEFAULT = 50.0  # an A4 page at 600 dpi is 35 megapixels
OCR_MAX_PAGES_DEFAULT = 500
# pdfium is not thread-safe: rendering for OCR and the source view's page images take turns
PDFIUM_LOCK = threading.RLock()
DECODE_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error,
                 TypeError, IndexError, KeyError, Image.DecompressionBombError)
NO_TEXT = ("No text was recognised on any page. If the scan is faint, skewed or very small, rescan it "
           "at 200-300 dpi and upload it again.")


def check_pixels(width: int, height: int, max_megapixels: float, what: str = "This image") -> None:
    if width <= 0 or height <= 0:
        raise InvalidDocument(f"{what} has no pixels.")
    if width * height > max_megapixels * 1e6:
        raise InvalidDocument(
            f"{what} is {width} x {height} pixels ({width * height / 1e6:.0f} megapixels); the limit is "
            f"{max_megapixels:g} megapixels (RAG_OCR_MAX_MEGAPIXELS). It was rejected as a possible decompression bomb."
        )


def open_image(data: bytes, max_megapixels: float) -> Image.Image:
    """The image, header read and size checked, no pixel decoded yet."""
    if not data:
        raise InvalidDocument("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise InvalidDocument("This image has more pixels than can be read safely; it was rejected as a possible "
                              "decompression bomb.") from exc
    except DECODE_ERRORS as exc:
        raise InvalidDocument("This image is damaged or not a PNG, JPEG or TIFF file.") from exc
    check_pixels(image.width, image.height, max_megapixels)
    return image


def frame_count(image: Image.Image) -> int:
    """Pages of the image; a TIFF counts its frames by reading each frame's header."""
    try:
        return max(1, int(getattr(image, "n_frames", 1) or 1))
    except DECODE_ERRORS as exc:  # found by tests/security/test_fuzz.py: "Missing dimensions" in a later frame
        raise InvalidDocument("This image is damaged: one of its pages cannot be read.") from exc


def frame(image: Image.Image, index: int, max_megapixels: float) -> Image.Image:
    """Frame `index` (0-based) decoded and upright (phone photos carry their rotation in EXIF)."""
    try:
        image.seek(index)
        check_pixels(image.width, image.height, max_megapixels, f"Page {index + 1} of this image")
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upright = ImageOps.exif_transpose(image)
            upright.load()
        return upright
    except InvalidDocument:
        raise
    except (*DECODE_ERRORS, Image.DecompressionBombWarning) as exc:
        raise InvalidDocument(f"Page {index + 1} of this image is damaged and cannot be read.") from exc


def page_image(data: bytes, number: int, max_megapixels: float = MAX_MEGAPIXELS_DEFAULT) -> Image.Image:
    """Page `number` (1-based) of an image document, exactly as OCR saw it (the boxes fit it)."""
    image = open_image(data, max_megapixels)
    if not 1 <= number <= frame_count(image):
        raise InvalidDocument(f"Page {number} is not in this image.")
    return frame(image, number - 1, max_megapixels)


class ImageParser:
    """PNG, JPEG or TIFF: each frame is a page, read by OCR."""

    kind = "image"

    def __init__(self, ocr: TesseractOcr | None = None, max_pages: int = OCR_MAX_PAGES_DEFAULT,
                 max_megapixels: float = MAX_MEGAPIXELS_DEFAULT):
        self.ocr = ocr or TesseractOcr()
        self.max_pages = max_pages
        self.max_megapixels = max_megapixels

    def parse(self, data: bytes, on_page: PageProgress | None = None) -> Iterator[Page]:
        image = open_image(data, self.max_megapixels)
        count = frame_count(image)
        if count > self.max_pages:
            raise InvalidDocument(f"This image has {count} pages; OCR reads at most {self.max_pages} (RAG_OCR_MAX_PAGES).")
        self.ocr.check()
        pages = []
        for index in range(count):
            pages.append(self.ocr.page(index + 1, frame(image, index, self.max_megapixels)))
            if on_page:
                on_page(index + 1, count)
        if not any(p.text.strip() for p in pages):
            raise InvalidDocument(NO_TEXT)
        yield from correct_confusions(pages)


def open_page(document, index: int):
    """Page `index` (0-based) of a pdfium document; a page pdfium cannot load is a damaged PDF. Call
    it holding PDFIUM_LOCK."""
    import pypdfium2 as pdfium

    try:
        return document[index]
    except pdfium.PdfiumError as exc:  # "Failed to load page." (fuzzing found it)
        raise InvalidDocument(f"Page {index + 1} of this PDF is damaged and cannot be read. "
                              "Try re-saving it as PDF.") from exc


def render_for_ocr(document, index: int, max_megapixels: float) -> Image.Image:
    """Page `index` (0-based) of a pdfium document in grey at RENDER_DPI, scaled down to the pixel cap."""
    with PDFIUM_LOCK:
        page = open_page(document, index)
        try:
            width, height = page.get_size()
            scale = RENDER_DPI / 72
            if width * height * scale * scale > max_megapixels * 1e6:
                scale = (max_megapixels * 1e6 / max(1.0, width * height)) ** 0.5
            if width * scale < 1 or height * scale < 1:
                raise InvalidDocument(f"Page {index + 1} of this PDF has no area.")
            return page.render(scale=scale, grayscale=True).to_pil()
        finally:
            page.close()


def has_images(document, index: int) -> bool:
    import pypdfium2.raw as pdfium_c

    with PDFIUM_LOCK:
        page = open_page(document, index)
        try:
            return next(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=8), None) is not None
        finally:
            page.close()
