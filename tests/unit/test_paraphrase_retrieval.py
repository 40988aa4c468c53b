"""Issue 16's levers: convex fusion, sentence vectors in the local index, the heading path and the
context the embedder reads."""

from __future__ import annotations

import numpy as np
import pytest

from rag.backends.local.index import LocalHybridIndex
from rag.backends.local.vectors import Rows, VectorMatrix, pack, unpack
from rag.fusion import convex, normalised, rrf
from rag.ingest.chunker import Chunker, heading_path
from rag.ingest.context import document_label, embedding_text, sentence_texts
from rag.types import Chunk, Document, Page, Principal
from tests.fakes import HashEmbedder

ME = Principal("me")


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


# --- fusion
def test_normalised_maps_scores_onto_zero_one():
    assert normalised([("a", 12.0), ("b", 7.0), ("c", 2.0)]) == {"a": 1.0, "b": 0.5, "c": 0.0}
    assert normalised([("a", 3.0)]) == {"a": 1.0} and normalised([]) == {}


def test_convex_lets_a_strong_cosine_win_where_rank_fusion_buries_it():
    bm25 = [("lexical", 9.0), ("other", 8.5), ("answer", 1.0)]
    dense = [("answer", 0.80), ("lexical", 0.41), ("other", 0.40)]
    assert rrf(bm25, dense)[0].key == "lexical"  # rank 1 + rank 2 beats rank 3 + rank 1
    fused = convex(bm25, dense, vector_share=0.8)
    assert [f.key for f in fused] == ["answer", "lexical", "other"]
    top = fused[0]
    assert (top.bm25_rank, top.vector_rank, top.bm25_score, top.vector_score) == (3, 1, 1.0, 0.80)
    assert top.score == pytest.approx(0.8 * 1.0 + 0.2 * 0.0)
    assert convex(bm25, dense, vector_share=0.0)[0].key == "lexical"  # share 0: BM25 alone


# --- vectors: storage and sentence-grain rescoring
def test_pack_round_trips_and_reads_what_older_versions_stored():
    vector, sentences = unit(1, 2, 3), np.stack([unit(1, 0, 0), unit(0, 1, 0)])
    got, got_sentences = unpack(pack(vector, sentences))
    assert np.array_equal(got, vector) and np.allclose(got_sentences, sentences, atol=1e-3)
    got, none = unpack(vector.tobytes())  # an index written before sentence vectors
    assert np.array_equal(got, vector) and none is None


def test_rescore_mixes_the_chunk_cosine_with_its_best_sentence():
    matrix = VectorMatrix()
    q = unit(1, 0, 0)
    # "broad" is a good whole-chunk match; "pointed" holds one sentence that matches the question well
    matrix.add(Rows(["broad", "pointed", "plain"], "d1", "me", "", np.stack([unit(1, 1, 0), unit(0.2, 1, 1), unit(0, 0, 1)]),
                    [np.stack([unit(0, 1, 1)]), np.stack([unit(0, 1, 0), unit(1, 0.05, 0)]), np.zeros((0, 3))]))
    chunk_only = dict(matrix.rescore(q, ["broad", "pointed", "plain"], sentence_share=0.0))
    assert chunk_only["broad"] > chunk_only["pointed"]
    mixed = matrix.rescore(q, ["broad", "pointed", "plain", "unknown"], sentence_share=0.5)
    assert [i for i, _ in mixed] == ["pointed", "broad", "plain"]  # unknown ids are ignored
    best_sentence = float(unit(1, 0.05, 0) @ q)
    assert dict(mixed)["pointed"] == pytest.approx(0.5 * chunk_only["pointed"] + 0.5 * best_sentence, abs=1e-3)
    assert dict(mixed)["plain"] == pytest.approx(chunk_only["plain"])  # no sentences: its cosine


