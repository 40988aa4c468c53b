"""Engines on real local backends in a temp folder, with the hash embedder (no model load) and a
chat backend chosen per test; every test uses its own user ids, so the shared rate limiter never bites."""

from __future__ import annotations

import uuid

import pytest

from rag.engine import Engine
from rag.settings import Settings
from rag.types import Principal
from tests.fakes import HashEmbedder


def make_engine(data_dir, chat: str = "scripted", **overrides) -> Engine:
    values = {"rate_limit_per_minute": 100_000, **overrides}
    return Engine(Settings(data_dir=data_dir, chat=chat, **values), embedder=HashEmbedder())


@pytest.fixture
def users():
    """Fresh principals per test: alice, bob, carol and dave (finance), erin (finance-eu)."""
    tag = uuid.uuid4().hex[:6]
    return {
        "alice": Principal(f"alice-{tag}", "Alice"),
        "bob": Principal(f"bob-{tag}", "Bob"),
        "carol": Principal(f"carol-{tag}", "Carol", ("finance",)),
        "dave": Principal(f"dave-{tag}", "Dave", ("finance",)),
        "erin": Principal(f"erin-{tag}", "Erin", ("finance-eu",)),
    }
