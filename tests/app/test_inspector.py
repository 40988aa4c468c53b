"""The chat inspector explains an order that is not the fused scores': the semantic ranker refused (plain hybrid
order), or a passage leads because it sits under the heading the question names."""

from streamlit.testing.v1 import AppTest


def inspector_app(flags: tuple[str, ...]):
    from rag.types import Answer, Chunk, Hit
    from ui.chat import inspector

    hits = [Hit(Chunk("c1", "d1", "Bearings are inspected monthly.", 1, 0, 31, title="b.txt"), 0.03, 1, 1, flags=flags)]
    inspector(Answer("q", "q", "text", hits=hits, retrieved=hits))


def captions(*flags: str) -> list[str]:
    at = AppTest.from_function(inspector_app, args=(flags,), default_timeout=60).run()
    assert not at.exception, at.exception
    return [c.value for c in at.expander[0].caption]


def test_the_inspector_says_reranking_was_skipped_only_when_it_was():
    from rag.types import RERANK_SKIPPED

    assert any(c.startswith("Semantic reranking was skipped") for c in captions(RERANK_SKIPPED))
    assert not any("reranking" in c for c in captions())


def test_the_inspector_says_why_a_named_entry_leads_only_when_one_does():
    from rag.types import NAMED_ENTRY

    assert any("the heading your question names" in c for c in captions(NAMED_ENTRY))
    assert not any("named entry" in c for c in captions())


def test_the_inspector_says_why_a_named_value_leads_only_when_one_does():
    from rag.types import NAMED_VALUE

    assert any("a release, advisory or other name with a digit" in c for c in captions(NAMED_VALUE))
    assert not any("named value" in c for c in captions())
