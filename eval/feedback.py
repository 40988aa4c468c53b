"""Thumbs up/down (with an optional correction) on chat answers, kept in the Store (RAG_STORE) per
user, on the conversation turn they rate, and turned into an evaluation dataset."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Literal

from eval.datasets import EvalItem, ReferenceContext
from eval.errors import EvalError
from rag.protocols import Store
from rag.types import Answer, Principal

Rating = Literal["up", "down"]


def record_feedback(store: Store, principal: Principal, answer: Answer, rating: Rating, correction: str = "",
                    conv_id: str = "", turn: int = 0) -> dict:
    """Keep one rating of `answer` by `principal` (of turn `turn` of conversation `conv_id`, when given:
    a later rating of the same turn replaces it); returns the stored record."""
    if rating not in ("up", "down"):
        raise EvalError(f"A rating is 'up' or 'down', not {rating!r}.")
    record = {
        "time": datetime.now(UTC).isoformat(timespec="microseconds"), "user": principal.user_id,
        "question": answer.question, "answer": answer.text, "rating": rating, "correction": correction.strip(),
        "abstained": answer.abstained, "unsupported": list(answer.unsupported),
        "citations": [asdict(c) for c in answer.citations],
    }
    return store.add_feedback(principal, record, conv_id, turn)


def read_feedback(store: Store, principal: Principal) -> list[dict]:
    return store.feedback(principal)


def feedback_dataset(records: list[dict]) -> list[EvalItem]:
    """Rated answers as dataset items: a thumbs-up answer becomes the reference, with its citations
    as reference contexts; a thumbs-down with a correction takes the correction as the reference.
    Thumbs-down without a correction has no reference and is left out."""
    items = []
    for n, r in enumerate(records, start=1):
        if r["rating"] == "down" and not r.get("correction"):
            continue
        good = r["rating"] == "up"
        contexts = tuple(ReferenceContext(c["doc_id"], c["page"], c["quote"]) for c in r["citations"]) if good else ()
        items.append(EvalItem(id=f"feedback-{n}", question=r["question"],
                              reference_answer=r["answer"] if good else r["correction"],
                              reference_contexts=contexts, answerable=not (good and r.get("abstained")),
                              meta={"source": "feedback", "time": r["time"]}))
    return items
