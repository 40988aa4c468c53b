"""What the Store keeps: conversations of turns, feedback records, evaluation runs. Answers are kept
whole (hits, citations, inspector rows) as JSON, so a restored conversation is the one that was shown."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from rag.errors import InvalidDocument, NotFound
from rag.types import Answer, Chunk, Citation, Hit

CONVERSATION_ID = re.compile(r"^[0-9a-f]{32}$")
RUN_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
TITLE_CHARS = 80
MAX_TURN_CHARS = 500_000  # a turn's JSON: two entities on Table Storage, well under its 4 MiB transaction


@dataclass(frozen=True)
class ConversationInfo:
    """A conversation as listed: no turns."""

    conv_id: str
    owner: str
    title: str
    created_at: str  # ISO 8601, UTC
    updated_at: str
    turns: int = 0
    shared_with: str = ""  # one of the owner's groups, or "" (private)


@dataclass(frozen=True)
class StoredTurn:
    n: int  # 1-based, in the order the store committed them
    question: str
    answer: Answer
    created_at: str
    feedback: dict | None = None  # the latest rating of this turn, if any


@dataclass(frozen=True)
class Conversation:
    info: ConversationInfo
    turns: tuple[StoredTurn, ...] = field(default_factory=tuple)
    read_only: bool = False  # the reader sees it through a group it is shared with


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def new_id() -> str:
    return uuid.uuid4().hex


def checked_id(conv_id: str) -> str:
    """Store ids are ours (uuid4 hex): anything else is a conversation nobody has."""
    if not isinstance(conv_id, str) or not CONVERSATION_ID.match(conv_id):
        raise NotFound("No such conversation (it may have been deleted).")
    return conv_id


def checked_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise NotFound(f"No evaluation run {run_id[:80]!r}; `python -m eval runs` lists them.")
    return run_id


def title_of(question: str) -> str:
    words = " ".join(question.split())
    return words if len(words) <= TITLE_CHARS else words[: TITLE_CHARS - 1].rstrip() + "…"


def clean_title(title: str) -> str:
    title = " ".join(str(title).split())
    if not title:
        raise InvalidDocument("A conversation's title cannot be empty.")
    return title[:200]


# --- the answer as JSON and back
def answer_json(answer: Answer) -> str:
    text = json.dumps(asdict(answer), ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_TURN_CHARS:
        raise InvalidDocument(f"This answer is too large to keep ({len(text):,} characters; at most {MAX_TURN_CHARS:,}).")
    return text


def _hit(data: dict[str, Any]) -> Hit:
    return Hit(**{**data, "chunk": Chunk(**data["chunk"]), "flags": tuple(data.get("flags", ()))})


def _citation(data: dict[str, Any]) -> Citation:
    return Citation(**{**data, "spans": tuple(tuple(s) for s in data.get("spans", ()))})


def answer_from_json(text: str) -> Answer:
    data = json.loads(text)
    hits = {name: [_hit(h) for h in data.get(name, [])] for name in ("hits", "retrieved", "related")}
    return Answer(**{**data, **hits, "citations": [_citation(c) for c in data.get("citations", [])]})


def search_text(question: str, answer: Answer) -> str:
    """What search by text looks in: the question and the answer, folded to lower case."""
    return f"{question}\n{answer.text}".casefold()
