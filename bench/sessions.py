"""Page load time and memory of one `streamlit run app.py` process under N concurrent browser
sessions (Debian chromium through Playwright, loopback only, bounded and self-stopping)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import ROOT, offline_env, percentiles_ms, table
from bench.corpus import QUICK_PDFS

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
READY = '[data-testid="stChatInput"]'
PAGE_TIMEOUT_MS = 90_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    import psutil

    proc = psutil.Process(pid)
    return round(sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20, 1)


def library(data_dir: str) -> None:
    from rag.engine import Engine
    from rag.settings import Settings
    from rag.types import Principal

    settings = Settings(data_dir=data_dir)
    engine = Engine(settings)
    for path in QUICK_PDFS:
        engine.ingest(Path(path).name, Path(path).read_bytes(), Principal(settings.local_user))
    engine.index.flush()


def start(data_dir: str, port: int) -> subprocess.Popen:
    env = {**offline_env(), "RAG_DATA_DIR": data_dir, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
                             "--server.port", str(port), "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not become healthy in 60 s: " + proc.stderr.read().decode()[-2000:])


def run(quick: bool) -> dict:
    if not Path(CHROMIUM).exists():
        return {"skipped": f"{CHROMIUM} is missing: apt-get install -y chromium"}
    if not (ROOT / "app.py").exists():
        return {"skipped": "app.py is missing"}
    sizes = [1, 3] if quick else [1, 10, 25]
    port = free_port()
    out = {"sizes": {}}
    with tempfile.TemporaryDirectory(prefix="docchat-app-") as data:
        library(data)  # the chat page shows its input only once the library has documents
        proc = start(data, port)
        try:
            url = f"http://127.0.0.1:{port}/"
            asyncio.run(measure_sessions(url, 1, proc.pid))  # the first run imports the app's modules
            out["idle_rss_mib"] = baseline = rss_mib(proc.pid)
            for n in sizes:
                t0 = time.perf_counter()
                result = asyncio.run(measure_sessions(url, n, proc.pid))
                result["wall_seconds"] = round(time.perf_counter() - t0, 2)
                result["rss_growth_per_session_mib"] = round((result["rss_with_sessions_open_mib"] - baseline) / n, 2)
                out["sizes"][str(n)] = result
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return out


async def measure_sessions(url: str, n: int, pid: int) -> dict:
    """N sessions at once; RSS sampled throughout and read again while all N are still connected."""
    from playwright.async_api import async_playwright

    peak = [rss_mib(pid)]

    async def sample():
        while True:
            peak.append(rss_mib(pid))
            await asyncio.sleep(0.25)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        sampler = asyncio.create_task(sample())
        try:
            context = await browser.new_context()
            errors: list[str] = []
            loads = await asyncio.gather(*(load_one(context, url, i, errors) for i in range(n)))
            await asyncio.sleep(1.0)  # let every session's script run settle
            open_rss = rss_mib(pid)
        finally:
            sampler.cancel()
            await browser.close()
    loads = [x for x in loads if x is not None]
    return {"sessions": n, "ok": len(loads), "errors": errors, "page_load_ms": percentiles_ms(loads),
            "rss_peak_mib": max(peak), "rss_with_sessions_open_mib": open_rss}


async def load_one(context, url: str, i: int, errors: list[str]) -> float | None:
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"session {i}: {exc}"))
    t0 = time.perf_counter()
    try:
        await page.goto(url, timeout=PAGE_TIMEOUT_MS)
        await page.wait_for_selector(READY, timeout=PAGE_TIMEOUT_MS)
    except Exception as exc:  # noqa: BLE001 - counted as an error of this session, the run goes on
        errors.append(f"session {i}: {type(exc).__name__}: {str(exc)[:200]}")
        return None
    elapsed = time.perf_counter() - t0
    if await page.locator('[data-testid="stException"]').count():
        errors.append(f"session {i}: the page shows an exception")
    return elapsed


def markdown(results: dict) -> str:
    if "skipped" in results:
        return f"app: skipped ({results['skipped']})"
    rows = [[n, r["ok"], len(r["errors"]), r["page_load_ms"].get("p50"), r["page_load_ms"].get("p95"),
             r["rss_with_sessions_open_mib"], r["rss_growth_per_session_mib"]] for n, r in results["sizes"].items()]
    return table(["sessions", "loaded", "errors", "page load p50 ms", "p95 ms", "RSS with sessions open MiB",
                  "RSS growth per session MiB"], rows) + f"\n\nIdle RSS after the first page: {results['idle_rss_mib']} MiB"
