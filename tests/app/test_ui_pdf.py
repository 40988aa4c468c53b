"""ui/pdf.py on real PDFs: quotes from pypdf's extraction are found by pdfium and highlighted."""

from pathlib import Path

import pypdf
import pytest
from PIL import Image

from ui.pdf import HIGHLIGHT, Box, draw_boxes, find_ranges, fold, render_page, to_png

SPEC = Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf")
TASN = Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf")


def yellow_pixels(image: Image.Image) -> int:
    return sum(1 for r, g, b in image.convert("RGB").get_flattened_data() if r > 230 and g > 200 and b < 160)


def test_fold_keeps_letters_and_digits_with_their_positions():
    assert fold("Ab-c\n 1ﬁ") == ("abc1fi", [0, 1, 3, 6, 7, 7])


def test_find_ranges_tolerates_whitespace_and_falls_back_to_lines():
    page = "The globs2 file is a simple\r\nlist of lines, separated by a colon."
    assert find_ranges(page, "globs2 file is a simple list of lines") == [(4, page.index("lines") + 5)]
    both = "not on this page at all, nowhere\nseparated by a colon"
    assert find_ranges(page, both) == [(page.index("separated"), len(page) - 1)]
    assert find_ranges(page, "too short") == []


@pytest.mark.parametrize("path, page_number", [(SPEC, 7), (TASN, 8)])
def test_a_pypdf_sentence_is_highlighted_on_the_rendered_page(path, page_number):
    data = path.read_bytes()
    text = pypdf.PdfReader(path).pages[page_number - 1].extract_text()
    quote = " ".join(text.split()[10:30])
    assert len(fold(quote)[0]) > 40
    plain, none = render_page(data, page_number, [])
    marked, boxes = render_page(data, page_number, [quote])
    assert none == 0 and boxes >= 1
    assert plain.size == marked.size and abs(marked.size[0] - 900) <= 1
    assert yellow_pixels(marked) > yellow_pixels(plain) + 500


def test_a_quote_from_another_page_draws_nothing():
    data = SPEC.read_bytes()
    other = " ".join(pypdf.PdfReader(SPEC).pages[0].extract_text().split()[:15])
    assert render_page(data, 7, [other])[1] == 0


def test_a_page_outside_the_document_is_refused():
    with pytest.raises(ValueError, match="page 99"):
        render_page(SPEC.read_bytes(), 99)


def test_draw_boxes_paints_translucent_yellow_and_png_round_trips():
    image = draw_boxes(Image.new("RGB", (50, 20), "white"), [Box(10, 5, 30, 15)], pad=0)
    r, g, b = image.getpixel((20, 10))
    assert (r, g, b) != (255, 255, 255) and b < 200 and HIGHLIGHT[3] < 255
    assert image.getpixel((2, 2)) == (255, 255, 255)
    assert Image.open(__import__("io").BytesIO(to_png(image))).size == (50, 20)
