"""User A can neither list, search, cite, preview nor delete user B's documents, by any path:
the Engine, the CLI, and crafted document ids. Group collections are seen by members only."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rag.errors import Forbidden, NotFound, RagError
from rag.prompt import NOT_FOUND
from tests.security.conftest import make_engine

SECRET = "B-CONFIDENTIAL-4412"
BOB_TEXT = f"Bob's merger memo. The codename of the acquisition target is {SECRET} and the price is 40 million."
FINANCE_TEXT = "Finance forecast: revenue grows nine percent next year, driven by turbine maintenance contracts."


@pytest.fixture
def library(tmp_path, users):
    engine = make_engine(tmp_path / "data")
    bob = engine.ingest("merger.txt", BOB_TEXT.encode(), users["bob"]).doc_id
    finance = engine.ingest("forecast.txt", FINANCE_TEXT.encode(), users["carol"], collection="finance").doc_id
    engine.ingest("notes.txt", b"Alice's notes about bearing wear in turbines and vibration.", users["alice"])
    return engine, bob, finance


def assert_invisible(engine, principal, doc_id):
    assert doc_id not in {d.doc_id for d in engine.documents(principal)}
    for read in (engine.document, engine.pages, engine.original, engine.delete, engine.index.chunks):
        with pytest.raises(NotFound):
            read(doc_id, principal)
    assert engine.search("merger acquisition codename forecast revenue", principal, doc_ids=[doc_id]) == []
    answer = engine.ask("What is the codename of the acquisition target?", principal, doc_ids=[doc_id]).complete()
    assert answer.text == NOT_FOUND and not answer.hits and not answer.citations


def test_a_user_cannot_reach_another_users_document_through_the_engine(library, users):
    engine, bob_doc, _ = library
    assert_invisible(engine, users["alice"], bob_doc)
    for query in (SECRET, "merger memo acquisition codename price"):
        assert all(h.chunk.owner == users["alice"].user_id for h in engine.search(query, users["alice"], k=20))
        answer = engine.ask(f"What is {query}?", users["alice"]).complete()
        assert SECRET not in answer.text and all(c.doc_id != bob_doc for c in answer.citations)
    assert engine.document(bob_doc, users["bob"]).name == "merger.txt"  # still there, for its owner


@pytest.mark.parametrize("crafted", [
    "", " ", "*", "../../../etc/passwd", "..", "/", "doc_id:*", "owner:*", "' or 1 eq 1 or '", "\x00", "%2e%2e%2f",
    "a" * 10_000, "é" * 300, "\u202e" + "txt.exe",
])
def test_crafted_document_ids_find_nothing(library, users, crafted):
    engine, bob_doc, _ = library
    for principal in (users["alice"], users["bob"]):
        for call in (engine.document, engine.pages, engine.original, engine.delete):
            with pytest.raises(NotFound):
                call(crafted, principal)
        assert engine.search("merger", principal, doc_ids=[crafted]) == []
    assert engine.document(bob_doc, users["bob"])


@pytest.mark.parametrize("variant", [str.upper, lambda d: d + "*", lambda d: " " + d, lambda d: d[:8], lambda d: d + "/.."])
def test_near_miss_ids_of_anothers_document_find_nothing(library, users, variant):
    engine, bob_doc, _ = library
    with pytest.raises(NotFound):
        engine.document(variant(bob_doc), users["alice"])
    with pytest.raises(NotFound):
        engine.delete(variant(bob_doc), users["alice"])


def test_group_collections_are_for_members_only(library, users):
    engine, _, finance = library
    dave, alice, erin = users["dave"], users["alice"], users["erin"]
    assert engine.document(finance, dave).name == "forecast.txt"
    assert engine.pages(finance, dave)[0].text == FINANCE_TEXT and engine.original(finance, dave) == FINANCE_TEXT.encode()
    answer = engine.ask("How much does revenue grow next year?", dave).complete()
    assert any(c.doc_id == finance for c in answer.citations)
    with pytest.raises(Forbidden, match="only its owner"):
        engine.delete(finance, dave)  # members read; only the owner deletes
    for outsider in (alice, erin):  # no group; a group whose name merely starts the same
        assert_invisible(engine, outsider, finance)
    report = engine.ingest("sneak.txt", b"planted text for the finance group members", alice, collection="finance")
    assert report.status == "rejected" and "not a member" in report.error
    engine.delete(finance, users["carol"])
    with pytest.raises(NotFound):
        engine.document(finance, dave)


def run_cli(data_dir, user, *args, groups=""):
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), "PYTHONPATH": os.getcwd(), "RAG_CHAT": "extractive"}
    command = [sys.executable, "-m", "rag", "--user", user, *(["--groups", groups] if groups else []), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_user_cannot_reach_another_users_document_through_the_cli(tmp_path, users, local_embedder):
    from rag.engine import Engine
    from rag.settings import Settings

    engine = Engine(Settings(data_dir=tmp_path / "data"), embedder=local_embedder)
    bob_doc = engine.ingest("merger.txt", BOB_TEXT.encode(), users["bob"]).doc_id
    engine.index.flush()
    alice, bob = users["alice"].user_id, users["bob"].user_id
    listed = run_cli(tmp_path / "data", alice, "list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    for target in (bob_doc, "merger.txt", "../merger.txt"):
        deleted = run_cli(tmp_path / "data", alice, "delete", target)
        assert deleted.returncode == 2 and "No document" in deleted.stderr and "Traceback" not in deleted.stderr
    (tmp_path / "q.jsonl").write_text(json.dumps({"id": 1, "question": f"acquisition codename {SECRET}"}) + "\n")
    for command in ("search", "ask"):
        result = run_cli(tmp_path / "data", alice, command, "--batch", str(tmp_path / "q.jsonl"))
        assert result.returncode == 0, result.stderr
        line = json.loads(result.stdout)
        assert line["hits"] == [] and SECRET not in line.get("answer", "") and bob_doc not in result.stdout
    listed = run_cli(tmp_path / "data", bob, "list", "--json")
    assert [d["doc_id"] for d in json.loads(listed.stdout)] == [bob_doc]  # untouched


def test_engine_errors_for_foreign_ids_are_ragerrors_with_advice(library, users):
    engine, bob_doc, _ = library
    with pytest.raises(RagError, match="No document .* in your library"):
        engine.pages(bob_doc, users["alice"])
