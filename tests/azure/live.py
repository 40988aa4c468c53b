"""Live mode: the same contract suites against real Azure when RAG_TEST_AZURE=1 and the endpoints are set."""

from __future__ import annotations

import os

import pytest

from rag.settings import Settings


def live_settings(tmp_path, *required: str, **extra) -> Settings:
    """Settings from the environment for a live test, or a skip whose reason says what is missing."""
    if os.environ.get("RAG_TEST_AZURE") != "1":
        pytest.skip("live Azure tests are off: set RAG_TEST_AZURE=1 and the RAG_AZURE_* endpoints (docs/azure.md)")
    settings = Settings(data_dir=tmp_path, **extra)
    missing = [f"RAG_{name.upper()}" for name in required if not getattr(settings, name)]
    if missing:
        pytest.skip(f"RAG_TEST_AZURE=1 but {', '.join(missing)} not set (docs/azure.md)")
    return settings
