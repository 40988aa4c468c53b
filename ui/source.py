"""The source view: a cited page's text with the quoted spans marked, and for PDFs and images the
page image with the passage boxed. Words OCR was unsure of are underlined in the text."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import streamlit as st

from rag.engine import Engine
from rag.ingest.ocr import span_boxes, uncertain_spans
from rag.types import Citation, Document, Page, Principal
from ui import state
from ui.pdf import render_image_page, render_page, to_png
from ui.render import FOCUS_ID, escape_markdown, merge_spans, page_html, scroll_script

UNCERTAIN_CLASS = "docchat-uncertain"
UNCERTAIN_STYLE = "text-decoration: underline dotted #b03a2e 2px; text-underline-offset: 3px"
UNCERTAIN_NOTE = "Text recognised by OCR; words underlined with dots were hard to read, check them on the image."


def chosen_citation(ref: state.SourceRef) -> Citation | None:
    exchanges = state.exchanges()
    if not 0 <= ref.exchange < len(exchanges):
        return None
    return next((c for c in exchanges[ref.exchange].answer.citations if c.n == ref.n), None)


def marked_html(text: str, spans: Sequence[tuple[int, int]], uncertain: Sequence[tuple[int, int]]) -> str:
    """Escaped text, cited spans in <mark> (the first with the scroll target id), uncertain words underlined."""
    marks, unsure = merge_spans(spans, len(text)), merge_spans(uncertain, len(text))
    cuts = sorted({0, len(text), *(x for span in marks + unsure for x in span)})
    pieces, focused = [], False
    for start, end in zip(cuts, cuts[1:], strict=False):
        piece = html.escape(text[start:end])
        if any(s <= start and end <= e for s, e in unsure):
            piece = f'<span class="{UNCERTAIN_CLASS}" title="low OCR confidence" style="{UNCERTAIN_STYLE}">{piece}</span>'
        if any(s <= start and end <= e for s, e in marks):
            focus = "" if focused else f' id="{FOCUS_ID}"'
            piece, focused = f"<mark{focus}>{piece}</mark>", True
        pieces.append(piece)
    return "".join(pieces)


def ocr_page_html(page: Page, spans: Sequence[tuple[int, int]] = (), height_rem: int = 22) -> str:
    """`page_html` for any page; a page read by OCR also shows which words it was unsure of."""
    if not page.words:
        return page_html(page.text, spans, height_rem)
    frame = page_html("", (), height_rem).removesuffix("</div>")
    return f"{frame}{marked_html(page.text, spans, uncertain_spans(page))}</div>"


@st.cache_data(max_entries=16, show_spinner="Rendering the page…")
def highlighted_png(_load: Callable[[], bytes], sha256: str, kind: str, page: int, quotes: tuple[str, ...],
                    fractions: tuple[tuple[float, float, float, float], ...] | None) -> tuple[bytes, int]:
    """Cached by the file's hash: the caller has already checked the principal may see it."""
    if kind == "image":
        image, boxes = render_image_page(_load(), page, fractions or ())
    else:
        image, boxes = render_page(_load(), page, quotes, fractions=fractions)
    return to_png(image), boxes


def page_image(engine: Engine, document: Document, page: Page, spans: Sequence[tuple[int, int]],
               principal: Principal) -> None:
    """The page's image with the cited spans boxed: from OCR word boxes, or found in the PDF's text layer."""
    fractions = tuple(span_boxes(page, spans)) if page.words else None
    png, boxes = highlighted_png(lambda: engine.original(document.doc_id, principal), document.sha256, document.kind,
                                 page.number, tuple(page.text[s:e] for s, e in spans), fractions)
    note = "cited passage highlighted" if boxes else "the passage could not be located on the image"
    st.image(png, caption=f"Page {page.number}: {note}", width="stretch")


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
    st.html(ocr_page_html(page, spans, height_rem=12))
    if page.words:
        st.caption(UNCERTAIN_NOTE)
    st.html(scroll_script(f"{ref.exchange}-{ref.n}-{state.state().conversation}"), unsafe_allow_javascript=True)
    if document.kind in ("pdf", "image"):
        page_image(engine, document, page, spans, principal)
