"""SqliteStore passes the Store contract; a second instance is another process's view of the file."""

from __future__ import annotations

import pytest

from rag.settings import Settings
from rag.store.sqlite import SqliteStore
from tests.contracts.store import StoreContract


class TestSqliteStoreContract(StoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        return SqliteStore(Settings(data_dir=tmp_path / "data"))

    @pytest.fixture
    def twin(self, store, tmp_path):
        return SqliteStore(Settings(data_dir=tmp_path / "data"))


def test_the_store_is_one_wal_file_in_the_data_dir(tmp_path):
    store = SqliteStore(Settings(data_dir=tmp_path / "data"))
    assert store.path == tmp_path / "data" / "store.sqlite3" and store.path.is_file()
    assert store._db().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
