"""The Chat page's parts: one exchange (answer, citation chips, inspector) and asking a question."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from rag.engine import Engine
from rag.errors import RagError
from rag.types import Answer, Hit, Principal
from ui import state
from ui.render import citation_label, escape_markdown, escape_stream, preview
from ui.state import Exchange


def hit_rows(hits: Sequence[Hit]) -> list[dict]:
    return [{"rank": rank, "BM25 rank": h.bm25_rank, "vector rank": h.vector_rank, "fused score": round(h.score, 4),
             "document": h.chunk.title, "page": h.chunk.page, "flags": ", ".join(h.flags),
             "text": preview(h.chunk.text)} for rank, h in enumerate(hits, start=1)]


def inspector(answer: Answer) -> None:
    with st.expander(f"Retrieval inspector: {len(answer.hits)} passages"):
        st.caption(f"Search query: {escape_markdown(answer.search_query)}")
        if answer.hits:
            st.dataframe(hit_rows(answer.hits), hide_index=True)


def citation_chips(index: int, answer: Answer) -> None:
    labels = {c.n: citation_label(c.n, c.title, c.page) for c in answer.citations}
    st.pills("Sources", list(labels), format_func=labels.get, selection_mode="single",
             key=state.citation_key(index), on_change=state.choose_citation, args=(index,))


def answer_extras(index: int, answer: Answer) -> None:
    """Everything under an answer's text: unsupported sentences, citation chips, inspector."""
    if answer.unsupported:
        listed = "\n".join(f"- {escape_markdown(sentence)}" for sentence in answer.unsupported)
        st.warning("These sentences are not supported by the sources:\n\n" + listed)
    if answer.citations:
        citation_chips(index, answer)
    inspector(answer)


def show_exchange(index: int, exchange: Exchange) -> None:
    with st.chat_message("user"):
        st.markdown(escape_markdown(exchange.question))
    with st.chat_message("assistant"):
        st.markdown(escape_markdown(exchange.answer.text))
        answer_extras(index, exchange.answer)


def ask(engine: Engine, question: str, principal: Principal) -> None:
    """Stream the answer to `question`, then keep it in the conversation."""
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant"):
        try:
            stream = engine.ask(question, principal, history=state.history())
            st.write_stream(escape_stream(stream))
        except RagError as exc:
            st.error(str(exc))
            return
        answer_extras(state.add_exchange(question, stream.answer), stream.answer)
