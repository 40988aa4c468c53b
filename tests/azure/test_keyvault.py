"""Key Vault through an azure-core transport that answers like the REST API (challenge auth included)."""

import pytest

from rag.backends.azure.keyvault import KeyVaultSecretStore
from rag.errors import ConfigError
from rag.settings import Settings
from tests.azure.fake_openai import FakeCredential
from tests.azure.fake_transport import Call, FakeTransport
from tests.azure.live import live_settings
from tests.contracts.secrets import SecretStoreContract

VAULT = "https://docchat-kv.vault.azure.net"
CHALLENGE = ('Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", '
             'resource="https://vault.azure.net"')


def vault(secrets: dict[str, str], forbidden: bool = False):
    def handle(call: Call):
        if "Authorization" not in call.headers:
            return 401, {"WWW-Authenticate": CHALLENGE}, {"error": {"code": "Unauthorized", "message": "no token"}}
        if forbidden:
            return 403, {}, {"error": {"code": "Forbidden", "message": "caller lacks secrets/get"}}
        name = call.path.split("/")[2]
        if name not in secrets:
            return 404, {}, {"error": {"code": "SecretNotFound", "message": f"A secret with (name/id) {name} was not found"}}
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


def test_forbidden_names_the_role():
    with pytest.raises(ConfigError, match="Key Vault Secrets User"):
        store(vault({}, forbidden=True)).get("db-password")


def test_missing_url_names_the_variable():
    with pytest.raises(ConfigError, match="RAG_AZURE_KEYVAULT_URL"):
        KeyVaultSecretStore(Settings(azure_keyvault_url=""))


class TestLiveKeyVault(SecretStoreContract):
    """Needs a vault holding db-password=s3cret."""

    @pytest.fixture
    def secrets(self, tmp_path):
        return KeyVaultSecretStore(live_settings(tmp_path, "azure_keyvault_url"))
