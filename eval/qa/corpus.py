"""The QA benchmark's documents, built the same way on every machine: the two PDFs under
/usr/share/doc, licences from /usr/share/common-licenses as TXT and (other licences) as DOCX
written with python-docx, and a dozen man pages rendered to text with groff.

`python -m eval.qa.corpus DIR` writes every document's pages, as DocChat's parsers read them,
to DIR/<document>/page-NNN.txt: what the questions' quotes and page numbers were checked against."""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

from eval.errors import EvalError
from eval.manpages import render

PDFS = (Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf"), Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf"))
LICENCES = Path("/usr/share/common-licenses")
TXT_LICENCES = ("Apache-2.0", "GPL-3", "LGPL-2.1", "Artistic", "BSD")
DOCX_LICENCES = ("MPL-2.0", "CC0-1.0", "GFDL-1.3")
MAN_PAGES = ("chmod", "cp", "date", "df", "du", "find", "grep", "gzip", "ls", "sed", "sort", "tail", "tar")
MAN1 = Path("/usr/share/man/man1")
HEADING = re.compile(r"^(?:\d+(?:\.\d+)*\.?\s+\S.*|[A-Z][A-Z0-9 ,'-]{3,}|(?:Section|Article)\s+\d+.*)$")


def is_heading(paragraph: str) -> bool:
    """One short line without end punctuation that reads like a heading ("1. Definitions",
    "TERMS AND CONDITIONS", "Section 2 -- Scope.")."""
    line = paragraph.strip()
    return "\n" not in line and len(line) <= 70 and bool(HEADING.match(line)) and not line.endswith((",", ";"))


def licence_docx(text: str) -> bytes:
    """A Word version of a plain-text licence: blank-line paragraphs, heading-like ones as Heading 2."""
    import docx

    document = docx.Document()
    document.core_properties.author = "DocChat QA benchmark"
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        if not paragraph.strip():
            continue
        if is_heading(paragraph):
            document.add_paragraph(paragraph.strip(), style="Heading 2")
        else:
            document.add_paragraph(" ".join(paragraph.split()))
    out = io.BytesIO()
    document.save(out)
    return fixed_zip_times(out.getvalue())


def fixed_zip_times(package: bytes) -> bytes:
    """The same package with every member dated 1980-01-01: python-docx dates them with the time of saving, so
    each run wrote different bytes, and a benchmark run on an existing index re-ingested the three DOCX licences
    (re-embedded in other batches, their vectors moved by rounding, and with them a few answers)."""
    source, out = zipfile.ZipFile(io.BytesIO(package)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def man_text(name: str) -> str:
    paths = sorted(MAN1.glob(f"{name}.1*"))
    if not paths:
        raise EvalError(f"The man page {name}(1) is missing; install it (apt-get install man-db coreutils {name}).")
    return render(paths[0])


def corpus_files() -> list[tuple[str, bytes]]:
    """(file name, bytes) of every benchmark document, in a fixed order."""
    files: list[tuple[str, bytes]] = []
    for path in PDFS:
        if not path.is_file():
            raise EvalError(f"{path} is missing; install libtasn1-doc and shared-mime-info.")
        files.append((path.name, path.read_bytes()))
    for name in (*TXT_LICENCES, *DOCX_LICENCES):
        path = LICENCES / name
        if not path.is_file():
            raise EvalError(f"{path} is missing; it ships with Debian's base-files package.")
    files += [(f"{name}.txt", (LICENCES / name).read_bytes()) for name in TXT_LICENCES]
    files += [(f"{name}.docx", licence_docx((LICENCES / name).read_text(encoding="utf-8"))) for name in DOCX_LICENCES]
    files += [(f"{name}.1.txt", man_text(name).encode()) for name in MAN_PAGES]
    return files


def dump(folder: Path) -> None:
    from rag.ingest.parsers import DocxParser, PdfParser, TxtParser

    parsers = {".pdf": PdfParser(), ".docx": DocxParser(), ".txt": TxtParser()}
    for name, data in corpus_files():
        target = folder / name
        target.mkdir(parents=True, exist_ok=True)
        for page in parsers[Path(name).suffix].parse(data):
            header = f"# section: {page.section}\n" if page.section else ""
            (target / f"page-{page.number:03d}.txt").write_text(header + page.text, encoding="utf-8")


if __name__ == "__main__":
    dump(Path(sys.argv[1] if len(sys.argv) > 1 else "qa-corpus"))
