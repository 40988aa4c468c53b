"""The documents and queries every system is measured on, written once as files both can read."""

from __future__ import annotations

import json
from pathlib import Path

from bench.manpages import man_pages

QUICK_PDFS = ["/usr/share/doc/libtasn1-doc/libtasn1.pdf", "/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf"]

# real questions over the two known PDFs (also the answer benchmark's questions)
PDF_QUESTIONS = [
    ("What is the default weight of a glob pattern?", "shared-mime-info-spec.pdf"),
    ("How are subclasses of a MIME type declared?", "shared-mime-info-spec.pdf"),
    ("Where are the shared MIME database files installed?", "shared-mime-info-spec.pdf"),
    ("How does a magic rule match bytes at an offset?", "shared-mime-info-spec.pdf"),
    ("What does update-mime-database do?", "shared-mime-info-spec.pdf"),
    ("How do I decode a DER encoded structure with libtasn1?", "libtasn1.pdf"),
    ("What does asn1_parser2tree do?", "libtasn1.pdf"),
    ("How do I read the value of an element with asn1_read_value?", "libtasn1.pdf"),
    ("Which error code is returned when an element is not found?", "libtasn1.pdf"),
    ("How do I create a new element in an ASN.1 structure?", "libtasn1.pdf"),
    ("What is the asn1Parser program used for?", "libtasn1.pdf"),
    ("How is an ASN.1 definitions file turned into a C array?", "libtasn1.pdf"),
]


def all_pdfs(quick: bool) -> list[str]:
    if quick:
        return [p for p in QUICK_PDFS if Path(p).exists()]
    return sorted(str(p) for p in Path("/usr/share/doc").glob("**/*.pdf"))


def write_corpora(folder: Path, quick: bool, man_count: int) -> dict[str, Path]:
    """{corpus name: spec file}; a spec lists document paths and queries with their target document."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf = {"documents": all_pdfs(quick), "queries": [{"q": q, "doc": d} for q, d in PDF_QUESTIONS]}
    man_dir = folder / "man"
    man_dir.mkdir(exist_ok=True)
    pages = man_pages(man_count)
    for page in pages:
        (man_dir / page.file_name).write_text(page.text, encoding="utf-8")
    man = {"documents": [str(man_dir / p.file_name) for p in pages],
           "queries": [{"q": p.description, "doc": p.file_name} for p in pages]}
    specs = {}
    for name, spec in (("pdf", pdf), ("man", man)):
        specs[name] = folder / f"{name}.json"
        specs[name].write_text(json.dumps(spec))
    return specs


def rank_of(target: str, ranked_names: list[str]) -> int | None:
    """1-based rank of the target among distinct documents, in order of their best chunk."""
    seen = list(dict.fromkeys(ranked_names))
    return seen.index(target) + 1 if target in seen else None


def known_item(ranks: list[int | None]) -> dict:
    import math

    n = max(1, len(ranks))
    return {"queries": len(ranks),
            "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
            "ndcg@10": round(sum(1 / math.log2(r + 1) for r in ranks if r and r <= 10) / n, 4),
            "recall@10": round(sum(1 for r in ranks if r and r <= 10) / n, 4)}
