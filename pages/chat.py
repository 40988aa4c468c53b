"""Ask questions; streamed answers with citation chips, a source view and a retrieval inspector; the
sidebar lists the user's stored conversations and those shared with them."""

import streamlit as st

from rag.errors import RagError
from ui import chat, conversations, router, source, state
from ui.render import escape_markdown
from ui.resources import engine

principal = router.page_principal()
try:
    has_documents = bool(engine().documents(principal))
except RagError as exc:
    st.error(str(exc))
    st.stop()
if not has_documents and not state.exchanges():
    st.info("Your library is empty: upload a PDF, DOCX or TXT file, or a scan or photo of a page, then ask about it here.")
    st.page_link("pages/documents.py", label="Upload documents", icon=":material/upload_file:")
    with st.sidebar:
        conversations.sidebar(engine(), principal)
    st.stop()

if gone := state.missing_sources():
    st.warning("Some sources of this conversation are no longer available to you (deleted, or not shared with "
               "you): " + ", ".join(escape_markdown(title) for title in sorted(set(gone.values()))))
ref = state.source()
chat_column, source_column = st.columns([1, 1], gap="medium") if ref else (st.container(), None)
with chat_column:
    for index, exchange in enumerate(state.exchanges()):
        chat.show_exchange(index, exchange, principal)
question = None if state.read_only() else st.chat_input("Ask about your documents")
if question:
    with chat_column:
        chat.ask(engine(), question, principal)
if source_column is not None:
    with source_column:
        try:
            source.show_source(engine(), ref, principal)
        except RagError as exc:
            st.error(str(exc))
with st.sidebar:  # last, so a conversation started by this run's question is already listed
    conversations.sidebar(engine(), principal)
