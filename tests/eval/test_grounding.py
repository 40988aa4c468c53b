"""The live groundedness check: extractive answers pass on real PDFs, made-up facts fail."""

from __future__ import annotations

import pytest

from rag.answer import stream_answer
from rag.backends.scripted import ScriptedChatModel
from rag.grounding import check_answer, cited_sentences, unsupported_sentences
from rag.prompt import NOT_FOUND
from rag.types import Answer, Chunk, Hit

QUESTIONS = [
    "How are glob patterns weighted?",
    "What is the default weight of a glob pattern?",
    "Where are the MIME database files installed?",
    "What is a subclass of text/plain?",
    "How are case-sensitive globs handled?",
    "What does the XML namespace look like?",
    "What is libtasn1?",
    "What is the purpose of the aliases file?",
]

CHUNK = Chunk("c1", "d1", "The default weight of a glob is 50. Higher weights win over lower ones.", 1, 0, 70)


def answer_of(text: str) -> Answer:
    return Answer("q", "q", text=text, hits=[Hit(CHUNK, 1.0)])


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS)
def test_extractive_answers_on_real_pdfs_are_fully_supported(engine, principal, question):
    answer = engine.ask(question, principal).complete()
    assert answer.text and not answer.abstained
    assert answer.unsupported == []


def test_a_made_up_number_fails(local_embedder):
    answer = answer_of("The default weight of a glob is 80 [1].")
    assert unsupported_sentences(answer, local_embedder) == ["The default weight of a glob is 80."]
    assert "80" in check_answer(answer, local_embedder)[0].reason


def test_scripted_generative_answer_is_checked_through_the_stream_hook(local_embedder):
    class Inventing(ScriptedChatModel):
        def stream(self, request):
            yield "Globs weigh 50 by default [1]. They were introduced in 1997 [1]. Nobody knows why."

    answer = stream_answer(Inventing(), "q", "q", [Hit(CHUNK, 1.0)], [], embedder=local_embedder).complete()
    assert answer.unsupported == ["They were introduced in 1997.", "Nobody knows why."]


def test_paraphrase_with_the_same_numbers_passes(local_embedder):
    answer = answer_of("By default a glob pattern has a weight of 50 [1].")
    assert unsupported_sentences(answer, local_embedder) == []


def test_unrelated_claim_citing_a_source_fails(local_embedder):
    answer = answer_of("Magic rules are checked before any glob [1].")
    assert unsupported_sentences(answer, local_embedder) == ["Magic rules are checked before any glob."]


def test_not_found_reply_and_out_of_range_citations():
    assert unsupported_sentences(answer_of(NOT_FOUND), None) == []
    assert unsupported_sentences(answer_of("The default weight of a glob is 50 [7]."), None) == [
        "The default weight of a glob is 50."]


def test_markers_are_split_from_code_indexes_and_attached_to_their_sentence():
    text = "A value[0]=0x01 , len=1. [1]\n\nB is 5 [2]. C [1][3]."
    assert cited_sentences(text) == [("A value[0]=0x01, len=1.", (1,)), ("B is 5.", (2,)), ("C.", (1, 3))]


def test_a_heading_above_the_chunk_is_part_of_what_it_cites(local_embedder):
    """A changelog entry's release heads its chunk's path, not its text ("2.2.0" over "- The fsevents2 observer is now
    deprecated"): the extractive reader leads its quote with it, and the check finds it there."""
    chunk = Chunk("c2", "d1", "- [fsevents2] The fsevents2 observer is now deprecated (#909)", 1, 0, 60,
                  section="2.2.1 > 2.2.0")
    answer = Answer("q", "q", text="2.2.0 [1] - [fsevents2] The fsevents2 observer is now deprecated (#909) [1]",
                    hits=[Hit(chunk, 1.0)])
    assert unsupported_sentences(answer, local_embedder) == []
    answer.text = "2.3.0 [1] - [fsevents2] The fsevents2 observer is now deprecated (#909) [1]"
    assert unsupported_sentences(answer, local_embedder)  # a release the path does not name is not supported
