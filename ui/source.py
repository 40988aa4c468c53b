"""The source view: a cited page's text with the quoted spans marked, and for PDFs the page image."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from rag.engine import Engine
from rag.types import Citation, Document, Principal
from ui import state
from ui.pdf import render_page, to_png
from ui.render import escape_markdown, page_html, scroll_script


def chosen_citation(ref: state.SourceRef) -> Citation | None:
    exchanges = state.exchanges()
    if not 0 <= ref.exchange < len(exchanges):
        return None
    return next((c for c in exchanges[ref.exchange].answer.citations if c.n == ref.n), None)


@st.cache_data(max_entries=16, show_spinner="Rendering the page…")
def highlighted_png(_load: Callable[[], bytes], sha256: str, page: int, quotes: tuple[str, ...]) -> tuple[bytes, int]:
    """Cached by the file's hash: the caller has already checked the principal may see it."""
    image, boxes = render_page(_load(), page, quotes)
    return to_png(image), boxes


def page_image(engine: Engine, document: Document, citation: Citation, quotes: tuple[str, ...],
               principal: Principal) -> None:
    png, boxes = highlighted_png(lambda: engine.original(document.doc_id, principal), document.sha256,
                                 citation.page, quotes)
    note = "cited passage highlighted" if boxes else "the passage could not be located on the image"
    st.image(png, caption=f"Page {citation.page}: {note}", width="stretch")


def show_source(engine: Engine, ref: state.SourceRef, principal: Principal) -> None:
    """Raises RagError (e.g. NotFound after a delete); the page shows it."""
    title, close = st.columns([4, 1], vertical_alignment="center")
    title.subheader(f"Source [{ref.n}]")
    close.button("Close", key="source-close", on_click=state.close_source)
    citation = chosen_citation(ref)
    if citation is None:
        st.info("This source belongs to an earlier conversation.")
        return
    document = engine.document(citation.doc_id, principal)
    page = next((p for p in engine.pages(document.doc_id, principal) if p.number == citation.page), None)
    st.markdown(f"**{escape_markdown(document.name)}**, page {citation.page}")
    if page is None:
        st.warning("This page is no longer in the document.")
        return
    spans = citation.spans or ((citation.start, citation.end),)
    st.html(page_html(page.text, spans, height_rem=12))
    st.html(scroll_script(f"{ref.exchange}-{ref.n}-{state.state().conversation}"), unsafe_allow_javascript=True)
    if document.kind == "pdf":
        page_image(engine, document, citation, tuple(page.text[s:e] for s, e in spans), principal)
