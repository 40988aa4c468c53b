"""Ask questions; streamed answers with citation chips, a source view and a retrieval inspector."""

import streamlit as st

from rag.errors import RagError
from ui import chat, export, router, source, state
from ui.resources import engine

principal = router.page_principal()
try:
    has_documents = bool(engine().documents(principal))
except RagError as exc:
    st.error(str(exc))
    st.stop()
if not has_documents:
    st.info("Your library is empty: upload a PDF, DOCX or TXT file first, then ask about it here.")
    st.page_link("pages/documents.py", label="Upload documents", icon=":material/upload_file:")
    st.stop()

with st.sidebar:
    st.button("New chat", icon=":material/add_comment:", on_click=state.new_chat, width="stretch")
    if state.exchanges():
        st.download_button("Export as Markdown", export.conversation_markdown(state.exchanges()),
                           file_name="docchat-conversation.md", mime="text/markdown", icon=":material/download:")

ref = state.source()
chat_column, source_column = st.columns([1, 1], gap="medium") if ref else (st.container(), None)
with chat_column:
    for index, exchange in enumerate(state.exchanges()):
        chat.show_exchange(index, exchange, principal)
question = st.chat_input("Ask about your documents")
if question:
    with chat_column:
        chat.ask(engine(), question, principal)
if source_column is not None:
    with source_column:
        try:
            source.show_source(engine(), ref, principal)
        except RagError as exc:
            st.error(str(exc))
