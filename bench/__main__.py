"""python -m bench ingest|query|answer|app|all [--quick]: JSON to bench/results/<name>.json (quick runs to
bench/results/quick/), a Markdown table to stdout."""

from __future__ import annotations

import argparse
import sys
import time

from bench import anchor as anchors
from bench.common import offline_env, write_result

BENCHMARKS = ("ingest", "query", "answer", "app")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", choices=[*BENCHMARKS, "all"])
    parser.add_argument("--quick", action="store_true", help="small corpora, few queries, N=1,3 sessions; "
                        "the anchor only when .venv-anchor is already installed")
    parser.add_argument("--man-pages", type=int, default=None, help="man pages in the ingest corpus (300; quick 20)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved ingest rounds per system (2; quick 1)")
    parser.add_argument("--no-anchor", action="store_true", help="leave the anchor out")
    opts = parser.parse_args(argv)
    offline_env()
    names = BENCHMARKS if opts.name == "all" else (opts.name,)
    anchor = None if opts.no_anchor or not {"ingest", "query"} & set(names) else anchors.ensure(not opts.quick)
    for name in names:
        started = time.perf_counter()
        print(f"bench {name}{' --quick' if opts.quick else ''} ...", file=sys.stderr, flush=True)
        results, text = run_one(name, opts, anchor)
        results["anchor_included"] = anchor is not None if name in ("ingest", "query") else None
        results["seconds"] = round(time.perf_counter() - started, 1)
        path = write_result(name, opts.quick, results)
        print(f"\n## {name}\n\n{text}\n\n(JSON: {path})\n", flush=True)
    return 0


def run_one(name: str, opts, anchor) -> tuple[dict, str]:
    if name == "ingest":
        from bench import ingest

        results = ingest.run(opts.quick, anchor, opts.man_pages or (20 if opts.quick else 300),
                             opts.rounds or (1 if opts.quick else 2))
        return results, ingest.markdown(results)
    if name == "query":
        from bench import query

        results = query.run(opts.quick, anchor)
        return results, query.markdown(results)
    if name == "answer":
        from bench import answer

        results = answer.run(opts.quick)
        return results, answer.markdown(results)
    from bench import sessions

    results = sessions.run(opts.quick)
    return results, sessions.markdown(results)


if __name__ == "__main__":
    sys.exit(main())
