"""A real `streamlit run app.py` per configuration and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from shutil import which

import pytest

ROOT = Path(__file__).parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit did not become healthy: {log.read_text()[-2000:]}")


def start_app(tmp: Path, **env: str) -> Iterator[str]:
    """`streamlit run app.py` on a free port with its own data dir; yields the base URL."""
    port = free_port()
    log = tmp / "streamlit.log"
    environ = {**os.environ, "RAG_DATA_DIR": str(tmp / "data"), "HF_HUB_OFFLINE": "1",
               "TOKENIZERS_PARALLELISM": "false", **{f"RAG_{k.upper()}": v for k, v in env.items()}}
    streamlit = Path(sys.executable).with_name("streamlit")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(streamlit), "run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true"], cwd=ROOT, env=environ, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def require_chromium() -> None:
    if not Path(CHROMIUM).exists() and not which("chromium"):
        pytest.skip("Chromium is missing: run `make system-deps` (apt-get install chromium)")


@pytest.fixture(scope="session")
def chromium():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def local_app(tmp_path_factory) -> Iterator[str]:
    yield from start_app(tmp_path_factory.mktemp("local-app"))


@pytest.fixture(scope="module")
def proxy_app(tmp_path_factory) -> Iterator[str]:
    yield from start_app(tmp_path_factory.mktemp("proxy-app"), auth_mode="proxy")


def open_page(browser, url: str, **context):
    page = browser.new_context(viewport=VIEWPORT, **context).new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    return page
