"""End to end in Chromium with scans: a scanned PDF (no text layer) and a phone-photo-like PNG of a
manual page are uploaded, a question is asked, the citation clicked, and the passage is boxed on the
page image, with per-page OCR progress on the way."""

import io
import os
import re
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageFilter

from tests.browser.conftest import open_page
from tests.browser.helpers import CHAT_MESSAGE, added, ask, upload
from tests.conftest import MIME_SPEC, TASN1

pytestmark = pytest.mark.browser
DOCS_DIR = Path(__file__).parents[2] / "docs"


def render(path: Path, index: int, dpi: int = 150) -> Image.Image:
    document = pdfium.PdfDocument(path)
    try:
        return document[index].render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        document.close()


def scanned_spec(tmp_path: Path) -> Path:
    """Pages 5-8 of the MIME spec as an image-only PDF at 150 dpi (no text layer left)."""
    pages = [render(MIME_SPEC, i) for i in range(4, 8)]
    path = tmp_path / "mime-spec-scan.pdf"
    pages[0].save(path, "PDF", resolution=150.0, save_all=True, append_images=pages[1:])
    return path


def phone_photo(tmp_path: Path) -> Path:
    """A libtasn1 manual page as a hand-held shot: tilted, on a grey desk, warm light, slightly soft."""
    page = render(TASN1, 10, dpi=170).convert("RGB")
    desk = Image.new("RGB", (page.width + 160, page.height + 160), (96, 92, 88))
    desk.paste(page, (80, 80))
    photo = desk.rotate(1.2, resample=Image.BICUBIC, fillcolor=(96, 92, 88)).filter(ImageFilter.GaussianBlur(0.6))
    warm = Image.merge("RGB", [c.point(lambda v, k=k: min(255, int(v * k))) for c, k in zip(photo.split(), (1.0, 0.96, 0.88), strict=True)])
    path = tmp_path / "IMG_2041.png"
    buffer = io.BytesIO()
    warm.save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def cite_and_look(page, url: str, question: str, title: str, words: str) -> None:
    ask(page, url, question)
    answer = page.locator(CHAT_MESSAGE).nth(1)
    chip = answer.locator('[data-testid="stButtonGroup"] button', has_text=title).first
    chip.wait_for()
    chip.click()
    assert words in page.locator("mark#docchat-focus").inner_text()
    image = page.locator('[data-testid="stImage"] img')
    image.wait_for()
    assert image.evaluate("img => img.complete && img.naturalWidth > 500")
    caption = page.locator('[data-testid="stImage"]').inner_text()
    assert "cited passage highlighted" in caption, caption
    page.get_by_text("Text recognised by OCR").wait_for()


def test_scans_are_read_cited_and_boxed_on_the_page_image(chromium, local_app, tmp_path):
    page = open_page(chromium, local_app)
    page.set_viewport_size({"width": 1280, "height": 1000})
    upload(page, local_app, [str(scanned_spec(tmp_path)), str(phone_photo(tmp_path))])
    page.get_by_text(re.compile(r"Reading the scan \(OCR\): page \d of 4")).first.wait_for(timeout=120_000)
    for name in ("mime-spec-scan.pdf", "IMG_2041.png"):
        page.get_by_text(added(name)).wait_for(timeout=240_000)

    cite_and_look(page, local_app, "How are glob patterns weighted?", "mime-spec-scan.pdf", "weight")
    page.screenshot(path=tmp_path / "scan.png", full_page=True)
    cite_and_look(page, local_app, "What does asn1_parser2tree do?", "IMG_2041.png", "parse")
    photo_png = tmp_path / "photo.png"
    page.screenshot(path=photo_png, full_page=True)
    if os.environ.get("DOCCHAT_UPDATE_SCREENSHOTS"):
        shutil.copy(photo_png, DOCS_DIR / "screenshot-ocr.png")
        shutil.copy(tmp_path / "scan.png", DOCS_DIR / "screenshot-ocr-scan.png")
