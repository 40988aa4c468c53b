"""Thumbs up/down (with an optional correction) on chat answers, stored append-only as JSONL per
user under <data_dir>/feedback/, and turned into an evaluation dataset."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from eval.datasets import EvalItem, ReferenceContext
from eval.errors import EvalError
from rag.types import Answer, Principal

Rating = Literal["up", "down"]


def feedback_file(data_dir: Path, user_id: str) -> Path:
    """One file per user; the name is a hash, so no user id can reach outside the folder."""
    return Path(data_dir) / "feedback" / f"{hashlib.sha256(user_id.encode()).hexdigest()[:16]}.jsonl"


def record_feedback(data_dir: Path, principal: Principal, answer: Answer, rating: Rating,
                    correction: str = "") -> dict:
    """Append one rating of `answer` by `principal`; returns the stored record."""
    if rating not in ("up", "down"):
        raise EvalError(f"A rating is 'up' or 'down', not {rating!r}.")
    record = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"), "user": principal.user_id,
        "question": answer.question, "answer": answer.text, "rating": rating, "correction": correction.strip(),
        "abstained": answer.abstained, "unsupported": list(answer.unsupported),
        "citations": [asdict(c) for c in answer.citations],
    }
    path = feedback_file(data_dir, principal.user_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)  # one write: lines never interleave
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return record


def read_feedback(data_dir: Path, principal: Principal) -> list[dict]:
    path = feedback_file(data_dir, principal.user_id)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


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
