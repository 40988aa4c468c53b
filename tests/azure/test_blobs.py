"""AzureBlobStore against a real Azurite (started once per session, tests/azure/conftest.py) and the Blob contract."""

from __future__ import annotations

import pytest

from rag.backends.azure.blobs import AzureBlobStore, decode_metadata, encode_metadata
from rag.errors import ConfigError
from rag.settings import Settings
from tests.azure.azurite import Secrets
from tests.azure.fake_openai import FakeCredential
from tests.azure.live import live_settings
from tests.contracts.blobs import BlobStoreContract

_containers = iter(range(10_000))


def azurite_store(connection_string: str, container: str | None = None) -> AzureBlobStore:
    settings = Settings(azure_storage_account_url="", azure_storage_container=container or f"test{next(_containers)}")
    return AzureBlobStore(settings, secrets=Secrets({"azure-storage-connection-string": connection_string}))


class TestAzuriteBlobContract(BlobStoreContract):
    @pytest.fixture
    def blobs(self, azurite):
        return azurite_store(azurite)


def test_container_is_created_private(azurite):
    store = azurite_store(azurite, "privatecheck")
    store.put("originals/x", b"data", {"owner": "alice"})
    assert store.container.get_container_properties().public_access is None


def test_metadata_is_ascii_on_the_wire_and_round_trips():
    original = {"owner": "alice", "name": "Résumé ü 100%.pdf", "content-type": "application/pdf"}
    wire = encode_metadata(original)
    assert all(k.isidentifier() and v.isascii() for k, v in wire.items())
    assert decode_metadata(wire) == original


def test_account_url_uses_the_credential_not_a_secret():
    store = AzureBlobStore(Settings(azure_storage_account_url="https://acct.blob.core.windows.net",
                                    azure_storage_container="docchat"), credential=FakeCredential())
    assert store.container.url == "https://acct.blob.core.windows.net/docchat"


def test_neither_url_nor_secret_says_what_to_set():
    with pytest.raises(ConfigError, match="RAG_AZURE_STORAGE_ACCOUNT_URL.*azure-storage-connection-string"):
        AzureBlobStore(Settings(azure_storage_account_url=""), secrets=Secrets())


class TestLiveBlobContract(BlobStoreContract):
    @pytest.fixture
    def blobs(self, tmp_path):
        return AzureBlobStore(live_settings(tmp_path, "azure_storage_account_url"))
