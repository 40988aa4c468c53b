"""Upload files with live progress; browse, preview and delete the library."""

import streamlit as st

from rag.errors import RagError
from ui import documents, router, state
from ui.resources import engine, settings

principal = router.page_principal()
st.title("Documents")
if notice := state.pop_notice():
    st.success(notice)

collection = documents.share_choice(principal)
uploads = st.file_uploader(
    "Add PDF, DOCX, TXT, Markdown or reStructuredText files, or scans and photos of pages (PNG, JPEG, TIFF)", type=documents.UPLOAD_TYPES, accept_multiple_files=True,
    help=f"Up to {settings().max_upload_mb:g} MB each. Files are checked by their content, not their name.",
)
documents.ingest_uploads(engine(), uploads or [], principal, collection)
if reports := state.ingest_reports():
    st.subheader("Uploads")
    st.dataframe(documents.report_rows(reports), hide_index=True)

st.subheader("Library")
try:
    library = engine().documents(principal)
except RagError as exc:
    st.error(str(exc))
    st.stop()
if not library:
    st.info("Your library is empty. Add files above, then ask about them in Chat.")
    st.stop()

query = st.text_input("Filter by name", placeholder="Type part of a file name")
shown = documents.matching(library, query)
if not shown:
    st.info("No document name matches this filter.")
    st.stop()
st.dataframe(documents.document_rows(shown), hide_index=True)

chosen = st.selectbox("Document", shown, format_func=lambda d: d.name, key="library-choice")
try:
    with st.expander("Preview", expanded=False):
        documents.preview(engine(), chosen, principal)
    documents.delete_controls(engine(), chosen, principal)
except RagError as exc:
    st.error(str(exc))
