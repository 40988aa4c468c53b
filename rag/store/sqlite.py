"""The embedded Store: one SQLite file in the data dir (WAL, one transaction per write).

Each thread has its own connection; writers take the database lock up front (BEGIN IMMEDIATE), so
two tabs or two processes appending to one conversation are serialised and each turn gets its own
number. A process killed mid-write leaves the last committed state: a turn is there whole or absent.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rag.errors import BackendUnavailable, Forbidden, NotFound
from rag.settings import Settings
from rag.store.model import (
    Conversation,
    ConversationInfo,
    StoredTurn,
    answer_from_json,
    answer_json,
    checked_id,
    checked_run_id,
    clean_title,
    new_id,
    now,
    search_text,
    title_of,
)
from rag.types import Answer, Principal

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
  conv_id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL, turns INTEGER NOT NULL DEFAULT 0, shared_with TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS conversations_owner ON conversations (owner, updated_at);
CREATE INDEX IF NOT EXISTS conversations_shared ON conversations (shared_with);
CREATE TABLE IF NOT EXISTS turns (
  conv_id TEXT NOT NULL REFERENCES conversations (conv_id) ON DELETE CASCADE, n INTEGER NOT NULL,
  created_at TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, search TEXT NOT NULL,
  PRIMARY KEY (conv_id, n));
CREATE TABLE IF NOT EXISTS feedback (
  owner TEXT NOT NULL, id TEXT NOT NULL, conv_id TEXT NOT NULL DEFAULT '', turn INTEGER NOT NULL DEFAULT 0,
  time TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (owner, id));
CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, header TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_rows (
  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE, i INTEGER NOT NULL, row TEXT NOT NULL,
  PRIMARY KEY (run_id, i));
CREATE TABLE IF NOT EXISTS flags (name TEXT PRIMARY KEY, time TEXT NOT NULL);
"""
COLUMNS = "conv_id, owner, title, created_at, updated_at, turns, shared_with"


