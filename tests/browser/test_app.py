"""End to end in Chromium: upload, ask, click a citation, see the passage marked on text and image;
hostile documents stay inert everywhere they are shown; the proxy identity headers."""

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.app.conftest import MALICIOUS
from tests.browser.conftest import open_page
from tests.browser.helpers import CHAT_BOX, CHAT_MESSAGE, CHIPS, INSPECTOR, added, ask, settled, upload
from tests.browser.proxy import HeaderProxy
from tests.conftest import MIME_SPEC, TASN1

pytestmark = pytest.mark.browser
EVIL_NAME = "<img src=x onerror=window.__pwned=1>notes.txt"  # browsers percent-encode quotes in file names
DOCS_DIR = Path(__file__).parents[2] / "docs"


def screenshot(page, path: Path) -> Path:
    """Scrolled to the top (chat pages stick to the bottom while content loads), then saved."""
    page.wait_for_function("""() => { let moved = false;
        for (const e of document.querySelectorAll('*'))
            if (e.scrollTop > 0 && !e.closest('.docchat-page')) { e.scrollTop = 0; moved = true; }
        return !moved; }""", polling=300)
    page.screenshot(path=path)
    return path


def assert_inert(page) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator('a[href^="javascript"]').count() == 0
    assert page.locator("script", has_text="__pwned").count() == 0


def test_upload_ask_and_see_the_cited_passage_highlighted(chromium, local_app, tmp_path):
    page = open_page(chromium, local_app)
    upload(page, local_app, str(MIME_SPEC))
    page.get_by_text("shared-mime-info-spec.pdf: added").wait_for(timeout=120_000)
    page.locator('[data-testid="stDataFrame"]').nth(1).wait_for()
    documents_png = screenshot(page, tmp_path / "documents.png")

    ask(page, local_app, "How are glob patterns weighted?")
    answer = page.locator('[data-testid="stChatMessage"]').nth(1)
    assert "globs2" in answer.inner_text()
    chip = answer.locator('[data-testid="stButtonGroup"] button').first
    assert re.fullmatch(r"\[\d+\] shared-mime-info-spec\.pdf p\.\d+", chip.inner_text().strip())
    chip.click()
    mark = page.locator("mark#docchat-focus")
    mark.wait_for()
    assert "weight" in mark.inner_text()
    image = page.locator('[data-testid="stImage"] img')
    image.wait_for()
    assert image.evaluate("img => img.complete && img.naturalWidth > 500")
    page.wait_for_function("() => { const m = document.getElementById('docchat-focus');"
                           " const box = m.closest('.docchat-page'); const a = box.getBoundingClientRect(),"
                           " b = m.getBoundingClientRect(); return b.top >= a.top && b.bottom <= a.bottom; }")
    chat_png = screenshot(page, tmp_path / "chat.png")
    if os.environ.get("DOCCHAT_UPDATE_SCREENSHOTS"):  # the README's pictures come from such a run
        shutil.copy(chat_png, DOCS_DIR / "screenshot-chat.png")
        shutil.copy(documents_png, DOCS_DIR / "screenshot-documents.png")


def ask_fresh(page, url: str, question: str):
    """Ask `question` in a new session and wait until its answer is complete (the inspector is drawn
    under it once the stream has ended, refusals included, which have no Sources chips)."""
    page.goto(url)
    box = page.get_by_placeholder(CHAT_BOX)
    box.fill(question)
    box.press("Enter")
    answer = page.locator(CHAT_MESSAGE).nth(1)
    answer.get_by_text(INSPECTOR).wait_for(timeout=120_000)
    return answer


def exchange_png(page, path: Path) -> Path:
    """The question and its whole answer, clipped to them: the viewport (1280 wide) grows taller when
    they do not fit, so nothing is cut off or scaled down."""
    question, answer = page.locator(CHAT_MESSAGE).nth(0), page.locator(CHAT_MESSAGE).nth(1)
    page.wait_for_timeout(500)  # let the expander, chips and dataframe settle
    needed = answer.bounding_box()["y"] + answer.bounding_box()["height"] - question.bounding_box()["y"] + 48
    if needed > page.viewport_size["height"]:
        page.set_viewport_size({"width": 1280, "height": min(int(needed) + 200, 1800)})
        page.wait_for_timeout(500)
    question.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    top, bottom = question.bounding_box(), answer.bounding_box()
    clip = {"x": max(0, top["x"] - 16), "y": max(0, top["y"] - 16), "width": top["width"] + 32,
            "height": bottom["y"] + bottom["height"] - top["y"] + 32}
    page.screenshot(path=path, clip=clip)
    return path


def upload_the_manuals(page, url: str) -> None:
    """The shared-mime-info spec and the libtasn1 manual, both indexed (an earlier test may have added them)."""
    page.set_viewport_size({"width": 1280, "height": 900})
    upload(page, url, [str(MIME_SPEC), str(TASN1)])
    for name in (MIME_SPEC.name, TASN1.name):
        page.get_by_text(added(name)).or_(page.get_by_text(f"{name}: already in your library")).wait_for(
            timeout=180_000)


