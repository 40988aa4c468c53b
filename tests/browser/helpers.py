"""What the browser tests do on DocChat's pages: the selectors and the upload/ask flows, with the sync
Playwright API (tests/browser) and the async one (tests/security/test_load_app.py drives many pages
from one event loop). Both flows use the same selectors, so a changed page breaks both or neither."""

from __future__ import annotations

import time

from tests.browser.conftest import VIEWPORT

DROPZONE = '[data-testid="stFileUploaderDropzone"]'
FILE_INPUT = 'input[type="file"]'
CHAT_BOX = "Ask about your documents"  # the chat input's placeholder
CHAT_MESSAGE = '[data-testid="stChatMessage"]'
CHIPS = '[data-testid="stButtonGroup"] button'  # an answer's citation chips
INSPECTOR = "Retrieval inspector"  # rendered under every answer once its stream has ended
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'  # a traceback or an st.error
NAV_LINK = '[data-testid="stSidebarNavLink"]'
SETTLED = '[data-testid="stApp"][data-test-script-state="notRunning"]'  # the script run has ended


def added(name: str) -> str:
    """The upload status label once a file is indexed."""
    return f"{name}: added"


# --- sync API (tests/browser)
def settled(page) -> None:
    """Wait for the run to end: until then widgets rendered late in the script (the sidebar) may still
    hold the previous run's ids (a download button's deferred file, for one)."""
    page.locator(SETTLED).wait_for(state="attached")


def upload(page, url: str, files) -> None:
    page.goto(f"{url}/documents")
    page.locator(DROPZONE).wait_for()
    page.locator(FILE_INPUT).set_input_files(files)


def ask(page, url: str, question: str) -> None:
    page.goto(url)
    box = page.get_by_placeholder(CHAT_BOX)
    box.fill(question)
    box.press("Enter")
    page.locator(CHAT_MESSAGE).nth(1).get_by_text("Sources").wait_for()


# --- async API: the page stays in one Streamlit session (no goto after the first: a reload is a new session)
async def new_page_async(browser, timeout_s: float = 60, **context):
    """A page in its own browser context (own cookies, own Streamlit session); not yet navigated, so
    listeners can be attached first."""
    page = await (await browser.new_context(viewport=VIEWPORT, **context)).new_page()
    page.set_default_timeout(timeout_s * 1000)
    return page


async def to_documents_async(page) -> None:
    """Follow the sidebar link to the Documents page, within the same session."""
    await page.locator(NAV_LINK, has_text="Documents").click()
    await page.locator(DROPZONE).wait_for()


async def to_chat_async(page) -> None:
    """Follow the sidebar link to the Chat page (with a library to ask about), within the same session."""
    await page.locator(NAV_LINK, has_text="Chat").click()
    await page.get_by_placeholder(CHAT_BOX).wait_for()


async def upload_async(page, files, name: str) -> bool:
    """On the Documents page: choose the files, then wait for `name`'s "added" status (True) or an
    error shown on the page (False)."""
    await page.locator(FILE_INPUT).set_input_files(files)
    done = page.get_by_text(added(name))
    await done.or_(page.locator(ERRORS)).first.wait_for()
    return await done.count() > 0


async def ask_async(page, question: str, turn: int, cites: str = ""):
    """On the Chat page: ask the session's `turn`-th question (0-based) and wait for the whole answer:
    its stream ended (the inspector under it drawn) and, given `cites`, a citation chip naming it (the
    chips' component may be drawn after the inspector). Returns (seconds, answer locator)."""
    box = page.get_by_placeholder(CHAT_BOX)
    await box.fill(question)
    started = time.perf_counter()
    await box.press("Enter")
    answer = page.locator(CHAT_MESSAGE).nth(2 * turn + 1)
    await answer.get_by_text(INSPECTOR).or_(answer.locator(ERRORS)).first.wait_for()
    if cites and not await answer.locator(ERRORS).count():
        await answer.locator(CHIPS, has_text=cites).first.wait_for(timeout=60_000)
    return time.perf_counter() - started, answer
