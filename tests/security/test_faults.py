"""Faults: a full disk, a folder DocChat may not write, a model endpoint that throttles, fails or
hangs, and a restart. Each ends in a RagError that says what to do, with nothing lost or half-written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rag.errors import BackendUnavailable
from rag.types import Principal
from tests.conftest import make_docx, make_pdf
from tests.security.conftest import make_engine

ME = Principal("me")
SMALL = b"Turbine bearings are inspected every month for wear and vibration."
BIG = " ".join(f"Sentence {i} reports the bearing temperature of turbine {i % 97}." for i in range(40_000)).encode()


@pytest.fixture
def tiny_disk(tmp_path):
    """Mount a 1 MB tmpfs at a folder; yields a function that mounts it at data/<sub>."""
    mounted = []

    def mount(sub: str) -> Path:
        target = tmp_path / "data" / sub
        target.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(target)], capture_output=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({result.stderr.decode().strip()}); run as root with CAP_SYS_ADMIN")
        mounted.append(target)
        return target

    yield mount
    for target in mounted:
        subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.mark.parametrize("full", ["blobs", "index"])
def test_a_full_disk_is_a_clear_error_and_corrupts_nothing(tmp_path, tiny_disk, full):
    disk = tiny_disk(full)
    engine = make_engine(tmp_path / "data")
    small = engine.ingest("small.txt", SMALL, ME).doc_id
    with pytest.raises(BackendUnavailable, match="free disk space.*RAG_DATA_DIR"):
        engine.ingest("big.txt", BIG, ME)
    for fresh in (engine, make_engine(tmp_path / "data")):  # the running app, and after a restart
        assert [d.name for d in fresh.documents(ME)] == ["small.txt"]
        assert fresh.original(small, ME) == SMALL and fresh.pages(small, ME)[0].text == SMALL.decode()
        assert fresh.search("bearing temperature turbine", ME)[0].chunk.doc_id == small
    assert not [p for p in (tmp_path / "data" / "blobs").rglob(".tmp-*")]
    subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
    assert engine.ingest("big.txt", BIG, ME).status == "indexed"  # once there is room, it just works


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "rag", "--user", "me", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_folder_docchat_may_not_write_is_a_clear_error(tmp_path, tiny_disk):
    """Tests run as root, where chmod stops nothing: a read-only mount refuses even root (EROFS)."""
    disk = tiny_disk("")
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    listed = cli(disk, "list")  # cannot even create the index folder
    assert listed.returncode == 2 and "RAG_DATA_DIR" in listed.stderr and "Traceback" not in listed.stderr
    subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    make_engine(disk).ingest("mine.txt", SMALL, ME)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    for command in (["list", "--json"], ["delete", "mine.txt"]):  # the index needs its lock file, even to read
        result = cli(disk, *command)
        assert result.returncode == 2 and "RAG_DATA_DIR" in result.stderr and "Traceback" not in result.stderr
    subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    assert [d.name for d in make_engine(disk).documents(ME)] == ["mine.txt"]


class FlakyModel(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint that plays `script` (429, 500, hang, ok) one request at a time."""

    script: list[str] = []
    seen: list[str] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        self.rfile.read(int(self.headers.get("content-length", 0)))
        step = self.script.pop(0) if self.script else "ok"
        self.seen.append(step)
        if step == "hang":
            time.sleep(3)
            step = "ok"
        if step in ("429", "500"):
            body = json.dumps({"error": {"message": "busy", "type": "server_error", "code": step}}).encode()
            self.send_response(int(step))
            self.send_header("retry-after", "0")
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        delta = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Bearings are inspected monthly [1]"},
                              "finish_reason": None}]}
        body = f"data: {json.dumps(delta)}\n\ndata: [DONE]\n\n".encode()
        try:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out on a hanging request and went away, as it should

    def log_message(self, *args):
        pass


@pytest.fixture
def model_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyModel)
    server.daemon_threads = True
    FlakyModel.script, FlakyModel.seen = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture
def openai_engine(tmp_path, model_server):
    engine = make_engine(tmp_path / "data", chat="openai", openai_base_url=model_server, openai_model="m",
                         chat_timeout=0.5, chat_retries=1)
    engine.ingest("bearings.txt", SMALL, ME)
    return engine


@pytest.mark.parametrize("script", [["429"], ["500"], ["hang"]])
def test_a_throttled_failing_or_hanging_model_is_retried(openai_engine, script):
    FlakyModel.script[:] = list(script)
    answer = openai_engine.ask("How often are bearings inspected?", ME).complete()
    assert answer.text == "Bearings are inspected monthly [1]" and answer.citations
    assert FlakyModel.seen == [*script, "ok"]


@pytest.mark.parametrize("script", [["500", "500"], ["hang", "hang"], ["429", "429"]])
def test_a_model_that_keeps_failing_is_a_clear_error_and_the_session_goes_on(openai_engine, script):
    FlakyModel.script[:] = list(script)
    with pytest.raises(BackendUnavailable, match="did not answer after 2 attempts.*RAG_CHAT_TIMEOUT"):
        openai_engine.ask("How often are bearings inspected?", ME).complete()
    answer = openai_engine.ask("How often are bearings inspected?", ME).complete()  # the same engine, next question
    assert answer.citations and answer.citations[0].title == "bearings.txt"


def test_a_restart_loses_no_document_page_original_or_index_entry(tmp_path):
    engine = make_engine(tmp_path / "data")
    files = {"notes.txt": SMALL, "manual.pdf": make_pdf(), "plan.docx": make_docx(),
             "gone.txt": b"This document is deleted before the restart, about pumps."}
    ids = {name: engine.ingest(name, data, ME).doc_id for name, data in files.items()}
    engine.delete(ids.pop("gone.txt"), ME)
    before = {d.doc_id: d for d in engine.documents(ME)}
    restarted = make_engine(tmp_path / "data")
    assert {d.doc_id: d for d in restarted.documents(ME)} == before and set(before) == set(ids.values())
    for name, doc_id in ids.items():
        assert restarted.original(doc_id, ME) == files[name]
        assert restarted.pages(doc_id, ME) == engine.pages(doc_id, ME)
        assert restarted.index.chunks(doc_id, ME) == engine.index.chunks(doc_id, ME)
    assert restarted.index.count() == engine.index.count() == sum(d.chunks for d in before.values())
    assert not restarted.search("pumps deleted", ME, mode="bm25")
