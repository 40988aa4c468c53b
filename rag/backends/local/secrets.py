"""Secrets from the environment or Streamlit's .streamlit/secrets.toml, for laptops and CI."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from rag.errors import ConfigError
from rag.settings import Settings

SECRETS_TOML = Path(".streamlit") / "secrets.toml"


def env_name(name: str) -> str:
    return "RAG_SECRET_" + name.upper().replace("-", "_")


class EnvSecretStore:
    """`RAG_SECRET_<NAME>` (dashes as underscores), then the plain name, then secrets.toml."""

    def __init__(self, settings: Settings | None = None, path: Path | None = None):
        self.path = Path(path) if path else SECRETS_TOML

    def _toml(self) -> dict:
        try:
            with self.path.open("rb") as handle:
                return tomllib.load(handle)
        except FileNotFoundError:
            return {}
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{self.path} is not valid TOML ({exc}); fix or remove it.") from exc

    def get(self, name: str) -> str:
        for variable in (env_name(name), name):
            if os.environ.get(variable):
                return os.environ[variable]
        value = self._toml().get(name)
        if isinstance(value, str) and value:
            return value
        raise ConfigError(
            f"The secret {name!r} is not set: set the environment variable {env_name(name)} "
            f"or add `{name} = \"...\"` to {self.path}."
        )
