"""The local secret store: environment first, then .streamlit/secrets.toml."""

import pytest

from rag.backends.local.secrets import EnvSecretStore
from rag.errors import ConfigError
from tests.contracts.secrets import SecretStoreContract


class TestEnvSecretsContract(SecretStoreContract):
    @pytest.fixture
    def secrets(self, tmp_path):
        path = tmp_path / "secrets.toml"
        path.write_text('db-password = "s3cret"\n')
        return EnvSecretStore(path=path)


def test_environment_wins_over_toml(tmp_path, monkeypatch):
    path = tmp_path / "secrets.toml"
    path.write_text('openai-api-key = "from-toml"\n')
    monkeypatch.setenv("RAG_SECRET_OPENAI_API_KEY", "from-env")
    assert EnvSecretStore(path=path).get("openai-api-key") == "from-env"


def test_missing_says_which_variable_to_set(tmp_path):
    with pytest.raises(ConfigError, match="RAG_SECRET_AZURE_STORAGE_CONNECTION_STRING"):
        EnvSecretStore(path=tmp_path / "none.toml").get("azure-storage-connection-string")
