"""The chat inspector says when the semantic ranker refused and hits are in plain hybrid order."""

from streamlit.testing.v1 import AppTest


def inspector_app(flagged: bool):
    from rag.types import RERANK_SKIPPED, Answer, Chunk, Hit
    from ui.chat import inspector

    flags = (RERANK_SKIPPED,) if flagged else ()
    hits = [Hit(Chunk("c1", "d1", "Bearings are inspected monthly.", 1, 0, 31, title="b.txt"), 0.03, 1, 1, flags=flags)]
    inspector(Answer("q", "q", "text", hits=hits, retrieved=hits))


def captions(flagged: bool) -> list[str]:
    at = AppTest.from_function(inspector_app, args=(flagged,), default_timeout=60).run()
    assert not at.exception, at.exception
    return [c.value for c in at.expander[0].caption]


def test_the_inspector_says_reranking_was_skipped_only_when_it_was():
    assert any(c.startswith("Semantic reranking was skipped") for c in captions(True))
    assert not any("reranking" in c for c in captions(False))
