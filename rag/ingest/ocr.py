"""Local OCR: Tesseract (Debian's tesseract-ocr + tesseract-ocr-eng) driven through pytesseract.

Words keep their boxes and confidences. The page text is built from them in Tesseract's reading
order (blocks, then paragraphs, then lines), so chunk offsets index words and the source view can
box any span of the page on its image. Each page is one `tesseract` process: a damaged image cannot
take the app down with it, and the waiting thread holds no GIL, so other users keep chatting."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from PIL import Image

from rag.errors import InvalidDocument
from rag.types import Page, WordBox

INSTALL = ("Reading scans and images needs Tesseract OCR, which is not installed on this server. Install it with "
           "`apt-get install tesseract-ocr tesseract-ocr-eng` (Debian/Ubuntu; `make system-deps` does it), "
           "then upload the file again.")
LOW_CONFIDENCE = 0.6  # words Tesseract is less sure of are marked in the source view
RENDER_DPI = 200  # PDF pages are rendered at this resolution for OCR
WORD_LEVEL = 5  # image_to_data's row level for a word

PageProgress = Callable[[int, int], None]  # (pages recognised, pages to recognise)


@dataclass(frozen=True)
class TesseractOcr:
    language: str = "eng"
    timeout: float = 300.0  # seconds for one page; a page that takes longer is reported, not waited for
    command: str = "tesseract"  # pytesseract keeps one command per process: the last checked engine's

    def check(self) -> None:
        """InvalidDocument saying what to install when Tesseract or its language data is missing."""
        import pytesseract

        if shutil.which(self.command) is None:
            raise InvalidDocument(INSTALL)
        pytesseract.pytesseract.tesseract_cmd = self.command
        # Tesseract's OpenMP threads made a page no faster on 2 shared cores and starved everything else.
        # Only its process gets the limit: in ours it would also cap torch's threads (the embedder).
        pytesseract.pytesseract.environ = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            languages = pytesseract.get_languages(config="")
        except (pytesseract.TesseractError, OSError) as exc:
            raise InvalidDocument(INSTALL) from exc
        if self.language not in languages:
            raise InvalidDocument(INSTALL.replace("tesseract-ocr-eng", f"tesseract-ocr-{self.language}"))

    def page(self, number: int, image: Image.Image) -> Page:
        """Page `number` of the words Tesseract reads on `image` (any mode; converted to grey)."""
        grey = flatten(image)
        return page_from_words(number, word_rows(self.data(number, grey)), grey.width, grey.height)

    def data(self, number: int, grey: Image.Image) -> dict[str, list]:
        """Tesseract's reading of a grey page image: pytesseract's image_to_data, one row per block,
        paragraph, line and word."""
        import pytesseract

        try:
            return pytesseract.image_to_data(grey, lang=self.language, config="--psm 3",
                                             output_type=pytesseract.Output.DICT, timeout=self.timeout)
        except pytesseract.TesseractNotFoundError as exc:
            raise InvalidDocument(INSTALL) from exc
        except RuntimeError as exc:  # pytesseract's timeout, and TesseractError (its subclass)
            raise InvalidDocument(f"Page {number} could not be recognised by OCR ({str(exc)[:120]}).") from exc


def flatten(image: Image.Image) -> Image.Image:
    """Greyscale on white: transparent areas of a PNG would otherwise read as black."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return image.convert("L")


def word_rows(rows: dict[str, list]) -> list[tuple[tuple[int, int, int], str, tuple[int, int, int, int], float]]:
    """((block, paragraph, line), text, (left, top, width, height), confidence 0-1) per recognised word."""
    words = []
    for i, level in enumerate(rows["level"]):
        text = str(rows["text"][i]).replace("\x00", "").strip()
        if int(level) != WORD_LEVEL or not text:
            continue
        key = (int(rows["block_num"][i]), int(rows["par_num"][i]), int(rows["line_num"][i]))
        box = (int(rows["left"][i]), int(rows["top"][i]), int(rows["width"][i]), int(rows["height"][i]))
        words.append((key, text, box, max(0.0, min(1.0, float(rows["conf"][i]) / 100))))
    return words


