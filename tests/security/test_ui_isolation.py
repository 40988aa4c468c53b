"""Isolation through the real app (AppTest, the app tests' own fixtures): a signed-in user sees
neither another user's library nor a chat box over it; a group collection is shown to members only.
(Answers and citations per principal are covered through the Engine in test_isolation.py.)"""

from __future__ import annotations

import pytest

from rag.engine import Engine
from rag.settings import Settings
from rag.types import Principal
from tests.app import conftest as app_fixtures
from tests.app.conftest import app, use_data_dir

seeded_dir, seeded = app_fixtures.seeded_dir, app_fixtures.seeded  # the app tests' own fixtures

FORECAST = b"Finance forecast: revenue grows nine percent next year, driven by turbine maintenance contracts."


def signed_in(email: str, groups: list[str] | None = None) -> dict:
    return {"is_logged_in": True, "email": email, "name": email.split("@")[0], "groups": groups or []}


def library(at) -> list[str]:
    return at.dataframe[-1].value["name"].tolist() if at.dataframe else []


@pytest.fixture
def shared(seeded, monkeypatch, local_embedder):
    """The app tests' seeded library (owned by `local`) plus a finance-group document owned by carol."""
    engine = Engine(Settings(data_dir=seeded), embedder=local_embedder)
    carol = Principal("carol@example.com", "carol", ("finance",))
    assert engine.ingest("forecast.txt", FORECAST, carol, collection="finance").status == "indexed"
    engine.index.flush()
    use_data_dir(monkeypatch, seeded, auth_mode="oidc")
    return seeded


@pytest.mark.slow
def test_another_signed_in_user_sees_no_library_and_cannot_ask_it(shared):
    docs = app("pages/documents.py", user=signed_in("mallory@example.com"))
    assert not docs.exception and library(docs) == [] and "library is empty" in docs.info[0].value
    chat = app("pages/chat.py", user=signed_in("mallory@example.com"))
    assert not chat.exception and not chat.chat_input  # nothing to ask about: no input at all


@pytest.mark.slow
def test_group_documents_are_shown_and_cited_for_members_only(shared):
    member = app("pages/documents.py", user=signed_in("dave@example.com", ["finance"]))
    assert library(member) == ["forecast.txt"]  # not the seeded user's private files
    chat = app("pages/chat.py", user=signed_in("dave@example.com", ["finance"]))
    assert not chat.exception and chat.chat_input  # a member has something to ask about
    for outsider in (signed_in("erin@example.com", ["finance-eu"]), signed_in("alice@example.com")):
        at = app("pages/documents.py", user=outsider)
        assert library(at) == []
