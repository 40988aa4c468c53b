"""Comparisons on the real PDFs: synthetic dataset -> several configurations -> stored runs."""

from __future__ import annotations

import pytest

from eval.datasets import EvalItem, ReferenceContext
from eval.feedback import feedback_dataset, read_feedback, record_feedback
from eval.runner import PRESETS, RunConfig, run_dataset
from eval.runs import compare, list_runs, load_run, save_run
from eval.synthetic import generate
from rag.settings import Settings
from rag.store.sqlite import SqliteStore
from rag.types import Answer, Citation, Principal

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def synthetic(engine, principal):
    return generate(engine, principal, size=6, seed=3, unanswerable=2)


def test_synthetic_dataset_is_deterministic_labelled_and_grounded(engine, principal, synthetic, docs):
    assert generate(engine, principal, size=6, seed=3, unanswerable=2) == synthetic
    assert all(i.synthetic for i in synthetic)
    answerable = [i for i in synthetic if i.answerable]
    assert len(answerable) == 6 and len(synthetic) == 8
    for item in answerable:
        [ref] = item.reference_contexts
        pages = engine.pages(docs[ref.doc].doc_id, principal)
        assert " ".join(ref.quote.split()) in " ".join(pages[ref.page - 1].text.split())


def test_configurations_side_by_side_and_runs_over_time(engine, principal, synthetic, tmp_path):
    configs = [PRESETS["hybrid"], RunConfig("bm25 k=3", mode="bm25", k=3, answers=False),
               RunConfig("small chunks", chunk_tokens=100, chunk_overlap=20, answers=False)]
    seen = []
    run = run_dataset(engine, principal, synthetic, configs, "synthetic", lambda f, m: seen.append(f))
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert set(run["summary"]) == {"hybrid", "bm25 k=3", "small chunks"}
    hybrid = run["summary"]["hybrid"]
    assert hybrid["hit@5"] >= 0.5 and hybrid["abstention_correct"] is not None and hybrid["unsupported"] == 0
    assert "mrr@3" in run["summary"]["bm25 k=3"] and "answer" not in run["rows"][len(synthetic)]
    assert run["summary"]["small chunks"]["questions"] == len(synthetic)
    store = SqliteStore(Settings(data_dir=tmp_path))
    first = save_run(run, store)
    assert load_run(store, run["run_id"])["git_sha"] is not None and load_run(store, first)["rows"] == run["rows"]
    again = save_run({**run, "run_id": run["run_id"] + "b"}, store)
    assert [r["run_id"] for r in list_runs(store)] == [again, first]
    table = compare([load_run(store, r["run_id"]) for r in list_runs(store)])
    assert len(table) == 6 and {"mrr@5", "mrr@3", "config", "created_at"} <= set(table.columns)


def test_references_by_doc_id_survive_re_chunking(engine, principal, docs):
    doc = docs["mime-spec.pdf"]
    item = EvalItem("x", "How are glob patterns weighted?", reference_contexts=(ReferenceContext(doc.doc_id),))
    run = run_dataset(engine, principal, [item], [RunConfig("c", chunk_tokens=100, chunk_overlap=20, answers=False)])
    assert run["rows"][0]["hit@1"] == 1.0


def test_feedback_is_appended_per_user_and_becomes_a_dataset(tmp_path, principal):
    citation = Citation(1, "c1", "d1", "spec.pdf", 2, 0, 10, "weight 50")
    good = Answer("How heavy?", "How heavy?", text="weight 50 [1]", citations=[citation])
    store = SqliteStore(Settings(data_dir=tmp_path))
    record_feedback(store, principal, good, "up")
    record_feedback(store, principal, Answer("Who?", "Who?", text="Bob"), "down", "Alice")
    record_feedback(store, principal, Answer("Why?", "Why?", text="?"), "down")
    records = read_feedback(store, principal)
    assert [r["rating"] for r in records] == ["up", "down", "down"]
    items = feedback_dataset(records)
    assert [(i.question, i.reference_answer) for i in items] == [("How heavy?", "weight 50 [1]"), ("Who?", "Alice")]
    assert items[0].reference_contexts == (ReferenceContext("d1", 2, "weight 50"),)
    assert read_feedback(store, Principal("someone else")) == []
