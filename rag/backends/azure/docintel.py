"""Azure AI Document Intelligence as the parser of PDFs and page images (RAG_PARSER=azure).

Keyless (DefaultAzureCredential, role "Cognitive Services User"). prebuilt-layout gives text, word
polygons and tables; each table is kept in the page text as a Markdown table, where its lines were.
Pages keep their words with boxes (fractions of the page) and confidences, like the local OCR, so
the source view boxes cited passages. With RAG_AZURE_DOCINTEL_SCANNED_ONLY the local PDF parser
keeps every text layer and sends only the pages without one, as images, to the prebuilt-read model.

Checked before anything is sent (and billed): a PDF's password and the service's page limit."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any

from azure.core.exceptions import AzureError, HttpResponseError
from PIL import Image

from rag.backends.azure.identity import credential_from, translate
from rag.errors import ConfigError, InvalidDocument
from rag.ingest.images import frame_count, open_image
from rag.ingest.ocr import PageProgress
from rag.settings import Settings
from rag.types import Page, WordBox

SERVICE = "Azure AI Document Intelligence"
ROLE = "Cognitive Services User"
MAX_SERVICE_PAGES = 2000  # the service analyses at most 2,000 pages of one document (S0 tier)
READ_MODEL = "prebuilt-read"  # text only: what a page image sent on its own needs
CONTENT_ERRORS = ("InvalidContent", "InvalidContentLength", "UnsupportedContent", "InvalidContentSourceFormat")


class AzureDocumentParser:
    """Parser for kinds "pdf" and "image"; also an OCR engine (`check`, `page`) for the local PDF parser."""

    kind = "pdf"

    def __init__(self, settings: Settings, **deps: Any):
        if not settings.azure_docintel_endpoint:
            raise ConfigError("RAG_PARSER=azure needs RAG_AZURE_DOCINTEL_ENDPOINT, e.g. https://NAME.cognitiveservices.azure.com.")
        from azure.ai.documentintelligence import DocumentIntelligenceClient

        extra = {"transport": deps["transport"]} if deps.get("transport") else {}
        self.client = DocumentIntelligenceClient(settings.azure_docintel_endpoint, credential_from(deps),
                                                 retry_total=max(0, settings.chat_retries), **extra)
        self.model = settings.azure_docintel_model
        self.settings = settings

    # --- Parser
    def parse(self, data: bytes, on_page: PageProgress | None = None) -> Iterator[Page]:
        count = self._check_locally(data)
        result = self._analyze(self.model, data)
        pages = result_pages(result)
        if on_page:
            on_page(count, count)  # one request analyses the whole document
        if not any(p.text.strip() for p in pages):
            raise InvalidDocument("No text was recognised on any page of this document.")
        yield from pages

    # --- OCR engine for RAG_AZURE_DOCINTEL_SCANNED_ONLY: one page image at a time
    def check(self) -> None:
        """Nothing to install: the service is reached on the first page."""

    def page(self, number: int, image: Image.Image) -> Page:
        out = io.BytesIO()
        image.save(out, "PNG")
        pages = result_pages(self._analyze(READ_MODEL, out.getvalue()))
        first = pages[0] if pages else Page(1, "")
        return Page(number, first.text, words=first.words)

    def _check_locally(self, data: bytes) -> int:
        """Pages the service would bill, after the checks it would fail anyway."""
        if not data:
            raise InvalidDocument("The file is empty.")
        if data[:1024].find(b"%PDF-") < 0:
            image = open_image(data, self.settings.ocr_max_megapixels)
            return frame_count(image)
        from rag.ingest.parsers import open_pdf

        _, count = open_pdf(data)
        limit = min(MAX_SERVICE_PAGES, self.settings.max_pages)
        if count > limit:
            raise InvalidDocument(f"This PDF has {count} pages; {SERVICE} reads at most {limit} "
                                  f"(service limit {MAX_SERVICE_PAGES}, RAG_MAX_PAGES). Split it and upload the parts.")
        return count

    def _analyze(self, model: str, data: bytes):
        try:
            poller = self.client.begin_analyze_document(model, body=data, content_type="application/octet-stream")
            return poller.result()
        except HttpResponseError as exc:
            raise content_error(exc) or translate(exc, SERVICE, ROLE) from exc
        except AzureError as exc:
            raise translate(exc, SERVICE, ROLE) from exc


def content_error(exc: HttpResponseError) -> InvalidDocument | None:
    """The service's verdict on the file itself (a 400, or a failed operation) in plain words."""
    codes = error_codes(exc)
    if codes & set(CONTENT_ERRORS):
        return InvalidDocument(f"{SERVICE} could not read this file: it is damaged, password-protected or not a "
                               "supported format (PDF, PNG, JPEG, TIFF).")
    if "PageLimitExceeded" in codes or "InvalidPageRange" in codes:
        return InvalidDocument(f"This document has more pages than {SERVICE} reads at once ({MAX_SERVICE_PAGES}).")
    return None