def test_sentence_rows_follow_their_chunks_through_removal_and_the_cache(tmp_path):
    matrix = VectorMatrix()
    for doc, axis in (("d1", 0), ("d2", 1), ("d3", 2)):
        vec = np.zeros(3, dtype=np.float32)
        vec[axis] = 1
        matrix.add(Rows([f"{doc}:a", f"{doc}:b"], doc, "me", "", np.stack([vec, vec]),
                        [np.stack([vec, vec]), np.stack([vec])]))
    assert len(matrix) == 6 and matrix.sentences.shape == (9, 3)
    matrix.remove_doc("d2")
    assert len(matrix) == 4 and matrix.sentences.shape == (6, 3)
    q = unit(0, 0, 1)
    assert matrix.rescore(q, ["d3:b"])[0][1] == pytest.approx(1.0, abs=1e-3)  # d3's rows still line up
    assert matrix.rescore(q, ["d1:a"])[0][1] == pytest.approx(0.0, abs=1e-3)
    matrix.save(tmp_path, opstamp=7)
    loaded = VectorMatrix.load(tmp_path, 7)
    assert loaded is not None and loaded.ids == matrix.ids
    assert np.array_equal(loaded.sentences, matrix.sentences)
    assert loaded.rescore(q, ["d3:a", "d1:b"]) == matrix.rescore(q, ["d3:a", "d1:b"])


