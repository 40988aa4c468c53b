"""One Parser per file type. Each yields pages of text; anything unreadable is InvalidDocument."""

from __future__ import annotations

import io
import re
import statistics
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator

from rag.errors import InvalidDocument
from rag.ingest.images import (
    MAX_MEGAPIXELS_DEFAULT,
    NO_TEXT,
    OCR_MAX_PAGES_DEFAULT,
    PDFIUM_LOCK,
    has_images,
    render_for_ocr,
)
from rag.ingest.ocr import PageProgress, TesseractOcr, correct_confusions
from rag.types import Page

MAX_PAGES_DEFAULT = 5000
MIN_LAYER_LETTERS = 16  # a page with fewer letters and digits in its text layer is treated as scanned


class PdfParser:
    """pypdf's text layer; pages with (almost) none that carry images are rendered and read by OCR."""

    kind = "pdf"

    def __init__(self, max_pages: int = MAX_PAGES_DEFAULT, ocr: TesseractOcr | None = None,
                 ocr_max_pages: int = OCR_MAX_PAGES_DEFAULT, max_megapixels: float = MAX_MEGAPIXELS_DEFAULT):
        self.max_pages = max_pages
        self.ocr = ocr or TesseractOcr()
        self.ocr_max_pages = ocr_max_pages
        self.max_megapixels = max_megapixels

    def parse(self, data: bytes, on_page: PageProgress | None = None) -> Iterator[Page]:
        reader, count = open_pdf(data)
        if count > self.max_pages:
            raise InvalidDocument(f"This PDF has {count} pages; the limit is {self.max_pages} (RAG_MAX_PAGES).")
        if browser_printed(reader):
            pages = [Page(number, text) for number, text in enumerate(pdfium_texts(data), start=1)]
        else:
            pages = [Page(number, self._text(reader, number)) for number in range(1, count + 1)]
        if any(letters(p.text) < MIN_LAYER_LETTERS for p in pages):
            pages = self._recognise(data, pages, on_page)
        if not any(p.text.strip() for p in pages):
            raise InvalidDocument("This PDF has no text: its pages are blank.")
        yield from pages

    @staticmethod
    def _text(reader, number: int) -> str:
        try:
            text = reader.pages[number - 1].extract_text() or ""
        except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged content streams
            raise InvalidDocument(f"Page {number} of this PDF is damaged and cannot be read.") from exc
        text = text.replace("\x00", "").translate(LIGATURES)
        return "\n".join(single_struck(line) for line in text.split("\n"))

    def _recognise(self, data: bytes, pages: list[Page], on_page: PageProgress | None) -> list[Page]:
        """OCR for the pages without a text layer that show an image; the others keep their text."""
        import pypdfium2 as pdfium

        try:
            with PDFIUM_LOCK:
                document = pdfium.PdfDocument(data)
        except (pdfium.PdfiumError, ValueError, OSError) as exc:
            raise InvalidDocument("This PDF is damaged and cannot be read. Try re-saving it as PDF.") from exc
        try:
            if len(document) != len(pages):
                raise InvalidDocument("This PDF is damaged (its page tree is inconsistent). Try re-saving it as PDF.")
            scanned = [p.number for p in pages if letters(p.text) < MIN_LAYER_LETTERS and has_images(document, p.number - 1)]
            if not scanned:
                return pages
            if len(scanned) > self.ocr_max_pages:
                raise InvalidDocument(f"This PDF has {len(scanned)} scanned pages; OCR reads at most "
                                      f"{self.ocr_max_pages} (RAG_OCR_MAX_PAGES). Split it and upload the parts.")
            self.ocr.check()
            for done, number in enumerate(scanned, start=1):
                image = render_for_ocr(document, number - 1, self.max_megapixels)
                recognised = self.ocr.page(number, image)
                if letters(recognised.text) > letters(pages[number - 1].text):  # a title page's few words stay
                    pages[number - 1] = recognised
                if on_page:
                    on_page(done, len(scanned))
        finally:
            with PDFIUM_LOCK:
                document.close()
        if not any(p.text.strip() for p in pages):
            raise InvalidDocument("This PDF looks scanned. " + NO_TEXT)
        return correct_confusions(pages)


