"""The Chat page's stored conversations through AppTest: a reload (a new session) finds them in the
sidebar; opening one restores it exactly; rename, search, share read-only, delete with confirmation."""

from __future__ import annotations

from rag.types import Principal
from tests.app.conftest import app, texts, use_data_dir
from tests.app.test_chat import CHAT, QUESTION, ask

SECOND = "What is the default weight of a glob pattern?"


def sidebar_buttons(at) -> list[str]:
    return [b.label for b in at.sidebar.button]


def conversation_button(at, title: str):
    return next(b for b in at.sidebar.button if b.label == title)


def engine():
    from ui.resources import engine as shared

    return shared()


def test_two_questions_survive_a_reload_and_reopen_exactly(seeded):
    at = ask(ask(app(CHAT), QUESTION), SECOND)
    before = at.session_state["docchat"].exchanges
    assert [e.turn for e in before] == [1, 2] and QUESTION in sidebar_buttons(at)
    thumbs = at.get("feedback")[0]
    thumbs.set_value(1).run()
    next(b for b in at.button if b.label == "Save feedback").click().run()

    reloaded = app(CHAT)  # a new session: nothing on screen, the conversation in the sidebar
    assert reloaded.session_state["docchat"].exchanges == []
    conversation_button(reloaded, QUESTION).click().run()
    assert not reloaded.exception and not reloaded.error
    after = reloaded.session_state["docchat"].exchanges
    assert [(e.question, e.answer) for e in after] == [(e.question, e.answer) for e in before]
    assert reloaded.get("feedback")[0].value == 1  # the rating given is shown again
    citation = after[0].answer.citations[0]
    reloaded.pills[0].set_value(citation.n).run()
    assert not reloaded.exception and not reloaded.error
    assert f"Source [{citation.n}]" in texts(reloaded.subheader)
    assert any("<mark" in h.proto.body for h in reloaded.get("html"))
    assert len(reloaded.chat_input) == 1  # the owner may continue it
    ask(reloaded, "And the maximum weight?")
    assert engine().conversation(reloaded.session_state["docchat"].conv_id, Principal("local")).info.turns == 3


def test_rename_search_new_chat_and_delete_with_confirmation(seeded):
    at = ask(app(CHAT), QUESTION)
    conv_id = at.session_state["docchat"].conv_id
    at.sidebar.text_input(key=f"{conv_id}-title").set_value("Glob weights").run()
    assert "Glob weights" in sidebar_buttons(at)
    next(b for b in at.sidebar.button if b.label == "New chat").click().run()
    ask(at, "Where are MIME types stored?")
    at.sidebar.text_input(key="chat-search").set_value("glob WEIGHTS").run()
    assert "Glob weights" in sidebar_buttons(at) and "Where are MIME types stored?" not in sidebar_buttons(at)
    at.sidebar.text_input(key="chat-search").set_value("").run()
    conversation_button(at, "Glob weights").click().run()
    next(b for b in at.sidebar.button if b.label == "Delete this conversation").click().run()
    assert "Glob weights" in sidebar_buttons(at)  # not yet: it asks first
    next(b for b in at.sidebar.button if b.label == "Cancel").click().run()
    next(b for b in at.sidebar.button if b.label == "Delete this conversation").click().run()
    next(b for b in at.sidebar.button if b.label == "Delete").click().run()
    assert not at.exception and "Glob weights" not in sidebar_buttons(at)
    assert at.session_state["docchat"].exchanges == []
    next(b for b in at.sidebar.button if b.label == "Delete all my conversations").click().run()
    next(b for b in at.sidebar.button if b.label == "Delete").click().run()
    assert engine().conversations(Principal("local")) == []
    assert any("Deleted 1 conversations" in t for t in texts(at.sidebar.info))


def test_a_conversation_whose_source_was_deleted_opens_and_names_it(seeded):
    at = ask(app(CHAT), QUESTION)
    answer = at.session_state["docchat"].exchanges[0].answer
    engine().delete(answer.citations[0].doc_id, Principal("local"))
    reloaded = app(CHAT)
    conversation_button(reloaded, QUESTION).click().run()
    assert not reloaded.exception and not reloaded.error
    assert any("no longer available" in w.value and "spec" in w.value for w in reloaded.warning)
    assert not reloaded.pills  # no chip opens a source that is gone
    assert reloaded.session_state["docchat"].exchanges[0].answer == answer


def test_shared_read_only_with_a_group_and_unshared_at_once(seeded, monkeypatch):
    use_data_dir(monkeypatch, seeded, auth_mode="oidc")
    owner = {"is_logged_in": True, "email": "ana@example.com", "name": "Ana", "groups": ["finance"]}
    member = {"is_logged_in": True, "email": "bo@example.com", "name": "Bo", "groups": ["finance"]}
    outsider = {"is_logged_in": True, "email": "cy@example.com", "name": "Cy", "groups": ["legal"]}
    ana = Principal("ana@example.com", "Ana", ("finance",))
    engine().ingest("ana.txt", b"Ana's note: glob patterns are weighted from 0 to 100.", ana)
    at = ask(app(CHAT, user=owner), "How are glob patterns weighted?")
    conv_id = at.session_state["docchat"].conv_id
    assert app(CHAT, user=member).sidebar.button and "How are glob patterns weighted?" not in sidebar_buttons(
        app(CHAT, user=member))
    at.sidebar.selectbox(key=f"{conv_id}-share").set_value("finance").run()
    bo = app(CHAT, user=member)
    conversation_button(bo, "How are glob patterns weighted?").click().run()
    assert not bo.exception and not bo.error
    assert bo.session_state["docchat"].read_only and not bo.chat_input and not bo.get("feedback")
    assert any("read-only" in i.value for i in bo.sidebar.info)
    assert not bo.pills and any("no longer available" in w.value for w in bo.warning)  # ana's private note
    assert "How are glob patterns weighted?" not in sidebar_buttons(app(CHAT, user=outsider))
    at.sidebar.selectbox(key=f"{conv_id}-share").set_value("Not shared").run()
    assert "How are glob patterns weighted?" not in sidebar_buttons(app(CHAT, user=member))


def test_delete_all_my_data_from_the_settings_page_says_what_was_removed(seeded):
    at = ask(app(CHAT), QUESTION)
    at.switch_page("pages/settings.py").run()
    assert not at.exception and "store" in at.dataframe[0].value["seam"].tolist()
    assert not [b for b in at.button if b.label == "Delete all my data"]  # armed first
    at.toggle(key="delete-my-data-armed").set_value(True).run()
    next(b for b in at.button if b.label == "Delete all my data").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == "Removed 1 conversations, 0 feedback records and 2 documents."
    assert engine().documents(Principal("local")) == [] and engine().conversations(Principal("local")) == []
