"""Every SecretStore passes these. Subclasses supply `secrets` holding {"db-password": "s3cret"}."""

import pytest

from rag.errors import ConfigError


class SecretStoreContract:
    @pytest.fixture
    def secrets(self):
        raise NotImplementedError("subclass provides a SecretStore holding db-password=s3cret")

    def test_get_known_secret(self, secrets):
        assert secrets.get("db-password") == "s3cret"

    def test_missing_secret_names_it(self, secrets):
        with pytest.raises(ConfigError, match="no-such-secret"):
            secrets.get("no-such-secret")
