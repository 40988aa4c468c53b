"""Key Vault through an azure-core transport that answers like the REST API (challenge auth included)."""

import re

import pytest

from rag.backends.azure.blobs import blob_service
from rag.backends.azure.keyvault import KeyVaultSecretStore
from rag.backends.openai_compat import api_key
from rag.errors import ConfigError
from rag.protocols import SecretAccessDenied
from rag.settings import Settings
from tests.azure.fake_openai import FakeCredential
from tests.azure.fake_transport import Call, FakeTransport
from tests.azure.live import live_settings
from tests.contracts.secrets import SecretStoreContract

VAULT = "https://docchat-kv.vault.azure.net"
CHALLENGE = ('Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", '
             'resource="https://vault.azure.net"')


API_VERSIONS = {"7.5", "7.6", "2025-07-01", "2026-04-01"}  # what the pinned SDK can send
SECRET_PATH = re.compile(r"^/secrets/([0-9A-Za-z-]{1,127})/?$")  # GET /secrets/{name}/{version?}: latest when empty


def kv_error(status: int, code: str, message: str, inner: str | None = None):
    error = {"code": code, "message": message}
    if inner:
        error["innererror"] = {"code": inner}
    return status, {}, {"error": error}


def vault(secrets: dict[str, str], forbidden: str | None = None):
    """`forbidden`: the innererror code of a 403 (ForbiddenByRbac: no role; ForbiddenByFirewall: network)."""
    def handle(call: Call):
        if "Authorization" not in call.headers:
            return 401, {"WWW-Authenticate": CHALLENGE}, {"error": {
                "code": "Unauthorized", "message": "AKV10000: Request is missing a Bearer or PoP token."}}
        match = SECRET_PATH.match(call.path)
        if call.method != "GET" or not match:
            return kv_error(404, "NotFound", f"{call.method} {call.path} is not a Key Vault operation")
        if call.query.get("api-version") not in API_VERSIONS:
            return kv_error(400, "BadParameter", f"The specified version ({call.query.get('api-version')}) is not recognized.")
        if forbidden:
            return kv_error(403, "Forbidden", "Caller is not authorized to perform action on resource. "
                            "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'", forbidden)
        name = match.group(1)
        if name not in secrets:
            return kv_error(404, "SecretNotFound", f"A secret with (name/id) {name} was not found in this key vault.")
        return 200, {}, {"value": secrets[name], "id": f"{VAULT}/secrets/{name}/0123456789abcdef",
                         "attributes": {"enabled": True, "created": 1700000000, "updated": 1700000000,
                                        "recoveryLevel": "Recoverable+Purgeable"}}
    return FakeTransport(handle)


def store(transport):
    return KeyVaultSecretStore(Settings(azure_keyvault_url=VAULT), credential=FakeCredential(), transport=transport)


class TestKeyVaultContract(SecretStoreContract):
    @pytest.fixture
    def secrets(self):
        return store(vault({"db-password": "s3cret"}))


def test_fetches_once_per_process_with_a_bearer_token():
    transport = vault({"db-password": "s3cret"})
    secrets = store(transport)
    assert secrets.get("db-password") == "s3cret" and secrets.get("db-password") == "s3cret"
    gets = [c for c in transport.calls if "Authorization" in c.headers]
    assert len(gets) == 1 and gets[0].headers["Authorization"] == "Bearer fake-entra-token"
    assert gets[0].path.startswith("/secrets/db-password")


def test_missing_secret_names_vault_and_secret():
    with pytest.raises(ConfigError, match="docchat-kv.*no-such"):
        store(vault({})).get("no-such")


def test_forbidden_names_the_role_and_the_vault():
    with pytest.raises(SecretAccessDenied, match="Key Vault Secrets User.*on vault docchat-kv"):
        store(vault({}, forbidden="ForbiddenByRbac")).get("db-password")
    with pytest.raises(SecretAccessDenied, match="firewall"):
        store(vault({}, forbidden="ForbiddenByFirewall")).get("db-password")


def test_a_missing_key_falls_back_but_a_refused_vault_does_not(tmp_path):
    """The OpenAI-compatible key: absent from the vault -> RAG_OPENAI_API_KEY; vault refuses -> ConfigError."""
    settings = Settings(data_dir=tmp_path, openai_api_key="from-env")
    assert api_key(settings, store(vault({}))) == "from-env"
    with pytest.raises(SecretAccessDenied, match="Key Vault Secrets User"):
        api_key(settings, store(vault({}, forbidden="ForbiddenByRbac")))


def test_a_refused_vault_is_not_reported_as_a_missing_connection_string(tmp_path):
    with pytest.raises(SecretAccessDenied, match="Key Vault Secrets User"):
        blob_service(Settings(data_dir=tmp_path), store(vault({}, forbidden="ForbiddenByRbac")), {})


def test_missing_url_names_the_variable():
    with pytest.raises(ConfigError, match="RAG_AZURE_KEYVAULT_URL"):
        KeyVaultSecretStore(Settings(azure_keyvault_url=""))


class TestLiveKeyVault(SecretStoreContract):
    """Needs a vault holding db-password=s3cret."""

    @pytest.fixture
    def secrets(self, tmp_path):
        return KeyVaultSecretStore(live_settings(tmp_path, "azure_keyvault_url"))
