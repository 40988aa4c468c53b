"""Every setting is documented: in code (a description) and in the README's configuration table."""

import re
from pathlib import Path

import pytest

from rag.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_has_description_and_readme_row(name):
    field = Settings.model_fields[name]
    assert field.description and len(field.description) > 10, f"{name} needs a description"
    row = re.search(rf"^\|\s*`RAG_{name.upper()}`\s*\|", README, re.MULTILINE)
    assert row, f"RAG_{name.upper()} is missing from the README's configuration table"


def test_readme_first_screen_has_the_two_commands():
    first_screen = "\n".join(README.splitlines()[:25])
    assert "make run" in first_screen and "make test" in first_screen
