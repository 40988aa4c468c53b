"""The local backends pass the same contract suites as every other backend."""

import os

import pytest

from rag.backends.local.blobs import FilesystemBlobStore
from rag.backends.local.index import LocalHybridIndex
from tests.contracts.blobs import BlobStoreContract
from tests.contracts.index import ALICE, IndexContract, make_doc, search


class TestFilesystemBlobStore(BlobStoreContract):
    @pytest.fixture
    def blobs(self, settings):
        return FilesystemBlobStore(settings)

    def test_keys_cannot_escape_the_folder(self, blobs):
        from rag.errors import NotFound

        for key in ("../etc/passwd", "/etc/passwd", "a/../../b"):
            with pytest.raises(NotFound):
                blobs.put(key, b"x")


class TestLocalHybridIndex(IndexContract):
    @pytest.fixture
    def index(self, settings):
        return LocalHybridIndex(settings)

    def test_survives_restart_and_sees_other_writers(self, filled, settings):
        reopened = LocalHybridIndex(settings)  # a second process opening the same folder
        assert reopened.count() == 6
        assert search(reopened, "DER encoding INTEGER", ALICE)[0].chunk.chunk_id == "tasn-0"
        filled.delete("tasn", ALICE)
        assert all(h.chunk.doc_id != "tasn" for h in search(reopened, "DER INTEGER", ALICE, mode="vector"))

    def test_stale_vector_cache_is_rebuilt(self, filled, settings):
        filled.flush()
        cache = settings.index_dir / "vectors.cache"
        cache.write_bytes(cache.read_bytes()[:100])  # corrupt it
        reopened = LocalHybridIndex(settings)
        assert search(reopened, "DER encoding INTEGER", ALICE, mode="vector")[0].chunk.chunk_id == "tasn-0"

    def test_bm25_runs_beside_the_vector_scan_with_the_same_result(self, filled, monkeypatch):
        """Hybrid search hands BM25 to a worker thread while it scans the vectors; the ranking is the one a
        sequential search gives, and a BM25 failure still reaches the caller."""
        from concurrent.futures import Future

        import rag.backends.local.index as module

        threads = []

        class Inline:  # BM25 in the caller's thread, as before the pool
            def submit(self, fn, *args):
                threads.append("caller")
                future = Future()
                future.set_result(fn(*args))
                return future

        pooled = [(h.chunk.chunk_id, round(h.score, 6)) for h in search(filled, "DER encoding INTEGER", ALICE)]
        monkeypatch.setattr(module, "lexical_pool", Inline)
        inline = [(h.chunk.chunk_id, round(h.score, 6)) for h in search(filled, "DER encoding INTEGER", ALICE)]
        assert pooled == inline and threads == ["caller"] and pooled[0][0] == "tasn-0"
        monkeypatch.undo()

        def broken(*args):
            raise RuntimeError("bm25 failed")

        monkeypatch.setattr(filled, "_bm25", broken)
        with pytest.raises(RuntimeError, match="bm25 failed"):
            search(filled, "DER encoding INTEGER", ALICE)
        assert search(filled, "DER encoding INTEGER", ALICE, mode="vector")  # the vector side does not need it

    def test_upsert_waits_for_a_busy_writer_then_fails_clearly(self, filled, settings):
        from rag.errors import BackendUnavailable

        other = LocalHybridIndex(settings.model_copy(update={"index_lock_timeout": 0.3}))
        held = filled.index.writer(heap_size=20_000_000, num_threads=1)
        try:
            with pytest.raises(BackendUnavailable, match="busy"):
                other.upsert(*make_doc("cats", "carol"))
        finally:
            held.wait_merging_threads()
        other.upsert(*make_doc("cats", "carol"))
        assert other.count() == 6


def test_partial_writes_of_dead_processes_are_swept(settings):
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    folder = settings.blob_dir / "originals"
    folder.mkdir(parents=True)
    (folder / f".tmp-{dead.pid}-abc").write_bytes(b"half a file")
    (folder / f".tmp-{os.getpid()}-def").write_bytes(b"being written by a live process")
    FilesystemBlobStore(settings)
    assert sorted(p.name for p in folder.iterdir()) == [f".tmp-{os.getpid()}-def"]
