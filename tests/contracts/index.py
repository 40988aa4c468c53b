"""Every Index passes these. Subclasses supply `index` (empty, vectors of 64 dims)."""

from dataclasses import replace

import pytest

from rag.errors import Forbidden, NotFound
from rag.types import NAMED_ENTRY, NAMED_VALUE, Chunk, Document, Principal
from tests.fakes import HashEmbedder

ALICE = Principal("alice", "Alice", groups=("finance",))
BOB = Principal("bob", "Bob", groups=("finance",))
CAROL = Principal("carol", "Carol", groups=("legal",))
EMBED = HashEmbedder(dim=64)

TEXTS = {
    "tasn": ["The DER encoding of an INTEGER uses two's complement.", "asn1_create_element creates a structure."],
    "mime": ["The shared MIME-info database describes file types.", "Glob patterns match file names like *.txt."],
    "cats": ["Cats sleep for most of the day.", "A kitten is a young cat."],
}


def make_doc(doc_id: str, owner: str, collection: str = "", texts: list[str] | None = None):
    texts = texts if texts is not None else TEXTS[doc_id]
    chunks, offset = [], 0
    for i, text in enumerate(texts):
        chunks.append(
            Chunk(f"{doc_id}-{i}", doc_id, text, page=i + 1, start=offset, end=offset + len(text),
                  section="S", title=f"{doc_id}.pdf", owner=owner, collection=collection)
        )
    doc = Document(doc_id, f"{doc_id}.pdf", "pdf", sha256=doc_id * 4, size=100, owner=owner,
                   collection=collection, pages=len(texts), chunks=len(texts), uploaded_at="2026-01-01T00:00:00Z",
                   uploaded_by=owner)
    return doc, chunks, EMBED.embed([c.text for c in chunks])


def search(index, text, principal, mode="hybrid", k=5, doc_ids=None):
    vector = EMBED.embed([text])[0]
    return index.search(text, vector, k, principal, mode=mode, doc_ids=doc_ids)


