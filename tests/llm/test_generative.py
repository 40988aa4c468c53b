"""RAG_CHAT=openai against a real llama.cpp server, as a user runs it: streamed deltas, [n] citations,
the follow-up rewrite, uncited answers shown as unsupported, and a server that dies or hangs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.llm_server import answer_questions
from rag.answer import UNCITED
from rag.engine import Engine
from rag.errors import BackendUnavailable
from rag.prompt import REWRITE_PROMPT
from rag.types import Turn
from tests.llm.conftest import ME
from tests.llm.proxy import Tap

QUESTION = "When is the glow widget calibrated?"
# llama.cpp grammars (GBNF), sent through the proxy: the 135M model's own words, constrained so the
# outcome under test does not hang on what a tiny model happens to write
NO_MARKERS = r"root ::= [^\[\]]{1,400}"
ONE_CITATION = r'root ::= [^\[\]\n.]{10,300} ". [1]"'  # the first sentence, then its marker


def only_answers(grammar: str):
    """A patch for the proxy: the grammar on the streamed answer requests, not on rewrites."""
    def patch(body: dict) -> None:
        if body.get("stream"):
            body["grammar"] = grammar
    return patch


def rag_cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "rag", *args], env=env, capture_output=True, text=True, timeout=300)
    result.stderr = " ".join(result.stderr.split())  # rich wraps the error message at 80 columns
    return result


def test_deltas_stream_through_engine_ask_in_order(llm, data_dir):
    stream = Engine(llm.settings(data_dir=data_dir)).ask(QUESTION, ME)
    deltas = list(stream)
    assert len(deltas) > 1, deltas
    assert stream.answer.text and "".join(deltas).strip() == stream.answer.text
    assert stream.answer.hits and not stream.answer.interrupted


def test_markers_become_citations_with_spans(llm, tap, data_dir):
    tap.patch = only_answers(ONE_CITATION)
    engine = Engine(llm.settings(data_dir=data_dir, openai_base_url=tap.base_url))
    answer = engine.ask(QUESTION, ME).complete()
    assert answer.text.endswith("[1]"), answer.text
    [citation] = answer.citations
    hit = answer.hits[0].chunk
    assert (citation.n, citation.chunk_id, citation.doc_id, citation.title) == (1, hit.chunk_id, hit.doc_id, hit.title)
    page_text = engine.pages(hit.doc_id, ME)[hit.page - 1].text
    assert citation.spans and hit.start <= citation.start < citation.end <= hit.end
    for start, end in citation.spans:
        assert page_text[start:end] in hit.text
    assert not answer.uncited and not answer.abstained
    [sent] = tap.chat_requests(stream=True)
    assert sent["body"]["temperature"] == 0 and sent["body"]["seed"] == 1 and sent["body"]["max_tokens"] == 64


def test_a_follow_up_is_rewritten_by_the_model(llm, tap, data_dir):
    history = [Turn("user", QUESTION), Turn("assistant", "Every morning at dawn [1].")]
    follow_up = "How long does it take?"
    answer = Engine(llm.settings(data_dir=data_dir, openai_base_url=tap.base_url)).ask(follow_up, ME, history=history).complete()
    [rewrite] = tap.chat_requests(stream=False)
    assert rewrite["body"]["messages"][0]["content"] == REWRITE_PROMPT
    assert QUESTION in rewrite["body"]["messages"][1]["content"]
    written = rewrite["response"]["choices"][0]["message"]["content"].strip().strip('"')
    assert answer.search_query == written and written != follow_up  # the query came from the model
    [asked] = tap.chat_requests(stream=True)
    assert [m["content"] for m in asked["body"]["messages"][1:3]] == [t.content for t in history]


def test_an_answer_citing_nothing_is_unsupported_in_the_engine_and_the_cli(llm, tap, data_dir):
    tap.patch = only_answers(NO_MARKERS)
    answer = Engine(llm.settings(data_dir=data_dir, openai_base_url=tap.base_url)).ask(QUESTION, ME).complete()
    assert answer.text and not answer.citations
    assert answer.uncited and answer.abstained  # never a grounded answer
    result = rag_cli(llm.env(RAG_DATA_DIR=str(data_dir), RAG_OPENAI_BASE_URL=tap.base_url), "ask", QUESTION)
    assert result.returncode == 0, result.stderr
    assert UNCITED in result.stdout and result.stdout.strip().startswith(answer.text[:20])


def test_the_server_dying_mid_stream_keeps_the_partial_answer_marked(doomed, data_dir):
    tap = Tap(doomed.port)
    tap.on_first_delta = doomed.kill
    try:
        settings = doomed.settings(data_dir=data_dir, openai_base_url=tap.base_url, chat_retries=0)
        stream = Engine(settings).ask(QUESTION, ME)
        deltas = []
        with pytest.raises(BackendUnavailable, match="stopped in the middle of the answer") as caught:
            for delta in stream:
                deltas.append(delta)
    finally:
        tap.close()
    assert deltas and doomed.process.poll() is not None  # it died after streaming had begun
    answer = stream.answer
    assert answer.text == "".join(deltas).strip() and answer.interrupted == str(caught.value)
    assert answer.abstained and not answer.uncited and not answer.unsupported


def test_the_cli_says_plainly_when_the_server_dies_mid_answer(doomed, data_dir):
    tap = Tap(doomed.port)
    tap.on_first_delta = doomed.kill
    try:
        env = doomed.env(RAG_DATA_DIR=str(data_dir), RAG_OPENAI_BASE_URL=tap.base_url, RAG_CHAT_RETRIES="0")
        result = rag_cli(env, "ask", QUESTION)
    finally:
        tap.close()
    assert result.returncode == 2
    assert "error:" in result.stderr and "stopped in the middle of the answer" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout.strip()  # the partial answer, then the error


def test_the_cli_says_plainly_when_the_server_hangs(llm, silent_port, data_dir):
    env = llm.env(RAG_DATA_DIR=str(data_dir), RAG_OPENAI_BASE_URL=f"http://127.0.0.1:{silent_port}/v1",
                  RAG_CHAT_TIMEOUT="1", RAG_CHAT_RETRIES="0")
    result = rag_cli(env, "ask", QUESTION)
    assert result.returncode == 2
    assert "did not answer after 1 attempts" in result.stderr and "RAG_CHAT_TIMEOUT" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_benchmark_hook_answers_each_question_through_the_server(llm, data_dir):
    questions = [QUESTION, "Where is the calibration log kept?"]
    rows = answer_questions(Engine(llm.settings(data_dir=data_dir)), questions, ME)
    assert [r["question"] for r in rows] == questions
    assert all(r["answer"] and r["total_s"] >= r["first_delta_s"] > 0 for r in rows)