def browser_printed(reader) -> bool:
    """A browser's "Save as PDF" (Chromium's Skia): it places each glyph apart, and pypdf's spacing splits words at
    their kerning ("powe rpc-unknown-linux-gnu", "x86_64-unknown-fre e bsd") and reads a faked bold twice; pdfium,
    the browser's own reader, keeps them whole. Other producers' PDFs (TeX's, whose Texinfo layout the reader knows
    as pypdf gives it) are read by pypdf."""
    try:
        producer = (reader.metadata or {}).get("/Producer") or ""
    except Exception:  # noqa: BLE001 - a damaged info dictionary says nothing about the producer
        return False
    return str(producer).startswith("Skia/PDF")


def pdfium_texts(data: bytes) -> list[str]:
    """Each page's text as pdfium reads it, lines ending in "\n"."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except (pdfium.PdfiumError, ValueError, OSError) as exc:
            raise InvalidDocument("This PDF is damaged and cannot be read. Try re-saving it as PDF.") from exc
        try:
            texts = []
            for index in range(len(document)):
                page = document[index]
                textpage = page.get_textpage()
                texts.append(laid_out(textpage))
                textpage.close()
                page.close()
        finally:
            document.close()
    # pdfium joins a word broken at a line-end hyphen and marks the hyphen U+FFFE: it is given back as pypdf gives
    # it ("arm-unknown-linux-\ngnueabihf"), which the chunker and the reader know
    return [text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").replace("\ufffe", "-\n")
            .translate(LIGATURES) for text in texts]


def laid_out(textpage) -> str:
    """pdfium's text of a page with each line's indentation and its runs of spaces given back from the characters'
    boxes: pdfium reads "    1.0   30 Oct 2004   First version" in a code block as "1.0 30 Oct 2004 First version",
    and the layout reads indentation (code, displayed commands) and runs of spaces (a table's cells)."""
    text = textpage.get_text_range()
    if len(text) != textpage.count_chars():  # the boxes are indexed by character
        return text
    boxes = {}
    for i, char in enumerate(text):
        if not char.isspace():
            left, _bottom, right, _top = textpage.get_charbox(i)
            if right > left:
                boxes[i] = (left, right)
    lines = [match.span() for match in re.finditer(r"[^\r\n]+", text)]
    firsts = [next((boxes[i][0] for i in range(a, b) if i in boxes), None) for a, b in lines]
    if not any(first is not None for first in firsts):
        return text
    margin = Counter(round(x) for x in firsts if x is not None).most_common(1)[0][0]  # where most lines start
    out, end = [], 0
    for (a, b), first in zip(lines, firsts, strict=True):
        out.append(text[end:a])  # the line breaks before this line
        end = b
        widths = [boxes[i][1] - boxes[i][0] for i in range(a, b) if i in boxes and text[i].isalnum()]
        if first is None or not widths:
            out.append(text[a:b])
            continue
        width = statistics.median(widths)  # a character's width on this line: a space's, in a code block
        line = " " * round((first - margin) / width) if first - margin > width / 2 else ""
        last = None
        for i in range(a, b):
            if text[i].isspace():
                continue
            if last is not None and text[i - 1].isspace():
                gap = boxes[i][0] - last if i in boxes else 0.0
                line += " " * max(1, int(gap / width + 0.25))
            line += text[i]
            last = boxes[i][1] if i in boxes else last
        out.append(line)
    return "".join(out) + text[end:]


# a font's ligature glyphs, which pypdf reads as one character ("diﬀerent"): their letters, for search and answers
LIGATURES = str.maketrans({chr(code): unicodedata.normalize("NFKC", chr(code)) for code in range(0xFB00, 0xFB07)})
DOUBLE_STRUCK_MAX = 200  # longer lines are prose; the check is quadratic in the line's length


def single_struck(line: str) -> str:
    """The line as printed once, where every run of it was drawn twice at the same place: a browser's "Save as PDF"
    fakes a bold face it lacks that way, and pypdf reads both ("3.1. 3.1. VersionsVersions" -> "3.1. Versions"). A
    line that is not wholly such pairs of runs, two characters or longer, is left as it is."""
    if not (4 <= len(line) <= DOUBLE_STRUCK_MAX and any(ch.isalpha() for ch in line)):
        return line
    runs, i = [], 0
    while i < len(line):
        size = next((n for n in range(2, (len(line) - i) // 2 + 1) if line[i:i + n] == line[i + n:i + 2 * n]), None)
        if size is None:
            return line
        runs.append(line[i:i + size])
        i += 2 * size
    return "".join(runs)


def letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


MAX_TABLE_NESTING = 16  # deeper tables inside tables (and text boxes inside boxes) are read as rows of text

WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# what holds a paragraph's runs as Word shows them: links, tracked insertions, content controls, fields, smart tags (a
# tracked deletion, w:del, is not shown; python-docx's paragraph text reads only runs and links)
INLINE = {WORD + tag for tag in ("hyperlink", "ins", "moveTo", "smartTag", "customXml", "sdt", "sdtContent",
                                 "fldSimple", "dir", "bdo")}
BLOCKS = {WORD + tag for tag in ("sdt", "sdtContent", "customXml")}  # a content control around paragraphs or tables
NOTE_REFERENCES = {WORD + "footnoteReference": "footnotes", WORD + "endnoteReference": "endnotes"}


def inline_text(element, notes: list[tuple[str, str]]) -> str:
    """A paragraph's text as Word shows it; the footnotes and endnotes it refers to are added to `notes`."""
    parts = []
    for child in element.iterchildren():
        if child.tag == WORD + "r":
            parts.append(child.text)  # python-docx's run text: w:t, tabs, line breaks, non-breaking hyphens
            notes.extend((NOTE_REFERENCES[ref.tag], ref.get(WORD + "id")) for ref in child.iterchildren(
                *NOTE_REFERENCES))
        elif child.tag in INLINE:
            parts.append(inline_text(child, notes))
    return "".join(parts)


def text_boxes(element) -> list:
    """The text boxes anchored in a paragraph, each once: a shape's text (w:txbxContent) is written twice, as a
    drawing and again as a fallback picture for old readers (mc:Fallback, not read), and a box inside a box is read
    with its box."""
    boxes = []
    for child in element.iterchildren():
        if child.tag == WORD + "txbxContent":
            boxes.append(child)
        elif child.tag != FALLBACK:
            boxes.extend(text_boxes(child))
    return boxes


class DocxParser:
    """Sections, not pages: each heading starts a new numbered section (DOCX has no fixed pages). Everything Word shows
    as the document's text is read: tables, content controls, text boxes, tracked insertions, and footnotes and
    endnotes, each note at the end of the section that refers to it (where a printed page shows it), numbered as
    Word numbers them; page headers and footers are page furniture and are not."""

    kind = "docx"

    def __init__(self, max_unzipped: int = 200 * 1024 * 1024, max_pages: int = MAX_PAGES_DEFAULT):
        self.max_unzipped = max_unzipped
        self.max_pages = max_pages

    def check_archive(self, data: bytes) -> None:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                infos = archive.infolist()
        except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError) as exc:
            # NotImplementedError: "zip file version 7.9", a central directory entry that needs a later zip format
            raise InvalidDocument("This Word document is damaged and cannot be read.") from exc
        if sum(info.file_size for info in infos) > self.max_unzipped:
            raise InvalidDocument(
                f"This Word document expands to more than {self.max_unzipped // 2**20} MB when unpacked "
                "(RAG_MAX_UNZIPPED_MB); it was rejected as a possible zip bomb."
            )
        if "word/document.xml" not in {info.filename for info in infos}:
            raise InvalidDocument("This ZIP archive is not a Word (.docx) document.")

    def parse(self, data: bytes, on_page: PageProgress | None = None) -> Iterator[Page]:
        if not data:
            raise InvalidDocument("The file is empty.")
        self.check_archive(data)
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        try:
            document = docx.Document(io.BytesIO(data))
            reading = _WordReading(document)
            blocks = list(reading.blocks(document.element.body))
        except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, AttributeError, TypeError,
                SyntaxError, IndexError, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            # zlib.error: a damaged deflate stream; NotImplementedError: zipfile's "That compression method is not
            # supported", an entry whose declared method is damaged or unknown; SyntaxError: lxml's XMLSyntaxError
            # in a notes part
            raise InvalidDocument("This Word document is damaged and cannot be read.") from exc
        yield from self._sections(blocks)

    def _sections(self, blocks: list[tuple[str, str]]) -> Iterator[Page]:
        sections: list[tuple[str, list[str], list[str]]] = [("", [], [])]
        for kind, text in blocks:
            if kind == "heading" and text.strip():
                sections.append((text.strip(), [], []))
            if kind == "note" and text.partition(": ")[2] in {note.partition(": ")[2] for note in sections[-1][2]}:
                continue  # one note referred to from several places is written once for each (pandoc's notes are)
            if text.strip():
                (sections[-1][2] if kind == "note" else sections[-1][1]).append(text)
        # a blank line between Word paragraphs and table rows: each is a unit of its own, as a blank-line paragraph
        # of a text file is, so a list item or a row without end punctuation does not run on into the next one
        pages = [(title, "\n\n".join(lines + notes).strip("\n")) for title, lines, notes in sections]
        pages = [(title, text) for title, text in pages if text.strip()]
        if not pages:
            raise InvalidDocument("This Word document contains no text.")
        if len(pages) > self.max_pages:
            raise InvalidDocument(f"This Word document has {len(pages)} sections; the limit is {self.max_pages}.")
        for number, (title, text) in enumerate(pages, start=1):
            yield Page(number, text, section=title)


class _WordReading:
    """One Word document's blocks in reading order: ("heading" | "text" | "note", text)."""

    def __init__(self, document):
        from docx.opc.constants import RELATIONSHIP_TYPE as RT
        from docx.oxml.parser import parse_xml

        self.document = document
        self.notes: dict[str, dict[str, object]] = {}  # "footnotes" / "endnotes": id -> w:footnote / w:endnote
        for kind, reltype in (("footnotes", RT.FOOTNOTES), ("endnotes", RT.ENDNOTES)):
            parts = [rel.target_part for rel in document.part.rels.values()
                     if rel.reltype == reltype and not rel.is_external]
            root = parse_xml(parts[0].blob) if parts else None  # python-docx's parser: no entities, no network
            self.notes[kind] = {} if root is None else {note.get(WORD + "id"): note for note in root.iterchildren()}
        self.numbers: dict[str, dict[str, int]] = {"footnotes": {}, "endnotes": {}}  # in order of first reference

    def blocks(self, container, depth: int = 0) -> Iterator[tuple[str, str]]:
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        for child in container.iterchildren():
            if child.tag == WORD + "p":
                paragraph = Paragraph(child, self.document)
                style = (paragraph.style.name if paragraph.style is not None else "") or ""
                heading = style.startswith(("Heading", "Title"))
                notes: list[tuple[str, str]] = []
                text = inline_text(child, notes)
                # a list item shows its bullet, as Word does: "Share passwords with anyone" is then an item of the
                # list, not a short capitalised title line (Word numbers its lists itself; the text holds no numbers)
                listed = not heading and text.strip() and (style.startswith("List") or child.pPr is not None
                                                           and child.pPr.numPr is not None)
                yield "heading" if heading else "text", f"\u2022 {text}" if listed else text
                if depth < MAX_TABLE_NESTING:
                    for box in text_boxes(child):
                        yield from self.blocks(box, depth + 1)
                yield from self.note_blocks(notes, depth)
            elif child.tag == WORD + "tbl":
                for row in Table(child, self.document).rows:
                    cells = list({cell._tc: cell for cell in row.cells}.values())  # a merged cell once
                    if depth < MAX_TABLE_NESTING and (len(cells) == 1 or any(cell.tables for cell in cells)):
                        # a box, or a table inside a cell: a page laid out by tables (a web page pasted into Word, a
                        # form), whose cells hold whole passages, each paragraph a unit as outside a table (and
                        # python-docx's cell text leaves an inner table out)
                        for cell in cells:
                            yield from self.blocks(cell._tc, depth + 1)
                        continue
                    notes = []
                    texts = [" ".join(self.cell_text(cell._tc, notes).split()) for cell in cells]
                    # merged cells repeat their text in python-docx; keep one copy
                    yield "text", " | ".join(dict.fromkeys(t for t in texts if t))
                    yield from self.note_blocks(notes, depth)
            elif child.tag in BLOCKS and depth < MAX_TABLE_NESTING:
                yield from self.blocks(child, depth + 1)

    def cell_text(self, cell, notes: list[tuple[str, str]]) -> str:
        """A table cell's paragraphs (those of a content control in it too), as one line."""
        return " ".join(inline_text(child, notes) if child.tag == WORD + "p" else self.cell_text(child, notes)
                        for child in cell.iterchildren() if child.tag == WORD + "p" or child.tag in BLOCKS)

    def note_blocks(self, references: list[tuple[str, str]], depth: int) -> Iterator[tuple[str, str]]:
        """Each note referred to, once, as "Note n: its text" (not "[n]", which the chat's citations are); Word numbers
        footnotes 1, 2, 3 and endnotes i, ii, iii."""
        for kind, note_id in references:
            note = self.notes[kind].get(note_id)
            if note is None or note_id in self.numbers[kind]:
                continue
            number = self.numbers[kind][note_id] = len(self.numbers[kind]) + 1
            label = str(number) if kind == "footnotes" else roman(number)
            texts = [text for _, text in self.blocks(note, depth + 1) if text.strip()]
            if texts:
                yield "note", f"Note {label}: " + " ".join(" ".join(texts).split())


def roman(number: int) -> str:
    """Lower-case roman numerals, as Word numbers endnotes."""
    numerals = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
                (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
    out = []
    for value, numeral in numerals:
        count, number = divmod(number, value)
        out.append(numeral * count)
    return "".join(out)


BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode_text(data: bytes) -> str | None:
    """Text from UTF-8 / UTF-16 (with BOM) / cp1252 / latin-1 bytes, or None if it looks binary."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    # a trace of control characters is text (an Info manual's node separators "\x1f" and index markers "\x00\x08");
    # UTF-16 without a BOM or a program is a NUL every few bytes
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\n\r\f\v\x1b\x08")
    return None if controls > max(8, len(text[:65536]) // 100) else text


# a terminal's formatting, as nroff prints a manual and `less -R` shows it: colour and weight codes ("\x1b[1m"), links
# ("\x1b]8;;url\x1b\\"), and characters struck over others ("m\b_" underlined, "m\bm" bold, "+\bo" a bullet)
TERMINAL_CODE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]?")
OVERSTRIKE = re.compile(r"([^\x08\n])\x08([^\x08\n])")


def struck(match: re.Match) -> str:
    first, second = match.groups()
    if first == "+" and second == "o":
        return "\u2022"  # nroff's bullet
    return first if second == "_" else second  # underlined either way round ("m\b_", "_\bm"), or bold


def terminal_text(text: str) -> str:
    """The text a terminal shows for nroff's or a colouring tool's output: codes dropped, struck characters resolved
    (man-db's manual, a log saved with colours). The page view and every offset then hold only what a reader sees."""
    if "\x1b" not in text and "\x08" not in text:
        return text
    text = TERMINAL_CODE.sub("", text)
    while (resolved := OVERSTRIKE.sub(struck, text)) != text:
        text = resolved
    return text.replace("\x08", "")


class TxtParser:
    """UTF-8 / UTF-16 with BOM / cp1252 / latin-1; form feeds separate pages."""

    kind = "txt"

    def __init__(self, max_pages: int = MAX_PAGES_DEFAULT):
        self.max_pages = max_pages

    def parse(self, data: bytes, on_page: PageProgress | None = None) -> Iterator[Page]:
        if not data:
            raise InvalidDocument("The file is empty.")
        text = decode_text(data)
        if text is None:
            raise InvalidDocument("This file contains binary data, not text. Upload a PDF, DOCX or plain-text file.")
        text = terminal_text(text.replace("\r\n", "\n").replace("\r", "\n")).replace("\x00", "")
        if not text.strip():
            raise InvalidDocument("The file contains only white space.")
        pages = [p for p in text.split("\f")] if "\f" in text else [text]
        pages = [p for p in pages if p.strip()]
        if len(pages) > self.max_pages:
            raise InvalidDocument(f"This text has {len(pages)} pages; the limit is {self.max_pages}.")
        for number, page in enumerate(pages, start=1):
            yield Page(number, page)


def open_pdf(data: bytes):
    """(pypdf reader, page count), or InvalidDocument in plain words for an encrypted or damaged PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InvalidDocument("This PDF is encrypted with a password. Remove the password and upload it again.")
        return reader, len(reader.pages)
    except InvalidDocument:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            NotImplementedError, OSError, AssertionError) as exc:
        raise InvalidDocument("This PDF is damaged and cannot be read. Try re-saving it as PDF.") from exc
