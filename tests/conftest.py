"""Shared fixtures: real local backends on temporary folders; the real PDFs every machine has."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TASN1 = Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf")
MIME_SPEC = Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf")


def make_docx(paragraphs: list[tuple[str, str]] | None = None, table: list[list[str]] | None = None) -> bytes:
    """A real DOCX written by python-docx: (style, text) paragraphs and an optional table."""
    import docx

    document = docx.Document()
    for style, text in paragraphs or [("Heading 1", "Introduction"), ("Normal", "The needle is in the haystack.")]:
        document.add_paragraph(text, style=style)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    return docx_bytes(document)


def docx_bytes(document) -> bytes:
    """A python-docx document as the bytes of its .docx file."""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_pdf(text_pages: bool = True, password: str | None = None) -> bytes:
    """A small real PDF: the first two pages of the libtasn1 manual, or one blank page."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    if text_pages:
        reader = PdfReader(TASN1)
        for page in reader.pages[:2]:
            writer.add_page(page)
    else:
        writer.add_blank_page(width=612, height=792)
    if password is not None:
        writer.encrypt(user_password=password, owner_password="owner-secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def settings(tmp_path):
    from rag.settings import Settings

    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def local_embedder():
    from rag.backends.local.embedder import LocalEmbedder

    return LocalEmbedder()
