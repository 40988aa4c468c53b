"""Man pages as a known-item retrieval set: the NAME line's description is the query, the rest of
the page is the one relevant document. Rendered with groff when present, else by `strip_roff`."""

from __future__ import annotations

import gzip
import random
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from eval.datasets import EvalItem, ReferenceContext
from eval.errors import EvalError

MAN1 = Path("/usr/share/man/man1")
PER_FAMILY = 3  # at most this many pages sharing a name prefix, so no tool suite dominates
MAX_CHARS = 3000  # SYNOPSIS and the start of DESCRIPTION: a few chunks per page keeps indexing quick
DASH = re.compile(r"\s+[-\u2010\u2212]+\s+|\s*\\-\s*")
HEADING = re.compile(r"^[A-Z][A-Z0-9 /&()-]+$")
FONT = re.compile(r"\\f(?:\[[^\]]*\]|\(..|.)|\\s[-+]?\d")
NAMED = {"\\-": "-", "\\(em": "\u2014", "\\(en": "\u2013", "\\(aq": "'", "\\(dq": '"', "\\(lq": '"', "\\(rq": '"',
         "\\(bu": "\u2022", "\\e": "\\", "\\&": "", "\\ ": " ", "\\~": " ", "\\|": "", "\\^": "", "\\/": "", "\\,": ""}


@dataclass(frozen=True)
class ManPage:
    name: str  # e.g. "ls.1.txt"
    description: str  # the NAME line after the dash: the query
    text: str  # the page without its NAME section: the document


def strip_roff(source: str) -> str:
    """Plain text of man(7) source, for machines without groff: macros to line breaks, escapes to text."""
    lines = []
    for line in source.splitlines():
        if line.startswith(('.\\"', "'\\\"", '.\\\\"')) or line.strip() in (".", "'"):
            continue
        if line.startswith((".", "'")):
            macro, _, rest = line[1:].partition(" ")
            if macro in ("SH", "SS"):
                lines += ["", rest.strip('"').upper() if macro == "SH" else rest.strip('"')]
            elif macro in ("B", "I", "BR", "BI", "IB", "RB", "RI", "IR", "SM", "SB"):
                words = [w.strip('"') for w in re.findall(r'"[^"]*"|\S+', rest)]
                lines.append((" " if macro in ("B", "I", "SM", "SB") else "").join(words))  # .BR alternates fonts
            elif macro in ("PP", "P", "LP", "TP", "IP", "sp", "br"):
                lines.append("")
                if macro == "IP" and rest.strip():
                    lines.append(re.findall(r'"[^"]*"|\S+', rest)[0].strip('"'))
            continue
        lines.append(line)
    text = FONT.sub("", "\n".join(lines))
    for escape, plain in NAMED.items():
        text = text.replace(escape, plain)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def source_of(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace")


def render(path: Path) -> str:
    source = source_of(path)
    if not shutil.which("groff"):
        return strip_roff(source)
    done = subprocess.run(["groff", "-k", "-man", "-Tutf8", "-rHY=0", "-rLL=1000n", "-P-cbou"], input=source.encode(),
                          capture_output=True, timeout=30, check=False)
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    body = [line for line in lines[1:-1]]  # groff's header and footer lines
    return "\n".join(line.strip() for line in body).strip()


def split_name(text: str) -> tuple[str, str] | None:
    """(description after the dash on the NAME line, the text without the NAME section)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "NAME"), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if HEADING.match(lines[i].strip())), len(lines))
    name_text = " ".join(line.strip() for line in lines[start + 1:end]).strip()
    parts = DASH.split(name_text, maxsplit=1)
    if len(parts) != 2 or len(parts[1].split()) < 3:
        return None
    body = "\n".join(lines[:start] + lines[end:]).strip()
    return " ".join(parts[1].split()), body


def page_of(path: Path) -> ManPage | None:
    """None for redirects (`.so`) and pages without a usable NAME line."""
    if source_of(path).lstrip().startswith(".so "):
        return None
    found = split_name(render(path))
    if found is None or len(found[1]) < 200:
        return None
    stem = path.name.removesuffix(".gz")
    return ManPage(f"{stem}.txt", found[0], found[1][:MAX_CHARS])


def sample_pages(count: int, seed: int = 0, folder: Path = MAN1) -> list[ManPage]:
    """A deterministic sample of usable pages with distinct descriptions, sorted by name."""
    paths = sorted(folder.glob("*.1.gz")) + sorted(folder.glob("*.1"))
    if not paths:
        raise EvalError(f"No section-1 man pages in {folder}; install some (apt-get install man-db manpages).")
    order = random.Random(seed).sample(paths, len(paths))
    pages: dict[str, ManPage] = {}
    descriptions: set[str] = set()
    families: Counter[str] = Counter()
    for path in order:
        family = re.split(r"[_.-]", path.name, maxsplit=1)[0]  # e.g. hundreds of gcloud_* pages
        if families[family] >= PER_FAMILY:
            continue
        page = page_of(path)
        if page and page.description.lower() not in descriptions:
            descriptions.add(page.description.lower())
            families[family] += 1
            pages[page.name] = page
        if len(pages) == count:
            break
    return [pages[name] for name in sorted(pages)]


def known_items(pages: list[ManPage]) -> list[EvalItem]:
    return [EvalItem(id=p.name.removesuffix(".txt"), question=p.description,
                     reference_contexts=(ReferenceContext(doc=p.name),)) for p in pages]
