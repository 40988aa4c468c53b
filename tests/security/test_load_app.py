"""A bounded, self-stopping load test through the real app: one `streamlit run app.py` on loopback,
20 Chromium pages (one browser, one context each, so 20 Streamlit sessions) driven from one asyncio
loop, while `python -m rag ingest` processes write to the same data folder. Each session uploads a
small fact sheet of its own on the Documents page, then asks on the Chat page about it (the answer
must cite it) and something no document answers, timing each answer from Enter to the end of its
stream (citation chips and inspector drawn).

Zero page errors (tracebacks, st.error, console errors, crashes, timeouts, a dropped websocket, a
traceback in the server log), zero lost documents (a fresh Engine on the data folder lists every
upload and every CLI file, each with chunks). Figures printed and written to load-app.json in the
test's tmp dir.

CI mode: one round per session, hard cap 480 s. RAG_LOAD_LONG=1: sessions and CLI writers loop for
300 s (RAG_LOAD_SECONDS overrides), as in the engine-level test_load.py."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from math import isnan, nan
from pathlib import Path

import pytest

from rag.engine import Engine
from rag.settings import Settings
from rag.types import Principal
from tests.browser import helpers as pages
from tests.browser.conftest import ARGS, CHROMIUM, ROOT, require_chromium, start_app
from tests.security.test_load import percentile

pytestmark = pytest.mark.browser

LONG = os.environ.get("RAG_LOAD_LONG") == "1"
SECONDS = float(os.environ.get("RAG_LOAD_SECONDS", 300 if LONG else 0))  # 0: one round per session
SESSIONS = 20
CLI_WRITERS = 3  # concurrent `python -m rag ingest` processes, two files each per batch
CAP = SECONDS + 480  # hard cap on the sessions and writers, whatever happens (about 2 min unloaded)
STEP_TIMEOUT = 150  # any single wait in a page: the upload indexed, an answer complete
LOCAL = Principal("local")  # RAG_AUTH_MODE=none: every browser session and the CLI are this one user
UNANSWERABLE = "What is the boiling point of liquid nitrogen on Neptune?"
SYLLABLES = ["ka", "lo", "mi", "ru", "ze", "po", "ta", "ni", "ve", "so", "du", "fe", "gri", "hal", "jo", "bex"]


def word(i: int) -> str:
    """A made-up word per number (three syllables or more): one rare token per project and codename."""
    out = ""
    for _ in range(3):
        i, r = divmod(i, len(SYLLABLES))
        out += SYLLABLES[r]
    while i:
        i, r = divmod(i, len(SYLLABLES))
        out += SYLLABLES[r]
    return out.title()


def fact_sheet(key: int, prefix: str) -> tuple[str, str, str, bytes]:
    """(file name, project, codename, text) of a small TXT unique to `key`."""
    project, codename = word(2 * key), word(2 * key + 1)
    text = (f"Fact sheet of project {project}.\n\n"
            f"The codename of project {project} is {codename}. "
            f"Project {project} is run from office {key % 7 + 2} and reviewed every {key % 5 + 2} weeks. "
            f"Its budget is {100 + key} thousand euros.\n")
    return f"{prefix}-{key:04d}.txt", project, codename, text.encode()


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)  # every file handed to a file input
    cli_files: list[str] = field(default_factory=list)  # every file handed to a CLI process
    own_answers: int = 0
    not_found: int = 0  # answers to the unanswerable question that said so
    offline_blocked: int = 0  # console errors for resources off the loopback host
    held: int = 0  # sessions that did all their work on their one, still open, websocket
    started: float = field(default_factory=time.monotonic)
    upload_spans: list[tuple[float, float]] = field(default_factory=list)  # seconds since the start
    cli_spans: list[tuple[float, float]] = field(default_factory=list)
    uploading: asyncio.Event = field(default_factory=asyncio.Event)  # set by the first upload

    def span(self, since: float) -> tuple[float, float]:
        return round(since - self.started, 1), round(time.monotonic() - self.started, 1)


async def check_page(page, n: int, run: Run, where: str) -> None:
    for element in await page.locator(pages.ERRORS).all():
        run.errors.append(f"session {n} {where}: {(await element.inner_text())[:300]}")


def console(n: int, message, url: str, run: Run) -> None:
    """Console errors count, except a blocked resource off the loopback host (this machine is offline:
    the page icon comes from fonts.gstatic.com), which is only tallied."""
    if message.type != "error":
        return
    source = message.location.get("url", "")
    if source and not source.startswith(url):
        run.offline_blocked += 1
    else:
        run.errors.append(f"session {n} console: {message.text[:200]} ({source})")


async def session(browser, url: str, n: int, stop: float, run: Run) -> None:
    page = await pages.new_page_async(browser, timeout_s=STEP_TIMEOUT)
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws) if "/_stcore/stream" in ws.url else None)
    page.on("console", lambda m: console(n, m, url, run))
    page.on("pageerror", lambda exc: run.errors.append(f"session {n} page error: {exc}"))
    page.on("crash", lambda _: run.errors.append(f"session {n}: page crashed"))
    rounds = 0
    try:
        await page.goto(url)  # not /documents: from a sub-path the frontend probes /documents/_stcore/* (404s)
        while True:
            name, project, codename, data = fact_sheet(n + SESSIONS * rounds, "sheet")
            await pages.to_documents_async(page)
            run.uploads.append(name)
            run.uploading.set()
            since = time.monotonic()
            if not await pages.upload_async(page, {"name": name, "mimeType": "text/plain", "buffer": data}, name):
                run.errors.append(f"session {n}: {name} not added")
            run.upload_spans.append(run.span(since))
            await check_page(page, n, run, f"documents ({name})")
            await pages.to_chat_async(page)
            if rounds:  # a fresh conversation each round keeps the page (and its reruns) small
                await page.get_by_role("button", name="New chat").click()
                await page.locator(pages.CHAT_MESSAGE).first.wait_for(state="detached")
            for turn, question in enumerate((f"What is the codename of project {project}?", UNANSWERABLE)):
                latency, answer = await pages.ask_async(page, question, turn, cites=name if turn == 0 else "")
                run.latencies.append(latency)
                chips, text = await answer.locator(pages.CHIPS).all_inner_texts(), await answer.inner_text()
                if turn == 0 and not (any(name in chip for chip in chips) and codename in text):
                    run.errors.append(f"session {n}: the answer about {name} ({codename}) cites {chips}: {text[:200]}")
                run.own_answers += turn == 0
                run.not_found += turn == 1 and "could not find" in text
            await check_page(page, n, run, "chat")
            rounds += 1
            if time.monotonic() >= stop:
                break
        if len(sockets) == 1 and not sockets[0].is_closed():
            run.held += 1
        else:
            run.errors.append(f"session {n}: {len(sockets)} websocket(s), last closed: {sockets[-1].is_closed()}")
    except Exception as exc:  # noqa: BLE001 - a timeout or a crash is counted like any other error
        run.errors.append(f"session {n}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
    finally:
        await page.context.close()


async def cli_writer(w: int, data_dir: Path, folder: Path, stop: float, run: Run) -> None:
    """Back-to-back `python -m rag ingest` processes on the server's data folder, as the local user."""
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    await run.uploading.wait()
    await asyncio.sleep(4 * w)  # staggered, all while the browser sessions upload
    batch = 0
    while True:
        paths = []
        for j in range(2):
            name, _, _, data = fact_sheet(10_000 * (w + 1) + 2 * batch + j, f"cli-{w}")
            (folder / name).write_bytes(data)
            paths.append(folder / name)
        run.cli_files += [p.name for p in paths]
        since = time.monotonic()
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "rag", "ingest", *map(str, paths), cwd=ROOT,
                                                       env=env, stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await process.communicate()
        finally:
            if process.returncode is None:  # cancelled by the hard cap
                process.kill()
                await process.wait()
        run.cli_spans.append(run.span(since))
        if process.returncode != 0:
            run.errors.append(f"cli {w} batch {batch}: exit {process.returncode}: {err.decode()[-500:]}")
        batch += 1
        if time.monotonic() >= stop:
            break


