"""Ingest throughput, end to end and per stage: DocChat (now, and with the embedder settings of before #8)
against the anchor, each run in a fresh process, rounds interleaved, medians reported."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.common import median, percentiles_ms, ratio, run_worker, table
from bench.corpus import write_corpora

STAGES = ("parse", "chunk", "embed", "index")


def docchat(spec: Path, before: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="docchat-out-") as tmp:
        out = str(Path(tmp) / "out.json")
        flags = ["--before"] if before else []
        return run_worker(["-m", "bench.ingest_worker", str(spec), *flags, "--out", out], 3600)


def summarise(runs: list[dict]) -> dict:
    first = runs[0]
    secs = median(r["seconds"] for r in runs)
    stage = {s: median(r["stage_seconds"].get(s, 0.0) for r in runs) for s in STAGES}
    embed = [x for r in runs for x in r["query_embed_seconds"]]
    search = [x for r in runs for x in r["query_search_seconds"]]
    return {
        "system": first["system"], "runs": len(runs), "documents": first["documents"], "pages": first["pages"],
        "chunks": first["chunks"], "failed": first["failed"], "seconds_median": secs,
        "seconds_all": [round(r["seconds"], 3) for r in runs],
        "model_load_seconds_median": median(r["model_load_seconds"] for r in runs),
        "pages_per_s": round(first["pages"] / secs, 3), "chunks_per_s": round(first["chunks"] / secs, 3),
        "stage_seconds_median": stage,
        "stage_pages_per_s": {s: round(first["pages"] / v, 2) if v else None for s, v in stage.items()},
        "stage_chunks_per_s": {s: round(first["chunks"] / v, 2) if v else None for s, v in stage.items()},
        "query_embed_ms": percentiles_ms(embed), "query_search_ms": percentiles_ms(search),
        "known_item": first["known_item"],
    }


def run(quick: bool, anchor, man_count: int, rounds: int) -> dict:
    systems = {"docchat": docchat}
    if not quick:
        systems["docchat-before"] = lambda s: docchat(s, before=True)
    if anchor:
        systems["anchor"] = anchor.ingest
    results = {"rounds": rounds, "man_pages": man_count, "corpora": {}}
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        specs = write_corpora(Path(tmp), quick, man_count)
        for corpus, spec in specs.items():
            runs: dict[str, list[dict]] = {name: [] for name in systems}
            for round_ in range(rounds):
                order = list(systems) if round_ % 2 == 0 else list(reversed(systems))  # interleaved: noise hits all
                for name in order:
                    print(f"ingest: {corpus} round {round_ + 1}/{rounds}: {name}", file=sys.stderr, flush=True)
                    runs[name].append(systems[name](spec))
            results["corpora"][corpus] = {name: summarise(r) for name, r in runs.items()}
            add_ratios(results["corpora"][corpus])
    return results


def add_ratios(corpus: dict) -> None:
    ours, before, theirs = corpus.get("docchat"), corpus.get("docchat-before"), corpus.get("anchor")
    corpus["ratios"] = {
        "docchat_vs_anchor_pages_per_s": ratio(ours["pages_per_s"], theirs["pages_per_s"]) if theirs else None,
        "docchat_vs_anchor_embed_chunks_per_s": ratio(ours["stage_chunks_per_s"]["embed"],
                                                     theirs["stage_chunks_per_s"]["embed"]) if theirs else None,
        "anchor_vs_docchat_query_search_p95": ratio(theirs["query_search_ms"]["p95"], ours["query_search_ms"]["p95"])
        if theirs else None,
        "docchat_vs_before_pages_per_s": ratio(ours["pages_per_s"], before["pages_per_s"]) if before else None,
    }


def markdown(results: dict) -> str:
    rows = []
    for corpus, systems in results["corpora"].items():
        for name, r in systems.items():
            if name == "ratios":
                continue
            st = r["stage_seconds_median"]
            rows.append([corpus, name, r["pages"], r["chunks"], r["seconds_median"], r["pages_per_s"], r["chunks_per_s"],
                         r["model_load_seconds_median"], *[st[s] for s in STAGES], r["query_search_ms"]["p95"],
                         r["known_item"]["mrr"], r["known_item"]["ndcg@10"]])
    text = table(["corpus", "system", "pages", "chunks", "end-to-end s", "pages/s", "chunks/s", "model load s",
                  "parse s", "chunk s", "embed s", "index s", "search p95 ms", "MRR", "nDCG@10"], rows)
    for corpus, systems in results["corpora"].items():
        text += f"\n\n{corpus}: " + ", ".join(f"{k} = {v}" for k, v in systems["ratios"].items() if v is not None)
    return text
