"""OCR benchmark: `python -m bench.ocr [--dpi 200] [--pages 100]` -> bench/results/ocr.json.

1. Scanned copies of the two real PDFs of the QA corpus, made at run time (never committed): every
   page rendered by pdfium in grey at --dpi and written back as an image-only PDF (Pillow).
2. Throughput: a --pages-page scan (the two copies' pages, repeated) read by the PDF parser in a
   fresh process: pages/s, and memory peak of the parser process and of the largest Tesseract.
3. Quality: the QA benchmark's PDF questions (eval/qa/questions-pdf.jsonl) asked over the whole QA
   corpus twice, once with the original PDFs and once with the scanned copies under the same names:
   retrieval hit@5, answer correctness, traps abstained, per split (dev: tuned on; test: only
   reported) with one row per question. The reference quotes are located on the OCR text with a
   fuzzy match (rapidfuzz), since OCR may misread a character of a quote.
4. Known-item search: for every page of the two PDFs with enough text, its most distinctive line of
   the ORIGINAL text layer, used as is as the query; the target is that page. MRR@10, hit@1 and
   hit@5 (page level) over the originals and over the scans.

--ocr-cache DIR keeps Tesseract's reading of each rendered page (its words, lines and paragraphs,
keyed by the pixels and the engine's settings), so a second run measures changes to how the page
text is built from them, and post-OCR changes, without recognising again."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
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
QUERY_WORDS = (6, 20)  # a known-item query is one line of the page's text layer of this many words
ROW_METRICS = ("hit@5", "page@5", "correct", "refused", "abstained")


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


def throughput(scan: bytes, folder: Path, options: list[str]) -> dict:
    path = folder / "long-scan.pdf"
    path.write_bytes(scan)
    done = subprocess.run([sys.executable, "-m", "bench.ocr", *options, "--worker", str(path)], capture_output=True,
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


def quality(files: list[tuple[str, bytes]], folder: Path, queries: list[dict], splits: tuple[str, ...]) -> dict:
    """The PDF questions of `splits` and the known-item queries over one copy of the QA corpus."""
    from eval.qa.bench import QA_USER, ask, score
    from eval.qa.dataset import HERE, load
    from rag.engine import Engine
    from rag.settings import Settings

    questions = [q for q in load([HERE / "questions-pdf.jsonl"]) if q.split in splits]
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
    summary = {split: summarize([r for r in rows if r["split"] == split]) for split in splits}
    if len(splits) > 1:
        summary["all"] = summarize(rows)
    return {**summary, "quotes_not_found": located["quotes_not_found"], "ingest_seconds": round(ingest_seconds, 1),
            "known_item": known_item_search(engine, queries), "rows": rows}


def summarize(rows: list[dict]) -> dict:
    from eval.qa.bench import mean

    answerable = [r for r in rows if "hit@5" in r]
    traps = [r for r in rows if "abstained" in r]
    return {"questions": len(rows), "answerable": len(answerable), "traps": len(traps),
            **{m: mean([r[m] for r in answerable]) for m in ("hit@5", "page@5", "correct", "refused")},
            "traps_abstained": mean([r["abstained"] for r in traps])}


def known_item_queries(originals: dict[str, bytes]) -> list[dict]:
    """Per page of each original PDF: its line of QUERY_WORDS words whose words are rarest in the document
    (lines repeated on other pages, such as running headers, are never chosen); pages without one are skipped."""
    from rag.ingest.parsers import PdfParser

    queries = []
    for name, data in originals.items():
        pages = list(PdfParser().parse(data))
        lines = [[" ".join(line.split()) for line in p.text.splitlines()] for p in pages]
        seen: dict[str, int] = {}
        for page_lines in lines:
            for line in set(page_lines):
                seen[line] = seen.get(line, 0) + 1
        frequency: dict[str, int] = {}
        for page_lines in lines:
            for word in set(re.findall(r"\w+", " ".join(page_lines).lower())):
                frequency[word] = frequency.get(word, 0) + 1
        for page, page_lines in zip(pages, lines, strict=True):
            candidates = [line for line in page_lines if seen[line] == 1
                          and QUERY_WORDS[0] <= len(line.split()) <= QUERY_WORDS[1]]
            if candidates:
                rarity = {line: sum(1 / frequency[w] for w in re.findall(r"\w+", line.lower())) for line in candidates}
                queries.append({"q": max(candidates, key=lambda line: (rarity[line], line)), "doc": name,
                                "page": page.number})
    return queries


def known_item_search(engine, queries: list[dict]) -> dict:
    """Page-level ranks of each query's page among the distinct pages of its top 10 chunks."""
    from bench.corpus import rank_of
    from eval.qa.bench import QA_USER

    names = {d.doc_id: d.name for d in engine.documents(QA_USER)}
    ranks = []
    for query in queries:
        hits = engine.search(query["q"], QA_USER, k=10)
        ranks.append(rank_of(f"{query['doc']}#{query['page']}", [f"{names[h.chunk.doc_id]}#{h.chunk.page}" for h in hits]))
    n = max(1, len(ranks))
    return {"queries": len(ranks), "mrr@10": round(sum(1 / r for r in ranks if r) / n, 4),
            "hit@1": round(sum(r == 1 for r in ranks) / n, 4), "hit@5": round(sum(bool(r and r <= 5) for r in ranks) / n, 4),
            "ranks": ranks}


