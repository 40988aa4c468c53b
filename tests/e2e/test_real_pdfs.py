"""The whole local flow on the real PDFs every machine has: ingest, ask, check citations against the page text."""

import pytest

from rag.engine import Engine
from rag.settings import Settings
from rag.types import Principal, Turn
from tests.conftest import MIME_SPEC, TASN1, make_docx

ME = Principal("analyst", "Analyst")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(tmp_path_factory, local_embedder):
    engine = Engine(Settings(data_dir=tmp_path_factory.mktemp("e2e")), embedder=local_embedder)
    for path in (TASN1, MIME_SPEC):
        report = engine.ingest(path.name, path.read_bytes(), ME)
        assert report.status == "indexed", report.error
    return engine


def test_reports_pages_and_chunks_within_the_embedder_window(engine, local_embedder):
    docs = {d.name: d for d in engine.documents(ME)}
    assert docs["libtasn1.pdf"].pages == 36 and docs["shared-mime-info-spec.pdf"].pages == 17
    for doc in docs.values():
        pages = {p.number: p.text for p in engine.pages(doc.doc_id, ME)}
        chunks = engine.index.chunks(doc.doc_id, ME)
        assert len(chunks) == doc.chunks > doc.pages
        for chunk in chunks:
            assert pages[chunk.page][chunk.start:chunk.end] == chunk.text
            assert local_embedder.count_tokens(chunk.text) <= local_embedder.max_tokens


def test_answer_cites_the_right_page_and_the_quote_is_really_there(engine):
    answer = engine.ask("What is the default weight of a glob pattern?", ME).complete()
    assert "50" in answer.text and not answer.abstained
    citation = next(c for c in answer.citations if "50" in c.quote)
    assert (citation.title, citation.page) == ("shared-mime-info-spec.pdf", 4)
    page_text = engine.pages(citation.doc_id, ME)[citation.page - 1].text
    for start, end in citation.spans:
        assert " ".join(page_text[start:end].split()) in " ".join(answer.text.split())
    assert page_text[citation.start:citation.end] == citation.quote


def test_streams_in_pieces(engine):
    stream = engine.ask("How are glob patterns weighted?", ME)
    assert len(list(stream)) > 5
    assert {c.title for c in stream.answer.citations} == {"shared-mime-info-spec.pdf"}


def test_says_so_when_the_documents_do_not_hold_the_answer(engine):
    for question in ("What is the capital of Peru?", "Who won the football world cup in 1998?"):
        answer = engine.ask(question, ME).complete()
        assert answer.abstained and answer.citations == []
        assert "could not find" in answer.text


def test_follow_up_question_keeps_the_topic(engine):
    first = engine.ask("What is the default weight of a glob pattern?", ME).complete()
    history = [Turn("user", first.question), Turn("assistant", first.text)]
    follow_up = engine.ask("and the maximum?", ME, history=history).complete()
    assert "glob" in follow_up.search_query and "100" in follow_up.text


def test_other_users_see_nothing(engine):
    stranger = Principal("stranger")
    assert engine.documents(stranger) == []
    assert engine.search("glob pattern weight", stranger) == []
    assert engine.ask("What is the default weight of a glob pattern?", stranger).complete().abstained


def test_docx_sections_are_cited_by_section(engine):
    data = make_docx([("Heading 1", "Travel policy"), ("Normal", "Employees may claim up to 80 euros per night "
                      "for hotels in Berlin."), ("Heading 1", "Equipment"), ("Normal", "Laptops are replaced "
                      "every four years.")])
    report = engine.ingest("policy.docx", data, ME)
    assert (report.status, report.pages) == ("indexed", 2)
    answer = engine.ask("How much can employees claim for hotels in Berlin?", ME).complete()
    assert "80 euros" in answer.text
    assert answer.citations[0].title == "policy.docx" and answer.citations[0].page == 1
    engine.delete(report.doc_id, ME)
    assert all(d.name != "policy.docx" for d in engine.documents(ME))


# Questions in the documents' own words, and questions about nothing in them: the reader's confidence
# threshold is fitted on the QA benchmark's dev half (paraphrased questions, eval/qa), not on these, so
# these check it from outside: nearly every off-topic question refused, nearly every on-topic one answered.
ANSWERABLE = [
    "What is the default weight of a glob pattern?", "How does a magic rule match bytes at an offset?", "What does asn1_create_element do?",
    "Which license covers the libtasn1 manual?", "Where are MIME packages installed?",
    "What is the magic file format?", "What does the asn1Parser program do?", "How does DER encode an integer?",
    "What are subclasses of a MIME type?", "How do I delete a structure in libtasn1?",
    "What is the purpose of the update-mime-database command?", "What is an alias for a MIME type?",
]
UNANSWERABLE = [
    "Who won the 1998 football world cup?", "How do I bake sourdough bread?", "What is the boiling point of ethanol?",
    "Who painted the Mona Lisa?", "How many moons does Jupiter have?", "How do I configure a Cisco router VLAN?",
    "Recommend a good science fiction novel", "Explain the rules of cricket", "How do vaccines work?",
]


def test_threshold_answers_answerable_questions(engine):
    answered = [q for q in ANSWERABLE if (a := engine.ask(q, ME).complete()) and not a.abstained and a.citations]
    assert len(answered) >= len(ANSWERABLE) - 2, sorted(set(ANSWERABLE) - set(answered))


def test_threshold_abstains_on_unanswerable_questions(engine):
    answered = [q for q in UNANSWERABLE if not engine.ask(q, ME).complete().abstained]
    assert len(answered) <= 1, answered
