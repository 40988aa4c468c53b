"""Turn untrusted document text into inert Markdown or HTML, with cited spans highlighted.

Answers quote documents verbatim, so everything here treats text as hostile: `<script>`,
`<img onerror=...>` and `[x](javascript:...)` must come out as plain characters."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence

FOCUS_ID = "docchat-focus"
PAGE_CLASS = "docchat-page"
# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can
# start Markdown, HTML, LaTeX ($) or Streamlit directives (:red[...], :material/icon:)
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'^%@])")


# Streamlit's Markdown turns "<- -> <-> -- >= <= ~=" standing alone into "← → ↔ — ≥ ≤ ≈", escaped or not; a word
# joiner (U+2060, invisible) between the two marks keeps a quote verbatim ("GCC >= 10.1", "git checkout -- file")
TYPOGRAPHIC = re.compile(r"(?<!\S)(<->|<-|->|--|>=|<=|~=)(?!\S)")
JOINER = "\u2060"


def escape_markdown(text: str) -> str:
    """Text that st.markdown shows exactly as written. Per character (but for the typographic pairs, which a stream
    delta rarely splits), so it also works on stream deltas."""
    text = TYPOGRAPHIC.sub(lambda m: JOINER.join(m.group()), text)
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def emphasised_markdown(text: str, phrases: Sequence[str]) -> str:
    """`text` escaped for st.markdown, with the first occurrence of each phrase in bold: the words
    of a quote that answer the question."""
    spans = []
    for phrase in phrases:
        found = text.find(phrase.strip()) if phrase.strip() else -1
        if found >= 0:
            spans.append((found, found + len(phrase.strip())))
    pieces, last = [], 0
    for start, end in merge_spans(spans, len(text)):
        pieces.append(escape_markdown(text[last:start]))
        pieces.append(f"**{escape_markdown(text[start:end])}**")
        last = end
    pieces.append(escape_markdown(text[last:]))
    return "".join(pieces)


def escape_stream(deltas: Iterable[str]) -> Iterator[str]:
    """Escape each delta of an answer stream for st.write_stream."""
    for delta in deltas:
        yield escape_markdown(delta)


def merge_spans(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Sorted, clamped to [0, length], empty ones dropped, overlapping ones merged."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight_html(text: str, spans: Sequence[tuple[int, int]] = ()) -> str:
    """Escaped text with each span in a <mark>; the first one has the id the scroll script looks for."""
    pieces, last = [], 0
    for i, (start, end) in enumerate(merge_spans(spans, len(text))):
        focus = f' id="{FOCUS_ID}"' if i == 0 else ""
        pieces.append(html.escape(text[last:start]))
        pieces.append(f"<mark{focus}>{html.escape(text[start:end])}</mark>")
        last = end
    pieces.append(html.escape(text[last:]))
    return "".join(pieces)


def page_html(text: str, spans: Sequence[tuple[int, int]] = (), height_rem: int = 22) -> str:
    """A scrollable box with one page's text, ready for st.html."""
    style = (f"white-space: pre-wrap; max-height: {height_rem}rem; overflow-y: auto; position: relative; "
             "font-size: 0.9rem; line-height: 1.5; padding: 0.75rem; border: 1px solid #e3e6ea; "
             "border-radius: 0.5rem; background: #fbfbfc")
    return f'<div class="{PAGE_CLASS}" style="{style}">{highlight_html(text, spans)}</div>'


def scroll_script(token: str) -> str:
    """Scrolls the page box so the first <mark> sits near the top third. Constant code: `token`
    (made of safe characters only) changes per citation so the browser runs it again."""
    token = re.sub(r"[^A-Za-z0-9_-]", "", token)
    return (
        f"<script>/* {token} */(function(){{var n=0;var t=setInterval(function(){{"
        f"var m=document.getElementById('{FOCUS_ID}');"
        f"if(m){{var box=m.closest('.{PAGE_CLASS}');"
        "if(box){box.scrollTop=Math.max(0,m.offsetTop-box.clientHeight/3);}clearInterval(t);}"
        "if(++n>60){clearInterval(t);}},50);})();</script>"
    )


RULE_RUN = re.compile(r"([-=_*~#+])\1{3,}")


def preview(text: str, limit: int = 160) -> str:
    """One line of plain text for tables (dataframes render text, never markup) and a refusal's related passages; a
    rule (a title's "--------------------" underline) is cut to three marks, so it does not fill the line."""
    flat = RULE_RUN.sub(r"\1\1\1", " ".join(text.split()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def citation_label(n: int, title: str, page: int) -> str:
    return escape_markdown(f"[{n}] {title} p.{page}")
