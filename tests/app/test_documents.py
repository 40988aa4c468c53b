"""The Documents page through AppTest: real uploads with progress, results, library, preview, delete."""

from rag.types import Principal
from tests.app.conftest import app
from tests.conftest import MIME_SPEC, TASN1, make_docx

DOCS = "pages/documents.py"


def library_names(at) -> list[str]:
    return at.dataframe[-1].value["name"].tolist()


def test_real_uploads_are_ingested_once_with_progress_and_a_results_table(seeded):
    at = app(DOCS)
    files = [("libtasn1.pdf", TASN1.read_bytes(), "application/pdf"),
             ("spec.pdf", MIME_SPEC.read_bytes(), "application/pdf"),
             ("memo.docx", make_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
             ("plain.txt", b"The quarterly report lists seven haystacks and one needle.\n", "text/plain"),
             ("fake.pdf", b"this is not a pdf at all", "application/pdf")]
    at.file_uploader[0].set_value(files).run(timeout=180)
    assert not at.exception
    assert len(at.status) == 5 and len(at.get("progress")) == 5
    rows = at.dataframe[0].value.set_index("name")
    assert rows.loc["libtasn1.pdf", "status"] == "added" and rows.loc["libtasn1.pdf", "pages"] == 36
    assert rows.loc["spec.pdf", "status"] == "already in your library"
    assert rows.loc["memo.docx", "status"] == "added" and rows.loc["memo.docx", "chunks"] >= 1
    assert rows.loc["plain.txt", "status"] == "added"
    assert rows.loc["fake.pdf", "status"] == "rejected" and rows.loc["fake.pdf", "error"]
    assert at.error[0].value == rows.loc["fake.pdf", "error"]  # the engine's words, shown as they are
    assert sorted(library_names(at)) == ["libtasn1.pdf", "memo.docx", "notes.txt", "plain.txt", "spec.pdf"]

    at.run()  # a rerun keeps the uploads in the widget but ingests nothing again
    assert not at.status and len(at.dataframe[0].value) == 5


def test_the_uploader_takes_every_kind_ingest_reads_markdown_too(empty):
    """The engine and the CLI read .md files; the uploader had refused them."""
    from rag.ingest.validate import EXTENSIONS

    at = app(DOCS)
    assert set(at.file_uploader[0].proto.type) == set(EXTENSIONS)
    readme = b"# Security\n\n## Reporting a bug\n\nReport security bugs through the tracker within 5 days.\n"
    at.file_uploader[0].set_value([("SECURITY.md", readme, "text/markdown")]).run(timeout=120)
    assert not at.exception and at.dataframe[0].value.set_index("name").loc["SECURITY.md", "status"] == "added"


def test_the_library_filters_by_name_and_previews_escaped_text(seeded):
    at = app(DOCS)
    assert sorted(library_names(at)) == ["notes.txt", "spec.pdf"]
    table = at.dataframe[-1].value.set_index("name")
    assert table.loc["spec.pdf", "pages"] == 17 and table.loc["spec.pdf", "type"] == "PDF"
    assert table.loc["spec.pdf", "by"] == "Local user" and table.loc["spec.pdf", "size"] == "137.1 KB"
    at.text_input[0].set_value("NOTES").run()
    assert library_names(at) == ["notes.txt"]
    boxes = [h.proto.body for h in at.html if "docchat-page" in h.proto.body]
    assert len(boxes) == 1 and "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in boxes[0]
    assert "<script>" not in boxes[0] and "<img" not in boxes[0]
    at.text_input[0].set_value("no such file").run()
    assert "matches" in at.info[0].value and not at.selectbox and len(at.dataframe) == 0


def test_delete_asks_for_confirmation_and_can_be_cancelled(seeded):
    at = app(DOCS)
    at.text_input[0].set_value("notes").run()
    at.button(key="delete-ask").click().run()
    assert r"notes\.txt" in at.warning[0].value
    at.button(key="delete-cancel").click().run()
    assert not at.warning and "notes.txt" in library_names(at)
    at.button(key="delete-ask").click().run()
    at.button(key="delete-confirm").click().run()
    assert not at.exception
    assert "Deleted notes" in at.success[0].value
    at.text_input[0].set_value("").run()
    assert library_names(at) == ["spec.pdf"]


def test_an_empty_library_says_so(empty):
    at = app(DOCS)
    assert not at.exception and not at.error
    assert "library is empty" in at.info[0].value


def test_settings_page_lists_backends_models_and_sizes(seeded):
    at = app("pages/settings.py")
    assert not at.exception and not at.error
    backends = at.dataframe[0].value.set_index("seam")
    assert backends.loc["embedder", "backend"] == "local" and backends.loc["embedder", "model"] == "all-MiniLM-L6-v2"
    assert backends.loc["chat", "backend"] == "extractive"
    facts = at.dataframe[1].value.set_index("setting")["value"]
    assert facts["version"] == "0.1.0" and facts["documents you can see"] == "2"
    assert int(facts["index size (passages, all users)"]) > 50 and facts["data dir"] == str(seeded.resolve())



def test_nobody_else_sees_the_local_users_documents(seeded, monkeypatch):
    monkeypatch.setenv("RAG_LOCAL_USER", "someone-else")
    from rag.settings import get_settings

    get_settings.cache_clear()
    at = app(DOCS)
    assert at.session_state["docchat"].principal == Principal("someone-else", "Local user")
    assert "library is empty" in at.info[0].value and not at.dataframe
