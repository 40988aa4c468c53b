"""Fit the extractive reader on the QA benchmark's dev half, never the test half:
`python -m eval.qa.fit [--data-dir DIR] [--dry-run]`.

1. The sentence model: a logistic regression over the reader's sentence features; a sentence is
   a positive when its span overlaps the question's supporting quote.
2. The answer model: a logistic regression over the reading's answer-level features; an answer is
   a positive when the quoted passage overlaps the supporting quote and holds every keyword (traps
   are negatives). Its output is the confidence the app shows: fitted, so it reads as a chance.
3. The threshold: on dev, the confidence cut that answers most questions right and abstains on
   most traps while refusing at most 8 % of answerable questions.
Writes rag/backends/local/reader.json and prints the calibration table of the dev half."""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.qa.bench import QA_USER, Span, build_engine, references
from eval.qa.dataset import Question, load, mentions
from rag.backends.local import extractive
from rag.backends.local.extractive import FEATURES, WEIGHTS, ExtractiveChatModel, Reading
from rag.engine import Engine
from rag.guard import sources_for
from rag.protocols import ChatRequest
from rag.settings import Settings
from rag.text import clean_with_offsets, original_span

MAX_REFUSED = 0.10  # dev share of answerable questions the threshold may refuse (the ceiling)
C = 1.0  # inverse regularisation strength of both models


@dataclass
class Read:
    question: Question
    reading: Reading
    spans: list[Span]


def page_span(c: extractive.Candidate) -> tuple[int, int]:
    """A candidate's span in its page (candidates are spans of the chunk's clean text)."""
    _, mapping = clean_with_offsets(c.hit.chunk.text)
    start, end = original_span(mapping, c.start, c.end)
    return c.hit.chunk.start + start, c.hit.chunk.start + end


def on_quote(c: extractive.Candidate, spans: Sequence[Span]) -> bool:
    start, end = page_span(c)
    return any(s.overlaps(c.hit.chunk.doc_id, c.hit.chunk.page, start, end) for s in spans)


def read_all(engine: Engine, reader: ExtractiveChatModel, questions: Sequence[Question]) -> list[Read]:
    spans = references(engine, [q for q in questions if q.item.answerable])
    out = []
    for q in questions:
        hits = engine.search(q.item.question, QA_USER, k=engine.settings.top_k)
        sources = sources_for(q.item.question, hits, engine.settings)
        out.append(Read(q, reader.read(ChatRequest(q.item.question, sources)), spans.get(q.id, [])))
    return out


def right(r: Read) -> bool:
    """The reading's answer quotes the supporting passage and holds every keyword."""
    answer = r.reading.answer
    if not r.question.item.answerable or not answer:
        return False
    text = " ".join(c.text for c in answer)
    return any(on_quote(c, r.spans) for c in answer) and all(mentions(text, v) for v in r.question.keywords)


def fit_logistic(x: np.ndarray, y: np.ndarray) -> dict:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=5000).fit(x, y)
    return {"bias": round(float(model.intercept_[0]), 4), "weights": [round(float(w), 4) for w in model.coef_[0]]}


def choose_threshold(reads: Sequence[Read]) -> tuple[float, dict]:
    answerable = [r for r in reads if r.question.item.answerable]
    traps = [r for r in reads if not r.question.item.answerable]
    best = (-1.0, 0.5, {})
    for cut in sorted({0.0, *(round(r.reading.confidence, 4) for r in reads)}):
        answered = [r for r in answerable if r.reading.confidence >= cut]
        stats = {"threshold": cut, "correct": sum(map(right, answered)) / len(answerable),
                 "refused": 1 - len(answered) / len(answerable),
                 "abstained": sum(r.reading.confidence < cut for r in traps) / max(1, len(traps))}
        score = stats["correct"] + stats["abstained"] if stats["refused"] <= MAX_REFUSED else -1.0
        if score > best[0]:
            best = (score, cut, stats)
    return best[1], best[2]


def calibration(reads: Sequence[Read], bins: int = 5) -> list[dict]:
    """Predicted confidence against the observed share of right answers, per confidence bin."""
    rows = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        mine = [r for r in reads if low <= r.reading.confidence < high or (b == bins - 1 and r.reading.confidence == 1)]
        if mine:
            rows.append({"bin": f"{low:.1f}-{high:.1f}", "n": len(mine),
                         "predicted": round(float(np.mean([r.reading.confidence for r in mine])), 3),
                         "observed": round(float(np.mean([right(r) for r in mine])), 3)})
    return rows


