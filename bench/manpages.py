"""Man pages from /usr/share/man/man1 as plain text, for the ingest corpus and a known-item check.

Rendered with `groff -man -Tutf8` when present (else a crude roff strip). Each page is split into
its NAME line ("ls - list directory contents": the known-item query) and the rest (the document),
so a query never finds its own words verbatim in the NAME section."""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MAN1 = Path("/usr/share/man/man1")
CACHE = Path(tempfile.gettempdir()) / "docchat-bench-manpages"
HEADINGS = re.compile(r"^(NAME|SYNOPSIS|DESCRIPTION)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class ManPage:
    name: str  # "ls.1"
    description: str  # "list directory contents", the known-item query
    text: str  # the rendered page without its NAME section

    @property
    def file_name(self) -> str:
        return f"{self.name}.txt"


def render(path: Path) -> str:
    source = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    if source.lstrip().startswith(".so "):
        return ""  # a link to another page
    if shutil.which("groff"):
        done = subprocess.run(["groff", "-k", "-t", "-man", "-Tutf8", "-P-cbou"], input=source.encode(),
                              capture_output=True, timeout=30, check=False)
        return done.stdout.decode("utf-8", "replace")
    return strip_roff(source)


def strip_roff(source: str) -> str:
    lines = []
    for line in source.splitlines():
        if line.startswith(('.\\"', "'\\\"")):
            continue
        if line.startswith("."):
            request, _, rest = line[1:].partition(" ")
            line = rest.replace('"', "") if request in {"SH", "SS", "B", "I", "BR", "IR", "BI", "IB", "RB", "RI", "TP", "IP"} else ""
        lines.append(re.sub(r"\\f[BIRP]|\\\(..|\\[-&e]", lambda m: "-" if m.group() == "\\-" else "", line))
    return "\n".join(lines)


def split_name(text: str) -> tuple[str, str] | None:
    """(description from the NAME line, text without the NAME section) or None when unusual."""
    match = re.search(r"^NAME\s*\n(.+?)\n\s*\n", text, re.MULTILINE | re.DOTALL)
    if not match:
        return None
    line = " ".join(match.group(1).split())
    if " - " not in line:
        return None
    description = line.split(" - ", 1)[1].strip()
    rest = text[:match.start()] + text[match.end():]
    return (description, rest) if len(description.split()) >= 3 and len(rest) > 500 else None


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
    key = CACHE / (hashlib.sha256(str(path).encode()).hexdigest()[:16] + ".txt")
    if not key.exists():
        key.write_text(render(path), encoding="utf-8")
    parts = split_name(key.read_text(encoding="utf-8"))
    if parts is None:
        return None
    return ManPage(path.name.removesuffix(".gz"), parts[0], parts[1])
