"""Structured JSON audit lines for uploads, deletes, questions and conversation events (create,
turn, read, rename, share, delete, purge, delete_my_data): who, when, which documents or
conversation ids, how long, how it ended.

Never the documents' text, a question's or answer's text, a conversation's title or a secret: a
question is logged as a sha256 prefix and its length, which is enough to correlate repeats without
keeping what was asked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from rag.errors import NotFound, RagError, RateLimited, Refused
from rag.settings import Settings
from rag.types import Principal

LOGGER = logging.getLogger("rag.audit")
LOGGER.propagate = False  # audit lines go to their own destination, not into the app's log
_configured: set[str] = set()
_lock = threading.Lock()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, event, then the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "event": record.getMessage()}
        entry.update(getattr(record, "audit", {}))
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (test runners and Streamlit swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure(settings: Settings) -> None:
    """Send audit lines to RAG_AUDIT_LOG (a file) or standard error; once per destination."""
    target = settings.audit_log or "-"
    with _lock:
        if target in _configured:
            return
        handler = StderrHandler() if target == "-" else logging.FileHandler(target, encoding="utf-8")
        handler.setFormatter(JsonFormatter())
        LOGGER.addHandler(handler)
        LOGGER.setLevel(logging.INFO)
        _configured.add(target)


def fingerprint(text: str) -> dict[str, Any]:
    """What we keep of a question: a hash prefix and a length, never the words."""
    return {"question_sha256": hashlib.sha256(text.encode()).hexdigest()[:16], "question_chars": len(text)}


def status_of(exc: BaseException) -> str:
    for kind, status in ((Refused, "refused"), (RateLimited, "rate_limited"), (NotFound, "not_found")):
        if isinstance(exc, kind):
            return status
    return "rejected" if isinstance(exc, RagError) and type(exc).__name__ in ("Forbidden", "InvalidDocument") else "error"


def write(event: str, principal: Principal, fields: dict[str, Any], level: int = logging.INFO) -> None:
    who = {"user": principal.user_id, "groups": list(principal.groups)}
    LOGGER.log(level, event, extra={"audit": {**who, **fields}})


@contextmanager
def audited(event: str, principal: Principal, **fields: Any) -> Iterator[dict[str, Any]]:
    """Log `event` when the block ends, with its latency and status; the block may add fields."""
    started = time.perf_counter()
    entry = dict(fields)
    try:
        yield entry
    except BaseException as exc:
        entry.update(status=status_of(exc), error=type(exc).__name__)
        raise
    finally:
        finish(event, principal, entry, time.perf_counter() - started)


def finish(event: str, principal: Principal, entry: dict[str, Any], seconds: float) -> None:
    """Write an entry whose work is over: status "ok" unless set, its latency, a warning when not ok."""
    entry.setdefault("status", "ok")
    entry["latency_ms"] = round(seconds * 1000, 1)
    write(event, principal, entry, logging.INFO if entry["status"] == "ok" else logging.WARNING)