def fit_reads(reader: ExtractiveChatModel, reads: Sequence[Read]) -> dict:
    """Both models and the threshold, fitted on these readings (left scored by the new model)."""
    rows = [(c, r) for r in reads if r.question.item.answerable for c in r.reading.candidates]
    x = np.array([[c.features[f] for f in FEATURES] for c, _ in rows])
    y = np.array([on_quote(c, r.spans) for c, r in rows], dtype=int)
    current = dict(extractive.starting_model())
    current["sentence"] = fit_logistic(x, y)
    reader.model = current
    for r in reads:
        reader.score(r.reading)
    xa = np.array([r.reading.features() for r in reads])
    ya = np.array([right(r) for r in reads], dtype=int)
    current["answer"] = fit_logistic(xa, ya)
    for r in reads:
        reader.score(r.reading)
    current["threshold"], current["dev"] = choose_threshold(reads)
    current["note"] = (f"fitted by python -m eval.qa.fit on the dev half: {len(reads)} questions, "
                       f"{len(rows)} candidate sentences ({int(y.sum())} on a supporting quote)")
    return current


def fit(engine: Engine, questions: Sequence[Question]) -> dict:
    dev = [q for q in questions if q.split == "dev"]
    reader = ExtractiveChatModel(engine.settings, engine.embedder, extractive.starting_model())
    reads = read_all(engine, reader, dev)
    current = fit_reads(reader, reads)
    current["calibration_dev"] = calibration(reads)
    return current


def outcome(reads: Sequence[Read], threshold: float) -> dict[str, float]:
    """The benchmark's answer metrics for scored readings at a threshold: correct (answered, every keyword
    present), refused (answerable, not answered), abstained (traps), literal (correct literal questions)."""
    asked = [r for r in reads if r.question.phrasing != "literal"]
    answerable = [r for r in asked if r.question.item.answerable]
    traps = [r for r in asked if not r.question.item.answerable]
    literal = [r for r in reads if r.question.phrasing == "literal"]

    def answered(r: Read) -> bool:
        return bool(r.reading.answer) and r.reading.confidence >= threshold

    def correct(r: Read) -> bool:
        text = " ".join(c.text for c in r.reading.answer)
        return answered(r) and all(mentions(text, v) for v in r.question.keywords)

    def share(group: Sequence[Read], test) -> float:
        return sum(map(test, group)) / len(group) if group else 0.0

    return {"correct": share(answerable, correct), "refused": share(answerable, lambda r: not answered(r)),
            "abstained": share(traps, lambda r: not answered(r)), "literal": share(literal, correct)}


def cross_validate(reads: Sequence[Read], folds: int = 2, repeats: int = 5) -> dict[str, float]:
    """Out-of-fold answer metrics within the dev half: refit on all folds but one, score the one left out,
    over `repeats` shuffles. What the fit is worth on questions it has not seen, without touching the test half."""
    reader = ExtractiveChatModel(Settings(), None, extractive.starting_model())
    scores = []
    for repeat in range(repeats):
        order = list(range(len(reads)))
        random.Random(repeat).shuffle(order)
        for k in range(folds):
            held = [reads[i] for i in order[k::folds]]
            model = fit_reads(reader, [reads[i] for j, i in enumerate(order) if j % folds != k])
            reader.model = model
            for r in held:
                reader.score(r.reading)
            scores.append(outcome(held, model["threshold"]))
    return {m: round(float(np.mean([s[m] for s in scores])), 3) for m in scores[0]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.qa.fit", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="reuse (or keep) the benchmark's index here")
    parser.add_argument("--dry-run", action="store_true", help="print the fitted model, do not write reader.json")
    parser.add_argument("--cv", action="store_true",
                        help="write nothing; print the refit's out-of-fold answer metrics within the dev half "
                             "(2 folds x 5 shuffles) beside the current weights' on the whole dev half")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="docchat-fit-") as scratch:
        data_dir = args.data_dir or Path(scratch)
        if (data_dir / "index").exists():
            engine = Engine(Engine().settings.model_copy(update={"data_dir": data_dir}))
        else:
            engine = build_engine(data_dir, log=lambda m: print(m, file=sys.stderr))
        if args.cv:
            return report_cv(engine, load())
        model = fit(engine, load())
    print(json.dumps({k: model[k] for k in ("threshold", "dev", "calibration_dev", "note")}, indent=1))
    if not args.dry_run:
        WEIGHTS.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS}", file=sys.stderr)
    return 0


def report_cv(engine: Engine, questions: Sequence[Question]) -> int:
    reader = ExtractiveChatModel(engine.settings, engine.embedder)
    reads = read_all(engine, reader, [q for q in questions if q.split == "dev"])
    current = outcome(reads, reader.threshold)  # the weights of reader.json, scored as read
    print(json.dumps({"current weights (reader.json), whole dev half": {m: round(v, 3) for m, v in current.items()},
                      "refit, out of fold (2 folds x 5 shuffles)": cross_validate(reads)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
