"""Input limits, per-user rate limits and prompt-injection screening.

Screening is a deny-list of instruction-like phrasing, applied to the question and to every
retrieved chunk after folding the usual disguises: fullwidth and other compatibility forms,
zero-width and combining characters, Cyrillic/Greek look-alikes, HTML entities, %-escapes,
letters spaced apart and base64-wrapped text. It catches the common attacks, not a determined
adversary: the fences in rag/prompt.py and the quarantine of flagged chunks are the backstop
(docs/security.md).
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import threading
import time
import unicodedata
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

from rag import registry
from rag.errors import RateLimited, Refused
from rag.protocols import ContentScreen
from rag.settings import Settings
from rag.types import Hit

FLAG = "instruction-like"  # the Hit flag retrieval sets on chunks that look like injected instructions

_OVERRIDE = r"(ignore|disregard|forget)"
_TARGET = r"(instructions?|rules?|prompts?|directions?|guidelines?|guardrails?)"
# instruction-like phrasing aimed at the model, in documents or questions (several languages)
INJECTION_PATTERNS = [
    rf"\b{_OVERRIDE}\b.{{0,40}}\b(previous|prior|above|earlier|all|your|the|any|these|system)\b.{{0,40}}\b{_TARGET}",
    r"\b(system|developer|hidden|initial|original)\s*(prompt|instructions?)\b|\bdeveloper message\b",
    r"\byou are now\s+(a|an|my|dan|free|unrestricted|jailbroken|no longer|in developer)\b|\bjailbreak|"
    r"\bdo anything now\b|\bact as\b.{0,30}\b(unrestricted|jailbroken|dan|no (rules|limits))\b|"
    r"\bfrom now on,?\s+(you|answer|respond|reply|always|only|ignore)\b|\bdeveloper mode\b",
    r"\b(reveal|print|show|repeat|output|leak|dump|disclose)\b.{0,40}\b(system prompt|your (instructions|rules|prompt)"
    r"|hidden rules|secret|api key|password|other users?)",
    r"\bnew instructions?\s*:|\bbegin (admin|system) (mode|override)\b|</?\s*(system|im_start|im_end)\s*>|"
    r"<\|\s*(im_start|im_end|system|assistant|endoftext)\s*\|>|\[/?INST\]|<</?SYS>>",
    r"^[\s#>*_\-\[(]*(system|assistant|developer|admin)\s*[\])]?\s*:\s*(you|ignore|from now|new|disregard|forget"
    r"|reveal|print|always|never|do not|don't|respond|answer|reply|say|output|the assistant)",
    # German, French, Spanish, Italian, Portuguese
    r"\b(vergiss|ignoriere|missachte|übergehe)\b.{0,50}\b(anweisungen|regeln|instruktionen|vorgaben)\b|\bsystem-?prompt\b",
    r"\b(ignorez?|oubliez?|ignorer)\b.{0,50}\b(instructions?|consignes?|règles)\b|\b(prompt|invite) système\b",
    r"\b(ignora|olvida|omite|ignore|esqueça|ignorar)\b.{0,50}\b(instrucciones|instruções|istruzioni|reglas|regole|regras)\b",
    r"\b(revela|muestra|mostra|rivela)\b.{0,40}\b(prompt|instrucciones|istruzioni|instruções)\b",
    # Chinese, Japanese, Korean
    r"(忽略|无视|忘记|忽视|不要理会|無視|忘れ).{0,20}(指令|指示|说明|提示|规则|規則|命令|ルール)|系统提示|系統提示|"
    r"システムプロンプト|(以前|前|上記)の指示|이전\s*지시.{0,10}무시|시스템\s*프롬프트",
    # Russian, Ukrainian, Arabic
    r"(проигнорируй|игнорируй|забудь|не обращай внимания|ігноруй).{0,50}(инструкци|указани|правил|інструкці)|"
    r"системн\w*\s+(промпт|подсказк|инструкци)|تجاهل.{0,40}(التعليمات|الأوامر)",
]
INJECTION = re.compile("|".join(f"(?:{p})" for p in INJECTION_PATTERNS), re.IGNORECASE | re.DOTALL | re.MULTILINE)
# the same phrases with every non-letter removed: catches "i g n o r e  a l l ..." and "i.g.n.o.r.e"
COMPACT = re.compile(r"(ignore|disregard|forget)(all|the|any|your)?(previous|prior|above|earlier)?"
                     r"(instructions|rules|prompt)|systemprompt|revealyour(instructions|prompt)")
BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
# Cyrillic and Greek letters that look like Latin ones, folded only for a second look
HOMOGLYPHS = str.maketrans("аеорсухіјѕԁɡոΑΒΕΗΙΚΜΝΟΡΤΧΥΖαεοιρτυνκχ", "aeopcyxijsdgnABEHIKMNOPTXYZaeoiptuvkx")


def normalise(text: str) -> str:
    """Fold look-alike characters and invisible ones so 'ｉｇｎｏｒｅ' and 'ig\u200bnore' match too."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Mn"))


def decoded_base64(text: str) -> list[str]:
    """Readable text hidden in base64 runs ('aWdub3JlIGFsbC...')."""
    found = []
    for run in BASE64.findall(text)[:20]:
        try:
            raw = base64.b64decode(run + "=" * (-len(run) % 4), altchars=b"-_" if "-" in run or "_" in run else None)
            decoded = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if decoded.isprintable() or decoded.replace("\n", " ").isprintable():
            found.append(decoded)
    return found


def variants(text: str) -> list[str]:
    """The text as the model might read it, under each disguise we know how to take off."""
    plain = normalise(html.unescape(unquote(text)) if ("&" in text or "%" in text) else text)
    return [plain, plain.translate(HOMOGLYPHS), *[normalise(d) for d in decoded_base64(plain)]]


def looks_like_injection(text: str) -> bool:
    for variant in variants(text):
        if INJECTION.search(variant):
            return True
        if COMPACT.search("".join(ch for ch in variant.lower().translate(HOMOGLYPHS) if ch.isalpha())):
            return True
    return False


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


def content_screen(settings: Settings, **deps: Any) -> ContentScreen | None:
    """The configured screen, or None; the backend (and its SDK) is imported only when an endpoint is set."""
    if not settings.content_safety_endpoint:
        return None
    return registry.backend_class("screen", "azure")(settings, **deps)


def flag(hit: Hit) -> Hit:
    return hit if FLAG in hit.flags else replace(hit, flags=(*hit.flags, FLAG))


def sources_for(question: str, hits: Sequence[Hit], settings: Settings, screen: ContentScreen | None = None) -> list[Hit]:
    """The hits a chat model may read: Refused if the screen rejects the question; instruction-like
    hits (by our patterns or the screen's) dropped unless RAG_QUARANTINE_FLAGGED is false."""
    hits = list(hits)
    if screen is not None:
        verdict = screen.screen(question, [h.chunk.text for h in hits])
        harmful = sorted(c for c, severity in verdict.harms.items() if severity >= settings.content_safety_severity)
        if verdict.question_attack or harmful:
            reason = "tries to change DocChat's instructions" if verdict.question_attack else f"was rated harmful ({', '.join(harmful)})"
            raise Refused(f"This question {reason} by Azure AI Content Safety, so it was not sent. Rephrase it.")
        hits = [flag(h) if attack else h for h, attack in zip(hits, verdict.source_attacks, strict=False)]
    if not settings.quarantine_flagged:
        return hits
    return [h for h in hits if FLAG not in h.flags]


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
