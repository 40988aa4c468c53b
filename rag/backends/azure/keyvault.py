"""Secrets from Azure Key Vault, read by name on first use and cached for the life of the process."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlparse

from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from azure.keyvault.secrets import SecretClient

from rag.backends.azure.identity import credential_from, status_of, translate
from rag.errors import ConfigError
from rag.protocols import SecretAccessDenied
from rag.settings import Settings

ROLE = "Key Vault Secrets User"


class KeyVaultSecretStore:
    def __init__(self, settings: Settings, **deps: Any):
        """`credential`, `transport`: test hooks (a fake TokenCredential and an azure-core transport)."""
        if not settings.azure_keyvault_url:
            raise ConfigError("RAG_SECRETS=keyvault needs RAG_AZURE_KEYVAULT_URL, e.g. https://NAME.vault.azure.net.")
        self.url = settings.azure_keyvault_url
        extra = {"transport": deps["transport"]} if deps.get("transport") else {}
        self.client = SecretClient(self.url, credential_from(deps), retry_total=settings.chat_retries, **extra)
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def vault(self) -> str:
        return (urlparse(self.url).hostname or "").split(".")[0]

    def _denied(self, name: str, exc: HttpResponseError) -> SecretAccessDenied:
        """A 403 is a missing role (ForbiddenByRbac) or the vault's firewall (ForbiddenByFirewall)."""
        inner = str(getattr(getattr(exc, "error", None), "innererror", None) or "")
        if "ForbiddenByFirewall" in inner:
            return SecretAccessDenied(
                f"Key Vault {self.vault} ({self.url}) refused secret {name!r} at its firewall (HTTP 403): reach it "
                "through its private endpoint, or add your IP to operatorIpRanges (deploy/infra).")
        return SecretAccessDenied(
            f"Key Vault {self.vault} ({self.url}) refused to read secret {name!r} (HTTP {status_of(exc)}). Assign the "
            f"identity DocChat runs as the '{ROLE}' role on vault {self.vault}: `az role assignment create --role "
            f"\"{ROLE}\" --assignee <principal id> --scope <vault resource id>` (docs/azure.md).")

    def get(self, name: str) -> str:
        with self._lock:
            if name not in self._cache:
                self._cache[name] = self._fetch(name)
            return self._cache[name]

    def _fetch(self, name: str) -> str:
        try:
            secret = self.client.get_secret(name)
        except ResourceNotFoundError as exc:
            raise ConfigError(
                f"Key Vault {self.url} has no secret {name!r}; add it with "
                f"`az keyvault secret set --vault-name {self.vault} --name {name} --value ...`."
            ) from exc
        except HttpResponseError as exc:
            if status_of(exc) in (401, 403):
                raise self._denied(name, exc) from exc
            raise translate(exc, f"Key Vault {self.url}", ROLE) from exc
        except AzureError as exc:
            raise translate(exc, f"Key Vault {self.url}", ROLE) from exc
        if not secret.value:
            raise ConfigError(f"Key Vault {self.url} holds an empty secret {name!r}; set its value.")
        return secret.value