class IndexContract:
    @pytest.fixture
    def index(self):
        raise NotImplementedError("subclass provides an empty Index")

    @pytest.fixture
    def filled(self, index):
        index.upsert(*make_doc("tasn", "alice"))
        index.upsert(*make_doc("mime", "bob", collection="finance"))
        index.upsert(*make_doc("cats", "carol"))
        return index

    @pytest.mark.parametrize("mode", ["hybrid", "bm25", "vector"])
    def test_search_finds_the_right_chunk(self, filled, mode):
        hits = search(filled, "DER encoding INTEGER", ALICE, mode=mode)
        assert hits and hits[0].chunk.chunk_id == "tasn-0"
        assert hits[0].chunk.text == TEXTS["tasn"][0]
        assert hits[0].chunk.page == 1 and hits[0].chunk.end > hits[0].chunk.start

    def test_hybrid_hits_carry_ranks_and_descending_scores(self, filled):
        hits = search(filled, "DER encoding INTEGER", ALICE)
        assert hits[0].bm25_rank == 1 or hits[0].vector_rank == 1
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)

    def test_scope_hides_other_owners(self, filled):
        carol_sees = {h.chunk.doc_id for h in search(filled, "DER encoding MIME cats", CAROL, k=10)}
        assert carol_sees == {"cats"}
        assert {d.doc_id for d in filled.documents(CAROL)} == {"cats"}
        with pytest.raises(NotFound):
            filled.document("tasn", CAROL)
        with pytest.raises(NotFound):
            filled.chunks("tasn", CAROL)

    def test_group_collection_visible_to_members_only(self, filled):
        assert {d.doc_id for d in filled.documents(ALICE)} == {"tasn", "mime"}
        assert "mime" in {h.chunk.doc_id for h in search(filled, "MIME database", ALICE)}
        assert "mime" not in {h.chunk.doc_id for h in search(filled, "MIME database", CAROL)}

    def test_delete_is_scoped(self, filled):
        with pytest.raises(NotFound):
            filled.delete("tasn", CAROL)
        with pytest.raises(Forbidden):
            filled.delete("mime", ALICE)  # visible through the group, but Bob owns it
        assert filled.document("tasn", ALICE).doc_id == "tasn"

    @pytest.mark.parametrize("mode", ["hybrid", "bm25", "vector"])
    def test_delete_removes_from_every_retriever(self, filled, mode):
        filled.delete("tasn", ALICE)
        assert all(h.chunk.doc_id != "tasn" for h in search(filled, "DER encoding INTEGER", ALICE, mode=mode))
        with pytest.raises(NotFound):
            filled.document("tasn", ALICE)

    def test_upsert_replaces_previous_version(self, filled):
        filled.upsert(*make_doc("tasn", "alice", texts=["Only one chunk now about BER."]))
        chunks = filled.chunks("tasn", ALICE)
        assert [c.text for c in chunks] == ["Only one chunk now about BER."]
        assert filled.document("tasn", ALICE).chunks == 1
        assert all(h.chunk.chunk_id != "tasn-1" for h in search(filled, "asn1_create_element structure", ALICE))

    def test_upsert_many_adds_and_replaces_several_documents(self, filled):
        filled.upsert_many([make_doc("tasn", "alice", texts=["Only one chunk now about BER."]),
                            make_doc("dogs", "carol", texts=["Dogs bark at the postman.", "Dogs like long walks."])])
        assert [c.text for c in filled.chunks("tasn", ALICE)] == ["Only one chunk now about BER."]
        assert {d.doc_id for d in filled.documents(CAROL)} == {"cats", "dogs"}
        assert search(filled, "postman bark", CAROL)[0].chunk.doc_id == "dogs"
        assert filled.count() == 2 + 1 + 2 + 2  # mime, tasn (now one), cats, dogs

    def test_upsert_many_keeps_the_last_version_of_a_doc_id_given_twice(self, index):
        index.upsert_many([make_doc("tasn", "alice"), make_doc("tasn", "alice", texts=["The second version."])])
        assert [c.text for c in index.chunks("tasn", ALICE)] == ["The second version."]
        assert index.count() == 1

    def test_doc_id_filter(self, filled):
        hits = search(filled, "file types glob DER", ALICE, doc_ids=["mime"])
        assert hits and {h.chunk.doc_id for h in hits} == {"mime"}

    def test_documents_round_trip(self, filled):
        doc = filled.document("mime", BOB)
        assert (doc.name, doc.kind, doc.owner, doc.collection, doc.pages, doc.chunks) == (
            "mime.pdf", "pdf", "bob", "finance", 2, 2)
        assert doc.uploaded_at.startswith("2026-01-01")

    def test_chunks_in_page_order_and_count(self, filled):
        assert [c.page for c in filled.chunks("tasn", ALICE)] == [1, 2]
        assert filled.count() == 6

    def test_the_entry_a_question_names_in_code_form_leads_hybrid_search(self, index):
        texts = ["Reading a DER value: what length in bytes it gives back.", "BOOLEAN: TRUE or FALSE, LEN=5 or LEN=6.",
                 "Also returns the type of the element."]
        sections = ["asn1 write value > asn1 length der", "asn1 write value > asn1 read value",
                    "asn1 read value > asn1 read value type"]
        doc, chunks, vectors = make_doc("entries", "alice", texts=texts)
        index.upsert(doc, [replace(c, section=s) for c, s in zip(chunks, sections, strict=True)], vectors)
        question = "What length in bytes does asn1_read_value give back when reading a DER value?"
        index.settings.named_headings = False
        assert search(index, question, ALICE, k=3)[0].chunk.chunk_id == "entries-0"  # the words match another entry
        index.settings.named_headings = True
        hits = search(index, question, ALICE, k=3)
        assert [h.chunk.chunk_id for h in hits][:2] == ["entries-1", "entries-0"]  # not asn1_read_value_type's
        assert [NAMED_ENTRY in h.flags for h in hits] == [True, False, False]  # the inspector says why it leads
        assert search(index, question, CAROL, k=3) == []  # scoped like every search
        assert search(index, question, ALICE, k=3, mode="bm25")[0].chunk.chunk_id == "entries-0"  # hybrid only

    def test_the_few_chunks_that_hold_a_release_the_question_names_lead_hybrid_search(self, index):
        """"3.0.19" is the common words "3", "0", "19" to BM25, and one release is much like the next to the dense
        model: the chunk that asks the question's own words about another release won."""
        texts = ["When was OpenSSL 3.0.17 published? OpenSSL 3.0.17 was published on 1 Jul 2025.",
                 "Changes between 3.0.18 and 3.0.19 [27 Jan 2026]: a security patch release.",
                 "Every OpenSSL 3.0 release is published with its notes.", "Fixed a crash in the CMS parser."]
        doc, chunks, vectors = make_doc("news", "alice", texts=texts)
        chunks[3] = replace(chunks[3], section="Changes between 3.0.18 and 3.0.19")  # under the release's heading
        index.upsert(doc, chunks, vectors)
        question = "When was OpenSSL 3.0.19 published?"
        index.settings.named_values = False
        assert search(index, question, ALICE, k=4)[0].chunk.chunk_id == "news-0"
        index.settings.named_values = True
        hits = search(index, question, ALICE, k=4)
        assert {h.chunk.chunk_id for h in hits[:2]} == {"news-1", "news-3"}
        assert [NAMED_VALUE in h.flags for h in hits] == [True, True, False, False]  # the inspector says why they lead
        assert search(index, question, CAROL, k=4) == []  # scoped like every search
        assert search(index, question, ALICE, k=4, mode="vector")[0].chunk.chunk_id == "news-0"  # hybrid only
        # a name that many chunks hold names a series, not one thing: the fused order stands
        series = [f"OpenSSL 3.0 note {n}: fixes." for n in range(9)]
        index.upsert(*make_doc("series", "alice", texts=series))
        assert not any(NAMED_VALUE in h.flags for h in search(index, "What changed in 3.0?", ALICE, k=5))

    def test_odd_query_text_does_not_raise(self, filled):
        for text in ['"unbalanced', "a:b OR (", "title:x AND", "*", "\\", "   "]:
            search(filled, text, ALICE)
