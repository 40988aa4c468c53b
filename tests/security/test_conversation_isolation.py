"""One user never lists, reads, shares or deletes another's conversation: through the Engine, the CLI
and crafted ids. Shared conversations are read-only for the group's members, and open only the
citations of documents the member can see."""

from __future__ import annotations

import json

import pytest

from rag import __main__ as cli
from rag.errors import Forbidden, NotFound
from rag.settings import get_settings
from tests.contracts.store import CRAFTED_IDS
from tests.security.conftest import make_engine

SECRET = "B-CONFIDENTIAL-4412"


@pytest.fixture
def chats(tmp_path, users):
    engine = make_engine(tmp_path / "data")
    engine.ingest("merger.txt", f"Bob's merger memo: the codename is {SECRET}.".encode(), users["bob"])
    engine.ingest("forecast.txt", b"Finance forecast: revenue grows nine percent.", users["carol"], collection="finance")
    conv = engine.new_conversation(users["bob"]).conv_id
    engine.keep_turn(conv, users["bob"], engine.ask("What is the codename?", users["bob"]).complete())
    return engine, conv


def test_another_user_reaches_no_conversation_of_bobs(chats, users):
    engine, conv = chats
    alice = users["alice"]
    assert engine.conversations(alice) == [] and engine.conversations(alice, SECRET) == []
    assert engine.shared_conversations(alice) == []
    for call in (engine.conversation, engine.delete_conversation):
        with pytest.raises(NotFound):
            call(conv, alice)
    with pytest.raises(NotFound):
        engine.share_conversation(conv, alice, "")
    with pytest.raises(NotFound):
        engine.rename_conversation(conv, alice, "mine now")
    assert engine.delete_conversations(alice) == 0 and engine.delete_my_data(alice)["conversations"] == 0
    assert engine.conversation(conv, users["bob"]).info.turns == 1


@pytest.mark.parametrize("crafted", CRAFTED_IDS)
def test_crafted_conversation_ids_find_nothing(chats, users, crafted):
    engine, conv = chats
    for principal in (users["alice"], users["bob"]):
        for call in (engine.conversation, engine.delete_conversation):
            with pytest.raises(NotFound):
                call(crafted, principal)
        with pytest.raises(NotFound):
            engine.keep_turn(crafted, principal, engine.conversation(conv, users["bob"]).turns[0].answer)
    assert engine.conversation(conv, users["bob"]).info.turns == 1


def test_shared_read_only_and_only_visible_citations_open(chats, users):
    engine, _ = chats
    carol, dave, erin = users["carol"], users["dave"], users["erin"]
    conv = engine.new_conversation(carol).conv_id
    engine.keep_turn(conv, carol, engine.ask("How fast does revenue grow?", carol).complete())
    private = engine.ingest("carol-only.txt", b"Carol's private note: revenue grows nine percent.", carol)
    engine.keep_turn(conv, carol, engine.ask("What does my private note say about revenue?", carol).complete())
    with pytest.raises(Forbidden):
        engine.share_conversation(conv, carol, "finance-eu")
    engine.share_conversation(conv, carol, "finance")
    seen = engine.conversation(conv, dave)
    assert seen.read_only and [t.question for t in seen.turns][0] == "How fast does revenue grow?"
    gone = engine.missing_sources(seen, dave)
    assert private.doc_id in gone and gone[private.doc_id] == "carol-only.txt"
    assert engine.missing_sources(engine.conversation(conv, carol), carol) == {}
    with pytest.raises(NotFound):
        engine.pages(private.doc_id, dave)  # the source view cannot open it either
    with pytest.raises(Forbidden):
        engine.keep_turn(conv, dave, seen.turns[0].answer)
    with pytest.raises(Forbidden):
        engine.delete_conversation(conv, dave)
    with pytest.raises(NotFound):
        engine.conversation(conv, erin)
    engine.share_conversation(conv, carol, "")
    with pytest.raises(NotFound):
        engine.conversation(conv, dave)


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RAG_CHAT", "scripted")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_cli_keeps_continues_lists_shows_and_deletes_only_ones_own(cli_env, capsys):
    notes = cli_env / "notes.txt"
    notes.write_text("Haystacks are counted every quarter. The needle count is 7.\n")
    assert run_cli(capsys, "--user", "bob", "ingest", str(notes))[0] == 0
    code, out, _ = run_cli(capsys, "--user", "bob", "ask", "How often are haystacks counted?", "--json")
    first = json.loads(out)
    conv = first["conversation"]
    assert code == 0 and first["turn"] == 1
    code, out, err = run_cli(capsys, "--user", "bob", "ask", "And the needle count?", "--chat", conv)
    assert code == 0 and f"conversation {conv}, turn 2" in " ".join(err.split())
    listed = json.loads(run_cli(capsys, "--user", "bob", "chats", "list", "--json")[1])
    assert [(c["conv_id"], c["turns"], c["title"]) for c in listed] == [(conv, 2, "How often are haystacks counted?")]
    shown = json.loads(run_cli(capsys, "--user", "bob", "chats", "show", conv, "--json")[1])
    assert [t["question"] for t in shown["turns"]] == ["How often are haystacks counted?", "And the needle count?"]
    assert json.loads(run_cli(capsys, "--user", "alice", "chats", "list", "--json")[1]) == []
    for crafted in (conv, "' or 1 eq 1 or '", "*", conv.upper()):
        for action in ("show", "delete"):
            code, out, err = run_cli(capsys, "--user", "alice", "chats", action, crafted)
            assert code == 2 and "No such conversation" in " ".join(err.split()) and "haystack" not in out
        code, _, err = run_cli(capsys, "--user", "alice", "ask", "Anything?", "--chat", crafted)
        assert code == 2 and "No such conversation" in " ".join(err.split())
    assert run_cli(capsys, "--user", "bob", "chats", "delete", conv)[0] == 0
    assert json.loads(run_cli(capsys, "--user", "bob", "chats", "list", "--json")[1]) == []
