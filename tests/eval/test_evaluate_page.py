"""The Evaluate page through AppTest: a synthetic dataset from the library, the configuration
choices, and a run of three configurations with its summary, charts and drill-down."""

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


def test_running_three_configurations_shows_the_best_and_a_failed_question(seeded):  # noqa: F811
    at = app(PAGE, timeout=300)
    at.slider[0].set_value(5)  # questions: a short run
    at.multiselect[0].set_value(["hybrid", "bm25", "vector"])
    at.checkbox[0].uncheck()  # retrieval only: quicker
    at.run(timeout=300)
    next(b for b in at.button if b.label == "Run evaluation").click().run(timeout=300)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "Summary" in [h.value for h in at.subheader]
    summary = at.dataframe[0].value
    assert set(summary.index) == {"hybrid", "bm25", "vector"}
    assert "hit@5" in summary.columns and summary["hit@5"].between(0, 1).all()
    assert len(at.get("vega_lite_chart")) >= 2  # per-metric bars and the per-question heat map
    failed = next((s for s in at.selectbox if s.label == "Drill into a failed question"), None)
    if failed is not None:  # a question some configuration missed: expected vs retrieved, side by side
        assert any("Expected" in m.value for m in at.markdown)
