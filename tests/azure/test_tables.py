"""AzureTableStore against a real Azurite Table service (started once per session): the Store contract,
two replicas on one account, and the limits (64 KiB per property, 1 MiB per entity) honoured."""

from __future__ import annotations

import uuid

import pytest

from rag.errors import ConfigError
from rag.settings import Settings
from rag.store.tables import PART, AzureTableStore, pack, unpack
from tests.azure.azurite import Secrets
from tests.contracts.store import StoreContract, answer


def table_store(connection_string: str, table: str) -> AzureTableStore:
    settings = Settings(store="azure", azure_storage_table=table)
    return AzureTableStore(settings, secrets=Secrets({"azure-storage-connection-string": connection_string}))


@pytest.fixture
def table_name():
    return "t" + uuid.uuid4().hex[:16]


class TestAzuriteTableStoreContract(StoreContract):
    @pytest.fixture
    def store(self, azurite_tables, table_name):
        return table_store(azurite_tables, table_name)

    @pytest.fixture
    def twin(self, azurite_tables, table_name):
        return table_store(azurite_tables, table_name)


def test_long_strings_are_split_under_the_property_limit():
    text = "é" * (PART * 3 + 7)
    props = pack(text)
    assert list(props) == ["d00", "d01", "d02", "d03"] and all(len(v) * 2 <= 64 * 1024 for v in props.values())
    assert unpack({**props, "PartitionKey": "p", "RowKey": "r"}) == text


def test_a_large_turn_is_stored_as_several_entities_each_under_a_mib(azurite_tables, table_name):
    store = table_store(azurite_tables, table_name)
    me = uuid.uuid4().hex
    from rag.types import Principal

    alice = Principal(me)
    info = store.create(alice)
    store.append(info.conv_id, alice, "Big?", answer("Big?", size=115_000))
    entities = list(store.table.query_entities("RowKey ge 't_' and RowKey lt 't`'"))
    assert len(entities) >= 2
    assert all(sum(len(v) * 2 for v in e.values() if isinstance(v, str)) < 1024 * 1024 for e in entities)
    assert len(store.conversation(info.conv_id, alice).turns[0].answer.hits[0].chunk.text) == 115_017


def test_nothing_a_user_typed_becomes_a_key(azurite_tables, table_name):
    from rag.types import Principal

    store = table_store(azurite_tables, table_name)
    odd = Principal("o'brien/#?\\x", groups=("fin'ance/#?",))
    info = store.create(odd)
    store.append(info.conv_id, odd, "q", answer("q"))
    store.share(info.conv_id, odd, "fin'ance/#?")
    keys = [(e["PartitionKey"], e["RowKey"]) for e in store.table.list_entities()]
    assert all(ch not in pk + rk for pk, rk in keys for ch in "'/#?\\")


def test_an_invalid_table_name_or_no_endpoint_says_what_to_set():
    with pytest.raises(ConfigError, match="RAG_AZURE_STORAGE_TABLE"):
        AzureTableStore(Settings(store="azure", azure_storage_table="no-dashes"))
    with pytest.raises(ConfigError, match="RAG_AZURE_STORAGE_TABLE_URL"):
        AzureTableStore(Settings(store="azure"), secrets=Secrets({}))


def test_the_table_endpoint_is_derived_from_the_blob_account_and_keyless():
    from tests.azure.fake_openai import FakeCredential

    store = AzureTableStore(Settings(store="azure", azure_storage_account_url="https://acct.blob.core.windows.net"),
                            credential=FakeCredential())
    assert store.table.url.startswith("https://acct.table.core.windows.net")
    assert store.table.credential.__class__ is FakeCredential


def test_two_engines_on_one_account_see_each_others_conversations_feedback_and_runs(azurite_tables, table_name,
                                                                                   tmp_path):
    from eval.feedback import read_feedback, record_feedback
    from eval.runs import list_runs, load_run, save_run
    from rag.engine import Engine
    from rag.types import Principal

    secrets = Secrets({"azure-storage-connection-string": azurite_tables})
    settings = [Settings(data_dir=tmp_path / f"pod{i}", store="azure", azure_storage_table=table_name) for i in (1, 2)]
    pod1, pod2 = (Engine(s, secrets=secrets) for s in settings)  # two replicas: nothing shared but the account
    me = Principal(f"me-{uuid.uuid4().hex[:6]}", groups=("team",))
    conv = pod1.new_conversation(me).conv_id
    pod1.keep_turn(conv, me, answer("Asked on pod 1?"))
    pod2.keep_turn(conv, me, answer("Continued on pod 2?"))
    record_feedback(pod2.store, me, answer("Continued on pod 2?"), "down", "better", conv, 2)
    save_run({"run_id": "20261201T000000Z-pod001", "created_at": "2026-12-01", "configs": [{"name": "hybrid"}],
              "summary": {"hybrid": {"hit@5": 1.0}}, "rows": [{"id": "1", "config": "hybrid"}]}, pod1.store)
    seen = pod1.conversation(conv, me)
    assert [t.question for t in seen.turns] == ["Asked on pod 1?", "Continued on pod 2?"]
    assert seen.turns[1].feedback["correction"] == "better"
    assert [r["rating"] for r in read_feedback(pod1.store, me)] == ["down"]
    assert [r["run_id"] for r in list_runs(pod2.store)] == ["20261201T000000Z-pod001"]
    assert load_run(pod2.store, "20261201T000000Z-pod001")["rows"] == [{"id": "1", "config": "hybrid"}]
    assert not (tmp_path / "pod1" / "store.sqlite3").exists()  # nothing a user creates is on the pod's disk


def racing(store, twin_write):
    """`store` whose first read of a header is followed by `twin_write` (another pod) before it writes."""
    original, raced = store._owned, []

    def owned(conv_id, principal):
        header = original(conv_id, principal)
        if not raced:
            raced.append(twin_write(conv_id, principal))
        return header

    store._owned = owned
    return raced


def test_a_turn_number_taken_meanwhile_retries_with_the_next_one(azurite_tables, table_name):
    from rag.types import Principal

    store, twin = table_store(azurite_tables, table_name), table_store(azurite_tables, table_name)
    me = Principal(uuid.uuid4().hex)
    conv = store.create(me).conv_id
    raced = racing(store, lambda c, p: twin.append(c, p, "from the other pod", answer("x")).n)
    assert store.append(conv, me, "mine", answer("mine")).n == 2 and raced == [1]
    assert [t.question for t in twin.conversation(conv, me).turns] == ["from the other pod", "mine"]


def test_a_stale_etag_is_refused_and_retried_so_no_update_is_lost(azurite_tables, table_name):
    from rag.types import Principal

    store, twin = table_store(azurite_tables, table_name), table_store(azurite_tables, table_name)
    me = Principal(uuid.uuid4().hex, groups=("team",))
    conv = store.create(me).conv_id
    raced = racing(store, lambda c, p: twin.rename(c, p, "Renamed on the other pod").title)
    attempts, update = [], store._update_header
    store._update_header = lambda header, changes: attempts.append(header.metadata["etag"]) or update(header, changes)
    store.share(conv, me, "team")  # its first update carries the ETag read before the rename: 412, re-read
    info = twin.conversation(conv, me).info
    assert raced and info.title == "Renamed on the other pod" and info.shared_with == "team"
    assert len(attempts) == 2 and attempts[0] != attempts[1]  # refused once under the stale ETag
