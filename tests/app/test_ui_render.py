"""ui/render.py: untrusted text comes out inert, highlights land on the right characters."""

import re

from hypothesis import given
from hypothesis import strategies as st

from ui.render import (
    FOCUS_ID,
    escape_markdown,
    escape_stream,
    highlight_html,
    merge_spans,
    page_html,
    preview,
    scroll_script,
)

ATTACKS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "[x](javascript:window.__pwned=1)",
    "![x](javascript:alert(1))",
    ":red[styled] $x^2$ `code` **bold** <https://evil.example>",
]


def unescape_markdown(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def test_markdown_escaping_leaves_no_active_syntax():
    for attack in ATTACKS:
        escaped = escape_markdown(attack)
        assert unescape_markdown(escaped) == attack
        # every character that could open a link, tag, directive or formula is backslash-escaped
        assert not re.search(r"(?<!\\)[\[\]()<>`*$:]", escaped), escaped


@given(st.text())
def test_markdown_escaping_round_trips(text):
    assert unescape_markdown(escape_markdown(text)) == text


@given(st.lists(st.text(), max_size=8))
def test_escaping_a_stream_delta_by_delta_equals_escaping_the_whole(deltas):
    assert "".join(escape_stream(deltas)) == escape_markdown("".join(deltas))


def test_highlight_escapes_text_inside_and_outside_the_mark():
    text = "before <script>x</script> middle <img src=x onerror=alert(1)> after"
    html = highlight_html(text, [(7, 25)])
    assert "<script>" not in html and "<img" not in html
    assert f'<mark id="{FOCUS_ID}">&lt;script&gt;x&lt;/script&gt;</mark>' in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_highlight_marks_every_span_and_focuses_the_first():
    text = "one two three four five"
    html = highlight_html(text, [(14, 18), (0, 3)])
    assert html == f'<mark id="{FOCUS_ID}">one</mark> two three <mark>four</mark> five'


def test_spans_are_clamped_sorted_and_merged():
    assert merge_spans([(5, 9), (-3, 2), (8, 12), (20, 40), (7, 7)], 30) == [(0, 2), (5, 12), (20, 30)]
    assert merge_spans([], 10) == []


def test_page_html_wraps_escaped_text_in_a_scroll_box():
    html = page_html('a "quoted" <b>bold</b>', [(0, 1)])
    assert html.startswith('<div class="docchat-page"') and "overflow-y: auto" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&quot;quoted&quot;" in html


def test_scroll_script_keeps_only_safe_token_characters():
    script = scroll_script("1-2</script><script>alert(1)")
    assert script.count("<script>") == 1 and script.count("</script>") == 1
    assert "alert(" not in script and "/* 1-2scriptscriptalert1 */" in script


def test_preview_flattens_and_truncates():
    assert preview("a\n\n b   c") == "a b c"
    assert preview("x" * 500, limit=10) == "x" * 9 + "…"
    # a title's underline does not fill a related passage's line
    assert preview("OPTIONS FOR 'split'\n" + "-" * 60 + "\nThese options ...") == "OPTIONS FOR 'split' --- These options ..."


def test_streamlits_typographic_pairs_stay_as_the_document_wrote_them():
    """Streamlit's Markdown shows "GCC >= 10.1" as "GCC ≥ 10.1" and "git checkout -- file" with an em dash, escaped
    or not (BUILDING.md's compilers table, checked in Chromium): a word joiner between the two marks keeps the quote
    verbatim; marks inside a word ("--all", "strm->avail_in") are left alone, as Streamlit leaves them."""
    from ui.render import JOINER

    assert escape_markdown("GCC >= 10.1") == f"GCC \\>{JOINER}\\= 10\\.1"
    assert escape_markdown("git checkout -- file") == f"git checkout \\-{JOINER}\\- file"
    assert escape_markdown("x <-> y") == f"x \\<{JOINER}\\-{JOINER}\\> y"
    assert JOINER not in escape_markdown("ls --all; strm->avail_in; (>= 2)")
