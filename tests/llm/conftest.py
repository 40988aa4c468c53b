"""The generative path against a real llama.cpp server (SmolLM2-135M-Instruct, shipped in a wheel).

`make test` installs the server first (`make llm`). When it is missing these tests fail, saying what
to run; `RAG_TEST_LLM=0` skips them instead (and makes `make test` skip the build)."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from bench.llm_server import LlamaServer, ServerUnavailable, llama_server, smollm2_path
from rag.settings import Settings
from rag.types import Principal
from tests.app.conftest import served_before  # noqa: F401 - the Chat page test runs as the app tests do
from tests.llm.proxy import Tap

OPT_OUT = "RAG_TEST_LLM"
ME = Principal("local", "Local user")
NOTES = (
    "Glow widget maintenance notes.\n\n"
    "The glow widget is calibrated every morning at dawn by the night operator. "
    "Calibration takes twelve minutes and uses the blue lamp. "
    "The calibration log is kept in the red binder next to the control desk.\n"
)


def unavailable(exc: Exception) -> None:
    if os.environ.get(OPT_OUT) == "0":
        pytest.skip(f"{OPT_OUT}=0: real model server tests skipped ({exc})")
    pytest.fail(f"The real model server tests need llama.cpp's server: {exc}. "
                f"Set {OPT_OUT}=0 to skip them instead.", pytrace=False)


@pytest.fixture(scope="session")
def model_path() -> Path:
    try:
        return smollm2_path()
    except ServerUnavailable as exc:
        unavailable(exc)


def start(stack: ExitStack, model_path: Path, log: Path) -> LlamaServer:
    try:
        return stack.enter_context(llama_server(model_path, log=log))
    except ServerUnavailable as exc:
        unavailable(exc)


@pytest.fixture(scope="session")
def llm(model_path, tmp_path_factory) -> Iterator[LlamaServer]:
    """One server for the session, stopped at the end whatever happens."""
    with ExitStack() as stack:
        yield start(stack, model_path, tmp_path_factory.mktemp("llm") / "server.log")


@pytest.fixture
def doomed(model_path, tmp_path) -> Iterator[LlamaServer]:
    """A server of the test's own, for tests that kill it."""
    with ExitStack() as stack:
        yield start(stack, model_path, tmp_path / "doomed.log")


@pytest.fixture
def tap(llm) -> Iterator[Tap]:
    proxy = Tap(llm.port)
    yield proxy
    proxy.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers: a hung server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.fixture(scope="session")
def notes_dir(tmp_path_factory) -> Path:
    """A data dir with one short TXT ingested by the local user (real local embedder and index)."""
    from rag.engine import Engine

    data = tmp_path_factory.mktemp("llm-notes") / "data"
    assert Engine(Settings(data_dir=data)).ingest("glow-notes.txt", NOTES.encode(), ME).status == "indexed"
    return data


@pytest.fixture
def data_dir(notes_dir, tmp_path) -> Path:
    return Path(shutil.copytree(notes_dir, tmp_path / "data"))