def assert_refused_with_related_passages(answer) -> None:
    answer.get_by_text("I could not find this in your documents.").wait_for(timeout=5_000)
    answer.get_by_text("Related passages (they do not answer the question):").wait_for(timeout=5_000)
    passages = answer.locator("blockquote")
    assert passages.count() >= 1
    assert re.match(r"(shared-mime-info-spec|libtasn1)\.pdf, p\. \d+: \S", passages.first.inner_text())


def test_an_answer_emphasises_its_answering_phrase_and_shows_its_confidence(chromium, local_app, tmp_path):
    page = open_page(chromium, local_app)
    upload_the_manuals(page, local_app)
    answer = ask_fresh(page, local_app, "What is the default weight of a glob pattern?")
    answer.locator(CHIPS).first.wait_for()
    text = answer.inner_text()
    bold = answer.locator("strong", has_text="50")
    if not bold.count():
        print("ANSWER TEXT:", text)
        print("ANSWER HTML:", answer.locator('[data-testid="stMarkdownContainer"]').first.inner_html())
    assert "50" in text
    assert bold.count() >= 1, f"no bold 50 in the answer: {text!r}"
    assert "\\" not in answer.locator('[data-testid="stMarkdownContainer"]').first.inner_text()  # escapes stay hidden
    assert "shared-mime-info-spec.pdf" in answer.locator(CHIPS).first.inner_text()
    answer.get_by_text(INSPECTOR).click()
    answer.get_by_text("Answer confidence").wait_for()
    assert re.search(r"Answer confidence: \d+%", answer.inner_text())
    answer_png = exchange_png(page, tmp_path / "answer.png")
    if os.environ.get("DOCCHAT_UPDATE_SCREENSHOTS"):
        shutil.copy(answer_png, DOCS_DIR / "screenshot-answer.png")


def test_a_refusal_lists_the_related_passages(chromium, local_app, tmp_path):
    page = open_page(chromium, local_app)
    upload_the_manuals(page, local_app)
    refusal = ask_fresh(page, local_app, "In which libtasn1 release was asn1_dup_node introduced?")
    assert_refused_with_related_passages(refusal)
    assert refusal.locator(CHIPS).count() == 0  # nothing is cited for an answer that was not given
    refusal.get_by_text(INSPECTOR).click()  # the inspector says why there is no answer
    refusal.get_by_text("Why there is no answer: no passage gives a version").wait_for()
    refusal_png = exchange_png(page, tmp_path / "refusal.png")
    if os.environ.get("DOCCHAT_UPDATE_SCREENSHOTS"):
        shutil.copy(refusal_png, DOCS_DIR / "screenshot-refusal.png")


def test_a_value_the_manual_names_but_never_gives_is_refused(chromium, local_app):
    page = open_page(chromium, local_app)
    upload_the_manuals(page, local_app)
    answer = ask_fresh(page, local_app, "What is the numeric value of ASN1_MAX_NAME_SIZE?")
    print("ANSWER TEXT:", answer.inner_text())
    assert_refused_with_related_passages(answer)


def test_a_hostile_document_renders_inert_in_preview_inspector_and_answer(chromium, local_app, tmp_path):
    page = open_page(chromium, local_app)
    page.add_init_script("window.__pwned = undefined; delete window.__pwned;")
    upload(page, local_app, {"name": EVIL_NAME, "mimeType": "text/plain", "buffer": MALICIOUS.encode()})
    page.get_by_text(f"{EVIL_NAME}: added").wait_for(timeout=60_000)
    page.get_by_label("Filter by name").fill("notes")
    page.get_by_label("Filter by name").press("Enter")
    expect(page.get_by_role("combobox", name="Document")).to_have_value(EVIL_NAME)
    preview = page.locator('[data-testid="stExpander"] summary', has_text="Preview")
    expect(preview).to_have_count(1)  # the previous document's preview may linger while the page reruns
    settled(page)  # a click during the filter's rerun lands on an expander that is then redrawn closed
    preview.click()
    page.locator(".docchat-page", has_text="<script>window.__pwned=1</script>").wait_for()
    assert_inert(page)
    screenshot(page, tmp_path / "preview.png")

    ask(page, local_app, "When is the glow widget calibrated?")
    answer = page.locator('[data-testid="stChatMessage"]').nth(1)
    assert "<script>window.__pwned=1</script>" in answer.inner_text()  # shown as text, not run
    answer.get_by_text("Retrieval inspector").click()
    answer.locator('[data-testid="stDataFrame"]').wait_for()
    answer.locator('[data-testid="stButtonGroup"] button', has_text=EVIL_NAME).first.click()
    page.locator("mark#docchat-focus").wait_for()
    assert "<img" in page.locator(".docchat-page").inner_text() or "<script>" in page.locator(".docchat-page").inner_text()
    assert_inert(page)
    screenshot(page, tmp_path / "hostile.png")


