"""`python -m bench all --quick` runs end to end and writes well-formed results (no timing asserts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICK = ROOT / "bench" / "results" / "quick"
KEYS = {
    "ingest": {"corpora", "rounds", "man_pages"},
    "query": {"sizes"},
    "answer": {"by_precision", "questions"},
    "app": set(),
}


@pytest.mark.timeout(900)
def test_bench_all_quick_runs_and_writes_results():
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "bench", "all", "--quick"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    for name, keys in KEYS.items():
        assert f"## {name}" in done.stdout
        result = json.loads((QUICK / f"{name}.json").read_text())
        assert result["benchmark"] == name and result["quick"] is True
        assert {"machine", "when", "seconds"} <= result.keys()
        assert keys <= result.keys(), f"{name}: missing {keys - result.keys()}"
    ingest = json.loads((QUICK / "ingest.json").read_text())
    for corpus in ("pdf", "man"):
        ours = ingest["corpora"][corpus]["docchat"]
        assert ours["pages"] > 0 and ours["chunks"] > 0 and not ours["failed"]
        assert {"parse", "chunk", "embed", "index"} <= ours["stage_seconds_median"].keys()
        assert {"mrr", "ndcg@10"} <= ours["known_item"].keys()
    query = json.loads((QUICK / "query.json").read_text())
    for label in ("no_filter", "filter"):
        assert {"p50", "p95", "p99"} <= query["sizes"]["10000"]["docchat"][label].keys()
    app = json.loads((QUICK / "app.json").read_text())
    if "skipped" not in app:
        assert {"1", "3"} <= app["sizes"].keys()
