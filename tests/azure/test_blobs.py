"""AzureBlobStore against a real Azurite (started once per session) and the Blob contract."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from rag.backends.azure.blobs import AzureBlobStore, decode_metadata, encode_metadata
from rag.errors import ConfigError
from rag.settings import Settings
from tests.azure.fake_openai import FakeCredential
from tests.azure.live import live_settings
from tests.contracts.blobs import BlobStoreContract

AZURITE = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / ".bin" / "azurite-blob"
# Azurite's well-known development account (public, documented, not a secret)
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Azurite exited with code {process.returncode}; run it by hand to see why: {AZURITE}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"Azurite did not listen on port {port} within {seconds} s")


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    if not AZURITE.exists() or shutil.which("node") is None:
        pytest.fail(f"Azurite is not installed ({AZURITE}); run `make system-deps` to install it")
    port, location = free_port(), tmp_path_factory.mktemp("azurite")
    process = subprocess.Popen(
        [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(location),
         "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port, process)
        yield (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DEV_KEY};"
               f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;")
    finally:
        process.terminate()
        process.wait(timeout=10)


class Secrets(dict):
    def get(self, name):
        if name not in self:
            raise ConfigError(f"no secret {name}")
        return self[name]


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
