"""The pages and the identity check every run goes through.

Streamlit has a quirk: while a `pages/` folder exists and no run of this process has called
st.navigation yet, a request for /documents runs pages/documents.py directly, skipping app.py
and with it the sign-in check. So app.py marks each run as routed, and a page that finds no
mark does app.py's work itself: the identity check, the sidebar and the navigation."""

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


def frame() -> Principal:
    """Page setup, who is asking (or a refusal / login and st.stop), the sidebar."""
    # an emoji favicon: a :material/: page icon is fetched from fonts.gstatic.com, which an offline laptop cannot reach
    st.set_page_config(page_title="DocChat", page_icon="💬", layout="wide")
    principal = identity.current_principal(settings())
    state.set_principal(principal)
    identity.sidebar(principal, settings())
    return principal


def route() -> None:
    """app.py: the frame, then the chosen page."""
    frame()
    page = st.navigation(pages())
    state.mark_routed()
    page.run()


def page_principal() -> Principal:
    """Each page's first line: the principal app.py resolved in this very run. A page run
    without app.py builds the frame itself and registers the navigation, which ends the legacy
    mode; the first time in a session it also reruns, so later runs (whose widgets must keep
    their identity) all go through app.py. (AppTest re-enters the legacy mode on every run,
    hence once per session and not always: a rerun would drop a submitted widget value.)"""
    if state.take_routed():
        return state.principal()
    principal = frame()
    st.navigation(pages())
    if state.first_direct_run():
        st.rerun()
    return principal
