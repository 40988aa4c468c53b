"""ragas' testset generator through our configured chat endpoint (an OpenAI-compatible
MockTransport answering every prompt ragas sends: entity extraction, persona/theme matching and
question/answer writing), on a tiny TXT library with the hash embedder."""

from __future__ import annotations

import httpx
import pytest

from eval.errors import EvalError
from eval.testset import generate_dataset, generate_with_model, generator_label, uses_model
from rag.backends.openai_compat import OpenAIChatModel
from rag.engine import Engine
from rag.settings import Settings
from rag.types import Principal
from tests.eval.fake_judge import FakeJudge
from tests.fakes import HashEmbedder

USER = Principal("testset-user")
TEXT = """Globs

The default weight of a glob is 50. Higher weights win over lower ones when two globs match the
same file name, and a glob with the same weight as another is checked in the order it was read.

Magic rules

Magic rules look at the first bytes of a file. A magic rule with a higher priority is tried first,
and the first rule that matches decides the type of the file that is being examined by the tool.
"""


def library(tmp_path, chat: str, judge: FakeJudge | None = None) -> Engine:
    settings = Settings(data_dir=tmp_path, openai_base_url="http://judge.test/v1", openai_model="judge", chat=chat)
    backends = {"chat": OpenAIChatModel(settings, http_client=judge.client())} if judge else {}
    engine = Engine(settings, embedder=HashEmbedder(), **backends)
    report = engine.ingest("globs.txt", TEXT.encode(), USER)
    assert report.status == "indexed", report.error
    return engine


def test_ragas_writes_the_questions_with_the_configured_chat_model(tmp_path):
    judge = FakeJudge()
    engine = library(tmp_path, "openai", judge)
    assert uses_model(engine) and "ragas" in generator_label(engine)
    items = generate_with_model(engine, USER, size=2, seed=1)
    assert len(items) == 2
    for item in items:
        assert item.id.startswith("ragas-") and item.synthetic and item.answerable
        assert item.question == "What is the default weight of a glob?"
        assert item.reference_answer == "The default weight of a glob is 50."
        assert item.meta["generator"] == "ragas"
        (ref,) = item.reference_contexts
        assert ref.doc == "globs.txt" and ref.page == 1
        assert ref.quote.startswith("The default weight of a glob is 50.")
    # every call went to our endpoint: entities from the page, themes for the persona, the Q&A
    assert any('"title": "NEROutput"' in p and "Magic rules" in p for p in judge.prompts)
    assert any('"title": "PersonaThemesMapping"' in p for p in judge.prompts)
    assert any('"title": "GeneratedQueryAnswer"' in p and "Library reader" in p for p in judge.prompts)


def test_the_switch_adds_unanswerable_questions_and_falls_back_offline(tmp_path):
    items = generate_dataset(library(tmp_path / "model", "openai", FakeJudge()), USER, size=1, unanswerable=2)
    assert [i.answerable for i in items] == [True, False, False] and items[0].id == "ragas-1"
    offline = library(tmp_path / "offline", "extractive")
    assert not uses_model(offline) and "offline" in generator_label(offline)
    assert all(i.id.startswith("syn-") for i in generate_dataset(offline, USER, size=3))


def test_ragas_failures_become_eval_errors_that_say_what_to_do(tmp_path):
    judge = FakeJudge()
    judge.handle = lambda request: httpx.Response(400, json={"error": {"message": "bad model"}})
    engine = library(tmp_path, "openai", judge)
    with pytest.raises(EvalError, match="offline generator"):
        generate_with_model(engine, USER, size=1)
    with pytest.raises(EvalError, match="RAG_CHAT"):
        generate_with_model(library(tmp_path / "x", "extractive"), USER, size=1)
