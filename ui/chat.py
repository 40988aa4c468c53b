"""The Chat page's parts: one exchange (answer, citation chips, inspector) and asking a question."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from eval.feedback import record_feedback
from rag.answer import UNCITED, AnswerStream
from rag.engine import Engine
from rag.errors import BackendUnavailable, RagError
from rag.types import NAMED_ENTRY, NAMED_VALUE, RERANK_SKIPPED, Answer, Hit, Principal
from ui import state
from ui.render import citation_label, emphasised_markdown, escape_markdown, escape_stream, preview
from ui.resources import engine
from ui.state import Exchange


def hit_rows(hits: Sequence[Hit]) -> list[dict]:
    return [{"rank": rank, "BM25 rank": h.bm25_rank, "vector rank": h.vector_rank, "fused score": round(h.score, 4),
             "document": h.chunk.title, "page": h.chunk.page, "flags": ", ".join(h.flags),
             "text": preview(h.chunk.text)} for rank, h in enumerate(hits, start=1)]


def inspector(answer: Answer) -> None:
    """Everything retrieval returned, quarantined passages included (their flags say why)."""
    hits = answer.retrieved or answer.hits
    with st.expander(f"Retrieval inspector: {len(hits)} passages"):
        st.caption(f"Search query: {escape_markdown(answer.search_query)}")
        if answer.confidence is not None:
            st.caption(f"Answer confidence: {answer.confidence:.0%} (the chance this answer is right, "
                       "calibrated on DocChat's QA benchmark)")
        if answer.reason:
            st.caption(f"Why there is no answer: {escape_markdown(answer.reason)}")
        if any(RERANK_SKIPPED in h.flags for h in hits):
            st.caption("Semantic reranking was skipped for this question (the search service refused it); "
                       "these passages are in plain hybrid order.")
        if any(NAMED_ENTRY in h.flags for h in hits):
            st.caption("Passages flagged \"named entry\" sit under the heading your question names (a function or "
                       "other name written in code form); they lead, whatever their fused score.")
        if any(NAMED_VALUE in h.flags for h in hits):
            st.caption("Passages flagged \"named value\" are the few that hold a release, advisory or other name with "
                       "a digit your question gives (\"3.0.19\", \"CVE-2024-5535\"); they lead, whatever their fused "
                       "score.")
        if len(hits) > len(answer.hits):
            st.caption(f"{len(hits) - len(answer.hits)} instruction-like passage(s) were kept from the model.")
        if hits:
            st.dataframe(hit_rows(hits), hide_index=True)


def feedback(index: int, exchange: Exchange, principal: Principal) -> None:
    """Thumbs up/down, with an optional correction on a thumbs down: kept on the conversation's turn and
    as a future test case. A conversation shared with the user is read-only: no rating."""
    if state.read_only():
        return
    rating = st.feedback("thumbs", key=state.feedback_key(index))
    if rating is None:
        return
    with st.form(f"{state.feedback_key(index)}-form", border=False):
        correction = st.text_input("What should the answer have been? (optional)") if rating == 0 else ""
        if st.form_submit_button("Save feedback"):
            conv_id = state.conv_id() if exchange.turn else ""
            try:
                record_feedback(engine().store, principal, exchange.answer, "up" if rating else "down", correction,
                                conv_id, exchange.turn)
            except RagError as exc:
                st.error(f"Could not save your feedback: {exc}")
            else:
                st.toast("Thanks: saved. Export it as an evaluation dataset from the Evaluate page.")


def citation_chips(index: int, answer: Answer) -> None:
    """One chip per source the user can open; the others (deleted, or not shared with them) are named."""
    gone = state.missing_sources()
    labels = {c.n: citation_label(c.n, c.title, c.page) for c in answer.citations if c.doc_id not in gone}
    unavailable = [c for c in answer.citations if c.doc_id in gone]
    if unavailable:
        st.caption("No longer available to you: " + ", ".join(citation_label(c.n, c.title, c.page) for c in unavailable))
    if not labels:
        return
    st.pills("Sources", list(labels), format_func=labels.get, selection_mode="single",
             key=state.citation_key(index), on_change=state.choose_citation, args=(index,))


def related(hits: Sequence[Hit]) -> None:
    """The closest passages of a refusal: shown so the analyst can judge, not offered as an answer."""
    st.caption("Related passages (they do not answer the question):")
    for hit in hits:
        st.markdown(f"> **{escape_markdown(hit.chunk.title)}, p. {hit.chunk.page}**: "
                    f"{escape_markdown(preview(hit.chunk.text))}")


def answer_extras(index: int, exchange: Exchange, principal: Principal) -> None:
    """Everything under an answer's text: why it is not grounded, citation chips, inspector, feedback."""
    answer = exchange.answer
    if answer.interrupted:
        st.error(answer.interrupted)
    if answer.uncited:
        st.warning(UNCITED, icon=":material/report:")
    elif answer.unsupported:
        listed = "\n".join(f"- {escape_markdown(sentence)}" for sentence in answer.unsupported)
        st.warning("These sentences are not supported by the sources:\n\n" + listed)
    if answer.citations:
        citation_chips(index, answer)
    if answer.abstained and answer.related:
        related(answer.related)
    inspector(answer)
    feedback(index, exchange, principal)


def show_exchange(index: int, exchange: Exchange, principal: Principal) -> None:
    with st.chat_message("user"):
        st.markdown(escape_markdown(exchange.question))
    with st.chat_message("assistant"):
        st.markdown(emphasised_markdown(exchange.answer.text, exchange.answer.emphasis))
        answer_extras(index, exchange, principal)


def ask(engine: Engine, question: str, principal: Principal) -> None:
    """Stream the answer to `question`, then keep it in the conversation."""
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant"):
        stream = None
        try:
            stream = engine.ask(question, principal, history=state.history())
            slot = st.empty()
            with slot.container():
                st.write_stream(escape_stream(stream))
            if stream.answer.emphasis:  # the streamed text again, with the answering phrase in bold
                slot.markdown(emphasised_markdown(stream.answer.text, stream.answer.emphasis))
        except RagError as exc:
            st.error(str(exc))
            keep_interrupted(engine, question, stream, exc, principal)
            return
        index = keep(engine, question, stream.answer, principal)
        answer_extras(index, state.exchanges()[index], principal)


def keep(engine: Engine, question: str, answer: Answer, principal: Principal) -> int:
    """Add the exchange to the conversation on screen and to the store (the conversation is created
    with its first question). If the store fails, the exchange stays on screen, marked unsaved."""
    try:
        if not state.conv_id():
            state.set_conv_id(engine.new_conversation(principal).conv_id)
        turn = engine.keep_turn(state.conv_id(), principal, answer).n
    except RagError as exc:
        st.warning(f"This answer is on screen but could not be saved: {exc}")
        turn = 0
    return state.add_exchange(question, answer, turn)


def keep_interrupted(engine: Engine, question: str, stream: AnswerStream | None, exc: RagError,
                     principal: Principal) -> None:
    """A model or index that failed mid-way loses nothing: the question stays in the conversation with
    what arrived of the answer, marked interrupted. A refused question is not part of it."""
    if stream is not None and stream.answer.interrupted:
        keep(engine, question, stream.answer, principal)
    elif isinstance(exc, BackendUnavailable):
        keep(engine, question, Answer(question, question, abstained=True, interrupted=str(exc)), principal)
