"""DocChat's entry point: identity, navigation, nothing else. `streamlit run app.py`."""

import streamlit as st

from ui import identity, state
from ui.resources import settings

st.set_page_config(page_title="DocChat", page_icon=":material/forum:", layout="wide")

principal = identity.current_principal(settings())
state.set_principal(principal)
identity.sidebar(principal, settings())

page = st.navigation([
    st.Page("pages/chat.py", title="Chat", icon=":material/forum:", default=True),
    st.Page("pages/documents.py", title="Documents", icon=":material/description:"),
    st.Page("pages/evaluate.py", title="Evaluate", icon=":material/fact_check:"),
    st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
])
page.run()
