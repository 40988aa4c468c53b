"""Keyless Azure auth (one DefaultAzureCredential per process) and SDK errors in our own words."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from azure.core.exceptions import AzureError, ClientAuthenticationError, ServiceRequestError, ServiceResponseError
from azure.identity import DefaultAzureCredential

from rag.errors import BackendUnavailable, ConfigError, RagError

SIGN_IN = (
    "Sign in with `az login` on a laptop, or give the pod a Workload Identity on AKS "
    "(AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE); see docs/azure.md."
)


@lru_cache(maxsize=1)
def default_credential() -> DefaultAzureCredential:
    # An interactive browser login would hang a server; every other keyless source stays on.
    return DefaultAzureCredential(exclude_interactive_browser_credential=True)


def credential_from(deps: dict[str, Any]) -> Any:
    """The `credential=` dependency (tests pass a fake TokenCredential), else DefaultAzureCredential."""
    return deps.get("credential") or default_credential()


def status_of(exc: AzureError) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def translate(exc: AzureError, service: str, role: str) -> RagError:
    """An Azure SDK error as a RagError that says what to do; `role` is the RBAC role the call needs."""
    status = status_of(exc)
    if isinstance(exc, ClientAuthenticationError) and status is None:
        return ConfigError(f"Could not get an Entra ID token for {service} ({exc.message}). {SIGN_IN}")
    if status in (401, 403):
        return ConfigError(
            f"{service} refused access (HTTP {status}). Assign the identity DocChat runs as the "
            f"'{role}' role on it (see docs/azure.md); role assignments take a few minutes to apply."
        )
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return BackendUnavailable(f"Could not reach {service} ({exc.message}). Check the endpoint setting and the network.")
    return BackendUnavailable(
        f"{service} failed (HTTP {status}): {exc.message}. Try again; if it persists, check the service's health."
    )
