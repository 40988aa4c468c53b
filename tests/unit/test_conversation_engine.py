"""The Engine's conversation side: the one-time import of earlier files, retention at start, the audit
log (ids and counts, never text) and "delete all my data"."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from rag.types import Answer, Citation, Principal
from tests.security.conftest import make_engine

ME, OTHER = Principal("me", groups=("team",)), Principal("other")


def old_feedback_file(data_dir, user: str, records: list[dict]) -> None:
    """What the previous version wrote: one JSONL file per user under <data_dir>/feedback/."""
    folder = data_dir / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(user.encode()).hexdigest()[:16]}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "{torn line\n")


def old_run_file(data_dir, run_id: str, rows: int) -> dict:
    run = {"run_id": run_id, "created_at": "2026-11-01T10:00:00+00:00", "dataset": "synthetic", "items": rows,
           "configs": [{"name": "hybrid"}], "summary": {"hybrid": {"hit@5": 0.8}},
           "rows": [{"config": "hybrid", "id": str(i), "question": f"q{i}"} for i in range(rows)]}
    folder = data_dir / "eval" / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{run_id}.json").write_text(json.dumps(run))
    return run


def record(user: str, question: str, rating: str = "up") -> dict:
    return {"time": f"2026-11-01T10:00:0{len(question) % 10}+00:00", "user": user, "question": question,
            "answer": "a", "rating": rating, "correction": "", "abstained": False, "unsupported": [], "citations": []}


def test_earlier_feedback_and_runs_are_imported_once_and_the_files_kept(tmp_path):
    data = tmp_path / "data"
    old_feedback_file(data, "me", [record("me", "first?"), record("me", "second?", "down")])
    old_feedback_file(data, "other", [record("other", "theirs?")])
    runs = [old_run_file(data, "20261101T100000Z-aaaaaa", 3), old_run_file(data, "20261102T100000Z-bbbbbb", 40)]
    engine = make_engine(data)
    assert sorted(r["question"] for r in engine.store.feedback(ME)) == ["first?", "second?"]
    assert [r["question"] for r in engine.store.feedback(OTHER)] == ["theirs?"]
    assert [r["run_id"] for r in engine.store.runs()] == [runs[1]["run_id"], runs[0]["run_id"]]
    assert engine.store.run(runs[1]["run_id"]) == runs[1]
    again = make_engine(data)  # a restart: imported once, nothing doubled
    assert len(again.store.feedback(ME)) == 2 and len(again.store.runs()) == 2
    assert len(list((data / "feedback").iterdir())) == 2 and len(list((data / "eval" / "runs").iterdir())) == 2


def test_conversations_past_retention_are_deleted_at_start(tmp_path):
    data = tmp_path / "data"
    engine = make_engine(data)
    old, fresh = engine.new_conversation(ME), engine.new_conversation(ME)
    for conv in (old, fresh):
        engine.keep_turn(conv.conv_id, ME, Answer("q?", "q?", text="a"))
    stale = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    engine.store._db().execute("UPDATE conversations SET updated_at = ? WHERE conv_id = ?", (stale, old.conv_id))
    assert len(make_engine(data).conversations(ME)) == 2  # default: kept forever
    kept = make_engine(data, conversation_retention_days=30).conversations(ME)
    assert [c.conv_id for c in kept] == [fresh.conv_id]


def test_the_audit_log_records_conversation_events_without_their_text(tmp_path):
    log = tmp_path / "audit.jsonl"
    engine = make_engine(tmp_path / "data", audit_log=str(log))
    engine.ingest("n.txt", b"The secret ingredient is cardamom and saffron.", ME)
    conv = engine.new_conversation(ME).conv_id
    engine.keep_turn(conv, ME, engine.ask("Which secret ingredient?", ME).complete())
    engine.rename_conversation(conv, ME, "Spices of the house")
    engine.share_conversation(conv, ME, "team")
    engine.conversation(conv, ME)
    engine.delete_conversation(conv, ME)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    events = [e["event"] for e in lines if e["event"].startswith("conversation.")]
    assert events == ["conversation.create", "conversation.turn", "conversation.rename", "conversation.share",
                      "conversation.read", "conversation.delete"]
    assert all(e["conversation"] == conv for e in lines if e["event"].startswith("conversation."))
    text = log.read_text()
    assert "cardamom" not in text and "Which secret" not in text and "Spices" not in text


def test_delete_all_my_data_removes_conversations_feedback_and_documents_and_says_so(tmp_path):
    engine = make_engine(tmp_path / "data")
    mine = engine.ingest("mine.txt", b"My notes about pumps.", ME).doc_id
    engine.ingest("team.txt", b"Team notes about valves.", ME, collection="team")
    theirs = engine.ingest("theirs.txt", b"Their notes about pumps.", OTHER).doc_id
    for who in (ME, OTHER):
        conv = engine.new_conversation(who).conv_id
        engine.keep_turn(conv, who, Answer("pumps?", "pumps?", text="a", citations=[
            Citation(1, "c", mine if who == ME else theirs, "x", 1, 0, 1, "M")]))
        engine.store.add_feedback(who, record(who.user_id, "pumps?"), conv, 1)
    assert engine.delete_my_data(ME) == {"conversations": 1, "feedback": 1, "documents": 2}
    assert engine.conversations(ME) == [] and engine.store.feedback(ME) == [] and engine.documents(ME) == []
    assert len(engine.conversations(OTHER)) == 1 and len(engine.store.feedback(OTHER)) == 1
    assert [d.doc_id for d in engine.documents(OTHER)] == [theirs]
