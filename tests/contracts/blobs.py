"""Every BlobStore passes these. A backend's test subclasses and supplies the `blobs` fixture."""

import pytest

from rag.errors import NotFound


class BlobStoreContract:
    @pytest.fixture
    def blobs(self):
        raise NotImplementedError("subclass provides a BlobStore")

    def test_put_then_get_returns_same_bytes(self, blobs):
        data = bytes(range(256)) * 10
        blobs.put("originals/abc123", data, {"owner": "alice", "name": "a.pdf"})
        assert blobs.get("originals/abc123") == data
        assert blobs.exists("originals/abc123")

    def test_metadata_round_trips(self, blobs):
        blobs.put("originals/meta1", b"x", {"owner": "alice", "name": "Résumé ü.pdf"})
        meta = blobs.metadata("originals/meta1")
        assert meta["owner"] == "alice"
        assert meta["name"] == "Résumé ü.pdf"

    def test_missing_key_is_not_found(self, blobs):
        assert not blobs.exists("originals/nope")
        with pytest.raises(NotFound):
            blobs.get("originals/nope")

    def test_put_overwrites_and_delete_removes(self, blobs):
        blobs.put("pages/k", b"one")
        blobs.put("pages/k", b"two")
        assert blobs.get("pages/k") == b"two"
        blobs.delete("pages/k")
        assert not blobs.exists("pages/k")
        blobs.delete("pages/k")  # deleting twice is fine
