"""Answer metrics per question: ragas (offline always, LLM-judged when a chat model is configured),
groundedness and citation accuracy from rag.grounding, and abstention on unanswerable questions."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

from eval.datasets import EvalItem
from eval.ragas_models import DocChatRagasEmbeddings, DocChatRagasLLM
from rag.errors import BackendUnavailable
from rag.grounding import MARKER, check_answer
from rag.protocols import Embedder
from rag.text import squash
from rag.types import Answer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from ragas import SingleTurnSample
    from ragas.metrics import (
        ExactMatch,
        FactualCorrectness,
        Faithfulness,
        IDBasedContextPrecision,
        IDBasedContextRecall,
        LLMContextPrecisionWithReference,
        LLMContextRecall,
        NonLLMContextPrecisionWithReference,
        NonLLMContextRecall,
        NonLLMStringSimilarity,
        ResponseRelevancy,
        RougeScore,
        StringPresence,
    )

ID_METRICS = {"id_context_precision": IDBasedContextPrecision, "id_context_recall": IDBasedContextRecall}
CONTEXT_METRICS = {"context_precision": NonLLMContextPrecisionWithReference, "context_recall": NonLLMContextRecall}
REFERENCE_METRICS = {"string_similarity": NonLLMStringSimilarity, "rouge_l": RougeScore,
                     "exact_match": ExactMatch, "string_presence": StringPresence}
LLM_METRICS = {"faithfulness": Faithfulness, "response_relevancy": ResponseRelevancy,
               "llm_context_precision": LLMContextPrecisionWithReference, "llm_context_recall": LLMContextRecall,
               "factual_correctness": FactualCorrectness}


def response_text(answer: Answer) -> str:
    """The answer without its [n] markers, as ragas compares text."""
    return squash(MARKER.sub(" ", answer.text))


def sample_for(item: EvalItem, answer: Answer | None, units: Sequence[str], contexts: Sequence[str]) -> SingleTurnSample:
    return SingleTurnSample(
        user_input=item.question, response=response_text(answer) if answer else None,
        reference=item.reference_answer or None, retrieved_contexts=list(contexts),
        reference_contexts=[c.quote for c in item.reference_contexts if c.quote] or None,
        retrieved_context_ids=list(units), reference_context_ids=[f"ref{j}" for j in range(len(item.reference_contexts))],
    )


def _score(metric, sample: SingleTurnSample) -> float | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = metric.single_turn_score(sample)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def offline_scores(item: EvalItem, answer: Answer | None, units: Sequence[str], contexts: Sequence[str]) -> dict:
    """ragas metrics that need no LLM, each only where the dataset gives what it compares against."""
    sample, out = sample_for(item, answer, units, contexts), {}
    if item.answerable and item.reference_contexts:
        out.update({name: _score(cls(), sample) for name, cls in ID_METRICS.items()})
    if item.answerable and sample.reference_contexts and contexts:
        out.update({name: _score(cls(), sample) for name, cls in CONTEXT_METRICS.items()})
    if answer is not None and item.answerable and item.reference_answer:
        out.update({name: _score(cls(), sample) for name, cls in REFERENCE_METRICS.items()})
    return out


def llm_scores(item: EvalItem, answer: Answer, contexts: Sequence[str], llm: DocChatRagasLLM,
               embedder: Embedder) -> dict:
    """LLM-judged ragas metrics through our configured model (those the item has inputs for)."""
    sample = sample_for(item, answer, [], contexts)
    wanted = ["faithfulness", "response_relevancy"]
    if item.reference_answer:
        wanted += ["llm_context_precision", "llm_context_recall", "factual_correctness"]
    out = {}
    for name in wanted if contexts and item.answerable and not answer.abstained else []:
        metric = LLM_METRICS[name](llm=llm)
        if name == "response_relevancy":
            metric.embeddings = DocChatRagasEmbeddings(embedder)
        try:
            out[name] = _score(metric, sample)
        except BackendUnavailable:
            raise
        except Exception as exc:  # ragas raises plain exceptions when a judge reply does not parse
            out[name], out[f"{name}_error"] = None, f"{type(exc).__name__}: {exc}"[:200]
    return out


def grounding_scores(answer: Answer, embedder: Embedder | None) -> dict:
    """groundedness: share of sentences supported; citation_accuracy: share of citing sentences
    whose cited spans support them."""
    if answer.abstained:
        return {"unsupported": 0}
    checks = check_answer(answer, embedder)
    citing = [c for c in checks if c.cites]
    return {
        "groundedness": sum(c.supported for c in checks) / len(checks) if checks else None,
        "citation_accuracy": sum(c.supported for c in citing) / len(citing) if citing else None,
        "unsupported": sum(not c.supported for c in checks),
    }


def abstention_scores(item: EvalItem, answer: Answer) -> dict:
    """Unanswerable: did it decline? Answerable: did it wrongly decline? With `keywords` in the item
    (the QA benchmark's), also: did an answer hold every keyword (a keyword may list variants)?"""
    if not item.answerable:
        return {"abstention_correct": float(answer.abstained)}
    out = {"false_abstention": float(answer.abstained)}
    keywords = item.meta.get("keywords")
    if keywords:
        from eval.qa.dataset import mentions

        variants = [tuple(k) if isinstance(k, list) else (k,) for k in keywords]
        out["answer_correct"] = float(not answer.abstained and all(mentions(answer.text, v) for v in variants))
    return out
