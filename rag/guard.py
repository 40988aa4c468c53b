"""Input limits, per-user rate limits and prompt-injection screening."""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import defaultdict, deque

from rag.errors import RateLimited, Refused
from rag.settings import Settings

# instruction-like phrasing aimed at the model, in documents or questions (several languages)
INJECTION_PATTERNS = [
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|earlier|all|your|the)\b.{0,40}"
    r"\b(instructions?|rules?|prompts?|directions?|guidelines?)\b",
    r"\b(system|developer)\s*(prompt|message|instructions?)\b",
    r"\byou are now\b|\bact as\b.{0,30}\b(unrestricted|jailbroken|dan)\b|\bjailbreak\b|\bdo anything now\b",
    r"\b(reveal|print|show|repeat|output|leak)\b.{0,40}\b(system prompt|instructions|hidden rules|secret)",
    r"\bnew instructions?\s*:|\bbegin (admin|system) (mode|override)\b|</?\s*(system|im_start|im_end)\s*>",
    r"\bignorez?\b.{0,30}\binstructions?\b|\bvergiss\b.{0,40}\banweisungen\b|\bignoriere\b.{0,40}\banweisungen\b",
    r"\bignora\b.{0,40}\binstrucciones\b|\bolvida\b.{0,40}\binstrucciones\b|忽略.{0,20}(指令|说明|提示)",
    r"\bиннорируй|\bигнорируй\b.{0,40}\bинструкции\b",
]
INJECTION = re.compile("|".join(f"(?:{p})" for p in INJECTION_PATTERNS), re.IGNORECASE | re.DOTALL)


def normalise(text: str) -> str:
    """Fold look-alike characters and invisible ones so 'ｉｇｎｏｒｅ' and 'ig\u200bnore' match too."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Mn"))


def looks_like_injection(text: str) -> bool:
    return bool(INJECTION.search(normalise(text)))


def check_question(question: str, settings: Settings) -> str:
    question = question.strip()
    if not question:
        raise Refused("Please type a question.")
    size = len(question.encode())
    if size > settings.max_question_bytes:
        raise Refused(
            f"Your question is {size // 1000} KB; the limit is {settings.max_question_bytes // 1000} KB. Shorten it."
        )
    if looks_like_injection(question):
        raise Refused(
            "This question tries to change DocChat's instructions, so it was not sent. "
            "Ask about the content of your documents instead."
        )
    return question


class RateLimiter:
    """Sliding one-minute window per user, shared by all of that user's sessions in this process."""

    def __init__(self):
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, user_id: str, per_minute: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events[user_id]
            while events and now - events[0] >= 60:
                events.popleft()
            if len(events) >= per_minute:
                wait = 60 - (now - events[0])
                raise RateLimited(
                    f"You have asked {per_minute} questions in the last minute (RAG_RATE_LIMIT_PER_MINUTE). "
                    f"Please wait {wait:.0f} s.", retry_after=wait)
            events.append(now)


RATE_LIMITER = RateLimiter()
