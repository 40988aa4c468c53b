"""Check an upload before anything is stored: name, size, and type by content, not by extension."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath

from rag.errors import InvalidDocument
from rag.ingest.parsers import decode_text
from rag.types import Kind

# plain text under its own names too: Markdown, reStructuredText (Sphinx's manuals), AsciiDoc (git's)
EXTENSIONS: dict[str, Kind] = {".pdf": "pdf", ".docx": "docx", ".txt": "txt", ".text": "txt", ".md": "txt",
                               ".rst": "txt", ".adoc": "txt",
                               ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image", ".tiff": "image"}
LABELS = {"pdf": "a PDF", "docx": "a Word (.docx) document", "txt": "plain text", "image": "an image"}
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")  # PNG, JPEG, TIFF (both byte orders)
READS = "DocChat reads PDF, DOCX, TXT and PNG, JPEG or TIFF images"
SIGNATURES = {
    b"\xd0\xcf\x11\xe0": "an old Word/Office (.doc) file; save it as .docx",
    b"GIF8": "a GIF image; save it as PNG",
    b"\x7fELF": "a program, not a document",
    b"MZ": "a Windows program, not a document",
    b"\x1f\x8b": "a gzip archive; unpack it first",
}


def check_name(name: str) -> str:
    """The file name as shown in the library; path components and control characters are refused."""
    if not name or not name.strip():
        raise InvalidDocument("The file has no name.")
    if "/" in name or "\\" in name or name in (".", "..") or PurePosixPath(name).name != name:
        raise InvalidDocument(f"The file name {name!r} contains a path; upload the file itself.")
    if any(unicodedata.category(ch) == "Cc" for ch in name) or len(name.encode()) > 255:
        raise InvalidDocument("The file name contains control characters or is longer than 255 bytes.")
    return unicodedata.normalize("NFC", name.strip())


def check_size(data: bytes, max_bytes: int) -> None:
    if not data:
        raise InvalidDocument("The file is empty.")
    if len(data) > max_bytes:
        raise InvalidDocument(
            f"The file is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB (RAG_MAX_UPLOAD_MB)."
        )


def sniff(data: bytes) -> Kind:
    """The file's type from its bytes."""
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"  # the DOCX parser checks it is a Word document and not another ZIP
    if data.startswith(IMAGE_SIGNATURES):
        return "image"  # read by OCR; the image parser checks it decodes
    for magic, label in SIGNATURES.items():
        if data.startswith(magic):
            raise InvalidDocument(f"This file is {label}. {READS}.")
    if decode_text(data[:65536]) is None:
        raise InvalidDocument(f"This file contains binary data, not text. {READS}.")
    return "txt"


def detect_kind(name: str, data: bytes) -> Kind:
    """The content decides; an extension that says otherwise is refused rather than guessed around."""
    kind = sniff(data)
    suffix = PurePosixPath(name).suffix.lower()
    if not suffix[1:].isalnum():
        suffix = ""  # "report v2.0 final" has no extension
    if suffix and suffix not in EXTENSIONS:
        raise InvalidDocument(f"Files of type {suffix} are not supported. {READS}.")
    claimed = EXTENSIONS.get(suffix)
    if claimed and claimed != kind:
        raise InvalidDocument(
            f"The file is named {suffix} but its content is {LABELS[kind]}. Rename it or upload the right file."
        )
    return kind