async def drive(url: str, data_dir: Path, cli_folder: Path, run: Run) -> None:
    from playwright.async_api import async_playwright

    stop = time.monotonic() + SECONDS
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            work = asyncio.gather(*[session(browser, url, n, stop, run) for n in range(SESSIONS)],
                                  *[cli_writer(w, data_dir, cli_folder, stop, run) for w in range(CLI_WRITERS)])
            try:
                await asyncio.wait_for(work, CAP)
            except TimeoutError:
                run.errors.append(f"hard cap: the run was stopped after {CAP:.0f} s")
        finally:
            await browser.close()


def seconds(value: float) -> float | None:
    return None if isnan(value) else round(value, 2)  # JSON has no NaN: no answers, no figure


@pytest.fixture
def app(tmp_path):
    """The real app on loopback with its own data dir. Every session is the one local user, so the
    per-user question limit (tested in test_limits.py) is lifted: 20 sessions ask faster than one person."""
    yield from start_app(tmp_path, rate_limit_per_minute="100000")


@pytest.mark.timeout(CAP + 300)
def test_twenty_browser_sessions_and_cli_ingests_through_the_app(app, tmp_path):
    require_chromium()
    data_dir, cli_folder, run = tmp_path / "data", tmp_path / "cli", Run()
    cli_folder.mkdir()
    started = time.monotonic()
    asyncio.run(drive(app, data_dir, cli_folder, run))
    wall = time.monotonic() - started
    server_log = (tmp_path / "streamlit.log").read_text(errors="replace")
    if "Traceback" in server_log:
        run.errors.append(f"server log: {server_log[server_log.index('Traceback'):][:800]}")

    fresh = Engine(Settings(data_dir=data_dir))  # as after a restart: only what reached the disk
    listed = {d.name: d for d in fresh.documents(LOCAL)}
    lost = [name for name in run.uploads + run.cli_files if name not in listed or listed[name].chunks < 1]
    chunks = sum(d.chunks for d in listed.values())
    uploads_from = min((a for a, _ in run.upload_spans), default=0)
    uploads_to = max((b for _, b in run.upload_spans), default=0)
    overlapping = sum(a < uploads_to and b > uploads_from for a, b in run.cli_spans)
    summary = {"mode": "long" if LONG else "short", "seconds": SECONDS, "wall_s": round(wall, 1),
               "sessions": SESSIONS, "sessions_held": run.held, "questions": len(run.latencies),
               "own_file_answers": run.own_answers, "not_found_answers": run.not_found,
               "uploads": len(run.uploads), "cli_files": len(run.cli_files), "documents_listed": len(listed),
               "chunks_listed": chunks, "chunks_indexed": fresh.index.count(), "errors": len(run.errors),
               "offline_blocked": run.offline_blocked,
               "upload_window_s": [uploads_from, uploads_to], "cli_processes": len(run.cli_spans),
               "cli_during_uploads": overlapping,
               "lost": len(lost), "p50_s": seconds(percentile(run.latencies, 0.5)),
               "p95_s": seconds(percentile(run.latencies, 0.95)), "max_s": seconds(max(run.latencies, default=nan))}
    print("\nload-app:", json.dumps(summary))
    (tmp_path / "load-app.json").write_text(json.dumps({**summary, "latencies_s": [round(x, 3) for x in run.latencies],
                                                        "cli_spans_s": run.cli_spans,
                                                        "error_samples": run.errors[:20], "lost_samples": lost[:20]},
                                                       indent=2))
    assert not run.errors, run.errors[:5]
    assert not lost, lost[:5]
    assert summary["chunks_indexed"] == chunks, "chunks in the index differ from the documents' counts"
    assert overlapping, "no CLI ingest ran while the browser sessions uploaded"
    assert run.held == SESSIONS and summary["questions"] >= 2 * SESSIONS and len(run.cli_files) >= 2 * CLI_WRITERS
