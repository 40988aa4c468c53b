"""Evaluation datasets as JSONL or CSV: one question per line/row, with what a good answer cites.

JSONL line: {"id": "q1", "question": "...", "reference_answer": "...", "answerable": true,
             "reference_contexts": [{"doc": "spec.pdf", "page": 3, "quote": "..."}]}
A reference context names its document by `doc_id` or by name (`doc`/`doc_name`); `page` and
`quote` are optional. In CSV, `reference_contexts` is the same list written as JSON in one cell."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.errors import EvalError

FIELDS = ("id", "question", "reference_answer", "reference_contexts", "answerable", "synthetic")


@dataclass(frozen=True)
class ReferenceContext:
    doc: str = ""  # a doc_id or a document name; empty: any document containing the quote
    page: int | None = None
    quote: str = ""


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    reference_answer: str = ""
    reference_contexts: tuple[ReferenceContext, ...] = ()
    answerable: bool = True
    synthetic: bool = False
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


def _bool(value: Any, where: str, name: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise EvalError(f"{where}: `{name}` must be true or false, not {value!r}.")


def _context(raw: Any, where: str) -> ReferenceContext:
    if not isinstance(raw, dict):
        raise EvalError(f"{where}: each reference context must be an object like "
                        '{"doc": "file.pdf", "page": 2, "quote": "..."}.')
    doc = str(raw.get("doc_id") or raw.get("doc") or raw.get("doc_name") or "").strip()
    quote = str(raw.get("quote") or "").strip()
    page = raw.get("page")
    if page not in (None, ""):
        try:
            page = int(page)
        except (TypeError, ValueError):
            raise EvalError(f"{where}: `page` must be a page number, not {page!r}.") from None
    else:
        page = None
    if not doc and not quote:
        raise EvalError(f"{where}: a reference context needs a document (`doc_id` or `doc`) or a `quote`.")
    return ReferenceContext(doc, page, quote)


def parse_item(raw: dict[str, Any], where: str) -> EvalItem:
    """One dataset record -> EvalItem; EvalError naming the line and the field otherwise."""
    item_id, question = str(raw.get("id") or "").strip(), str(raw.get("question") or "").strip()
    if not item_id:
        raise EvalError(f"{where}: every question needs an `id`.")
    if not question:
        raise EvalError(f"{where}: `question` is missing or empty.")
    contexts = raw.get("reference_contexts") or []
    if isinstance(contexts, str):
        try:
            contexts = json.loads(contexts)
        except json.JSONDecodeError:
            raise EvalError(f"{where}: `reference_contexts` must be a JSON list of objects.") from None
    if not isinstance(contexts, list):
        raise EvalError(f"{where}: `reference_contexts` must be a list of objects.")
    return EvalItem(
        id=item_id, question=question, reference_answer=str(raw.get("reference_answer") or "").strip(),
        reference_contexts=tuple(_context(c, where) for c in contexts),
        answerable=_bool(raw.get("answerable"), where, "answerable", True),
        synthetic=_bool(raw.get("synthetic"), where, "synthetic", False),
        meta={k: v for k, v in raw.items() if k not in FIELDS},
    )


def _records(data: bytes, name: str) -> Iterable[tuple[str, dict]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EvalError(f"{name} is not UTF-8 text; save it as UTF-8 JSONL or CSV.") from None
    if name.lower().endswith(".csv"):
        for n, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
            yield f"{name} row {n}", row
        return
    if not name.lower().endswith((".jsonl", ".json", ".ndjson")):
        raise EvalError(f"{name}: use a .jsonl (one JSON object per line) or .csv dataset file.")
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{name} line {n} is not valid JSON ({exc.msg}); write one object per line.") from None
        if not isinstance(record, dict):
            raise EvalError(f"{name} line {n}: expected a JSON object with `id` and `question`.")
        yield f"{name} line {n}", record


def parse_dataset(data: bytes, name: str) -> list[EvalItem]:
    """Items of a JSONL/CSV dataset, validated; ids must be unique."""
    items, seen = [], set()
    for where, record in _records(data, name):
        item = parse_item(record, where)
        if item.id in seen:
            raise EvalError(f"{where}: id {item.id!r} is used twice; give every question its own id.")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise EvalError(f"{name} holds no questions.")
    return items


def load_dataset(path: str | Path) -> list[EvalItem]:
    path = Path(path)
    if not path.is_file():
        raise EvalError(f"No dataset file at {path}; give the path of a .jsonl or .csv file.")
    return parse_dataset(path.read_bytes(), path.name)


def item_record(item: EvalItem) -> dict[str, Any]:
    record = asdict(item)
    record["reference_contexts"] = [{k: v for k, v in c.items() if v not in ("", None)}
                                    for c in record["reference_contexts"]]
    return {**record.pop("meta"), **record}


def to_jsonl(items: Iterable[EvalItem]) -> str:
    return "".join(json.dumps(item_record(i), ensure_ascii=False) + "\n" for i in items)


def to_csv(items: Iterable[EvalItem]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(FIELDS))
    writer.writeheader()
    for item in items:
        record = item_record(item)
        record["reference_contexts"] = json.dumps(record["reference_contexts"], ensure_ascii=False)
        writer.writerow({k: record.get(k) for k in FIELDS})
    return out.getvalue()


def save_dataset(items: Iterable[EvalItem], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_csv(items) if path.suffix.lower() == ".csv" else to_jsonl(items), encoding="utf-8")
    return path
