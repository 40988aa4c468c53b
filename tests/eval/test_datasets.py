"""Dataset files: JSONL and CSV round trips, and errors that say which line to fix."""

from __future__ import annotations

import pytest

from eval.datasets import EvalItem, ReferenceContext, load_dataset, parse_dataset, save_dataset
from eval.errors import EvalError
from rag.errors import RagError

LINE = b'{"id": "q1", "question": "How heavy is a glob?", "reference_answer": "50", ' \
       b'"reference_contexts": [{"doc": "spec.pdf", "page": "3", "quote": "weight 50"}, {"doc_id": "abc"}]}\n'


def test_jsonl_is_parsed_with_contexts_and_defaults():
    [item] = parse_dataset(LINE + b"\n", "set.jsonl")
    assert item.reference_contexts == (ReferenceContext("spec.pdf", 3, "weight 50"), ReferenceContext("abc"))
    assert item.answerable and not item.synthetic and item.reference_answer == "50"


def test_csv_and_jsonl_round_trip(tmp_path):
    items = [EvalItem("a", "Q?", "A", (ReferenceContext("x.pdf", 2, "q, with \"quotes\""),), synthetic=True),
             EvalItem("b", "Unknown?", answerable=False)]
    for name in ("set.csv", "set.jsonl"):
        assert load_dataset(save_dataset(items, tmp_path / name)) == items


@pytest.mark.parametrize(("data", "name", "message"), [
    (b'{"id": "q1"}\n', "d.jsonl", "line 1: `question` is missing"),
    (b'{"question": "x"}\n', "d.jsonl", "needs an `id`"),
    (b'{"id": "a", "question": "x"}\n{"id": "a", "question": "y"}\n', "d.jsonl", "line 2: id 'a' is used twice"),
    (b'{"id": "a", "question": "x"\n', "d.jsonl", "line 1 is not valid JSON"),
    (b'{"id": "a", "question": "x", "answerable": "maybe"}\n', "d.jsonl", "`answerable` must be true or false"),
    (b'{"id": "a", "question": "x", "reference_contexts": [{"page": 2}]}\n', "d.jsonl", "needs a document"),
    (b'{"id": "a", "question": "x", "reference_contexts": [{"doc": "d", "page": "two"}]}\n', "d.jsonl", "page number"),
    (b"id,question,reference_contexts\na,x,not json\n", "d.csv", "row 2: `reference_contexts` must be a JSON list"),
    (b"", "d.jsonl", "holds no questions"),
    (b"{}", "d.txt", "use a .jsonl"),
])
def test_bad_files_say_what_to_fix(data, name, message):
    with pytest.raises(EvalError, match=message.replace("(", r"\(")) as info:
        parse_dataset(data, name)
    assert isinstance(info.value, RagError)


def test_missing_file(tmp_path):
    with pytest.raises(EvalError, match="No dataset file"):
        load_dataset(tmp_path / "nope.jsonl")
