"""Retrieval metrics against hand-computed cases."""

from __future__ import annotations

import math

import pytest

from eval.datasets import EvalItem, ReferenceContext
from eval.metrics import doc_aliases, judge, mean_scores, retrieval_scores
from rag.types import Chunk, Document

DOCS = [Document("d1", "spec.pdf", "pdf", "s", 1, "u"), Document("d2", "other.pdf", "pdf", "s", 1, "u")]
ALIASES = doc_aliases(DOCS)


def chunk(cid: str, doc: str, page: int, text: str) -> Chunk:
    return Chunk(cid, doc, text, page, 0, len(text))


def test_relevance_by_document_page_and_whitespace_normalised_quote():
    item = EvalItem("q", "?", reference_contexts=(
        ReferenceContext("spec.pdf", 2, "the  weight\nis 50"), ReferenceContext("d2")))
    chunks = [chunk("a", "d1", 1, "The weight is 50."),  # wrong page
              chunk("b", "d1", 2, "Here THE weight is   50 indeed."),  # ref0
              chunk("c", "d1", 2, "the weight is 50 again"),  # ref0 already found
              chunk("d", "d2", 7, "anything")]  # ref1: any page of other.pdf
    assert judge(item, chunks, ALIASES) == ["a", "ref0", "c", "ref1"]


def test_scores_match_hand_computation():
    # q1: two references found at ranks 2 and 4; q2: one reference at rank 1; q3: none retrieved
    judged = {"q1": ["x", "ref1", "y", "ref0"], "q2": ["ref0", "z"], "q3": ["w"]}
    scores = retrieval_scores(judged, {"q1": 2, "q2": 1, "q3": 1, "q4": 0}, ks=(1, 3, 10))
    assert set(scores) == {"q1", "q2", "q3"}  # q4 has no reference: not scored
    q1 = scores["q1"]
    assert (q1["hit@1"], q1["hit@3"], q1["recall@3"], q1["recall@10"], q1["mrr@10"]) == (0, 1, 0.5, 1, 0.5)
    ideal = 1 + 1 / math.log2(3)
    assert q1["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)
    assert q1["ndcg@3"] == pytest.approx((1 / math.log2(3)) / ideal)
    assert scores["q2"]["mrr@10"] == 1 and scores["q2"]["ndcg@10"] == pytest.approx(1)
    assert scores["q3"] == dict.fromkeys(q1, 0.0)
    assert mean_scores(scores)["mrr@10"] == pytest.approx(0.5)
