"""Render a PDF page and draw translucent highlights over quoted passages. Pure functions.

The quotes come from pypdf's text extraction (pdfium's for a PDF a browser saved) and the boxes from pdfium's, so
the two are matched on letters and digits only: line breaks, spacing and hyphenation may differ."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from rag.ingest.images import PDFIUM_LOCK, page_image

HIGHLIGHT = (255, 214, 0, 110)
OUTLINE = (230, 160, 0, 200)
MIN_MATCH = 12  # letters; shorter quotes would light up random places


@dataclass(frozen=True)
class Box:
    """A rectangle in image pixels, top-left origin."""

    left: float
    top: float
    right: float
    bottom: float


def fold(text: str) -> tuple[str, list[int]]:
    """Lower-cased letters and digits of `text` (ligatures unfolded) and each one's index in `text`."""
    letters, where = [], []
    for i, ch in enumerate(text):
        for part in unicodedata.normalize("NFKC", ch):
            if part.isalnum():
                letters.append(part.lower())
                where.append(i)
    return "".join(letters), where


def find_ranges(page_text: str, quote: str) -> list[tuple[int, int]]:
    """Index ranges [start, end) of `page_text` that spell `quote`; if the whole quote is not
    found (extractors disagree), each of its lines that is long enough."""
    folded, where = fold(page_text)

    def spot(part: str) -> tuple[int, int] | None:
        needle, _ = fold(part)
        at = folded.find(needle) if len(needle) >= MIN_MATCH else -1
        return (where[at], where[at + len(needle) - 1] + 1) if at >= 0 else None

    whole = spot(quote)
    if whole:
        return [whole]
    return [found for line in quote.splitlines() if (found := spot(line))]


def page_text(textpage) -> str:
    """pdfium's text with one character per char index (get_text_range can differ when
    pdfium generates characters, so fall back to one call per character)."""
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count)
    if len(text) == count:
        return text
    return "".join((textpage.get_text_range(i, 1) or " ")[:1] for i in range(count))


def same_line(line: list[float], bottom: float, top: float) -> bool:
    """Vertical overlap of at least half the smaller height (mixed font sizes share a line)."""
    overlap = min(top, line[3]) - max(bottom, line[1])
    return overlap >= 0.5 * min(top - bottom, line[3] - line[1])


def char_boxes(textpage, start: int, end: int, height: float, scale: float, origin=(0.0, 0.0)) -> list[Box]:
    """One box per line of characters start..end, in image pixels."""
    lines: list[list[float]] = []
    for i in range(start, end):
        left, bottom, right, top = textpage.get_charbox(i, loose=True)
        if right <= left or top <= bottom:
            continue  # generated characters (line breaks) have no box
        if lines and same_line(lines[-1], bottom, top) and left >= lines[-1][0]:
            line = lines[-1]
            line[0], line[1], line[2], line[3] = min(line[0], left), min(line[1], bottom), max(line[2], right), max(line[3], top)
        else:
            lines.append([left, bottom, right, top])
    ox, oy = origin
    return [Box((lf - ox) * scale, (height - (tp - oy)) * scale, (rt - ox) * scale, (height - (bt - oy)) * scale)
            for lf, bt, rt, tp in lines]


def quote_boxes(page, quotes: Sequence[str], scale: float) -> list[Box]:
    """Boxes covering every quote found on a pdfium page."""
    textpage = page.get_textpage()
    try:
        text = page_text(textpage)
        left, bottom, _right, top = page.get_cropbox()
        boxes = []
        for quote in quotes:
            for start, end in find_ranges(text, quote):
                boxes.extend(char_boxes(textpage, start, end, top - bottom, scale, (left, bottom)))
        return boxes
    finally:
        textpage.close()


def draw_boxes(image: Image.Image, boxes: Sequence[Box], pad: float = 1.5) -> Image.Image:
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for box in boxes:
        draw.rectangle((box.left - pad, box.top - pad, box.right + pad, box.bottom + pad),
                       fill=HIGHLIGHT, outline=OUTLINE)
    return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")


Fractions = Sequence[tuple[float, float, float, float]]  # (left, top, right, bottom) as fractions of the page


def scaled(fractions: Fractions, image: Image.Image) -> list[Box]:
    return [Box(left * image.width, top * image.height, right * image.width, bottom * image.height)
            for left, top, right, bottom in fractions]


def render_page(pdf: bytes, page_number: int, quotes: Sequence[str] = (), width: int = 900,
                fractions: Fractions | None = None) -> tuple[Image.Image, int]:
    """Page `page_number` (1-based) as an image about `width` pixels wide, quotes highlighted;
    also how many highlight boxes were drawn (0 when the quotes were not found on the page).
    A page read by OCR has no text layer to search: its boxes come as `fractions` of the page."""
    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(pdf)
        try:
            if not 1 <= page_number <= len(document):
                raise ValueError(f"page {page_number} is not in this {len(document)}-page PDF")
            page = document[page_number - 1]
            scale = width / page.get_width()
            image = page.render(scale=scale).to_pil()
            if fractions is not None:
                boxes = scaled(fractions, image)
            else:
                boxes = quote_boxes(page, quotes, scale) if page.get_rotation() == 0 else []
            return draw_boxes(image, boxes), len(boxes)
        finally:
            document.close()


def render_image_page(data: bytes, page_number: int, fractions: Fractions, width: int = 900) -> tuple[Image.Image, int]:
    """Page `page_number` of an image document (a TIFF frame, a photo turned upright as OCR saw it),
    `width` pixels wide at most, with the boxes drawn."""
    image = page_image(data, page_number)
    if image.width > width:
        image = image.resize((width, max(1, round(image.height * width / image.width))))
    boxes = scaled(fractions, image)
    return draw_boxes(image, boxes), len(boxes)


def to_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
