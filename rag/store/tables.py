"""The Store on Azure Table Storage, in the storage account DocChat already has (keyless).

Layout (one table): a user's conversations, turns and feedback share one partition, named by a hash
of the user id, so a turn and its conversation's header are written in one entity-group
transaction: the turn's entities are created and the header is updated under its ETag, or nothing
is. Two tabs or two pods appending at once: one transaction wins, the other re-reads and takes the
next number. Strings over 30,000 characters (a property holds 64 KiB of UTF-16) are split across
properties `d00`..`d14` of an entity, and a turn over one entity across several entities.

    PartitionKey          RowKey                   what
    u<sha256(user)>       c_<conv>                 conversation header (title, times, turns, shared_with, search text)
    u<sha256(user)>       t_<conv>_<n>_<part>      one turn, as JSON split in parts
    u<sha256(user)>       f_<id>                   one feedback record
    g<sha256(group)>      <conv>                   pointer: a conversation shared with the group (the header decides)
    runs                  <run id>                 evaluation run header, written after its rows
    rows-<run id>         <i>                      one per-question row of a run
    flags                 <name>                   one-time jobs done (the import of earlier files)

Keys are hashes or ids DocChat made, never text a user typed, and queries pass values as parameters.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import re
import time
from collections.abc import Iterable
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableTransactionError, UpdateMode

from rag.backends.azure.identity import credential_from, translate
from rag.errors import BackendUnavailable, ConfigError, Forbidden, InvalidDocument, NotFound
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

CONNECTION_STRING_SECRET = "azure-storage-connection-string"
ROLE = "Storage Table Data Contributor"
PART = 30_000  # characters per string property (64 KiB of UTF-16, with room to spare)
PROPS = 15  # string properties per entity (15 x 60 KB stays under the 1 MiB entity limit)
BATCH = 100  # operations per entity-group transaction
BATCH_BYTES = 3_000_000  # and under the 4 MiB payload limit, counting JSON escapes
TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,62}$")
HEADER = ["conv_id", "owner", "title", "created_at", "updated_at", "turns", "shared_with"]
RETRIES = 20


def key_hash(prefix: str, value: str) -> str:
    return prefix + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def pack(text: str) -> dict[str, str]:
    """A long string as properties d00, d01, ...; InvalidDocument past one entity's worth."""
    parts = [text[i:i + PART] for i in range(0, len(text), PART)] or [""]
    if len(parts) > PROPS:
        raise InvalidDocument(f"This record is too large to keep ({len(text):,} characters).")
    return {f"d{i:02d}": part for i, part in enumerate(parts)}


def unpack(entity: dict[str, Any]) -> str:
    return "".join(entity[k] for k in sorted(k for k in entity if re.fullmatch(r"d\d\d", k)))


def table_client(settings: Settings, secrets: Any, deps: dict[str, Any]) -> TableClient:
    """The table endpoint with an Entra token when known; otherwise the connection string secret (Azurite)."""
    name = settings.azure_storage_table
    if not TABLE_NAME.match(name):
        raise ConfigError(f"RAG_AZURE_STORAGE_TABLE={name!r} is not a table name: 3-63 letters and digits, "
                          "starting with a letter.")
    extra = {"transport": deps["transport"]} if deps.get("transport") else {}
    url = settings.azure_storage_table_url or settings.azure_storage_account_url.replace(".blob.", ".table.")
    if url:
        return TableClient(url.rstrip("/"), name, credential=credential_from(deps), **extra)
    try:
        connection_string = secrets.get(CONNECTION_STRING_SECRET) if secrets is not None else ""
    except ConfigError:
        connection_string = ""
    if not connection_string:
        raise ConfigError("RAG_STORE=azure needs RAG_AZURE_STORAGE_TABLE_URL or RAG_AZURE_STORAGE_ACCOUNT_URL "
                          f"(keyless, preferred) or the secret {CONNECTION_STRING_SECRET!r} in the secret store.")
    return TableClient.from_connection_string(connection_string, name, **extra)