def random_rows(n: int, dim: int = 32, seed: int = 5) -> tuple[VectorMatrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    matrix = VectorMatrix()
    for start in range(0, n, 100):  # owners alternate by document: half the rows are "me"'s
        ids = [f"c{i}" for i in range(start, min(n, start + 100))]
        matrix.add(Rows(ids, f"d{start}", "me" if start % 200 == 0 else "you", "", vectors[start:start + 100]))
    return matrix, rng.standard_normal((20, dim), dtype=np.float32)


def test_the_large_index_scan_picks_what_the_exact_scan_does_and_returns_exact_cosines(monkeypatch):
    from rag.backends.local import vectors

    matrix, queries = random_rows(2000)
    mask = matrix.mask(ME, None)
    assert 0 < mask.sum() < len(mask)
    exact = [matrix.search(q, 20, mask) for q in queries]
    monkeypatch.setattr(vectors, "COARSE_ROWS", 1000)  # the 8-bit scan from 1,000 rows on
    coarse = [matrix.search(q, 20, mask) for q in queries]
    assert matrix._coarse is not None  # it did scan the 8-bit copy
    # it reads 4x as many rows as asked for, and the exact cosines keep the best: the same ranking as the exact scan
    assert [[i for i, _ in c] for c in coarse] == [[i for i, _ in e] for e in exact]
    for ranked, q in zip(coarse, queries, strict=True):  # rows the principal may see, best first, exact cosines
        rows = [int(i[1:]) for i, _ in ranked]
        assert all(mask[r] for r in rows)
        assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
        assert np.allclose([s for _, s in ranked], matrix.matrix[rows] @ q, atol=1e-6)
    # a change to the rows drops the 8-bit copy, and the next scan sees the change
    matrix.remove_doc("d0")
    after = matrix.search(queries[0], 2000, matrix.mask(ME, None))
    assert len(after) == 900 and {int(i[1:]) for i, _ in after}.isdisjoint(range(100))


def test_the_large_index_scan_keeps_to_the_documents_asked_for(monkeypatch):
    from rag.backends.local import vectors

    matrix, queries = random_rows(1200)
    monkeypatch.setattr(vectors, "COARSE_ROWS", 1000)
    mask = matrix.mask(ME, ["d400"])
    ranked = matrix.search(queries[0], 50, mask)
    assert len(ranked) == 50 and {int(i[1:]) // 100 for i, _ in ranked} == {4}
    assert len(matrix.search(queries[0], 500, mask)) == 100  # no more than the document holds


def test_without_faiss_the_large_index_scan_stays_exact(monkeypatch):
    from rag.backends.local import vectors

    matrix, queries = random_rows(1200)
    mask = matrix.mask(ME, None)
    exact = matrix.search(queries[0], 30, mask)
    monkeypatch.setattr(vectors, "COARSE_ROWS", 1000)
    monkeypatch.setattr(vectors, "faiss_module", lambda: None)  # not installed
    assert matrix.search(queries[0], 30, mask) == exact and matrix._coarse is None


def test_local_index_ranks_by_the_sentence_that_answers(settings):
    embedder = HashEmbedder()
    settings.sentence_share = 0.5
    index = LocalHybridIndex(settings)
    texts = {"drift": "Gardening notes. Soil tomato watering schedule daily. Compost heaps and mulch rows.",
             "answer": "Tomato plants need deep watering twice weekly. Fences, sheds, paint, gates, tools, ladders."}
    doc = Document("d1", "garden.txt", "txt", "x", 1, "me", "")
    chunks = [Chunk(f"d1:{k}", "d1", t, 1, 0, len(t), title="garden.txt", owner="me") for k, t in texts.items()]
    vectors = embedder.embed([embedding_text(c) for c in chunks])
    sentences = [embedder.embed(sentence_texts(c)) for c in chunks]
    index.upsert_many([(doc, chunks, vectors)], [sentences])
    question = "how often should tomato plants get deep watering"
    qv = embedder.embed([question])[0]
    settings.sentence_share = 0.0
    plain = [h.chunk.chunk_id for h in index.search(question, qv, 2, ME, mode="vector")]
    settings.sentence_share = 0.5
    graded = [h.chunk.chunk_id for h in index.search(question, qv, 2, ME, mode="vector")]
    assert graded[0] == "d1:answer"
    assert set(plain) == set(graded)
    reopened = LocalHybridIndex(settings)  # the sentence vectors were committed with the chunks
    assert reopened.vectors.sentences.shape[0] == sum(len(s) for s in sentences)
    assert [h.chunk.chunk_id for h in reopened.search(question, qv, 2, ME, mode="hybrid")][0] == "d1:answer"


def lexical_index(settings) -> LocalHybridIndex:
    """BM25's best match for the question below shares only its asking words; the dense side knows better."""
    settings.sentence_share = 0.0
    index = LocalHybridIndex(settings)
    texts = {"asking": "Tell me how often the club meets, and how often it should.",
             "answer": "Give vegetables a deep soak twice weekly.", "shed": "The shed needs paint."}
    vectors = {"asking": unit(1, 0.5, 0), "answer": unit(1, 0.3, 0), "shed": unit(0, 0, 1)}
    doc = Document("d1", "garden.txt", "txt", "x", 1, "me", "")
    chunks = [Chunk(f"d1:{k}", "d1", t, 1, 0, len(t), title="garden.txt", owner="me") for k, t in texts.items()]
    index.upsert_many([(doc, chunks, np.stack([vectors[k] for k in texts]))])
    return index


def test_lexical_cover_is_the_share_of_the_question_terms_weight_a_chunk_holds(settings):
    index = lexical_index(settings)
    stored = {i: f for _, f in index._find_ids(["d1:shed", "d1:answer", "d1:asking"]) for i in f["id"]}
    assert index.lexical_cover("the shed needs paint", stored["d1:shed"]) == pytest.approx(1.0)
    assert index.lexical_cover("paint the shed", stored["d1:answer"]) == 0.0
    partial = index.lexical_cover("how often should tomato plants be watered", stored["d1:asking"])
    assert 0.0 < partial < 0.3  # how, often, should: words every question has; the rare ones are nowhere
    assert index.lexical_cover("", stored["d1:shed"]) == 0.0
    # BM25 hands over its best chunk's fields with its ranking, read by address
    ranking, best = index._bm25("how often should tomato plants be watered", ME, None, 10)
    assert ranking[0][0] == "d1:asking" and best["id"] == ["d1:asking"]


def test_a_question_bm25_matches_only_by_its_asking_words_is_ranked_by_meaning(settings):
    """Round 2 of the QA benchmark: BM25's share in the fusion dragged paraphrased questions' answers down."""
    index = lexical_index(settings)
    question, qv = "how often should tomato plants be watered", unit(1, 0, 0)
    settings.lexical_floor = 0.0  # always fuse: BM25's only match gets the whole BM25 share and wins
    assert [h.chunk.chunk_id for h in index.search(question, qv, 3, ME)][:2] == ["d1:asking", "d1:answer"]
    settings.lexical_floor = 0.3
    ranked = index.search(question, qv, 3, ME)
    assert [h.chunk.chunk_id for h in ranked][:2] == ["d1:answer", "d1:asking"]
    assert ranked[1].bm25_rank == 1  # BM25's candidate is still there, ranked by its cosine
    lexical = index.search("how often the club meets", qv, 3, ME)  # BM25 holds the question: fused as before
    assert lexical[0].chunk.chunk_id == "d1:asking"


# --- an entry the question names in code form
def entries_index(settings) -> LocalHybridIndex:
    """A manual's two function entries; the dense side prefers the wrong one for the question below."""
    settings.sentence_share = 0.0
    index = LocalHybridIndex(settings)
    texts = {"length": ("asn1 write value > asn1 length der", "Returns the length of a DER encoded value in bytes."),
             "read": ("asn1 write value > asn1 read value", "BOOLEAN: VALUE will be TRUE or FALSE and LEN=5 or LEN=6."),
             "type": ("asn1 read value > asn1 read value type", "Also returns the type of the element read.")}
    vectors = {"length": unit(1, 0.2, 0), "read": unit(0.4, 1, 0), "type": unit(0.6, 1, 0)}
    doc = Document("d1", "libtasn1.pdf", "pdf", "x", 1, "me", "")
    chunks = [Chunk(f"d1:{k}", "d1", t, 1, 0, len(t), section=s, title="libtasn1.pdf", owner="me")
              for k, (s, t) in texts.items()]
    index.upsert_many([(doc, chunks, np.stack([vectors[k] for k in texts]))])
    return index


def test_the_entry_a_question_names_in_code_form_ranks_first(settings):
    index = entries_index(settings)
    question, qv = "After fetching a true/false field with asn1_read_value, how many bytes is the size?", unit(1, 0, 0)
    assert index.under_named_heading(question, ME) == {"d1:read"}  # not asn1_read_value_type's entry below it
    assert index.under_named_heading("how many bytes is a true/false field?", ME) == set()
    assert index.under_named_heading(question, Principal("someone else")) == set()  # scoped like every search
    ranked = [h.chunk.chunk_id for h in index.search(question, qv, 3, ME)]
    assert ranked == ["d1:read", "d1:length", "d1:type"]  # the entry leads; the fused order stands after it
    settings.named_headings = False
    assert [h.chunk.chunk_id for h in index.search(question, qv, 3, ME)][0] == "d1:length"
    settings.named_headings = True
    assert [h.chunk.chunk_id for h in index.search(question, qv, 3, ME, mode="vector")][0] == "d1:length"


def test_code_names_and_how_a_heading_prints_them():
    from rag.text import code_names, spoken
    assert code_names("Does asn1_read_value or asn1Parser, not ASN1_SUCCESS's _x, read a --flag?") == [
        "asn1_read_value", "asn1Parser", "ASN1_SUCCESS"]
    assert code_names("What does the library read?") == []
    assert len(code_names(" ".join(f"name_{i}" for i in range(40)))) == 5  # each name costs a lookup
    assert spoken("asn1_read_value") == spoken("asn1 read  value") == "asn1 read value"


def test_names_with_a_digit_joined_by_punctuation_are_looked_up_as_phrases():
    from rag.text import named_values
    assert named_values("Was 3.0.19, CVE-2024-5535 or win-x64 (ISO-8859-1) fixed e.g. in built-in mode?") == [
        "3.0.19", "CVE-2024-5535", "win-x64", "ISO-8859-1"]  # not "e.g", "built-in": no digit
    assert named_values("What changed in version 3 of the GPL?") == []  # one word: BM25 reads it as it is
    assert named_values("Under Apache 2.0 or OpenSSL 3.0, is 3.0.0 or ASN.1 at 10:30?") == ["3.0.0", "ASN.1"]
    assert named_values("Is the 64-bit ARM filter in UTF-8 x86-64 builds?") == ["UTF-8", "x86-64"]  # a size is none
    assert len(named_values(" ".join(f"1.0.{i}" for i in range(40)))) == 5  # each name costs a lookup


# --- the heading path and what the embedder reads
def test_chunks_carry_the_heading_path_across_pages(settings):
    pages = [Page(1, "1 Introduction\nThis library parses schemas.\n\n2 Utilities\nThree programs ship with it."),
             Page(2, "They read files and write them back in several encodings.\n\n2.1 Invoking asn1Parser\n"
                     "It compiles a schema into C code.", furniture=()),
             Page(3, "Chapter 2: Utilities 9\nMore text on the tools here.", furniture=((0, 22),))]
    doc = Document("d", "libtasn1.pdf", "pdf", "x", 1, "me", "")
    chunker = Chunker(HashEmbedder(), 8, 0)
    sections = {c.text.split("\n")[0]: c.section for c in chunker.chunk(doc, pages)}
    assert sections["1 Introduction"] == "1 Introduction"  # a chunk that opens with a heading sits under it
    assert sections["They read files and write them back in several encodings."] == "1 Introduction > 2 Utilities"
    assert sections["2.1 Invoking asn1Parser"] == "2 Utilities > 2.1 Invoking asn1Parser"
    assert sections["More text on the tools here."] == "2 Utilities > 2.1 Invoking asn1Parser"  # the header is furniture


def test_a_docx_section_starts_its_own_path():
    assert heading_path("4. Termination", ["1. Definitions", "Scope"]) == "4. Termination > 1. Definitions > Scope"
    assert heading_path("", ["B", "A", "B"]) == "B > A"
    assert heading_path("Same", ["Same"]) == "Same"


def test_the_embedder_reads_the_name_and_path_but_the_chunk_stays_verbatim():
    chunk = Chunk("d:1", "d", "The parser is case sen-\nsitive. Keywords are upper case.", 5, 10, 62,
                  section="libtasn1 > 2.1 ASN.1 syntax", title="libtasn1.pdf")
    assert document_label("GPL-3.txt") == "GPL-3" and document_label("notes.DOCX") == "notes"
    assert document_label("tqdm-README.rst") == "tqdm-README" and document_label("git-subtree.adoc") == "git-subtree"
    assert embedding_text(chunk) == ("libtasn1.pdf".removesuffix(".pdf") + " > libtasn1 > 2.1 ASN.1 syntax\n"
                                     "The parser is case sensitive. Keywords are upper case.")
    assert sentence_texts(chunk) == ["libtasn1: The parser is case sensitive.", "libtasn1: Keywords are upper case."]
    assert chunk.text.startswith("The parser is case sen-\n")


def test_a_definition_lists_term_is_embedded_with_its_description() -> None:
    """"What is the staff group for?": the description "Allows users to add local modifications ..." never says
    "staff", which stands on the line above it; read with it, its vector is closer to the question."""
    chunk = Chunk("d:1", "d", "Be careful not to allow root-equivalence.\nstaff\nAllows users to add local "
                  "modifications.\nCompare with group adm.", 1, 0, 95, title="users-and-groups.pdf")
    assert sentence_texts(chunk) == ["users-and-groups: Be careful not to allow root-equivalence.",
                                     "users-and-groups: staff: Allows users to add local modifications.",
                                     "users-and-groups: Compare with group adm."]


def test_quote_recall_counts_the_part_of_a_quote_the_chunks_cover():
    from eval.qa.bench import Span
    from eval.qa.retrieval import covered, score

    span = Span("d", 2, 100, 200)
    half = Chunk("d:1", "d", "x" * 100, 2, 150, 250)
    other_page = Chunk("d:2", "d", "x" * 300, 3, 0, 300)
    whole = Chunk("d:3", "d", "x" * 300, 2, 50, 350)
    assert covered([half], [span]) == 0.5 and covered([other_page], [span]) == 0.0
    assert covered([half, Chunk("d:4", "d", "x" * 60, 2, 90, 150)], [span]) == 1.0  # together, not double
    from eval.qa.dataset import load

    q = next(q for q in load() if q.item.answerable)
    row = score(q, [other_page, half, whole], [span])
    assert (row["rank"], row["hit@1"], row["hit@5"], row["mrr@10"], row["recall@5"]) == (3, 0.0, 1.0, 1 / 3, 1.0)