def test_proxy_mode_takes_the_user_from_the_proxy_headers(chromium, proxy_app, tmp_path):
    headers = {"X-Auth-Request-Email": "ana@example.com", "X-Auth-Request-User": "Ana Analyst",
               "X-Auth-Request-Groups": "finance,legal"}
    forged = {"X-Auth-Request-Email": "mallory@example.com"}  # a real proxy drops what the browser claims
    with HeaderProxy(int(proxy_app.rsplit(":", 1)[1]), headers) as url:
        page = open_page(chromium, url, extra_http_headers=forged)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Ana Analyst").wait_for()
        assert "ana@example.com" in sidebar.inner_text() and "finance, legal" in sidebar.inner_text()
        assert "mallory" not in sidebar.inner_text()
        page.get_by_text("Your library is empty").wait_for()
        screenshot(page, tmp_path / "proxy.png")


def test_proxy_mode_without_headers_refuses(chromium, proxy_app, tmp_path):
    page = open_page(chromium, proxy_app)
    page.get_by_text("carried no X-Auth-Request-Email header").wait_for()
    assert page.get_by_text("Your library is empty").count() == 0
    screenshot(page, tmp_path / "refused.png")


def test_the_app_fetches_nothing_from_outside_this_host(chromium, local_app):
    """Offline laptops and privacy: every request the pages make goes to the app itself."""
    context = chromium.new_context()
    outside = []
    context.on("request", lambda r: outside.append(r.url) if not r.url.startswith((local_app, "data:", "blob:")) else None)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(local_app)
    sidebar = page.locator('[data-testid="stSidebar"]')
    for name in ("Documents", "Evaluate", "Settings"):
        sidebar.get_by_role("link", name=name).click()
        page.get_by_role("heading", name=name).wait_for()
    sidebar.get_by_role("link", name="Chat").click()
    page.locator('[data-testid="stChatInput"], [data-testid="stAlert"]').first.wait_for()  # chat, or "upload first"
    context.close()
    assert outside == []


def signed_in(chromium, proxy_app, email: str, groups: str = ""):
    """A page behind a header-injecting proxy that signs the browser in as `email`."""
    headers = {"X-Auth-Request-Email": email, "X-Auth-Request-Groups": groups}
    proxy = HeaderProxy(int(proxy_app.rsplit(":", 1)[1]), headers)
    url = proxy.__enter__()
    return proxy, url, open_page(chromium, url)


def test_users_see_only_their_own_and_their_groups_documents(chromium, proxy_app, tmp_path):
    ana_proxy, ana_url, ana = signed_in(chromium, proxy_app, "ana@example.com", "finance")
    bob_proxy, bob_url, bob = signed_in(chromium, proxy_app, "bob@example.com", "finance")
    eve_proxy, eve_url, eve = signed_in(chromium, proxy_app, "eve@example.com", "legal")
    try:
        ana.goto(f"{ana_url}/documents")
        share = ana.get_by_role("combobox", name="Share new uploads with")
        share.click()
        ana.get_by_role("option", name="group finance").click()
        expect(share).to_have_value("group finance")
        budget = {"name": "budget.txt", "mimeType": "text/plain",
                  "buffer": b"The finance budget for Project Heron is 42 million euros this year."}
        for attempt in range(2):  # a file set while the selection's rerun replaces the uploader is dropped
            ana.locator('input[type="file"]').set_input_files(budget)  # same session keeps the choice
            try:
                ana.get_by_text("budget.txt").first.wait_for(timeout=15_000)
                break
            except PlaywrightTimeout:
                assert attempt == 0, "the shared upload never reached the app"
        ana.get_by_text("budget.txt: added").wait_for(timeout=60_000)
        upload(ana, ana_url, {"name": "falcon.txt", "mimeType": "text/plain",  # a new session: private again
                              "buffer": b"Project Falcon has the codename BLUEBIRD and launches in spring."})
        ana.get_by_text("falcon.txt: added").wait_for(timeout=60_000)

        ask(bob, bob_url, "What is the budget for Project Heron?")  # shared with finance: Bob may cite it
        answer = bob.locator('[data-testid="stChatMessage"]').nth(1)
        assert "42 million" in answer.inner_text()
        assert "budget.txt" in answer.locator('[data-testid="stButtonGroup"]').inner_text()

        bob.get_by_placeholder("Ask about your documents").fill("What is the codename of Project Falcon?")
        bob.get_by_placeholder("Ask about your documents").press("Enter")
        bob.locator('[data-testid="stChatMessage"]').nth(3).get_by_text("could not find").wait_for()
        assert "BLUEBIRD" not in bob.locator("body").inner_text()  # Ana's private file stays hers

        eve.goto(eve_url)
        eve.get_by_text("Your library is empty").wait_for()  # not in finance: sees neither file
        screenshot(bob, tmp_path / "bob.png")
    finally:
        for proxy in (ana_proxy, bob_proxy, eve_proxy):
            proxy.__exit__(None, None, None)
