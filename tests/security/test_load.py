"""A bounded, self-stopping load test on the real local backends: 20 concurrent sessions (threads
sharing one Engine, as the Streamlit app shares its cached Engine) upload and ask, while
`python -m rag ingest` processes write to the same data folder. Zero errors, zero lost documents;
p50/p95 answer latency printed and written to load.json in the test's tmp dir.

CI mode runs 60 s; RAG_LOAD_LONG=1 runs 300 s (RAG_LOAD_SECONDS overrides both)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from rag.engine import Engine
from rag.settings import Settings
from rag.types import Principal

SECONDS = float(os.environ.get("RAG_LOAD_SECONDS", 300 if os.environ.get("RAG_LOAD_LONG") == "1" else 60))
SESSIONS = 20
WORDS = ["amber", "basalt", "cobalt", "dune", "ember", "fjord", "garnet", "harbor", "indigo", "jasper"]


def session(engine: Engine, n: int, stop: float, results: dict, lock: threading.Lock) -> None:
    user = Principal(f"load-user-{n}")
    i = 0
    while time.monotonic() < stop:
        word = f"{WORDS[i % len(WORDS)]}{n}x{i}"
        text = (f"Inspection log {i} of session {n}. The code word for this turbine is {word}. "
                f"The bearing of turbine {word} was replaced after {i + 3} months of service.")
        try:
            report = engine.ingest(f"log-{n}-{i}.txt", text.encode(), user)
            assert report.status == "indexed", report.error
            started = time.perf_counter()
            answer = engine.ask(f"When was the bearing of turbine {word} replaced?", user).complete()
            latency = time.perf_counter() - started
            assert any(h.chunk.doc_id == report.doc_id for h in answer.hits), "own new document not retrieved"
            with lock:
                results["latencies"].append(latency)
                results["docs"].setdefault(user.user_id, set()).add(report.doc_id)
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            with lock:
                results["errors"].append(f"session {n}: {type(exc).__name__}: {exc}")
        i += 1
        time.sleep(0.5)  # think time, like a person between questions


def cli_ingests(data_dir, folder, stop: float, results: dict) -> None:
    """Back-to-back CLI ingest processes on the same data folder until the time is up."""
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), "PYTHONPATH": os.getcwd()}
    batch = 0
    while time.monotonic() < stop:
        files = []
        for j in range(3):
            path = folder / f"cli-{batch}-{j}.txt"
            path.write_text(f"CLI batch {batch} file {j}: the pump seal code is seal{batch}y{j}. " * 5)
            files.append(path.name)
        done = subprocess.run([sys.executable, "-m", "rag", "--user", "load-cli", "ingest",
                               *[str(folder / f) for f in files]], env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            results["errors"].append(f"cli batch {batch}: exit {done.returncode}: {done.stderr[-500:]}")
        else:
            results["cli_files"].extend(files)
        batch += 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@pytest.mark.slow
def test_twenty_sessions_and_cli_ingests_lose_nothing(tmp_path, local_embedder):
    settings = Settings(data_dir=tmp_path / "data", audit_log=str(tmp_path / "audit.jsonl"))
    engine = Engine(settings, embedder=local_embedder)
    engine.ingest("warmup.txt", b"Warm-up document about turbines and bearings.", Principal("load-warmup"))
    results = {"latencies": [], "docs": {}, "errors": [], "cli_files": []}
    lock, stop = threading.Lock(), time.monotonic() + SECONDS
    (tmp_path / "cli").mkdir()
    threads = [threading.Thread(target=session, args=(engine, n, stop, results, lock)) for n in range(SESSIONS)]
    threads += [threading.Thread(target=cli_ingests, args=(settings.data_dir, tmp_path / "cli", stop, results))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 600)
    assert not any(t.is_alive() for t in threads), "a session did not stop"

    fresh = Engine(Settings(data_dir=tmp_path / "data"), embedder=local_embedder)  # as after a restart
    lost = [(u, d) for u, ids in results["docs"].items() for d in ids - {x.doc_id for x in fresh.documents(Principal(u))}]
    cli_listed = {d.name for d in fresh.documents(Principal("load-cli"))}
    lost += [("load-cli", f) for f in results["cli_files"] if f not in cli_listed]
    summary = {"seconds": SECONDS, "sessions": SESSIONS, "questions": len(results["latencies"]),
               "uploads": sum(len(v) for v in results["docs"].values()), "cli_files": len(results["cli_files"]),
               "errors": len(results["errors"]), "lost": len(lost),
               "p50_s": round(percentile(results["latencies"], 0.5), 3),
               "p95_s": round(percentile(results["latencies"], 0.95), 3)}
    print("\nload:", json.dumps(summary))
    (tmp_path / "load.json").write_text(json.dumps({**summary, "error_samples": results["errors"][:10]}))
    assert not results["errors"], results["errors"][:5]
    assert not lost, lost[:5]
    assert summary["questions"] >= SESSIONS and summary["cli_files"] >= 3