def compare(original: dict, copy: dict) -> dict:
    """Scanned over original per split and metric, and the questions whose outcome differs."""
    out: dict = {}
    for split in [k for k in original if k in ("dev", "test", "all")]:
        out[split] = {m: round(copy[split][m] / original[split][m], 3) if original[split][m] else None
                      for m in ("hit@5", "page@5", "correct", "traps_abstained")}
    out["known_item"] = {m: round(copy["known_item"][m] / original["known_item"][m], 3) if original["known_item"][m]
                         else None for m in ("mrr@10", "hit@1", "hit@5")}
    return out


def question_rows(original: dict, copy: dict) -> list[dict]:
    """One row per question: the metrics on both copies, and the answers where they differ."""
    rows = []
    for a, b in zip(original["rows"], copy["rows"], strict=True):
        row = {"id": a["id"], "split": a["split"], "kind": a["kind"],
               "original": {m: a[m] for m in ROW_METRICS if m in a}, "scanned": {m: b[m] for m in ROW_METRICS if m in b}}
        if row["original"] != row["scanned"]:
            row.update({"question": a["question"], "answer_original": a["answer"][:300], "answer_scanned": b["answer"][:300]})
        rows.append(row)
    return rows


class CachedPages:
    """Tesseract's reading of each page (TesseractOcr.data), memoised on disk by the page's pixels and
    the engine's settings: the page text is still built from it on every run, so a change to how
    words become text (rag.ingest.ocr.page_from_words, the post-OCR pass) is measured without
    recognising again."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def install(self) -> None:
        from rag.ingest.ocr import TesseractOcr

        read = TesseractOcr.data

        def data(ocr, number, grey):
            key = hashlib.sha256(repr(("data", grey.mode, grey.size, ocr.language, ocr_config())).encode()
                                 + grey.tobytes()).hexdigest()
            path = self.folder / f"{key}.json"
            if path.exists():
                return json.loads(path.read_text())
            rows = read(ocr, number, grey)
            path.write_text(json.dumps(rows))
            return rows

        TesseractOcr.data = data


def ocr_config() -> str:
    from rag.ingest import ocr

    return f"{ocr.RENDER_DPI}:{getattr(ocr, 'TESSERACT_CONFIG', '--psm 3')}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ocr", description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=200, help="scan resolution (150-200 is a common office scan)")
    parser.add_argument("--pages", type=int, default=100, help="pages of the throughput scan")
    parser.add_argument("--dev-only", action="store_true",
                        help="for tuning: only the scanned copies, only the dev half of the questions, no throughput; "
                             "printed next to the committed result's originals, not written")
    parser.add_argument("--post-ocr", choices=("identifiers", "none"), default="identifiers",
                        help="identifiers: the ingestion's correction of misread identifiers (rag.ingest.ocr); "
                             "none: Tesseract's text as read (the variant before it)")
    parser.add_argument("--ocr-cache", type=Path, help="folder keeping Tesseract's reading of each page across runs")
    parser.add_argument("--keep-throughput", action="store_true",
                        help="copy the throughput of the committed result instead of measuring it again "
                             "(only when rendering and Tesseract's settings did not change)")
    parser.add_argument("--render-dpi", type=int,
                        help="for tuning: the resolution pages are rendered at for OCR (rag.ingest.ocr.RENDER_DPI)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.render_dpi and opts.keep_throughput:
        parser.error("--render-dpi changes the OCR's speed: measure the throughput again (drop --keep-throughput)")
    configure(opts.render_dpi, opts.post_ocr)
    if opts.worker:
        throughput_worker(opts.worker)
        return 0
    offline_env()
    from bench.common import RESULTS
    from eval.qa.corpus import corpus_files

    if opts.ocr_cache:
        CachedPages(opts.ocr_cache).install()
    started = time.perf_counter()
    originals = corpus_files()
    sources = {path.name: path.read_bytes() for path in SOURCES}
    scans = {name: scanned_copy(data, opts.dpi) for name, data in sources.items()}
    scanned = [(name, scans.get(name, data)) for name, data in originals]
    queries = known_item_queries(sources)
    splits = ("dev",) if opts.dev_only else ("dev", "test")
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        folder = Path(tmp)
        if opts.dev_only:
            speed = None
        elif opts.keep_throughput:
            previous = json.loads((RESULTS / "ocr.json").read_text())
            speed = {**previous["throughput"], "measured": previous["throughput"].get("measured", previous["when"])}
        else:
            print(f"throughput: {opts.pages}-page scan at {opts.dpi} dpi", file=sys.stderr, flush=True)
            speed = throughput(long_scan(list(scans.values()), opts.pages), folder,
                               ["--post-ocr", opts.post_ocr] + (["--render-dpi", str(opts.render_dpi)] if opts.render_dpi else []))
        print("quality: scanned copies", file=sys.stderr, flush=True)
        copy = quality(scanned, folder / "scanned", queries, splits)
        if opts.dev_only:
            committed = json.loads((RESULTS / "ocr.json").read_text())["qa_pdf_questions"]
            print(json.dumps({"post_ocr": opts.post_ocr, "scanned_dev": copy["dev"], "known_item": copy["known_item"],
                              "committed_original_dev": committed["original"]["dev"],
                              "rows": [{k: r.get(k) for k in ("id", "kind", *ROW_METRICS, "answer")} for r in copy["rows"]]},
                             indent=1))
            return 0
        print("quality: originals", file=sys.stderr, flush=True)
        original = quality(originals, folder / "original", queries, splits)
    rows = question_rows(original, copy)
    for run in (original, copy):
        del run["rows"]
    results = {"dpi": opts.dpi, "render_dpi": int(ocr_config().split(":")[0]), "engine": tesseract_version(), "post_ocr": opts.post_ocr, "throughput": speed,
               "qa_pdf_questions": {"original": original, "scanned": copy, "scanned_over_original": compare(original, copy)},
               "known_item_queries": queries, "question_rows": rows,
               "goal": "scanned >= 0.9 x original on hit@5 and correct",
               "seconds": round(time.perf_counter() - started, 1)}
    path = write_result("ocr", False, results)
    print(json.dumps(results["qa_pdf_questions"], indent=2))
    print(f"(JSON: {path})", file=sys.stderr)
    return 0


def configure(render_dpi: int | None, post_ocr: str) -> None:
    """The ingestion's OCR as the variant measured: rendering resolution, and the post-OCR correction or none."""
    from rag.ingest import images, ocr, parsers

    if render_dpi:
        images.RENDER_DPI = ocr.RENDER_DPI = render_dpi
    if post_ocr == "none":
        parsers.correct_confusions = images.correct_confusions = list


def tesseract_version() -> str:
    import pytesseract

    return f"tesseract {pytesseract.get_tesseract_version()} (pytesseract {pytesseract.__version__})"


if __name__ == "__main__":
    sys.exit(main())