def like(query: str) -> str:
    """A LIKE pattern matching `query` literally anywhere (its % and _ are not wildcards)."""
    escaped = query.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqliteStore:
    def __init__(self, settings: Settings):
        self.path = settings.data_dir / "store.sqlite3"
        self.timeout = settings.index_lock_timeout
        self._local = threading.local()
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            self._db().executescript(SCHEMA)  # IF NOT EXISTS throughout: concurrent first starts agree
        except (OSError, sqlite3.Error) as exc:
            raise BackendUnavailable(f"Could not open the conversation store {self.path}: {exc}.") from exc

    # --- connections and transactions
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a committed turn survives a power cut, not just a kill
            db.execute("PRAGMA foreign_keys=ON")
            db.create_function("fold", 1, lambda text: (text or "").casefold(), deterministic=True)
            self._local.db = db
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise BackendUnavailable(f"The conversation store is busy ({exc}); try again.") from exc
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _read(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        try:
            return self._db().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"Could not read the conversation store {self.path}: {exc}.") from exc

    # --- conversations
    @staticmethod
    def _info(row: sqlite3.Row) -> ConversationInfo:
        return ConversationInfo(*row)  # COLUMNS are in the dataclass's field order

    def _owned(self, db: sqlite3.Connection, conv_id: str, principal: Principal) -> sqlite3.Row:
        """The conversation's row if the principal owns it; Forbidden if only shared with them."""
        row = db.execute(f"SELECT {COLUMNS} FROM conversations WHERE conv_id = ?", (checked_id(conv_id),)).fetchone()
        if row is None or not self._visible(row, principal):
            raise NotFound("No such conversation (it may have been deleted).")
        if row["owner"] != principal.user_id:
            raise Forbidden("This conversation is shared with you read-only; only its owner can change it.")
        return row

    @staticmethod
    def _visible(row: sqlite3.Row, principal: Principal) -> bool:
        shared = row["shared_with"]
        return row["owner"] == principal.user_id or (shared != "" and shared in principal.groups)

    def create(self, principal: Principal, title: str = "") -> ConversationInfo:
        stamp = now()
        info = ConversationInfo(new_id(), principal.user_id, clean_title(title) if title else "New chat", stamp, stamp)
        with self._write() as db:
            db.execute(f"INSERT INTO conversations ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (info.conv_id, info.owner, info.title, info.created_at, info.updated_at, 0, ""))
        return info

    def append(self, conv_id: str, principal: Principal, question: str, answer: Answer) -> StoredTurn:
        payload, stamp = answer_json(answer), now()
        with self._write() as db:
            row = self._owned(db, conv_id, principal)
            n = row["turns"] + 1
            db.execute("INSERT INTO turns (conv_id, n, created_at, question, answer, search) VALUES (?, ?, ?, ?, ?, ?)",
                       (conv_id, n, stamp, question, payload, search_text(question, answer)))
            title = title_of(question) if n == 1 and row["title"] == "New chat" else row["title"]
            db.execute("UPDATE conversations SET turns = ?, updated_at = ?, title = ? WHERE conv_id = ?",
                       (n, stamp, title, conv_id))
        return StoredTurn(n, question, answer, stamp)

    def conversations(self, principal: Principal, query: str = "") -> list[ConversationInfo]:
        sql, params = f"SELECT {COLUMNS} FROM conversations c WHERE owner = :owner", {"owner": principal.user_id}
        if query.strip():
            sql += (" AND (fold(title) LIKE :q ESCAPE '\\' OR EXISTS (SELECT 1 FROM turns t"
                    " WHERE t.conv_id = c.conv_id AND t.search LIKE :q ESCAPE '\\'))")
            params["q"] = like(query.strip())
        return [self._info(r) for r in self._read(sql + " ORDER BY updated_at DESC", params)]

    def shared_with_me(self, principal: Principal) -> list[ConversationInfo]:
        if not principal.groups:
            return []
        marks = ", ".join("?" * len(principal.groups))
        rows = self._read(f"SELECT {COLUMNS} FROM conversations WHERE shared_with IN ({marks}) AND owner != ?"
                          " ORDER BY updated_at DESC", (*principal.groups, principal.user_id))
        return [self._info(r) for r in rows]

    def conversation(self, conv_id: str, principal: Principal) -> Conversation:
        db = self._db()
        try:
            db.execute("BEGIN")  # one snapshot: the header and the turns agree
            row = db.execute(f"SELECT {COLUMNS} FROM conversations WHERE conv_id = ?", (checked_id(conv_id),)).fetchone()
            if row is None or not self._visible(row, principal):
                raise NotFound("No such conversation (it may have been deleted).")
            turns = db.execute("SELECT n, question, answer, created_at FROM turns WHERE conv_id = ? ORDER BY n",
                               (conv_id,)).fetchall()
            rated = {r["turn"]: json.loads(r["record"]) for r in db.execute(
                "SELECT turn, record FROM feedback WHERE owner = ? AND conv_id = ?", (row["owner"], conv_id))}
        finally:
            db.execute("COMMIT")
        stored = tuple(StoredTurn(t["n"], t["question"], answer_from_json(t["answer"]), t["created_at"],
                                  rated.get(t["n"])) for t in turns)
        return Conversation(self._info(row), stored, read_only=row["owner"] != principal.user_id)

    def rename(self, conv_id: str, principal: Principal, title: str) -> ConversationInfo:
        title = clean_title(title)
        with self._write() as db:
            self._owned(db, conv_id, principal)
            db.execute("UPDATE conversations SET title = ? WHERE conv_id = ?", (title, conv_id))
            return self._info(db.execute(f"SELECT {COLUMNS} FROM conversations WHERE conv_id = ?", (conv_id,)).fetchone())

    def share(self, conv_id: str, principal: Principal, group: str) -> ConversationInfo:
        if group and group not in principal.groups:
            raise Forbidden("You can share a conversation only with a group you belong to.")
        with self._write() as db:
            self._owned(db, conv_id, principal)
            db.execute("UPDATE conversations SET shared_with = ? WHERE conv_id = ?", (group, conv_id))
            return self._info(db.execute(f"SELECT {COLUMNS} FROM conversations WHERE conv_id = ?", (conv_id,)).fetchone())

    def delete(self, conv_id: str, principal: Principal) -> None:
        with self._write() as db:
            self._owned(db, conv_id, principal)
            db.execute("DELETE FROM conversations WHERE conv_id = ?", (conv_id,))

    def delete_all(self, principal: Principal) -> int:
        with self._write() as db:
            return db.execute("DELETE FROM conversations WHERE owner = ?", (principal.user_id,)).rowcount

    def purge(self, before: str) -> int:
        with self._write() as db:
            return db.execute("DELETE FROM conversations WHERE updated_at < ?", (before,)).rowcount

    # --- feedback
    def add_feedback(self, principal: Principal, record: dict, conv_id: str = "", turn: int = 0) -> dict:
        with self._write() as db:
            if conv_id:
                row = self._owned(db, conv_id, principal)
                if not 1 <= int(turn) <= row["turns"]:
                    raise NotFound(f"This conversation has no turn {turn}.")
            key = f"{conv_id}-{int(turn)}" if conv_id else str(record.get("id") or new_id())
            record = {**record, "id": key, "conv_id": conv_id, "turn": int(turn) if conv_id else 0,
                      "user": principal.user_id}
            db.execute("INSERT OR REPLACE INTO feedback (owner, id, conv_id, turn, time, record) VALUES (?, ?, ?, ?, ?, ?)",
                       (principal.user_id, key, conv_id, record["turn"], record.get("time") or now(),
                        json.dumps(record, ensure_ascii=False)))
        return record

    def feedback(self, principal: Principal) -> list[dict]:
        rows = self._read("SELECT record FROM feedback WHERE owner = ? ORDER BY time, id", (principal.user_id,))
        return [json.loads(r["record"]) for r in rows]

    def delete_feedback(self, principal: Principal) -> int:
        with self._write() as db:
            return db.execute("DELETE FROM feedback WHERE owner = ?", (principal.user_id,)).rowcount

    # --- evaluation runs
    def save_run(self, run: dict) -> None:
        run_id = checked_run_id(run["run_id"])
        header = {k: v for k, v in run.items() if k != "rows"}
        with self._write() as db:
            db.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
            db.execute("INSERT INTO runs (run_id, header) VALUES (?, ?)",
                       (run_id, json.dumps(header, ensure_ascii=False, default=str)))
            db.executemany("INSERT INTO run_rows (run_id, i, row) VALUES (?, ?, ?)",
                           [(run_id, i, json.dumps(r, ensure_ascii=False, default=str))
                            for i, r in enumerate(run.get("rows", []))])

    def runs(self) -> list[dict]:
        return [json.loads(r["header"]) for r in self._read("SELECT header FROM runs ORDER BY run_id DESC")]

    def run(self, run_id: str) -> dict:
        found = self._read("SELECT header FROM runs WHERE run_id = ?", (checked_run_id(run_id),))
        if not found:
            raise NotFound(f"No evaluation run {run_id!r}; `python -m eval runs` lists them.")
        rows = self._read("SELECT row FROM run_rows WHERE run_id = ? ORDER BY i", (run_id,))
        return {**json.loads(found[0]["header"]), "rows": [json.loads(r["row"]) for r in rows]}

    # --- one-time jobs (the import of earlier files)
    def flag(self, name: str) -> bool:
        return bool(self._read("SELECT 1 FROM flags WHERE name = ?", (name,)))

    def set_flag(self, name: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO flags (name, time) VALUES (?, ?)", (name, now()))
