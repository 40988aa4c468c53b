"""An analyst's own files, end to end: a Word policy with a table and lists, a Word FAQ and a Markdown file,
ingested for real and asked through `Engine.ask` (stop 29: each answer below was wrong or refused before)."""

import pytest

from rag.engine import Engine
from rag.settings import Settings
from rag.types import Principal, Turn
from tests.conftest import docx_bytes

ME = Principal("analyst", "Analyst")
pytestmark = pytest.mark.slow

SECURITY_MD = b"""---
title: Security policy
layout: default
---

# Security

## Reporting a bug in a third-party module

Security bugs in third-party modules should be reported to their respective maintainers.

## What we do not trust

**The runtime does NOT trust**:

* Data received from the remote end of inbound network connections.
* The file content or other I/O opened for reading or writing.
"""


def policy_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Northwind Records Retention Policy", 0)
    document.add_heading("Retention schedule", 1)
    document.add_paragraph("Records are kept for the periods below.")
    table = document.add_table(rows=1, cols=3)
    for cell, name in zip(table.rows[0].cells, ("Record type", "Retention period", "Responsible team"), strict=True):
        cell.text = name
    for row in (("Invoices and receipts", "7 years", "Finance"), ("CCTV footage", "30 days", "Facilities"),
                ("Board minutes", "Permanently", "Company Secretary")):
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    document.add_heading("Acceptable use", 1)
    document.add_paragraph("When using company systems, staff must not:")
    for item in ("Install unlicensed software", "Share passwords with anyone", "Mine cryptocurrency"):
        document.add_paragraph(item, style="List Bullet")
    return docx_bytes(document)


def bold_over_plain(document, pairs) -> None:
    """Each pair as a bold paragraph (an FAQ's question, a glossary's term) over a plain one (its answer)."""
    for bold, plain in pairs:
        document.add_paragraph().add_run(bold).bold = True
        document.add_paragraph(plain)


def faq_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Expenses FAQ", 0)
    bold_over_plain(document, (
        ("Can I claim alcohol?", "No. Alcohol is never reimbursed, including at client dinners."),
        ("What is the daily meal allowance?", "The meal allowance is 40 euros per day when travelling, or 60 euros "
                                              "per day in London, Paris and New York."),
        ("Who approves my claim?", "Your line manager approves claims up to 500 euros."),
    ))
    return docx_bytes(document)


def glossary_docx() -> bytes:
    """A data protection policy whose definitions are a glossary: each term a short bold paragraph over its own."""
    import docx

    document = docx.Document()
    document.add_heading("Data Protection Policy", 0)
    document.add_heading("Definitions", 1)
    bold_over_plain(document, (
        ("Personal data", "Any information relating to an identified or identifiable natural person."),
        ("Data controller", "The organisation that decides why and how personal data is processed. For this policy, "
                            "the data controller is Acme Ltd."),
        ("Data processor", "A third party that processes personal data on behalf of the data controller, such as a "
                           "payroll provider."),
        ("Data breach", "A security incident that leads to the loss or unauthorised disclosure of personal data."),
    ))
    document.add_heading("Reporting a breach", 1)
    document.add_paragraph("Staff must report a suspected data breach to the Data Protection Officer within 24 hours "
                           "of becoming aware of it.")
    return docx_bytes(document)


@pytest.fixture(scope="module")
def engine(tmp_path_factory, local_embedder):
    engine = Engine(Settings(data_dir=tmp_path_factory.mktemp("own")), embedder=local_embedder)
    for name, data in (("retention-policy.docx", policy_docx()), ("expenses-faq.docx", faq_docx()),
                       ("SECURITY.md", SECURITY_MD), ("data-protection-policy.docx", glossary_docx())):
        report = engine.ingest(name, data, ME)
        assert report.status == "indexed", report.error
    return engine


def quoted(engine, question: str, history=()) -> str:
    answer = engine.ask(question, ME, history=history).complete()
    assert not answer.abstained, (question, answer.text)
    return answer.text


def test_a_table_row_comes_with_the_tables_column_names(engine):
    text = quoted(engine, "How long is CCTV footage retained?")
    assert text.startswith("Record type | Retention period | Responsible team [1] CCTV footage | 30 days | Facilities")
    assert "Invoices" not in text  # the rows next to it are other records


def test_a_list_item_comes_with_the_sentence_that_opens_its_list(engine):
    text = quoted(engine, "Can I share my password with a colleague?")
    assert "staff must not:" in text and "\u2022 Share passwords with anyone" in text


def test_an_faq_is_quoted_from_its_question_to_its_answer_only(engine):
    text = quoted(engine, "What is the meal allowance in Paris?")
    assert "60 euros per day in London, Paris and New York" in text
    assert "Alcohol" not in text and "Who approves my claim?" not in text


def test_who_is_answered_by_a_role(engine):
    assert "line manager" in quoted(engine, "Who signs off on expense claims?")


def test_a_question_about_the_faq_is_not_answered_from_the_policy(engine):
    answer = engine.ask("How long is CCTV footage retained according to the FAQ?", ME).complete()
    sources = {h.chunk.title for h in answer.hits}
    if "expenses-faq.docx" in sources:  # the FAQ was read: its passages do not say
        assert answer.abstained
    else:  # only the policy was read: the FAQ is not among the sources, so nothing answers for it
        assert answer.abstained and answer.reason == "no passage mentions FAQ", answer.reason


def test_a_follow_up_leads_with_its_own_subject(engine):
    first = quoted(engine, "How long do we keep invoices?")
    history = [Turn("user", "How long do we keep invoices?"), Turn("assistant", first)]
    follow_up = quoted(engine, "And CCTV footage?", history)
    cctv, invoices = follow_up.index("CCTV footage | 30 days"), follow_up.find("Invoices and receipts")
    assert invoices < 0 or cctv < invoices  # the last question's row may follow, as a runner-up, never lead


def test_markdown_headings_front_matter_and_a_list_across_its_opening(engine):
    doc = next(d for d in engine.documents(ME) if d.name == "SECURITY.md")
    chunks = engine.index.chunks(doc.doc_id, ME)
    assert not any("title: Security policy" in c.text for c in chunks)  # front matter: furniture
    assert chunks and all(c.section and "#" not in c.section for c in chunks)  # "Security", not "# Security"
    text = quoted(engine, "Where should bugs in third-party modules be reported?")
    assert text.startswith("Security bugs in third-party modules should be reported") and "##" not in text
    text = quoted(engine, "What does the runtime not trust?")
    assert "**The runtime does NOT trust**:" in text and "Data received from the remote end" in text


def test_a_glossarys_description_is_quoted_under_its_term(engine):
    """Stop 30: a Word glossary's capitalised terms read as headings, so "What counts as personal data?" quoted the
    data controller's description, and no description named its term."""
    text = quoted(engine, "What counts as personal data?")
    assert text.startswith("Personal data [1] Any information relating to an identified") and "controller" not in text
    text = quoted(engine, "Who decides why personal data is processed?")
    assert text.startswith("Data controller [1] The organisation that decides") and "Acme Ltd" in text
    # a question that names a term in passing is answered wherever the documents answer it
    assert "within 24 hours" in quoted(engine, "How quickly must staff report a data breach?")
