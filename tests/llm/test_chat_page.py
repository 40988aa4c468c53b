"""The Chat page (AppTest) with RAG_CHAT=openai on a real llama.cpp server: an uncited answer is labelled
not supported, and a server that dies mid-answer or hangs is an st.error that loses nothing."""

from __future__ import annotations

import pytest

from rag.answer import UNCITED
from rag.settings import get_settings
from rag.types import Answer
from tests.app.conftest import app, use_data_dir
from tests.llm.proxy import Tap
from tests.llm.test_generative import NO_MARKERS, QUESTION, only_answers
from ui.state import Exchange

CHAT = "pages/chat.py"


@pytest.fixture
def point_at(monkeypatch, data_dir):
    """Configure the app as a user would: RAG_* environment variables."""
    def configure(base_url: str, **env: str) -> None:
        values = {"chat": "openai", "openai_base_url": base_url, "openai_model": "smollm2-135m",
                  "chat_seed": "1", "chat_max_tokens": "64"} | env
        use_data_dir(monkeypatch, data_dir, **values)
    yield configure
    get_settings.cache_clear()


def ask(at, question: str):
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def conversation(at) -> list[Exchange]:
    return at.session_state["docchat"].exchanges


def test_an_uncited_answer_is_labelled_not_supported(llm, tap, point_at):
    tap.patch = only_answers(NO_MARKERS)
    point_at(tap.base_url)
    at = ask(app(CHAT), QUESTION)
    [exchange] = conversation(at)
    assert exchange.answer.text and exchange.answer.uncited and not exchange.answer.citations
    assert [w.value for w in at.warning] == [UNCITED] and not at.pills  # no chips: nothing to click
    at.run()  # shown the same way when the conversation is drawn again
    assert [w.value for w in at.warning] == [UNCITED]


def test_the_server_dying_mid_answer_is_an_error_and_the_question_stays(doomed, point_at):
    tap = Tap(doomed.port)
    tap.on_first_delta = doomed.kill
    point_at(tap.base_url, chat_retries="0")
    try:
        at = ask(app(CHAT), QUESTION)
    finally:
        tap.close()
    assert "stopped in the middle of the answer" in at.error[0].value
    [exchange] = conversation(at)
    assert exchange.question == QUESTION and exchange.answer.text and exchange.answer.interrupted
    at.run()  # drawn again: the question, what arrived of the answer, and the error under it
    assert not at.exception and QUESTION in at.chat_message[0].markdown[0].value.replace("\\", "")
    assert "stopped in the middle of the answer" in at.error[0].value


def test_a_hung_server_during_the_follow_up_rewrite_keeps_the_question(silent_port, point_at):
    point_at(f"http://127.0.0.1:{silent_port}/v1", chat_timeout="1", chat_retries="0")
    at = app(CHAT)
    earlier = Exchange("When is it calibrated?", Answer("When is it calibrated?", "", text="At dawn [1]."))
    conversation(at).append(earlier)
    at = ask(at, "How long does it take?")
    assert "did not answer after 1 attempts" in at.error[0].value
    first, second = conversation(at)
    assert first == earlier and second.question == "How long does it take?" and second.answer.interrupted
