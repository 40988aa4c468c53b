"""The QA benchmark's quick form, as CI runs it: the test half through `python -m eval.bench qa --quick`,
held to the floors it reaches with the embedded defaults (docs/evaluation.md has the full table).

The floors sit a question or two under the measured test-half figures, so a change that makes
answers worse fails here; they are far below the issue's targets, which this reader does not reach
(docs/evaluation.md says which kinds miss and why)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # indexes 23 documents, asks 131 questions

# measured on the test half, both rounds of questions (stop 29; eval/qa/README.md): hit@5 0.76, correct 0.46,
# refused 0.19, traps abstained 0.62, citation precision 0.51 (stop 28: 0.76, 0.45, 0.19, 0.62, 0.51). Round 1 alone:
# 0.77, 0.56, 0.13, 0.75, 0.58. Floors kept a few questions under (the refusal ceiling two questions over).
FLOORS = {"hit@5": 0.70, "correct": 0.43, "citation_precision": 0.47}
TRAPS_ABSTAINED = 0.54  # 14 of 26; measured 16 (0.62)
# the 10 literal questions of the test half (in the documents' own words): measured correct 1.00, refused 0.00
LITERAL_CORRECT, LITERAL_REFUSED = 0.6, 0.1
# retrieval, hybrid, test half: measured hit@5 0.76, MRR@10 0.64 (round 1 alone: 0.77, 0.70; before issue 16: 0.67, 0.44)
RETRIEVAL_FLOORS = {"hit@5": 0.70, "mrr@10": 0.58}
MOST_REFUSED = 0.22


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    """The QA corpus indexed once, by the quick run, and read again by the fit's cross-validation."""
    return tmp_path_factory.mktemp("qa-index")


def run_module(*args: str, scratch) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_DATA_DIR": str(scratch)}  # nothing written to the checkout
    done = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=1200, env=env,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def quick(index_dir, tmp_path_factory) -> dict:
    scratch = tmp_path_factory.mktemp("qa-unused")
    return json.loads(run_module("eval.bench", "qa", "--quick", "--json", "--data-dir", str(index_dir), scratch=scratch))


def test_the_quick_form_is_the_test_half_only(quick) -> None:
    assert {r["split"] for r in quick["rows"]} == {"test"}
    assert quick["summary"]["dev"] == {}
    assert quick["summary"]["test"]["answerable"]["n"] >= 40 and quick["summary"]["test"]["traps"]["n"] >= 12


def test_answers_hold_the_floors(quick) -> None:
    answerable = quick["summary"]["test"]["answerable"]
    for metric, floor in FLOORS.items():
        assert answerable[metric] >= floor, (metric, answerable[metric])
    assert answerable["refused"] <= MOST_REFUSED
    assert quick["summary"]["test"]["traps"]["abstained"] >= TRAPS_ABSTAINED


def test_questions_in_the_documents_words_are_answered(quick) -> None:
    """Reported apart from the paraphrased ones: an easy question must not be refused."""
    literal = quick["summary"]["test"]["literal"]
    assert literal["n"] >= 8 and literal["correct"] >= LITERAL_CORRECT and literal["refused"] <= LITERAL_REFUSED, literal
    assert all(r["phrasing"] == "literal" for r in quick["rows"] if r["id"].startswith("lit-"))


def test_retrieval_holds_its_floors_and_hybrid_leads(quick) -> None:
    """Issue 16: paraphrased questions, retrieval per mode on the test half."""
    found = quick["retrieval"]["test"]
    assert set(found) == {"bm25", "vector", "hybrid"} and found["hybrid"]["n"] >= 40
    for metric, floor in RETRIEVAL_FLOORS.items():
        assert found["hybrid"][metric] >= floor, (metric, found["hybrid"][metric])
    for metric in ("hit@5", "mrr@10"):
        assert found["hybrid"][metric] >= max(found["bm25"][metric], found["vector"][metric]), (metric, found)


def test_every_kind_is_reported(quick) -> None:
    assert {"factual", "numeric", "list", "procedure", "definition", "yesno", "adjacent"} <= set(quick["summary"]["test"])


def test_each_round_of_questions_is_reported_apart(quick) -> None:
    """Round 2 was written blind to the reader (eval/qa/README.md): its figures are shown on their own."""
    test = quick["summary"]["test"]
    rounds = [test["round 1"], test["round 2"]]
    assert sum(r["n"] for r in rounds) == test["answerable"]["n"] + test["traps"]["n"]
    assert all(r["correct"] is not None and r["abstained"] is not None for r in rounds)


def test_rows_carry_what_a_reader_of_the_failures_needs(quick) -> None:
    answered = [r for r in quick["rows"] if r["kind"] != "trap" and not r["refused"]]
    assert answered and all(r["cited"] and r["answer"] and r["expected"] for r in answered)
    assert all(0.0 <= r["confidence"] <= 1.0 for r in quick["rows"])


def test_the_fit_is_cross_validated_within_the_dev_half(quick, index_dir, tmp_path) -> None:
    """python -m eval.qa.fit --cv refits on one fold of the dev half and scores the other: what a refit is worth on
    questions it has not seen. Measured (stop 23): correct 0.45, refused 0.08, traps abstained 0.61, literal 1.00."""
    out = json.loads(run_module("eval.qa.fit", "--cv", "--data-dir", str(index_dir), scratch=tmp_path))
    current, refit = out["current weights (reader.json), whole dev half"], out["refit, out of fold (2 folds x 5 shuffles)"]
    for figures in (current, refit):
        assert set(figures) == {"correct", "refused", "abstained", "literal"}
        assert all(0.0 <= v <= 1.0 for v in figures.values()), figures
    assert refit["correct"] >= 0.35 and refit["refused"] <= 0.2 and refit["literal"] >= 0.8, refit
