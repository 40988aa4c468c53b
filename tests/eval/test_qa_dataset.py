"""The QA benchmark's question set is sound: quotes on their pages, keywords in their quotes,
questions paraphrased, traps truly unanswerable, both halves covering every kind."""

from __future__ import annotations

from collections import Counter

import pytest

from eval.qa.dataset import KINDS, MAX_OVERLAP, SPLITS, TRAPS, check, corpus_pages, load, paraphrase


@pytest.fixture(scope="module")
def questions():
    return load()


def test_every_question_passes_the_checks(questions) -> None:
    assert check(questions, corpus_pages()) == []


def test_size_and_coverage(questions) -> None:
    answerable = [q for q in questions if q.item.answerable]
    traps = [q for q in questions if not q.item.answerable]
    assert len(answerable) >= 80 and len(traps) >= 25
    per = Counter((q.kind, q.split) for q in answerable)
    assert all(per[(kind, split)] >= 3 for kind in KINDS for split in SPLITS), per
    assert all(sum(q.trap == trap and q.split == split for q in traps) >= 3 for trap in TRAPS for split in SPLITS)
    documents = {q.item.reference_contexts[0].doc for q in answerable}
    assert {"libtasn1.pdf", "shared-mime-info-spec.pdf"} <= documents
    assert sum(d.endswith(".docx") for d in documents) >= 2 and sum(d.endswith(".1.txt") for d in documents) >= 12


def test_questions_are_phrased_unlike_their_quotes(questions) -> None:
    assert paraphrase(questions) <= MAX_OVERLAP
    assert all(paraphrase([q for q in questions if q.round == n]) <= MAX_OVERLAP for n in (1, 2))


def test_round_two_is_its_own_set(questions) -> None:
    """The questions written later (questions-r2-*.jsonl) are tagged apart, in both halves, and reuse no quote."""
    second = [q for q in questions if q.round == 2]
    assert {q.split for q in second} == set(SPLITS) and len(second) >= 80
    assert all(q.id.split("-")[0] in {"pdf2", "mime2", "lic2", "man2"} for q in second)
    quotes = {c.quote for q in questions if q.round == 1 for c in q.item.reference_contexts}
    assert not quotes & {c.quote for q in second for c in q.item.reference_contexts}


def test_literal_questions_are_apart_in_both_halves(questions) -> None:
    """Questions in the documents' words: in both halves, answerable, and out of the paraphrase measure."""
    literal = [q for q in questions if q.literal]
    assert {q.split for q in literal} == set(SPLITS) and all(q.item.answerable for q in literal)
    assert sum(q.split == "dev" for q in literal) >= 8 and sum(q.split == "test" for q in literal) >= 8
    assert paraphrase(literal) == 0.0  # the measure is of paraphrased questions only
    assert paraphrase(questions) == paraphrase([q for q in questions if not q.literal])


def test_the_checks_catch_bad_questions(questions) -> None:
    """The checker is not a rubber stamp: a moved quote, a foreign keyword and an answerable trap fail."""
    from dataclasses import replace

    from eval.datasets import ReferenceContext

    good = next(q for q in questions if q.item.answerable)
    ctx = good.item.reference_contexts[0]
    moved = replace(good, item=replace(good.item, id="moved", reference_contexts=(
        ReferenceContext(ctx.doc, (ctx.page or 1) + 1 if ctx.doc.endswith(".pdf") else 99, ctx.quote),)))
    foreign = replace(good, item=replace(good.item, id="foreign"), keywords=(("zzzunlikelyword",),))
    trap = next(q for q in questions if not q.item.answerable)
    leaky = replace(trap, item=replace(trap.item, id="leaky"), absent=("ASN\\.1",))
    problems = check([moved, foreign, leaky], corpus_pages())
    assert any(p.startswith("moved:") for p in problems)
    assert any(p.startswith("foreign:") for p in problems)
    assert any(p.startswith("leaky:") for p in problems)


def test_the_docx_licences_are_the_same_bytes_whenever_they_are_written() -> None:
    """python-docx dates a package's members with the time of saving: a benchmark run on an existing index
    re-ingested the DOCX licences every time, and their re-embedded vectors moved a few answers."""
    import io
    import zipfile

    from eval.qa.corpus import LICENCES, licence_docx
    from rag.ingest.parsers import DocxParser

    package = licence_docx((LICENCES / "CC0-1.0").read_text(encoding="utf-8"))
    members = zipfile.ZipFile(io.BytesIO(package)).infolist()
    assert members and {m.date_time for m in members} == {(1980, 1, 1, 0, 0, 0)}
    assert "Creative Commons" in " ".join(page.text for page in DocxParser().parse(package))  # still a Word file
