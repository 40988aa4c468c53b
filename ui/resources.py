"""Process-wide resources: one Engine per configuration, shared by every session."""

from __future__ import annotations

import streamlit as st

from rag.engine import Engine
from rag.settings import Settings, get_settings


@st.cache_resource(show_spinner=False)
def _engine(_settings: Settings, fingerprint: str) -> Engine:
    return Engine(_settings)


def settings() -> Settings:
    return get_settings()


def engine() -> Engine:
    """The shared Engine; a changed configuration (tests switch data dirs) gets its own."""
    current = get_settings()
    return _engine(current, current.model_dump_json())
