"""A real Azurite (npm, installed by `make system-deps` under .tools/) for one storage service, started
once per test session, and the secrets store the Azure backends read its connection string from."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rag.errors import ConfigError

BIN = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / ".bin"
# Azurite's well-known development account (public, documented, not a secret)
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, command: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Azurite exited with code {process.returncode}; run it by hand to see why: {command}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"Azurite did not listen on port {port} within {seconds} s")


@contextmanager
def azurite(service: str, location: Path) -> Iterator[str]:
    """Azurite's `blob` or `table` service on a free port; yields its connection string."""
    command = BIN / f"azurite-{service}"
    if not command.exists() or shutil.which("node") is None:
        pytest.fail(f"Azurite is not installed ({command}); run `make system-deps` to install it")
    port = free_port()
    process = subprocess.Popen(
        [str(command), f"--{service}Host", "127.0.0.1", f"--{service}Port", str(port), "--location", str(location),
         "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port, process, command)
        yield (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DEV_KEY};"
               f"{service.capitalize()}Endpoint=http://127.0.0.1:{port}/devstoreaccount1;")
    finally:
        process.terminate()
        process.wait(timeout=10)


class Secrets(dict):
    def get(self, name):
        if name not in self:
            raise ConfigError(f"no secret {name}")
        return self[name]
