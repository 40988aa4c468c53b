"""Session fixtures: the real Azurite Blob and Table services (tests/azure/azurite.py)."""

from __future__ import annotations

import pytest

from tests.azure.azurite import azurite as run_azurite


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    """A Blob service's connection string."""
    with run_azurite("blob", tmp_path_factory.mktemp("azurite")) as connection_string:
        yield connection_string


@pytest.fixture(scope="session")
def azurite_tables(tmp_path_factory):
    """A Table service's connection string."""
    with run_azurite("table", tmp_path_factory.mktemp("azurite-table")) as connection_string:
        yield connection_string
