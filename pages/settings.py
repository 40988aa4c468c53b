"""What this DocChat runs on: backends, models, index size, data dir, version."""

import streamlit as st

from rag.errors import RagError
from ui import about, conversations, router
from ui.resources import engine, settings

principal = router.page_principal()
st.title("Settings")
st.caption("Configured through RAG_* environment variables; see the README's configuration table.")
st.dataframe(about.backend_rows(settings()), hide_index=True)
try:
    st.dataframe(about.status_rows(engine(), principal), hide_index=True)
except RagError as exc:
    st.error(str(exc))
conversations.delete_my_data(engine(), principal)
