"""In Chromium: two questions, a reload, the conversation reopened from the sidebar, a citation clicked
and its passage highlighted; another user does not see it until it is shared with their group, then
sees it read-only, with the sources they may not open named instead of offered."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import CHAT_BOX, CHAT_MESSAGE, CHIPS, INSPECTOR, ask, settled, upload
from tests.browser.test_app import signed_in

pytestmark = pytest.mark.browser
FIRST = "What is the codename of Project Falcon?"
SECOND = "When does Project Falcon launch?"
NOTES = {"name": "falcon.txt", "mimeType": "text/plain",
         "buffer": b"Project Falcon has the codename BLUEBIRD.\n\nProject Falcon launches in the spring of 2027."}


def sidebar_button(page, title: str):
    return page.locator('[data-testid="stSidebar"]').get_by_role("button", name=title, exact=True)


def test_a_conversation_survives_a_reload_and_is_shared_read_only(chromium, proxy_app):
    ana_proxy, ana_url, ana = signed_in(chromium, proxy_app, "ana@example.com", "finance")
    bob_proxy, bob_url, bob = signed_in(chromium, proxy_app, "bob@example.com", "finance")
    try:
        upload(ana, ana_url, NOTES)
        ana.get_by_text("falcon.txt: added").wait_for(timeout=60_000)
        ask(ana, ana_url, FIRST)
        box = ana.get_by_placeholder(CHAT_BOX)
        box.fill(SECOND)
        box.press("Enter")
        ana.locator(CHAT_MESSAGE).nth(3).get_by_text(INSPECTOR).wait_for()
        assert "2027" in ana.locator(CHAT_MESSAGE).nth(3).inner_text()  # the follow-up answered, not refused
        expect(sidebar_button(ana, FIRST)).to_be_visible()
        settled(ana)
        with ana.expect_download() as download:  # written when clicked, from the conversation on screen
            ana.get_by_role("button", name="Export as Markdown").click()
        exported = download.value.path().read_text(encoding="utf-8")
        assert FIRST in exported and SECOND in exported and "BLUEBIRD" in exported

        ana.reload()  # a new session: nothing on screen, the conversation in the sidebar
        sidebar_button(ana, FIRST).click()
        ana.locator(CHAT_MESSAGE).nth(3).get_by_text(INSPECTOR).wait_for()
        assert "BLUEBIRD" in ana.locator(CHAT_MESSAGE).nth(1).inner_text()
        assert SECOND in ana.locator(CHAT_MESSAGE).nth(2).inner_text()
        ana.locator(CHAT_MESSAGE).nth(1).locator(CHIPS).first.click()
        mark = ana.locator("mark#docchat-focus")
        mark.wait_for()
        assert "BLUEBIRD" in mark.inner_text()

        bob.goto(bob_url)
        bob.get_by_text("Your library is empty").wait_for()
        expect(sidebar_button(bob, FIRST)).to_have_count(0)  # not his, not shared yet

        ana.locator('[data-testid="stSidebar"]').get_by_text("This conversation", exact=True).click()
        share = ana.get_by_role("combobox", name="Share read-only with")
        settled(ana)
        share.click()  # focuses the box; the arrow key opens its options (a click alone did not, in Chromium 156)
        ana.wait_for_timeout(500)
        share.press("ArrowDown")
        expect(share).to_have_attribute("aria-expanded", "true")
        ana.locator("[role=option]", has_text="finance").click()
        ana.get_by_text("Shared read-only with finance.").wait_for()  # saved in the store, not only on screen

        bob.reload()
        sidebar_button(bob, FIRST).click()
        bob.locator(CHAT_MESSAGE).nth(3).get_by_text(INSPECTOR).wait_for()
        assert "BLUEBIRD" in bob.locator(CHAT_MESSAGE).nth(1).inner_text()
        bob.get_by_text("read-only").first.wait_for()
        expect(bob.get_by_placeholder(CHAT_BOX)).to_have_count(0)  # read-only: no questions
        expect(bob.locator(CHAT_MESSAGE).nth(1).locator(CHIPS)).to_have_count(0)  # Ana's private file
        assert "No longer available to you" in bob.locator(CHAT_MESSAGE).nth(1).inner_text()
    finally:
        for proxy in (ana_proxy, bob_proxy):
            proxy.__exit__(None, None, None)
