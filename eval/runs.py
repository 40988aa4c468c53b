"""Runs stored under <data_dir>/eval/runs/ as JSON (plus Parquet of the per-question rows), listed
and compared over time. Each run records its configurations, package versions and the git sha."""

from __future__ import annotations

import contextlib
import json
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from eval.errors import EvalError

PACKAGES = ("ragas", "ir-measures", "sentence-transformers", "tantivy", "openai", "streamlit")
NESTED = ("expected", "retrieved", "unsupported_sentences")


def runs_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "eval" / "runs"


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


def save_run(run: dict, data_dir: Path) -> Path:
    folder = runs_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    run = {**run, "versions": run.get("versions") or versions(), "git_sha": run.get("git_sha", git_sha())}
    path = folder / f"{run['run_id']}.json"
    path.write_text(json.dumps(run, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    with contextlib.suppress(ImportError):  # pyarrow is optional: the JSON file holds everything
        rows_frame(run).to_parquet(path.with_suffix(".parquet"), index=False)
    return path


def load_run(data_dir: Path, run_id: str) -> dict:
    path = runs_dir(data_dir) / f"{run_id}.json"
    if not path.is_file():
        raise EvalError(f"No evaluation run {run_id!r} in {path.parent}; `python -m eval runs` lists them.")
    return json.loads(path.read_text(encoding="utf-8"))


def list_runs(data_dir: Path) -> list[dict]:
    """Newest first: id, time, dataset, configurations and their summaries (no per-question rows)."""
    out = []
    for path in sorted(runs_dir(data_dir).glob("*.json"), reverse=True):
        try:
            run = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # a run being written by another process
        out.append({k: run.get(k) for k in ("run_id", "created_at", "dataset", "items", "git_sha", "summary")}
                   | {"configs": [c["name"] for c in run.get("configs", [])]})
    return out


def compare(runs: list[dict]) -> pd.DataFrame:
    """One row per (run, configuration) with every summary metric: how quality moved over time."""
    records = [{"run_id": r["run_id"], "created_at": r["created_at"], "dataset": r.get("dataset", ""),
                "config": config, **metrics}
               for r in runs for config, metrics in (r.get("summary") or {}).items()]
    return pd.DataFrame(records)
