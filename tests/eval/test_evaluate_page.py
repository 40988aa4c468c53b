"""The Evaluate page through AppTest: it renders a synthetic dataset from the library and the
configuration choices. (The run itself is covered by tests/eval/test_runner.py.)"""

from __future__ import annotations

import pytest

from tests.app.conftest import app, seeded, seeded_dir  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow
PAGE = "pages/evaluate.py"


def test_the_page_offers_a_generated_dataset_and_presets(seeded):  # noqa: F811
    at = app(PAGE, timeout=180)
    assert not at.exception and not at.error
    assert at.caption[0].value.endswith("3 unanswerable.")
    assert {"hybrid", "bm25", "vector"} <= set(at.multiselect[0].options)
    assert at.button[0].label == "Run evaluation"
