"""Ingestor.ingest_many: many files share embedding batches and index commits, and each file still
gets its own report, in order, and is whole or absent."""

import json
import logging

import numpy as np
import pytest

from rag.backends.local.blobs import FilesystemBlobStore
from rag.backends.local.index import LocalHybridIndex
from rag.engine import Engine
from rag.errors import BackendUnavailable
from rag.ingest.context import sentence_texts
from rag.ingest.pipeline import Ingestor
from rag.types import Principal
from tests.fakes import HashEmbedder

ME = Principal("me")
TOPICS = ["glob patterns and weights", "DER encoding of integers", "magic rules at byte offsets", "kittens sleeping",
          "tantivy commits", "reciprocal rank fusion", "chromium headless flags", "helm chart values"]


def text_file(i: int, paragraphs: int = 2) -> tuple[str, bytes]:
    body = "\n\n".join(f"Section {p} of note {i} is about {TOPICS[i % len(TOPICS)]}. " * 2 for p in range(paragraphs))
    return f"note-{i}.txt", body.encode()


class Counting:
    """Counts embedder calls and index writes around the real backends."""

    def __init__(self, inner, method: str):
        self.inner, self.calls, self.method = inner, [], method

    def __getattr__(self, name):
        attribute = getattr(self.inner, name)
        if name != self.method:
            return attribute

        def counted(*args, **kwargs):
            self.calls.append(args)
            return attribute(*args, **kwargs)

        return counted


@pytest.fixture
def parts(settings):
    settings.embed_batch = 2  # groups of 8 chunks: a handful of small files per group
    settings.chunk_tokens = 40
    return (Counting(HashEmbedder(), "embed"), Counting(LocalHybridIndex(settings), "upsert_many"),
            FilesystemBlobStore(settings))


def test_small_files_share_embedding_batches_and_commits(settings, parts):
    embedder, index, blobs = parts
    files = [text_file(i) for i in range(12)]
    reports = Ingestor(settings, embedder, index, blobs).ingest_many(files, ME)
    assert [r.name for r in reports] == [name for name, _ in files]
    assert all(r.status == "indexed" and r.chunks > 0 for r in reports)
    chunks = sum(r.chunks for r in reports)
    assert index.count() == chunks
    assert len(index.calls) < len(files) / 2  # several documents per commit
    assert max(len(call[0]) for call in index.calls) > 1
    sentences = sum(len(sentence_texts(c)) for r in reports for c in index.chunks(r.doc_id, ME))
    assert sentences > chunks
    assert sum(len(call[0]) for call in embedder.calls) == chunks + sentences  # every chunk and sentence once
    for report in reports:  # each document alone is complete and searchable
        document = index.document(report.doc_id, ME)
        assert len(index.chunks(report.doc_id, ME)) == document.chunks == report.chunks
        assert set(report.stage_seconds) >= {"parsed", "stored", "chunked", "embedded", "indexed"}
        assert report.seconds >= sum(v for k, v in report.stage_seconds.items() if k in ("embedded", "indexed"))


def test_vectors_go_to_their_own_chunks(settings, parts):
    embedder, index, blobs = parts
    Ingestor(settings, embedder, index, blobs).ingest_many([text_file(i) for i in range(8)], ME)
    hits = index.search("kittens sleeping", HashEmbedder().embed(["kittens sleeping"])[0], 3, ME, mode="vector")
    assert hits[0].chunk.title == "note-3.txt"


def test_bad_duplicate_and_renamed_files_each_get_their_report(settings, parts):
    embedder, index, blobs = parts
    first, second = text_file(1), text_file(2)
    changed = (first[0], first[1] + b"\n\nA new closing paragraph about fusion.")
    reports = Ingestor(settings, embedder, index, blobs).ingest_many(
        [first, ("broken.pdf", b"%PDF-1.7 garbage"), second, ("copy.txt", second[1]), changed], ME)
    assert [r.status for r in reports] == ["indexed", "rejected", "indexed", "unchanged", "replaced"]
    assert "damaged" in reports[1].error
    assert reports[3].doc_id == reports[2].doc_id
    assert reports[4].doc_id == reports[0].doc_id
    assert {d.name for d in index.documents(ME)} == {"note-1.txt", "note-2.txt"}
    assert "new closing paragraph" in " ".join(c.text for c in index.chunks(reports[0].doc_id, ME))
    stored = [p for p in settings.blob_dir.rglob("*") if p.is_file() and not p.name.endswith(".meta.json")]
    assert len(stored) == 4  # original + pages of the two documents; the replaced version's files are gone