def error_codes(exc: HttpResponseError) -> set[str]:
    """Every code of the error and its inner errors (the SDK's error model, else azure-core's OData view)."""
    model = getattr(exc, "model", None)
    error = getattr(model, "error", None) or getattr(exc, "error", None)
    codes = set()
    while error is not None:
        get = error.get if isinstance(error, dict) else lambda name, e=error: getattr(e, name, None)
        codes.add(get("code"))
        error = get("innererror") or get("inner_error")
    return codes - {None}


def result_pages(result) -> list[Page]:
    """Our pages from an AnalyzeResult: lines in the service's reading order, paragraphs apart, tables as Markdown."""
    content = result.content or ""
    paragraph_of = paragraph_index(result)
    tables = {}
    for table in result.tables or []:
        regions = table.bounding_regions or []
        if regions:
            tables.setdefault(regions[0].page_number, []).append(table)
    return [page_of(p, content, paragraph_of, tables.get(p.page_number, [])) for p in result.pages or []]


def paragraph_index(result) -> dict[int, int]:
    """Content offset -> paragraph number, for the first character of each paragraph's spans."""
    out = {}
    for i, paragraph in enumerate(result.paragraphs or []):
        for span in paragraph.spans or []:
            out[span.offset] = i
    return out


def within(offset: int, spans: Sequence) -> bool:
    return any(s.offset <= offset < s.offset + s.length for s in spans or [])


def page_of(page, content: str, paragraph_of: dict[int, int], tables: list) -> Page:
    """One page: its lines (a table's lines replaced by the table), words located in the text we build."""
    width, height = float(page.width or 1), float(page.height or 1)
    pieces: list[str] = []
    done_tables: set[int] = set()
    length = 0
    located: list[tuple[int, int, Any]] = []  # (start in our text, end, word)
    words = sorted(page.words or [], key=lambda w: w.span.offset)
    for line in page.lines or []:
        offset = line.spans[0].offset if line.spans else -1
        table = next((i for i, t in enumerate(tables) if within(offset, t.spans)), None)
        if table is not None and table in done_tables:
            continue
        text = markdown_table(tables[table]) if table is not None else line.content
        gap = "" if not pieces else "\n\n" if table is not None or offset in paragraph_of else "\n"
        pieces.append(gap + text)
        start = length + len(gap)
        length = start + len(text)
        if table is not None:
            done_tables.add(table)
            spans = tables[table].spans
        else:
            spans = line.spans
        located += place_words([w for w in words if within(w.span.offset, spans)], text, start)
    boxes = tuple(word_box(start, end, word, width, height) for start, end, word in located)
    return Page(page.page_number, "".join(pieces), words=boxes)


def place_words(words: list, text: str, base: int) -> list[tuple[int, int, Any]]:
    """Each word's offsets in `text` (shifted by `base`), found in order; a word not found is left out."""
    out, cursor = [], 0
    for word in words:
        at = text.find(word.content, cursor)
        if at < 0:
            continue
        out.append((base + at, base + at + len(word.content), word))
        cursor = at + len(word.content)
    return out


def word_box(start: int, end: int, word, width: float, height: float) -> WordBox:
    xs, ys = word.polygon[0::2] or [0.0], word.polygon[1::2] or [0.0]

    def clamp(v: float) -> float:
        return round(max(0.0, min(1.0, v)), 5)

    return WordBox(start, end, clamp(min(xs) / width), clamp(min(ys) / height), clamp(max(xs) / width),
                   clamp(max(ys) / height), round(float(word.confidence or 0.0), 3))


def markdown_table(table) -> str:
    """The table as a Markdown table: the first row is the header, merged cells repeat nothing."""
    grid = [["" for _ in range(table.column_count)] for _ in range(table.row_count)]
    for cell in table.cells or []:
        grid[cell.row_index][cell.column_index] = " ".join((cell.content or "").split()).replace("|", "\\|")
    rows = ["| " + " | ".join(row) + " |" for row in grid]
    rule = "|" + "|".join(" --- " for _ in range(table.column_count)) + "|"
    return "\n".join([rows[0], rule, *rows[1:]]) if rows else ""