class AzureTableStore:
    def __init__(self, settings: Settings, secrets: Any = None, **deps: Any):
        """`secrets`: the SecretStore (the engine passes it by name); `credential`, `transport`: test hooks."""
        self.table = table_client(settings, secrets, deps)
        self.service = f"Table Storage table {self.table.table_name} at {self.table.url}"
        self._ready = False

    # --- plumbing
    def _call(self, fn, *args, **kwargs):
        self._ensure_table()
        try:
            return fn(*args, **kwargs)
        except (ResourceNotFoundError, ResourceExistsError, ResourceModifiedError, TableTransactionError):
            raise  # the callers decide: absent, or another writer was first
        except AzureError as exc:
            raise translate(exc, self.service, ROLE) from exc

    def _ensure_table(self) -> None:
        if self._ready:
            return
        try:
            self.table.create_table()
        except ResourceExistsError:
            pass
        except AzureError as exc:
            raise translate(exc, self.service, ROLE) from exc
        self._ready = True

    def _get(self, pk: str, rk: str) -> dict | None:
        try:
            return self._call(self.table.get_entity, pk, rk)
        except ResourceNotFoundError:
            return None

    def _query(self, pk: str, start: str = "", end: str = "", select: list[str] | None = None) -> list[dict]:
        """Entities of partition `pk`, with start <= RowKey < end when given."""
        where = "PartitionKey eq @pk" + (" and RowKey ge @start and RowKey lt @end" if end else "")
        return self._call(lambda: list(self.table.query_entities(
            where, parameters={"pk": pk, "start": start, "end": end}, select=select)))

    def _submit(self, operations: list[tuple]) -> None:
        """Operations on one partition, in transactions of at most BATCH operations and BATCH_BYTES."""
        batch, size = [], 0
        for op in operations:
            weight = sum(len(v) * 6 for v in op[1].values() if isinstance(v, str)) + 500
            if batch and (len(batch) == BATCH or size + weight > BATCH_BYTES):
                self._transaction(batch)
                batch, size = [], 0
            batch.append(op)
            size += weight
        if batch:
            self._transaction(batch)

    def _transaction(self, operations: list[tuple]) -> None:
        try:
            self._call(self.table.submit_transaction, operations)
        except TableTransactionError as exc:
            raise translate(exc, self.service, ROLE) from exc

    @staticmethod
    def _info(entity: dict) -> ConversationInfo:
        return ConversationInfo(**{k: entity.get(k, "" if k != "turns" else 0) for k in HEADER})

    # --- scope
    def _header(self, conv_id: str, principal: Principal) -> tuple[dict, bool]:
        """(header, owned) if the principal may read the conversation, else NotFound."""
        checked_id(conv_id)
        own = self._get(key_hash("u", principal.user_id), f"c_{conv_id}")
        if own is not None and own["owner"] == principal.user_id:
            return own, True
        for group in principal.groups:
            pointer = self._get(key_hash("g", group), conv_id)
            if pointer is None:
                continue
            header = self._get(pointer["owner_pk"], f"c_{conv_id}")
            if header is not None and header["shared_with"] == group:  # the header, not the pointer, decides
                return header, False
        raise NotFound("No such conversation (it may have been deleted).")

    def _owned(self, conv_id: str, principal: Principal) -> dict:
        header, owned = self._header(conv_id, principal)
        if not owned:
            raise Forbidden("This conversation is shared with you read-only; only its owner can change it.")
        return header

    def _update_header(self, header: dict, changes: dict) -> dict:
        self._call(self.table.update_entity, {"PartitionKey": header["PartitionKey"], "RowKey": header["RowKey"],
                                              **changes}, mode=UpdateMode.MERGE, etag=header.metadata["etag"],
                   match_condition=MatchConditions.IfNotModified)
        return {**header, **changes}

    def _retry(self, fn):
        """Re-read and try again when another writer was first (ETag mismatch, turn number taken)."""
        for attempt in range(RETRIES):
            try:
                return fn()
            except (ResourceExistsError, ResourceModifiedError, TableTransactionError) as exc:
                if exc.status_code not in (409, 412):
                    raise translate(exc, self.service, ROLE) from exc
            time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
        raise BackendUnavailable(f"{self.service} is busy with other writes to this conversation; try again.")

    # --- conversations
    def create(self, principal: Principal, title: str = "") -> ConversationInfo:
        stamp = now()
        info = ConversationInfo(new_id(), principal.user_id, clean_title(title) if title else "New chat", stamp, stamp)
        self._call(self.table.create_entity, {"PartitionKey": key_hash("u", principal.user_id),
                                              "RowKey": f"c_{info.conv_id}", **info.__dict__, "search": ""})
        return info

    def append(self, conv_id: str, principal: Principal, question: str, answer: Answer) -> StoredTurn:
        payload = json.dumps({"question": question, "answer": answer_json(answer)}, ensure_ascii=False)
        step = PART * PROPS
        chunks = [payload[i:i + step] for i in range(0, len(payload), step)]

        def attempt() -> StoredTurn:
            header = self._owned(conv_id, principal)
            n, stamp = header["turns"] + 1, now()
            pk = header["PartitionKey"]
            parts = [("create", {"PartitionKey": pk, "RowKey": f"t_{conv_id}_{n:06d}_{p:03d}", "parts": len(chunks),
                                 "created_at": stamp, **pack(chunk)}) for p, chunk in enumerate(chunks)]
            title = title_of(question) if n == 1 and header["title"] == "New chat" else header["title"]
            searchable = (header.get("search", "") + "\n" + search_text(question, answer))[:PART]
            update = {"PartitionKey": pk, "RowKey": header["RowKey"], "turns": n, "updated_at": stamp,
                      "title": title, "search": searchable}
            self._call(self.table.submit_transaction, [*parts, ("update", update, {
                "mode": UpdateMode.MERGE, "etag": header.metadata["etag"],
                "match_condition": MatchConditions.IfNotModified})])
            return StoredTurn(n, question, answer, stamp)

        return self._retry(attempt)

    def _headers(self, pk: str, select: list[str] | None = None) -> list[dict]:
        return list(self._query(pk, "c_", "c`", select))

    def conversations(self, principal: Principal, query: str = "") -> list[ConversationInfo]:
        folded = query.strip().casefold()
        headers = self._headers(key_hash("u", principal.user_id), HEADER + (["search"] if folded else []))
        mine = [h for h in headers if h["owner"] == principal.user_id]
        if folded:
            mine = [h for h in mine if folded in h["title"].casefold() or folded in h.get("search", "")]
        return sorted((self._info(h) for h in mine), key=lambda i: i.updated_at, reverse=True)

    def shared_with_me(self, principal: Principal) -> list[ConversationInfo]:
        found = {}
        for group in principal.groups:
            for pointer in self._query(key_hash("g", group), "0", "g"):
                header = self._get(pointer["owner_pk"], f"c_{pointer['RowKey']}")
                if header and header["shared_with"] == group and header["owner"] != principal.user_id:
                    found[header["conv_id"]] = self._info(header)
        return sorted(found.values(), key=lambda i: i.updated_at, reverse=True)

    def conversation(self, conv_id: str, principal: Principal) -> Conversation:
        header, owned = self._header(conv_id, principal)
        pk = header["PartitionKey"]
        entities = self._query(pk, f"t_{conv_id}_", f"t_{conv_id}`")
        by_turn: dict[int, list[dict]] = {}
        for entity in entities:
            by_turn.setdefault(int(entity["RowKey"].split("_")[2]), []).append(entity)
        rated = {r["turn"]: r for r in (json.loads(unpack(e)) for e in self._query(pk, f"f_{conv_id}-", f"f_{conv_id}."))}
        turns = []
        for n in range(1, header["turns"] + 1):  # the header's count was committed with the turns it counts
            parts = sorted(by_turn.get(n, []), key=lambda e: e["RowKey"])
            if not parts or len(parts) != parts[0]["parts"]:
                raise BackendUnavailable(f"Turn {n} of this conversation is incomplete in {self.service}.")
            data = json.loads("".join(unpack(p) for p in parts))
            turns.append(StoredTurn(n, data["question"], answer_from_json(data["answer"]), parts[0]["created_at"],
                                    rated.get(n)))
        return Conversation(self._info(header), tuple(turns), read_only=not owned)

    def rename(self, conv_id: str, principal: Principal, title: str) -> ConversationInfo:
        title = clean_title(title)
        return self._retry(lambda: self._info(self._update_header(self._owned(conv_id, principal), {"title": title})))

    def share(self, conv_id: str, principal: Principal, group: str) -> ConversationInfo:
        if group and group not in principal.groups:
            raise Forbidden("You can share a conversation only with a group you belong to.")

        def attempt() -> dict:
            header = self._owned(conv_id, principal)
            return header["shared_with"], self._update_header(header, {"shared_with": group})

        before, header = self._retry(attempt)  # the header first: unsharing is immediate
        if before and before != group:
            self._delete_quietly(key_hash("g", before), conv_id)
        if group:
            self._call(self.table.upsert_entity, {"PartitionKey": key_hash("g", group), "RowKey": conv_id,
                                                  "owner_pk": header["PartitionKey"]})
        return self._info(header)

    def _delete_quietly(self, pk: str, rk: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            self._call(self.table.delete_entity, pk, rk)

    def _remove(self, header: dict) -> None:
        """The header first (the conversation is gone at once), then its pointer and turns."""
        pk, conv_id = header["PartitionKey"], header["conv_id"]
        self._delete_quietly(pk, header["RowKey"])
        if header.get("shared_with"):
            self._delete_quietly(key_hash("g", header["shared_with"]), conv_id)
        self._delete_all(pk, self._query(pk, f"t_{conv_id}_", f"t_{conv_id}`", ["PartitionKey", "RowKey"]))

    def _delete_all(self, pk: str, entities: Iterable[dict]) -> int:
        operations = [("delete", {"PartitionKey": pk, "RowKey": e["RowKey"]}) for e in entities]
        self._submit(operations)
        return len(operations)

    def delete(self, conv_id: str, principal: Principal) -> None:
        self._remove(self._owned(conv_id, principal))

    def delete_all(self, principal: Principal) -> int:
        headers = [h for h in self._headers(key_hash("u", principal.user_id)) if h["owner"] == principal.user_id]
        for header in headers:
            self._remove(header)
        return len(headers)

    def purge(self, before: str) -> int:
        expired = self._call(lambda: list(self.table.query_entities(
            "RowKey ge 'c_' and RowKey lt 'c`' and updated_at lt @before", parameters={"before": before})))
        for header in expired:
            if header["PartitionKey"].startswith("u"):
                self._remove(header)
        return len(expired)

    # --- feedback
    def add_feedback(self, principal: Principal, record: dict, conv_id: str = "", turn: int = 0) -> dict:
        pk = key_hash("u", principal.user_id)
        if conv_id:
            header = self._owned(conv_id, principal)
            if not 1 <= int(turn) <= header["turns"]:
                raise NotFound(f"This conversation has no turn {turn}.")
            key = f"{conv_id}-{int(turn):06d}"
        else:
            given = str(record.get("id") or new_id())
            key = given if re.fullmatch(r"[A-Za-z0-9-]{1,100}", given) else hashlib.sha256(given.encode()).hexdigest()
        record = {**record, "id": key, "conv_id": conv_id, "turn": int(turn) if conv_id else 0,
                  "user": principal.user_id, "time": record.get("time") or now()}
        self._call(self.table.upsert_entity, {"PartitionKey": pk, "RowKey": f"f_{key}", "time": record["time"],
                                              **pack(json.dumps(record, ensure_ascii=False))}, mode=UpdateMode.REPLACE)
        return record

    def feedback(self, principal: Principal) -> list[dict]:
        entities = self._query(key_hash("u", principal.user_id), "f_", "f`")
        records = [json.loads(unpack(e)) for e in sorted(entities, key=lambda e: (e["time"], e["RowKey"]))]
        return [r for r in records if r.get("user") == principal.user_id]

    def delete_feedback(self, principal: Principal) -> int:
        pk = key_hash("u", principal.user_id)
        return self._delete_all(pk, self._query(pk, "f_", "f`", ["PartitionKey", "RowKey"]))

    # --- evaluation runs
    def save_run(self, run: dict) -> None:
        run_id = checked_run_id(run["run_id"])
        header = {k: v for k, v in run.items() if k != "rows"}
        self._delete_quietly("runs", run_id)  # unlisted while its rows are replaced
        rows_pk = f"rows-{run_id}"
        self._delete_all(rows_pk, self._query(rows_pk, "0", ":", ["PartitionKey", "RowKey"]))
        self._submit([("upsert", {"PartitionKey": rows_pk, "RowKey": f"{i:06d}",
                                  **pack(json.dumps(row, ensure_ascii=False, default=str))})
                      for i, row in enumerate(run.get("rows", []))])
        self._call(self.table.upsert_entity, {"PartitionKey": "runs", "RowKey": run_id,
                                              **pack(json.dumps(header, ensure_ascii=False, default=str))})

    def runs(self) -> list[dict]:
        headers = self._query("runs")
        return [json.loads(unpack(e)) for e in sorted(headers, key=lambda e: e["RowKey"], reverse=True)]

    def run(self, run_id: str) -> dict:
        header = self._get("runs", checked_run_id(run_id))
        if header is None:
            raise NotFound(f"No evaluation run {run_id!r}; `python -m eval runs` lists them.")
        rows = sorted(self._query(f"rows-{run_id}", "0", ":"), key=lambda e: e["RowKey"])
        return {**json.loads(unpack(header)), "rows": [json.loads(unpack(r)) for r in rows]}

    # --- one-time jobs
    def flag(self, name: str) -> bool:
        return self._get("flags", name) is not None

    def set_flag(self, name: str) -> None:
        self._call(self.table.upsert_entity, {"PartitionKey": "flags", "RowKey": name, "time": now()})