def test_a_failed_commit_leaves_earlier_groups_and_nothing_of_its_own(settings, parts):
    embedder, index, blobs = parts
    real, calls = index.inner.upsert_many, []

    def fail_second(items, *sentences):
        calls.append(len(items))
        if len(calls) == 2:
            raise BackendUnavailable("disk full")
        return real(items, *sentences)

    index.inner.upsert_many = fail_second
    ingestor = Ingestor(settings, embedder, index, blobs)
    with pytest.raises(BackendUnavailable):
        ingestor.ingest_many([text_file(i) for i in range(12)], ME)
    kept = index.documents(ME)
    assert len(kept) == calls[0] and kept
    for document in kept:
        assert len(index.chunks(document.doc_id, ME)) == document.chunks
    originals = [p for p in (settings.blob_dir / "originals").rglob("*") if p.is_file() and not p.name.endswith(".meta.json")]
    assert len(originals) == len(kept)  # nothing stored for files that were not indexed


def test_reports_arrive_as_files_finish(settings, parts):
    embedder, index, blobs = parts
    seen = []
    reports = Ingestor(settings, embedder, index, blobs).ingest_many(
        [text_file(i) for i in range(6)] + [("empty.txt", b"")], ME, on_report=lambda i, r: seen.append((i, r)))
    order = [i for i, _ in seen]
    assert sorted(order) == list(range(7))
    assert order[0] == 0 and order.index(6) < order.index(5)  # the empty file is rejected at once, not at the end
    assert dict(seen) == dict(enumerate(reports))


def test_engine_ingest_many_audits_each_file(settings, caplog):
    engine = Engine(settings, embedder=HashEmbedder())
    with caplog.at_level(logging.INFO, logger="rag.audit"):
        reports = engine.ingest_many([text_file(1), ("bad.exe", b"MZ"), text_file(2)], ME)
    entries = [r.audit for r in caplog.records if getattr(r, "audit", None) and r.msg == "upload"]
    assert [(e["name"], e["result"], e["status"]) for e in entries] == [
        ("bad.exe", "rejected", "rejected"), ("note-1.txt", "indexed", "ok"), ("note-2.txt", "indexed", "ok")]
    assert entries[1]["bytes"] == len(text_file(1)[1]) and entries[1]["doc_id"] == reports[0].doc_id
    assert "error" in entries[0] and "body" not in json.dumps(entries)
    assert np.isclose(sum(r.chunks for r in reports), engine.index.count())


def test_engine_ingest_many_audits_the_files_a_failure_stops(settings, caplog):
    settings.embed_batch, settings.chunk_tokens = 2, 40
    engine = Engine(settings, embedder=HashEmbedder())
    index, commits = engine.index, []
    real = index.upsert_many

    def fail_second(items, *sentences):
        commits.append([document.name for document, _, _ in items])
        if len(commits) == 2:
            raise BackendUnavailable("disk full")
        return real(items, *sentences)

    index.upsert_many = fail_second
    with caplog.at_level(logging.INFO, logger="rag.audit"), pytest.raises(BackendUnavailable):
        engine.ingest_many([text_file(i) for i in range(12)], ME)
    entries = {r.audit["name"]: r.audit for r in caplog.records if getattr(r, "audit", None) and r.msg == "upload"}
    assert all(entries[name]["status"] == "ok" for name in commits[0])
    assert all(entries[name]["status"] == "error" and entries[name]["error"] == "BackendUnavailable"
               for name in commits[1])
    assert set(entries) == set(commits[0]) | set(commits[1])  # nothing read after the failure
