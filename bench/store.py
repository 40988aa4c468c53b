"""python -m bench.store [--quick] [--azurite]: the conversation store's costs, medians of repeated runs.

- write latency per turn (a realistic answer: 6 sources of ~1,000 characters, retrieved hits, citations);
- listing one user's 1,000 conversations (what the Chat page's sidebar reads), and searching them;
- the Chat page's whole run (AppTest) with that sidebar, against the same page with no conversations.
SQLite always; Table Storage on Azurite with --azurite (a local emulator: its latencies are not Azure's).
JSON to bench/results/store.json (quick: bench/results/quick/store.json)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import offline_env, percentiles_ms, write_result
from rag.settings import Settings
from rag.types import Answer, Chunk, Citation, Hit, Principal

ME = Principal("bench-user", "Bench", ("team",))
AZURITE = Path(__file__).resolve().parents[1] / ".tools" / "node_modules" / ".bin" / "azurite-table"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def realistic_answer(n: int) -> Answer:
    hits = [Hit(Chunk(f"c{n}-{i}", f"doc{i}", f"Passage {i} of answer {n}. " + "word " * 190, i + 1, 0, 1000,
                      title=f"manual-{i}.pdf", owner=ME.user_id), 0.03 - i * 0.001, i + 1, i + 2) for i in range(6)]
    cites = [Citation(k + 1, hits[k].chunk.chunk_id, hits[k].chunk.doc_id, hits[k].chunk.title, k + 1, 0, 120,
                      hits[k].chunk.text[:120], ((0, 120),)) for k in range(2)]
    return Answer(f"Question number {n} about pumps?", f"question {n} pumps", "The pump runs at 50 Hz [1] [2]. " * 8,
                  hits=hits, retrieved=hits, citations=cites, confidence=0.8, emphasis=["50 Hz"])


def measure_store(store, conversations: int, turns: int, lists: int) -> dict:
    writes, listing, search = [], [], []
    first = store.create(ME).conv_id
    for n in range(turns):
        started = time.perf_counter()
        store.append(first, ME, f"Question number {n} about pumps?", realistic_answer(n))
        writes.append(time.perf_counter() - started)
    for n in range(conversations - 1):
        conv = store.create(ME).conv_id
        store.append(conv, ME, f"Conversation {n}: how are glob patterns weighted?", realistic_answer(n))
    for _ in range(lists):
        started = time.perf_counter()
        assert len(store.conversations(ME)) == conversations
        listing.append(time.perf_counter() - started)
        started = time.perf_counter()
        store.conversations(ME, "conversation 77")
        search.append(time.perf_counter() - started)
    started = time.perf_counter()
    restored = store.conversation(first, ME)
    reopen = time.perf_counter() - started
    assert len(restored.turns) == turns
    return {"conversations": conversations, "append_turn_ms": percentiles_ms(writes),
            "list_ms": percentiles_ms(listing), "search_ms": percentiles_ms(search),
            "reopen_ms_of_a_conversation_with_turns": {"turns": turns, "ms": round(reopen * 1000, 1)}}


def sidebar_runs(data_dir: Path, runs: int) -> list[float]:
    """Seconds of whole Chat page runs (AppTest) over `data_dir`, each in a new session."""
    from streamlit.testing.v1 import AppTest

    os.environ["RAG_DATA_DIR"], os.environ["RAG_LOCAL_USER"] = str(data_dir), ME.user_id
    from rag.settings import get_settings

    get_settings.cache_clear()
    out = []
    for _ in range(runs + 1):  # the first run warms the caches: left out
        at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
        started = time.perf_counter()
        at.run()
        out.append(time.perf_counter() - started)
        assert not at.exception
    return out[1:]


def page_with(conversations: int, runs: int) -> dict:
    from rag.engine import Engine
    from rag.store.sqlite import SqliteStore

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        Engine(settings).ingest("pumps.txt", b"The pump runs at 50 Hz and is serviced yearly.", ME)
        store = SqliteStore(settings)
        for n in range(conversations):
            conv = store.create(ME).conv_id
            store.append(conv, ME, f"Conversation {n}: how are glob patterns weighted?", realistic_answer(n))
        return percentiles_ms(sidebar_runs(settings.data_dir, runs))


def azurite_store(tmp: Path):
    from rag.store.tables import AzureTableStore

    port = 10_000 + os.getpid() % 20_000
    process = subprocess.Popen([str(AZURITE), "--tableHost", "127.0.0.1", "--tablePort", str(port), "--location",
                                str(tmp), "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3)
    secret = (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DEV_KEY};"
              f"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;")

    class Secrets:
        def get(self, name):
            return secret

    return process, AzureTableStore(Settings(store="azure", azure_storage_table="bench"), secrets=Secrets())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 conversations, 20 turns, 3 page runs")
    parser.add_argument("--azurite", action="store_true", help="also Table Storage on Azurite")
    opts = parser.parse_args(argv)
    offline_env()
    conversations, turns, runs = (100, 20, 3) if opts.quick else (1000, 100, 7)
    from rag.store.sqlite import SqliteStore

    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure_store(SqliteStore(Settings(data_dir=Path(tmp))), conversations, turns, 15)
    if opts.azurite:
        with tempfile.TemporaryDirectory() as tmp:
            process, store = azurite_store(Path(tmp))
            try:
                results["azurite_tables"] = measure_store(store, conversations, turns // 2, 5)
            finally:
                process.terminate()
                process.wait(timeout=10)
    empty, full = page_with(0, runs), page_with(conversations, runs)
    results["chat_page_run_ms"] = {"no_conversations": empty, f"{conversations}_conversations": full,
                                   "ratio_p50": round(full["p50"] / empty["p50"], 2)}
    path = write_result("store", opts.quick, results)
    for name, r in results.items():
        if name != "chat_page_run_ms":
            print(f"{name}: append p50 {r['append_turn_ms']['p50']} ms, list {conversations} p50 {r['list_ms']['p50']} ms, "
                  f"search p50 {r['search_ms']['p50']} ms")
    print(f"chat page run p50: {empty['p50']} ms empty, {full['p50']} ms with {conversations} conversations "
          f"(x{results['chat_page_run_ms']['ratio_p50']}); JSON: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
