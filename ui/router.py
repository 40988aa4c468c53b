"""The pages and the identity check every run goes through.

Streamlit has a quirk: while a `pages/` folder exists and no run of this process has called
st.navigation yet, a request for /documents runs pages/documents.py directly, skipping app.py
and with it the sign-in check. So app.py marks each run as routed, and a page that finds no
mark registers the navigation (which ends that legacy mode) and reruns through app.py."""

from __future__ import annotations

import streamlit as st

from rag.types import Principal
from ui import identity, state
from ui.resources import settings


def pages() -> list:
    return [
        st.Page("pages/chat.py", title="Chat", icon=":material/forum:", default=True),
        st.Page("pages/documents.py", title="Documents", icon=":material/description:"),
        st.Page("pages/evaluate.py", title="Evaluate", icon=":material/fact_check:"),
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
    ]


def route() -> None:
    """app.py: who is asking (or a refusal), the sidebar, then the chosen page."""
    principal = identity.current_principal(settings())
    state.set_principal(principal)
    identity.sidebar(principal, settings())
    page = st.navigation(pages())
    state.mark_routed()
    page.run()


def page_principal() -> Principal:
    """Each page's first line: the principal app.py resolved in this very run."""
    if not state.take_routed():
        st.navigation(pages(), position="hidden")
        st.rerun()
    return state.principal()
