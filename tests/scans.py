"""Scanned pages made at test time: text drawn on a white image with Pillow's bundled font, so
OCR tests know exactly which words are where. Image-only PDFs have no text layer at all."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

NEEDLE_LINES = ("The needle is hidden in the haystack.", "Second line of the scanned page.")
LEFT, TOP, LINE_HEIGHT, SIZE = 60, 60, 70, 34
WIDTH, HEIGHT = 1240, 700


def scan_image(lines: Sequence[str] = NEEDLE_LINES, size: tuple[int, int] = (WIDTH, HEIGHT), mode: str = "L") -> Image.Image:
    """Each line drawn at (LEFT, TOP + i * LINE_HEIGHT); a blank image when `lines` is empty."""
    image = Image.new(mode, size, "white")
    draw, font = ImageDraw.Draw(image), ImageFont.load_default(size=SIZE)
    for i, line in enumerate(lines):
        draw.text((LEFT, TOP + i * LINE_HEIGHT), line, fill="black", font=font)
    return image


def text_box(line: int, text: str, word: str) -> tuple[float, float, float, float]:
    """Where `word` of line `text` was drawn, as fractions of the page (left, top, right, bottom)."""
    font = ImageFont.load_default(size=SIZE)
    before = text[:text.index(word)]
    left = LEFT + font.getlength(before)
    right = LEFT + font.getlength(before + word)
    top = TOP + line * LINE_HEIGHT
    return left / WIDTH, top / HEIGHT, right / WIDTH, (top + SIZE) / HEIGHT


def encode(images: Sequence[Image.Image], fmt: str, **options) -> bytes:
    out = io.BytesIO()
    images[0].save(out, fmt, save_all=len(images) > 1, append_images=list(images[1:]), **options)
    return out.getvalue()


def scanned_pdf(pages: Sequence[Sequence[str]] = (NEEDLE_LINES,)) -> bytes:
    """An image-only PDF: one scanned page per entry, 150 dpi."""
    return encode([scan_image(lines) for lines in pages], "PDF", resolution=150.0)


def png(lines: Sequence[str] = NEEDLE_LINES) -> bytes:
    return encode([scan_image(lines)], "PNG")
