"""Runs kept in the Store (RAG_STORE) with their per-question rows, listed and compared over time.
Each run records its configurations, package versions and the git sha."""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from rag.protocols import Store

PACKAGES = ("ragas", "ir-measures", "sentence-transformers", "tantivy", "openai", "streamlit")
NESTED = ("expected", "retrieved", "unsupported_sentences")


def versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = ""
    return out


def git_sha() -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                              cwd=Path(__file__).resolve().parent, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def rows_frame(run: dict) -> pd.DataFrame:
    """One row per (configuration, question); nested columns as JSON text (Parquet-friendly)."""
    frame = pd.DataFrame(run["rows"])
    for column in NESTED:
        if column in frame:
            frame[column] = frame[column].map(lambda v: json.dumps(v, ensure_ascii=False))
    return frame


def save_run(run: dict, store: Store) -> str:
    """Keep `run` (rows included); returns its run id."""
    run = {**run, "versions": run.get("versions") or versions(), "git_sha": run.get("git_sha", git_sha())}
    store.save_run(run)
    return run["run_id"]


def load_run(store: Store, run_id: str) -> dict:
    """NotFound if there is no such run."""
    return store.run(run_id)


def list_runs(store: Store) -> list[dict]:
    """Newest first: id, time, dataset, configurations and their summaries (no per-question rows)."""
    return [{k: run.get(k) for k in ("run_id", "created_at", "dataset", "items", "git_sha", "summary")}
            | {"configs": [c["name"] for c in run.get("configs", [])]} for run in store.runs()]


def compare(runs: list[dict]) -> pd.DataFrame:
    """One row per (run, configuration) with every summary metric: how quality moved over time."""
    records = [{"run_id": r["run_id"], "created_at": r["created_at"], "dataset": r.get("dataset", ""),
                "config": config, **metrics}
               for r in runs for config, metrics in (r.get("summary") or {}).items()]
    return pd.DataFrame(records)
