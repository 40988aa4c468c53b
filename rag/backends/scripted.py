"""A deterministic chat backend for tests, registered like any other (`RAG_CHAT=scripted`).

It behaves like an obedient generative model: it quotes the first sentence of source 1 with a
citation, and — so attack tests can prove the guard's fences work — it follows any line in the
*question* that starts with "ECHO:" by repeating what follows. It never reads instructions
from sources, the way a well-behaved model should not."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from rag.prompt import NOT_FOUND, build_messages
from rag.protocols import ChatRequest
from rag.settings import Settings
from rag.text import sentence_spans, squash
from rag.types import Turn


class ScriptedChatModel:
    name = "scripted"
    can_rewrite = True

    def __init__(self, settings: Settings | None = None, **_deps):
        self.requests: list[list[dict[str, str]]] = []  # every prompt it was sent, for assertions

    def stream(self, request: ChatRequest) -> Iterator[str]:
        self.requests.append(build_messages(request))
        echo = re.search(r"^ECHO:(.*)$", request.question, re.MULTILINE)
        if echo:
            reply = echo.group(1).strip()
        elif not request.hits:
            reply = NOT_FOUND
        else:
            text = request.hits[0].chunk.text
            start, end = sentence_spans(text)[0]
            reply = f"{squash(text[start:end])} [1]"
        yield from re.findall(r"\S+\s*", reply)

    def rewrite(self, history: Sequence[Turn], question: str) -> str:
        previous = next((t.content for t in reversed(history) if t.role == "user"), "")
        return f"{previous} {question}".strip()
