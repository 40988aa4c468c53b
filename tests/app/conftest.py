"""AppTest fixtures: each test gets its own data dir, copied from one ingested once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rag.settings import Settings, get_settings
from rag.types import Principal
from tests.conftest import MIME_SPEC

APP = str(Path(__file__).parents[2] / "app.py")
MALICIOUS = (
    "Release notes for the glow widget.\n\n"
    "The glow widget is calibrated with <script>window.__pwned=1</script> every morning at dawn.\n"
    'Operators check the calibration log <img src=x onerror="window.__pwned=1"> before the glow widget starts.\n'
    "Further reading about the glow widget: [x](javascript:window.__pwned=1) and **bold** :red[claims].\n"
)


def pytest_configure(config):
    config.addinivalue_line("markers", "first_request: run as the first request a fresh server gets")


@pytest.fixture(autouse=True)
def served_before(request, monkeypatch):
    """A real server leaves Streamlit's legacy pages/ mode for good once any run has called
    st.navigation (ui/router.py); AppTest re-enters it on every run. Tests start from the
    running-server state, except those marked first_request."""
    if request.node.get_closest_marker("first_request"):
        return
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory) -> Path:
    """The MIME spec PDF and a TXT full of markup, ingested by the local user."""
    from rag.engine import Engine

    data = tmp_path_factory.mktemp("seeded") / "data"
    engine = Engine(Settings(data_dir=data))
    me = Principal("local", "Local user")
    for name, content in (("spec.pdf", MIME_SPEC.read_bytes()), ("notes.txt", MALICIOUS.encode())):
        assert engine.ingest(name, content, me).status == "indexed"
    return data


def use_data_dir(monkeypatch, path: Path, **env: str) -> Path:
    monkeypatch.setenv("RAG_DATA_DIR", str(path))
    for name, value in env.items():
        monkeypatch.setenv(f"RAG_{name.upper()}", value)
    get_settings.cache_clear()
    return path


@pytest.fixture
def seeded(seeded_dir, tmp_path, monkeypatch) -> Path:
    """A private copy of the seeded data dir, so tests may upload and delete."""
    yield use_data_dir(monkeypatch, Path(shutil.copytree(seeded_dir, tmp_path / "data")))
    get_settings.cache_clear()


@pytest.fixture
def empty(tmp_path, monkeypatch) -> Path:
    yield use_data_dir(monkeypatch, tmp_path / "data")
    get_settings.cache_clear()


def app(page: str | None = None, timeout: float = 60, user: dict | None = None) -> AppTest:
    """The real app.py (identity + navigation), run once, on `page` if given; `user` is st.user."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if user is not None:
        at.user = user
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]
