"""OCR benchmark: `python -m bench.ocr [--dpi 200] [--pages 100]` -> bench/results/ocr.json.

1. Scanned copies of the two real PDFs of the QA corpus, made at run time (never committed): every
   page rendered by pdfium in grey at --dpi and written back as an image-only PDF (Pillow).
2. Throughput: a --pages-page scan (the two copies' pages, repeated) read by the PDF parser in a
   fresh process: pages/s, and memory peak of the parser process and of the largest Tesseract.
3. Quality: the QA benchmark's PDF questions (eval/qa/questions-pdf.jsonl) asked over the whole QA
   corpus twice, once with the original PDFs and once with the scanned copies under the same names:
   retrieval hit@5, answer correctness, traps abstained. The reference quotes are located on the
   OCR text with a fuzzy match (rapidfuzz), since OCR may misread a character of a quote."""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import offline_env, write_result

SOURCES = (Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf"),
           Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf"))
MIN_QUOTE_SCORE = 85.0  # rapidfuzz partial ratio of an OCR'd quote to the original's


def scanned_copy(data: bytes, dpi: int) -> bytes:
    """Every page rendered in grey at `dpi`, as an image-only PDF: no text layer left."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        images = [document[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(len(document))]
    finally:
        document.close()
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=float(dpi), save_all=True, append_images=images[1:])
    return out.getvalue()


def long_scan(scans: list[bytes], pages: int) -> bytes:
    """A `pages`-page PDF of the scanned copies' pages, repeated in order."""
    from pypdf import PdfReader, PdfWriter

    readers = [PdfReader(io.BytesIO(s)) for s in scans]
    pool = [page for reader in readers for page in reader.pages]
    writer = PdfWriter()
    for i in range(pages):
        writer.add_page(pool[i % len(pool)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def throughput_worker(path: str) -> None:
    """In its own process: parse the scan, print pages, seconds and memory peaks as JSON."""
    from rag.ingest.parsers import PdfParser

    data = Path(path).read_bytes()
    started = time.perf_counter()
    pages = list(PdfParser(ocr_max_pages=10_000).parse(data))
    seconds = time.perf_counter() - started
    print(json.dumps({
        "pages": len(pages), "ocr_pages": sum(1 for p in pages if p.words), "seconds": round(seconds, 1),
        "pages_per_second": round(len(pages) / seconds, 3),
        "parser_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "tesseract_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "words": sum(len(p.words) for p in pages),
        "low_confidence_share": round(sum(w.confidence < 0.6 for p in pages for w in p.words)
                                      / max(1, sum(len(p.words) for p in pages)), 4),
    }))


def throughput(scan: bytes, folder: Path) -> dict:
    path = folder / "long-scan.pdf"
    path.write_bytes(scan)
    done = subprocess.run([sys.executable, "-m", "bench.ocr", "--worker", str(path)], capture_output=True,
                          text=True, check=True, env=offline_env())
    return json.loads(done.stdout.strip().splitlines()[-1])


def fuzzy_spans(engine, questions) -> dict:
    """eval.qa.bench.references, tolerant of OCR misreadings: the best-matching window of the page."""
    from rapidfuzz import fuzz

    from eval.metrics import find_quote
    from eval.qa.bench import QA_USER, Span

    by_name = {d.name: d for d in engine.documents(QA_USER)}
    pages: dict[tuple[str, int], str] = {}
    out, missed = {}, 0
    for q in questions:
        for ctx in q.item.reference_contexts:
            doc = by_name[ctx.doc]
            if (doc.doc_id, 1) not in pages:
                pages.update({(doc.doc_id, p.number): p.text for p in engine.pages(doc.doc_id, QA_USER)})
            text = pages.get((doc.doc_id, ctx.page or 1), "")
            found = find_quote(text, ctx.quote)
            if found is None:
                match = fuzz.partial_ratio_alignment(" ".join(ctx.quote.split()), text)
                found = (match.dest_start, match.dest_end) if match and match.score >= MIN_QUOTE_SCORE else None
            if found is None:
                missed += 1
                continue
            out.setdefault(q.id, []).append(Span(doc.doc_id, ctx.page or 1, *found))
    return {"spans": out, "quotes_not_found": missed}


def quality(files: list[tuple[str, bytes]], folder: Path) -> dict:
    from eval.qa.bench import QA_USER, ask, mean, score
    from eval.qa.dataset import HERE, load
    from rag.engine import Engine
    from rag.settings import Settings

    questions = load([HERE / "questions-pdf.jsonl"])
    engine = Engine(Settings(data_dir=folder))
    started = time.perf_counter()
    reports = engine.ingest_many(files, QA_USER)
    ingest_seconds = time.perf_counter() - started
    rejected = [r for r in reports if r.status == "rejected"]
    if rejected:
        raise RuntimeError(f"{rejected[0].name} was rejected: {rejected[0].error}")
    located = fuzzy_spans(engine, [q for q in questions if q.item.answerable])
    rows = []
    for q in questions:
        hits, result = ask(engine, q, engine.settings.top_k)
        rows.append(score(q, hits, result, located["spans"].get(q.id, [])))
    answerable = [r for r in rows if "hit@5" in r]
    traps = [r for r in rows if "abstained" in r]
    return {"questions": len(rows), "answerable": len(answerable), "traps": len(traps),
            "hit@5": mean([r["hit@5"] for r in answerable]), "page@5": mean([r["page@5"] for r in answerable]),
            "correct": mean([r["correct"] for r in answerable]), "refused": mean([r["refused"] for r in answerable]),
            "traps_abstained": mean([r["abstained"] for r in traps]), "quotes_not_found": located["quotes_not_found"],
            "ingest_seconds": round(ingest_seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ocr", description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=200, help="scan resolution (150-200 is a common office scan)")
    parser.add_argument("--pages", type=int, default=100, help="pages of the throughput scan")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.worker:
        throughput_worker(opts.worker)
        return 0
    offline_env()
    from eval.qa.corpus import corpus_files

    started = time.perf_counter()
    originals = corpus_files()
    scans = {path.name: scanned_copy(path.read_bytes(), opts.dpi) for path in SOURCES}
    scanned = [(name, scans.get(name, data)) for name, data in originals]
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        folder = Path(tmp)
        print(f"throughput: {opts.pages}-page scan at {opts.dpi} dpi", file=sys.stderr, flush=True)
        speed = throughput(long_scan(list(scans.values()), opts.pages), folder)
        print("quality: originals", file=sys.stderr, flush=True)
        original = quality(originals, folder / "original")
        print("quality: scanned copies", file=sys.stderr, flush=True)
        copy = quality(scanned, folder / "scanned")
    ratios = {m: round(copy[m] / original[m], 3) if original[m] else None
              for m in ("hit@5", "page@5", "correct", "traps_abstained")}
    results = {"dpi": opts.dpi, "engine": tesseract_version(), "throughput": speed,
               "qa_pdf_questions": {"original": original, "scanned": copy, "scanned_over_original": ratios},
               "goal": "scanned >= 0.9 x original on hit@5 and correct",
               "seconds": round(time.perf_counter() - started, 1)}
    path = write_result("ocr", False, results)
    print(json.dumps(results, indent=2))
    print(f"(JSON: {path})", file=sys.stderr)
    return 0


def tesseract_version() -> str:
    import pytesseract

    return f"tesseract {pytesseract.get_tesseract_version()} (pytesseract {pytesseract.__version__})"


if __name__ == "__main__":
    sys.exit(main())
