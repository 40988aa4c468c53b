"""The conversation as a Markdown file with its sources, escaped so it stays inert in any viewer."""

from __future__ import annotations

from collections.abc import Sequence

from rag.answer import UNCITED
from ui.render import escape_markdown
from ui.state import Exchange


def quote_block(text: str) -> str:
    return "\n".join("> " + escape_markdown(line) for line in " ".join(text.split()).splitlines() or [""])


def exchange_markdown(number: int, exchange: Exchange) -> str:
    answer = exchange.answer
    parts = [f"## {number}. {escape_markdown(exchange.question)}", "", escape_markdown(answer.text), ""]
    if answer.interrupted:
        parts += [f"**Interrupted:** {escape_markdown(answer.interrupted)}", ""]
    if answer.uncited:
        parts += [f"**{escape_markdown(UNCITED)}**", ""]
    elif answer.unsupported:
        parts += ["**Not supported by the sources:**", ""]
        parts += [f"- {escape_markdown(s)}" for s in answer.unsupported] + [""]
    if answer.citations:
        parts += ["**Sources**", ""]
        for c in answer.citations:
            parts += [f"{c.n}. {escape_markdown(c.title)}, page {c.page}", "", quote_block(c.quote), ""]
    return "\n".join(parts)


def conversation_markdown(exchanges: Sequence[Exchange]) -> str:
    body = [exchange_markdown(i, exchange) for i, exchange in enumerate(exchanges, start=1)]
    return "\n".join(["# DocChat conversation", "", *body]).rstrip() + "\n"
