"""One engine for the whole eval suite: real local backends, two real PDFs ingested once."""

from __future__ import annotations

import pytest

from tests.conftest import MIME_SPEC, TASN1, make_pdf

USER = "eval-user"


@pytest.fixture(scope="session")
def principal():
    from rag.types import Principal

    return Principal(USER)


@pytest.fixture(scope="session")
def engine(tmp_path_factory, local_embedder, principal):
    from rag.engine import Engine
    from rag.settings import Settings

    if not (MIME_SPEC.exists() and TASN1.exists()):
        pytest.skip("needs the shared-mime-info and libtasn1-doc PDFs (apt-get install shared-mime-info libtasn1-doc)")
    engine = Engine(Settings(data_dir=tmp_path_factory.mktemp("eval-data")), embedder=local_embedder)
    for name, data in (("mime-spec.pdf", MIME_SPEC.read_bytes()), ("tasn1-intro.pdf", make_pdf())):
        report = engine.ingest(name, data, principal)
        assert report.status == "indexed", report.error
    return engine


@pytest.fixture(scope="session")
def docs(engine, principal):
    """doc name -> Document."""
    return {d.name: d for d in engine.documents(principal)}
