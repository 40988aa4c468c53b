"""ragas answer metrics: offline ones on real answers, LLM-judged ones wired through our own
configured chat endpoint (an OpenAI-compatible MockTransport), plus abstention and citations."""

from __future__ import annotations

import pytest

from eval.answer_metrics import abstention_scores, grounding_scores, llm_scores, offline_scores, response_text
from eval.datasets import EvalItem, ReferenceContext
from eval.ragas_models import DocChatRagasLLM, ragas_llm
from rag.backends.openai_compat import OpenAIChatModel
from rag.backends.scripted import ScriptedChatModel
from rag.prompt import NOT_FOUND
from rag.settings import Settings
from rag.types import Answer, Chunk, Hit
from tests.eval.fake_judge import FakeJudge

SOURCE = "The default weight of a glob is 50. Higher weights win over lower ones."
HIT = Hit(Chunk("c1", "d1", SOURCE, 1, 0, len(SOURCE), title="spec.pdf"), 1.0)
ITEM = EvalItem("q1", "How heavy is a glob by default?", "The default weight of a glob is 50.",
                (ReferenceContext("spec.pdf", 1, "weight of a glob is 50"),))


def answer(text: str, abstained: bool = False) -> Answer:
    return Answer(ITEM.question, ITEM.question, text=text, hits=[HIT], abstained=abstained)


def test_offline_ragas_metrics_compare_with_the_references():
    # non-LLM context recall is a string distance: the retrieved context must be close to the quote
    scores = offline_scores(ITEM, answer("The default weight of a glob is 50. [1]"), ["ref0"], ["weight of a glob is 50."])
    assert scores["id_context_precision"] == 1 and scores["id_context_recall"] == 1
    assert scores["exact_match"] == 1 and scores["string_presence"] == 1
    assert scores["rouge_l"] == pytest.approx(1) and scores["context_recall"] == 1
    worse = offline_scores(ITEM, answer("Globs have weights [1]."), ["c9"], ["unrelated text"])
    assert worse["id_context_recall"] == 0 and worse["exact_match"] == 0 and worse["rouge_l"] < 0.5
    assert worse["context_recall"] == 0


def test_markers_are_not_part_of_the_compared_response():
    assert response_text(answer("Fifty [1][2].")) == "Fifty ."


def test_abstention_and_grounding(local_embedder):
    unanswerable = EvalItem("u", "Moons of Neptune?", answerable=False)
    assert abstention_scores(unanswerable, answer(NOT_FOUND, abstained=True)) == {"abstention_correct": 1.0}
    assert abstention_scores(unanswerable, answer("Fourteen [1].")) == {"abstention_correct": 0.0}
    assert abstention_scores(ITEM, answer(NOT_FOUND, abstained=True)) == {"false_abstention": 1.0}
    scores = grounding_scores(answer("The default weight of a glob is 50 [1]. It dates from 1997 [1]. Really."),
                              local_embedder)
    assert scores == {"groundedness": pytest.approx(1 / 3), "citation_accuracy": 0.5, "unsupported": 2}


def test_no_llm_metrics_without_a_language_model():
    assert ragas_llm(ScriptedChatModel()) is None


def test_llm_metrics_run_through_the_configured_openai_endpoint(tmp_path, local_embedder):
    judge = FakeJudge()
    settings = Settings(data_dir=tmp_path, openai_base_url="http://judge.test/v1", openai_model="judge", chat="openai")
    llm = ragas_llm(OpenAIChatModel(settings, http_client=judge.client()))
    assert isinstance(llm, DocChatRagasLLM)
    scores = llm_scores(ITEM, answer("Globs weigh 50 [1]. Since 1997 [1]."), [SOURCE], llm, local_embedder)
    assert scores["faithfulness"] == 0.5  # one of the two statements is supported, as the judge said
    assert scores["response_relevancy"] == pytest.approx(1.0, abs=1e-3)  # same question regenerated
    assert scores["llm_context_precision"] == pytest.approx(1.0, abs=1e-6)
    assert scores["llm_context_recall"] == 1.0
    assert scores["factual_correctness"] is not None
    assert any("Globs weigh 50" in p for p in judge.prompts) and any(SOURCE in p for p in judge.prompts)


def test_answer_correct_needs_every_keyword_in_an_answer_not_a_refusal():
    from eval.answer_metrics import abstention_scores
    from eval.datasets import EvalItem
    from rag.types import Answer

    item = EvalItem("k", "How heavy?", meta={"keywords": ["50", ["maximum", "max"]]})
    right = Answer("How heavy?", "How heavy?", text="The default weight is 50; the max is 100. [1]")
    half = Answer("How heavy?", "How heavy?", text="The default weight is 50. [1]")
    refused = Answer("How heavy?", "How heavy?", text="50 max", abstained=True)
    assert abstention_scores(item, right)["answer_correct"] == 1.0
    assert abstention_scores(item, half)["answer_correct"] == 0.0
    assert abstention_scores(item, refused)["answer_correct"] == 0.0
    assert "answer_correct" not in abstention_scores(EvalItem("n", "q"), right)
