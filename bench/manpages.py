"""Man pages from /usr/share/man/man1 as plain text, for the ingest corpus and a known-item check.

Rendering and the NAME split are the evaluation's (eval/manpages.py); here whole pages (not the
benchmark's first 3,000 characters) are spread over the folder and cached between runs."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from eval.manpages import render, source_of, split_name

MAN1 = Path("/usr/share/man/man1")
CACHE = Path(tempfile.gettempdir()) / "docchat-bench-manpages"


@dataclass(frozen=True)
class ManPage:
    name: str  # "ls.1"
    description: str  # "list directory contents", the known-item query
    text: str  # the rendered page without its NAME section

    @property
    def file_name(self) -> str:
        return f"{self.name}.txt"


def man_pages(count: int) -> list[ManPage]:
    """`count` pages spread evenly over the sorted man1 folder; rendered once, then cached."""
    files = sorted(MAN1.glob("*.1.gz"))
    pages, step = [], max(1, len(files) // (count * 2))
    for path in files[::step]:
        page = cached_page(path)
        if page is not None and page.description.lower() not in {p.description.lower() for p in pages}:
            pages.append(page)
        if len(pages) == count:
            break
    return pages


def cached_page(path: Path) -> ManPage | None:
    CACHE.mkdir(parents=True, exist_ok=True)
    key = CACHE / (hashlib.sha256(f"eval-render:{path}".encode()).hexdigest()[:16] + ".txt")
    if not key.exists():
        key.write_text("" if source_of(path).lstrip().startswith(".so ") else render(path), encoding="utf-8")
    parts = split_name(key.read_text(encoding="utf-8"))
    if parts is None or len(parts[1]) < 500:
        return None
    return ManPage(path.name.removesuffix(".gz"), parts[0], parts[1])