def page_from_words(number: int, words: Sequence, width: int, height: int) -> Page:
    """Words joined by spaces, lines by a newline, each word's offsets and box. Paragraphs too are one
    newline apart, as a PDF's text layer flows them: Tesseract's paragraphs split a function's
    prototype from its description, and a blank line there would end a sentence and a chunk
    (docs/evaluation.md: scanned QA correct 0.31 -> 0.48 on dev)."""
    parts: list[str] = []
    boxes: list[WordBox] = []
    length, last = 0, None
    for key, text, (left, top, w, h), confidence in words:
        if last is not None:
            gap = " " if key == last else "\n"
            parts.append(gap)
            length += len(gap)
        parts.append(text)
        boxes.append(WordBox(length, length + len(text), round(left / width, 5), round(top / height, 5),
                             round((left + w) / width, 5), round((top + h) / height, 5), round(confidence, 3)))
        length += len(text)
        last = key
    return Page(number, "".join(parts), words=tuple(boxes))


def uncertain_spans(page: Page, threshold: float = LOW_CONFIDENCE) -> list[tuple[int, int]]:
    """Offsets of the page's words recognised with less than `threshold` confidence."""
    return [(w.start, w.end) for w in page.words if w.confidence < threshold]


def span_boxes(page: Page, spans: Sequence[tuple[int, int]]) -> list[tuple[float, float, float, float]]:
    """(left, top, right, bottom) fractions covering the words of each span, one box per run of words on a line."""
    boxes: list[list[float]] = []
    for start, end in spans:
        previous = None
        for word in page.words:
            if word.end <= start or word.start >= end:
                continue
            same_line = previous is not None and page.text[previous.end:word.start] == " " and word.left >= previous.left
            if same_line and boxes:
                box = boxes[-1]
                box[1], box[2], box[3] = min(box[1], word.top), max(box[2], word.right), max(box[3], word.bottom)
            else:
                boxes.append([word.left, word.top, word.right, word.bottom])
            previous = word
    return [(b[0], b[1], b[2], b[3]) for b in boxes]



# Tesseract reads the 1 of a fixed-width "asn1_node" as i or l, though it reads "ASN1_SUCCESS" right: the
# parts of a document's names are compared case-folded, by their shape (1/l/i alike, 0/o alike).
SHAPE = str.maketrans({"1": "|", "l": "|", "i": "|", "0": "°", "o": "°"})
PART = re.compile(r"[A-Z]*[^\W_A-Z]+|[A-Z]+")  # "asn1Parser" -> asn1, Parser; "ASN1_ETYPE" -> ASN1, ETYPE
MIN_PART = 3


def spellings(pages: Sequence[Page]) -> dict[str, str]:
    """{part: its spelling} for the name parts (case-folded) whose shape the document spells with a digit
    in the majority of its occurrences, while the part has a letter there: "asni" -> "asn1"."""
    counts: dict[str, int] = {}
    for page in pages:
        for part in PART.findall(page.text):
            if len(part) >= MIN_PART:
                counts[part.lower()] = counts.get(part.lower(), 0) + 1
    shapes: dict[str, list[str]] = {}
    for part in counts:
        shape = part.translate(SHAPE)
        if shape != part:
            shapes.setdefault(shape, []).append(part)
    fixes = {}
    for variants in shapes.values():
        best = max(variants, key=lambda v: (counts[v], v))
        if 2 * counts[best] <= sum(counts[v] for v in variants) or not any(ch.isdigit() for ch in best):
            continue
        fixes.update({v: best for v in variants if v != best})
    return fixes


def respell(part: str, spelling: str) -> str:
    """`part` with the digits of `spelling` where it has a confusable letter; its other letters keep their case."""
    return "".join(s if s.isdigit() and not p.isdigit() else p for p, s in zip(part, spelling, strict=True))


def correct_confusions(pages: Sequence[Page]) -> list[Page]:
    """A document's pages, those read by OCR (with word boxes) with each misread digit of a name restored
    from the spelling the whole document (text layer included) uses most. A replacement has the same
    length, so every word box keeps its offsets and highlighting its words."""
    fixes = spellings(pages)
    if not fixes:
        return list(pages)

    def fix(match: re.Match) -> str:
        part = match.group(0)
        return respell(part, fixes[part.lower()]) if part.lower() in fixes else part

    return [replace(page, text=PART.sub(fix, page.text)) if page.words else page for page in pages]
