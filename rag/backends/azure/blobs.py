"""Originals and derived files in a private Blob Storage container.

Keyless by default (RAG_AZURE_STORAGE_ACCOUNT_URL + DefaultAzureCredential). Without an account URL a
connection string is read from the secret store (`azure-storage-connection-string`), which is how the
tests reach Azurite.
"""

from __future__ import annotations

import contextlib
import re
import threading
from typing import Any
from urllib.parse import quote, unquote

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient

from rag.backends.azure.identity import credential_from, translate
from rag.errors import ConfigError, NotFound
from rag.protocols import SecretAccessDenied
from rag.settings import Settings

CONNECTION_STRING_SECRET = "azure-storage-connection-string"
ROLE = "Storage Blob Data Contributor"
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # metadata names must be C# identifiers
ENCODED_NAME = "x_"  # prefix of a metadata name stored as hex because it is not an identifier
# Metadata values travel as HTTP headers: ASCII only, so everything else (and '%') is percent-encoded.
VALUE_SAFE = "!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~"


def encode_metadata(metadata: dict[str, str]) -> dict[str, str]:
    def name(key: str) -> str:
        return key if IDENTIFIER.match(key) and not key.startswith(ENCODED_NAME) else ENCODED_NAME + key.encode().hex()

    return {name(k): quote(str(v), safe=VALUE_SAFE) for k, v in metadata.items()}


def decode_metadata(metadata: dict[str, str]) -> dict[str, str]:
    def name(key: str) -> str:
        return bytes.fromhex(key[len(ENCODED_NAME):]).decode() if key.startswith(ENCODED_NAME) else key

    return {name(k): unquote(v) for k, v in metadata.items()}


def blob_service(settings: Settings, secrets: Any, deps: dict[str, Any]) -> BlobServiceClient:
    """Account URL with an Entra token when set; otherwise the connection string secret."""
    extra = {"transport": deps["transport"]} if deps.get("transport") else {}
    if settings.azure_storage_account_url:
        return BlobServiceClient(settings.azure_storage_account_url, credential=credential_from(deps), **extra)
    if secrets is None:
        raise ConfigError("RAG_BLOBS=azure needs RAG_AZURE_STORAGE_ACCOUNT_URL, e.g. https://ACCOUNT.blob.core.windows.net.")
    try:
        connection_string = secrets.get(CONNECTION_STRING_SECRET)
    except SecretAccessDenied:
        raise
    except ConfigError as exc:
        raise ConfigError(
            "RAG_BLOBS=azure needs RAG_AZURE_STORAGE_ACCOUNT_URL (keyless, preferred) or the secret "
            f"{CONNECTION_STRING_SECRET!r} (e.g. Azurite's connection string) in the secret store."
        ) from exc
    return BlobServiceClient.from_connection_string(connection_string, **extra)


class AzureBlobStore:
    def __init__(self, settings: Settings, secrets: Any = None, **deps: Any):
        """`secrets`: the SecretStore (the engine passes it by name); `credential`, `transport`: test hooks."""
        service = blob_service(settings, secrets, deps)
        self.container = service.get_container_client(settings.azure_storage_container)
        self.service = f"Blob Storage container {self.container.url}"
        self._ready = False
        self._lock = threading.Lock()

    def _ensure_container(self) -> None:
        with self._lock:
            if self._ready:
                return
            with contextlib.suppress(ResourceExistsError):
                self.container.create_container()  # no public access: private by default
            self._ready = True

    def _failed(self, exc: AzureError) -> Exception:
        return translate(exc, self.service, ROLE)

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        try:
            self._ensure_container()
            self.container.upload_blob(key, data, overwrite=True, metadata=encode_metadata(metadata or {}))
        except AzureError as exc:
            raise self._failed(exc) from exc

    def get(self, key: str) -> bytes:
        try:
            return self.container.download_blob(key).readall()
        except ResourceNotFoundError as exc:
            raise NotFound(f"The stored file {key} is missing from {self.service}.") from exc
        except AzureError as exc:
            raise self._failed(exc) from exc

    def exists(self, key: str) -> bool:
        try:
            return self.container.get_blob_client(key).exists()
        except AzureError as exc:
            raise self._failed(exc) from exc

    def delete(self, key: str) -> None:
        try:
            self.container.delete_blob(key)
        except ResourceNotFoundError:
            pass  # deleting what is gone is fine
        except AzureError as exc:
            raise self._failed(exc) from exc

    def metadata(self, key: str) -> dict[str, str]:
        try:
            properties = self.container.get_blob_client(key).get_blob_properties()
        except ResourceNotFoundError as exc:
            raise NotFound(f"The stored file {key} is missing from {self.service}.") from exc
        except AzureError as exc:
            raise self._failed(exc) from exc
        return decode_metadata(dict(properties.metadata or {}))
