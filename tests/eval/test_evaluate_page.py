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



def test_the_page_offers_the_qa_benchmark(seeded):  # noqa: F811
    at = app(PAGE, timeout=180)
    assert "DocChat's QA benchmark" in at.radio[0].options


def test_the_qa_benchmark_runs_once_its_documents_are_in_the_library(tmp_path):
    """What the page and `python -m eval run qa:test` do: refuse while documents are missing (saying how
    to add them), add them on request, then run the questions like any dataset."""
    from eval.__main__ import dataset_for
    from eval.qa.corpus import corpus_files
    from eval.qa.library import add_missing, missing
    from eval.runner import RunConfig, run_dataset
    from rag.engine import Engine
    from rag.errors import RagError
    from rag.settings import Settings
    from rag.types import Principal

    engine, me = Engine(Settings(data_dir=tmp_path / "data")), Principal("analyst")
    assert len(missing(engine, me)) == len(corpus_files())
    with pytest.raises(RagError, match="--add-documents"):
        dataset_for("qa:test", engine, me, add_documents=False)
    assert add_missing(engine, me) == len(corpus_files()) and missing(engine, me) == []
    items, name = dataset_for("qa:test", engine, me, add_documents=False)
    assert name == "qa:test" and any(not i.answerable for i in items)
    answerable = [i for i in items if i.answerable][:6]
    run = run_dataset(engine, me, answerable + [i for i in items if not i.answerable][:2], [RunConfig("hybrid")])
    summary = run["summary"]["hybrid"]
    assert 0.0 <= summary["answer_correct"] <= 1.0 and "hit@5" in summary and "abstention_correct" in summary
