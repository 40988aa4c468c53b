"""The Documents page's parts: ingest uploads with live progress, the results and library tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import streamlit as st

from rag.engine import Engine
from rag.errors import RagError
from rag.ingest.pipeline import OCR_STAGE
from rag.ingest.validate import EXTENSIONS
from rag.types import Document, IngestReport, Principal
from ui import state
from ui.render import escape_markdown
from ui.source import ocr_page_html

UPLOAD_TYPES = sorted(EXTENSIONS)  # what ingest reads, Markdown (.md) too; with their dots (a bare "text" is text/*)
STAGE_WORDS = {
    "parsed": "Text extracted",
    "stored": "Original stored",
    "chunked": "Split into passages",
    "embedding": "Embedding passages",
    "embedded": "Passages embedded",
    "indexed": "Indexed",
}
OCR_PREFIX = f"{OCR_STAGE} "
STATUS_WORDS = {"indexed": "added", "unchanged": "already in your library", "replaced": "replaced the older version",
                "rejected": "rejected"}


class Upload(Protocol):
    """What the pages need of st.file_uploader's UploadedFile."""

    file_id: str
    name: str

    def getvalue(self) -> bytes: ...


def ingest_one(engine: Engine, upload: Upload, principal: Principal, collection: str = "") -> IngestReport:
    """Ingest one upload inside an st.status with a progress bar that follows the engine's stages."""
    name = escape_markdown(upload.name)
    with st.status(f"Adding {name}", expanded=True) as status:
        bar = st.progress(0.0, text="Checking the file")

        def progress(stage: str, fraction: float) -> None:
            bar.progress(min(1.0, max(0.0, fraction)), text=stage_words(stage))

        try:
            report = engine.ingest(upload.name, upload.getvalue(), principal, collection, progress=progress)
        except RagError as exc:  # e.g. the index or the embedder is unreachable
            report = IngestReport(upload.name, status="rejected", error=str(exc))
        if report.status == "rejected":
            st.error(report.error)
            status.update(label=f"{name}: rejected", state="error", expanded=True)
        else:
            status.update(label=f"{name}: {STATUS_WORDS[report.status]}", state="complete", expanded=False)
    return report


def stage_words(stage: str) -> str:
    """What the progress bar says: OCR counts pages ("recognising 3/40"), the other stages are named."""
    if stage.startswith(OCR_PREFIX):
        done, _, total = stage.removeprefix(OCR_PREFIX).partition("/")
        return f"Reading the scan (OCR): page {done} of {total}"
    return STAGE_WORDS.get(stage, "Working")


def share_choice(principal: Principal) -> str:
    """Where new uploads go: private, or the collection of one of the user's groups (members see it)."""
    if not principal.groups:
        return ""
    options = ["", *principal.groups]
    return st.selectbox("Share new uploads with", options, format_func=lambda g: f"group {g}" if g else "only me",
                        help="Members of the group can find, read and cite the file; only you can delete it.")


def ingest_uploads(engine: Engine, uploads: Iterable[Upload], principal: Principal, collection: str = "") -> int:
    """Ingest the uploads this session has not seen yet (reruns keep the same file ids)."""
    done = 0
    for upload in uploads:
        if not state.is_ingested(upload.file_id):
            state.record_ingest(upload.file_id, ingest_one(engine, upload, principal, collection))
            done += 1
    return done


def report_rows(reports: Sequence[IngestReport]) -> list[dict]:
    return [{"name": r.name, "status": STATUS_WORDS[r.status], "pages": r.pages, "chunks": r.chunks,
             "seconds": round(r.seconds, 1), "error": r.error} for r in reports]


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


def matching(documents: Sequence[Document], query: str) -> list[Document]:
    """Documents whose name contains every word of `query` (case-insensitive)."""
    words = query.lower().split()
    return [d for d in documents if all(w in d.name.lower() for w in words)]


def document_rows(documents: Sequence[Document]) -> list[dict]:
    return [{"name": d.name, "type": d.kind.upper(), "pages": d.pages, "chunks": d.chunks,
             "size": human_size(d.size), "uploaded at": d.uploaded_at.replace("T", " ").replace("+00:00", " UTC"),
             "by": d.uploaded_by or d.owner, "shared with": d.collection or "only you"} for d in documents]


def preview(engine: Engine, document: Document, principal: Principal) -> None:
    """Every page's text, escaped, in a scrollable box per page."""
    for page in engine.pages(document.doc_id, principal):
        st.caption(f"Page {page.number}" + (f": {escape_markdown(page.section)}" if page.section else ""))
        st.html(ocr_page_html(page, height_rem=16))


def delete_controls(engine: Engine, document: Document, principal: Principal) -> None:
    """A delete button, then an explicit confirmation before anything is removed."""
    name = escape_markdown(document.name)
    if state.confirm_delete() != document.doc_id:
        st.button("Delete…", key="delete-ask", on_click=state.ask_delete, args=(document.doc_id,))
        return
    st.warning(f"Delete **{name}**? It leaves the index and the storage; answers can no longer cite it.")
    yes, no = st.columns(2)
    if no.button("Cancel", key="delete-cancel", on_click=state.cancel_delete):
        return
    if yes.button("Yes, delete", key="delete-confirm", type="primary"):
        state.cancel_delete()
        try:
            engine.delete(document.doc_id, principal)
        except RagError as exc:
            st.error(str(exc))
            return
        state.notify(f"Deleted {name}.")
        st.rerun()
