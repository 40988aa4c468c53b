"""AzureSearchIndex against a fake Search service behind the SDK's transport hook, plus the Index contract."""

import numpy as np
import pytest

from rag.backends.azure import search as search_module
from rag.backends.azure.reindex import reindex, source_index
from rag.backends.azure.search import AzureSearchIndex
from rag.backends.azure.search_schema import index_definition, literal, one_of, query_text, record_key, scope_filter
from rag.backends.local.blobs import FilesystemBlobStore
from rag.engine import Engine
from rag.errors import BackendUnavailable, ConfigError
from rag.settings import Settings
from rag.types import NAMED_ENTRY, RERANK_SKIPPED, Principal
from tests.azure.fake_openai import FakeCredential
from tests.azure.fake_search import FakeSearchService, ODataFilter, with_defaults
from tests.azure.live import live_settings
from tests.contracts.index import ALICE, BOB, EMBED, IndexContract, make_doc, search

ENDPOINT = "https://docchat-test.search.windows.net"


@pytest.fixture
def service():
    return FakeSearchService()


def make_index(service, sleeps=None, **extra):
    settings = Settings(azure_search_endpoint=ENDPOINT, azure_search_index="docchat", chat_retries=3, **extra)
    return AzureSearchIndex(settings, credential=FakeCredential(), transport=service.transport, dim=64,
                            sleep=(sleeps.append if sleeps is not None else None))


class TestAzureSearchContract(IndexContract):
    @pytest.fixture
    def index(self, service):
        return make_index(service)


class TestAzureSearchSemanticContract(IndexContract):
    @pytest.fixture
    def index(self, service):
        return make_index(service, azure_semantic=True)

    def test_hybrid_hits_carry_ranks_and_descending_scores(self, filled):
        pytest.skip("the semantic ranker reports no per-retriever subscores; ranks are covered without it")


def test_schema_is_created_once_with_vector_profile_and_semantic_config(service):
    index = make_index(service)
    index.upsert(*make_doc("tasn", "alice"))
    index.documents(ALICE)
    puts = [c for c in service.transport.calls if c.method == "PUT"]
    assert len(puts) == 1
    body = puts[0].json
    fields = {f["name"]: f for f in body["fields"]}
    assert fields["id"]["key"] is True
    assert fields["content"]["searchable"] and fields["content"]["analyzer"] == "en.microsoft"
    assert fields["vector"]["dimensions"] == 64 and fields["vector"]["vectorSearchProfile"] == "docchat-vector"
    assert {"name", "kind_of_file", "sha256", "size", "pages", "chunks", "uploaded_at", "uploaded_by"} <= set(fields)
    assert body["vectorSearch"]["algorithms"][0]["hnswParameters"]["metric"] == "cosine"
    semantic = body["semantic"]["configurations"][0]["prioritizedFields"]
    assert semantic["prioritizedContentFields"] == [{"fieldName": "content"}]
    make_index(service).count()  # a second process finds the index and leaves it alone
    assert len([c for c in service.transport.calls if c.method == "PUT"]) == 1


def test_existing_index_with_other_dims_is_a_config_error(service):
    make_index(service).count()
    settings = Settings(azure_search_endpoint=ENDPOINT, azure_search_index="docchat")
    other = AzureSearchIndex(settings, credential=FakeCredential(), transport=service.transport, dim=128)
    with pytest.raises(ConfigError, match="64 dims"):
        other.count()


def test_hybrid_query_is_one_request_with_text_vector_and_scope(service):
    index = make_index(service)
    index.upsert(*make_doc("tasn", "alice"))
    index.search("DER encoding", EMBED.embed(["DER encoding"])[0], 5, ALICE, doc_ids=["tasn"])
    body = service.bodies("/docs/search.post.search")[-1]
    assert body["search"] == "DER encoding" and body["top"] == 5
    assert body["vectorQueries"] == [{"kind": "vector", "vector": pytest.approx(list(EMBED.embed(["DER encoding"])[0])),
                                      "k": 50, "fields": "vector"}]
    assert body["filter"] == ("kind eq 'chunk' and (owner eq 'alice' or search.in(collection, 'finance', ',')) "
                              "and search.in(doc_id, 'tasn', ',')")
    assert body["debug"] == "vector" and "queryType" not in body


def test_a_name_in_code_form_is_looked_up_in_the_heading_paths_within_scope(service):
    index = make_index(service)
    index.upsert(*make_doc("tasn", "alice"))
    index.search("What does asn1_read_value return?", EMBED.embed(["x"])[0], 5, ALICE, doc_ids=["tasn"])
    hybrid, named = service.bodies("/docs/search.post.search")[-2:]
    assert named["search"] == '"asn1 read value"' and named["searchFields"] == "section"
    assert named["filter"] == hybrid["filter"] and "vectorQueries" not in named
    index.upsert(*make_doc("entries", "alice", texts=["Its size in bytes.", "What does a value lookup return?"]))
    service.docs[record_key("chunk", "entries-0")]["section"] = "asn1 write value > asn1 read value"
    question = "What does asn1_read_value return?"
    assert search(index, question, ALICE, k=1, mode="bm25")[0].chunk.chunk_id == "entries-1"
    hits = index.search(question, EMBED.embed([question])[0], 1, ALICE, doc_ids=["entries"])
    assert [h.chunk.chunk_id for h in hits] == ["entries-0"] and NAMED_ENTRY in hits[0].flags
    assert hits[0].bm25_rank is None  # the hybrid query did not rank it: the inspector shows no rank of its own
    calls = len(service.bodies("/docs/search.post.search"))
    index.search("What does the reader return?", EMBED.embed(["x"])[0], 5, ALICE)  # no name: one request
    assert len(service.bodies("/docs/search.post.search")) == calls + 1


def test_each_name_lookup_is_one_phrase_request_and_none_when_switched_off(service):
    index = make_index(service)
    index.upsert(*make_doc("tasn", "alice"))
    question = "Does asn1_read_value change in 3.0.19?"
    calls = len(service.bodies("/docs/search.post.search"))
    index.search(question, EMBED.embed(["x"])[0], 5, ALICE)
    bodies = service.bodies("/docs/search.post.search")[calls:]
    assert [(b["search"], b.get("searchFields")) for b in bodies[1:]] == [
        ('"asn1 read value"', "section"), ('"3.0.19"', "section,content")]
    index.settings.named_headings = False
    calls = len(service.bodies("/docs/search.post.search"))
    index.search(question, EMBED.embed(["x"])[0], 5, ALICE)
    assert [b["search"] for b in service.bodies("/docs/search.post.search")[calls + 1:]] == ['"3.0.19"']
    index.settings.named_values = False
    calls = len(service.bodies("/docs/search.post.search"))
    index.search(question, EMBED.embed(["x"])[0], 5, ALICE)
    assert len(service.bodies("/docs/search.post.search")) == calls + 1  # the hybrid query alone


def test_semantic_query_asks_for_captions(service):
    index = make_index(service, azure_semantic=True)
    index.upsert(*make_doc("tasn", "alice"))
    hits = index.search("DER", EMBED.embed(["DER"])[0], 3, ALICE)
    body = service.bodies("/docs/search.post.search")[-1]
    assert body["queryType"] == "semantic" and body["semanticConfiguration"] == "docchat-semantic"
    assert body["captions"].startswith("extractive")
    assert hits[0].caption and hits[0].score == pytest.approx(4 * hits[0].score / 4)


def test_single_modes_send_only_their_part(service):
    index = make_index(service)
    index.upsert(*make_doc("tasn", "alice"))
    index.search("DER", EMBED.embed(["DER"])[0], 3, ALICE, mode="bm25")
    index.search("DER", EMBED.embed(["DER"])[0], 3, ALICE, mode="vector")
    bm25, vector = service.bodies("/docs/search.post.search")[-2:]
    assert "vectorQueries" not in bm25 and bm25["search"] == "DER"
    assert "search" not in vector and vector["vectorQueries"]


def test_uploads_are_batched_under_the_limits(service, monkeypatch):
    monkeypatch.setattr(search_module, "MAX_BATCH_DOCS", 3)
    index = make_index(service)
    doc, chunks, vectors = make_doc("big", "alice", texts=[f"text {i}" for i in range(7)])
    index.upsert(doc, chunks, vectors)
    sizes = [len(b["value"]) for b in service.bodies("/docs/search.index")]
    assert sizes == [3, 3, 2]


def test_batches_split_by_bytes(monkeypatch):
    monkeypatch.setattr(search_module, "MAX_BATCH_BYTES", 3500)
    records = [{"id": str(i), "content": "x" * 1000} for i in range(10)]
    assert [len(b) for b in search_module.batches(records)] == [3, 3, 3, 1]


def test_failed_keys_are_retried_then_reported(service):
    sleeps = []
    index = make_index(service, sleeps)
    doc, chunks, vectors = make_doc("tasn", "alice")
    service.failing_keys = {record_key("chunk", "tasn-1"): 2}
    index.upsert(doc, chunks, vectors)
    assert sleeps == [1.0, 2.0]
    assert [len(b["value"]) for b in service.bodies("/docs/search.index")] == [3, 1, 1]
    service.failing_keys = {record_key("chunk", "tasn-0"): 99}
    with pytest.raises(BackendUnavailable, match="did not store 1 of 1 records"):
        index.upsert(doc, chunks, vectors)


def test_throttling_honours_retry_after(service):
    index = make_index(service)
    index.count()
    service.throttle = [{"Retry-After": "7"}, {"retry-after-ms": "250"}]
    assert index.count() == 0
    assert service.transport.sleeps == [7.0, 0.25]


def test_upsert_uploads_before_deleting_stale_chunks(service):
    index = make_index(service)
    index.upsert(*make_doc("tasn", "alice"))
    index.upsert(*make_doc("tasn", "alice", texts=["Only one chunk now."]))
    writes = [[a["@search.action"] for a in b["value"]] for b in service.bodies("/docs/search.index")]
    assert writes[-2] == ["upload", "upload"] and writes[-1] == ["delete"]


def test_upsert_many_reads_the_old_chunks_once_and_writes_in_one_batch(service):
    index = make_index(service)
    index.upsert_many([make_doc("tasn", "alice"), make_doc("mime", "bob"), make_doc("cats", "carol")])
    reads_before, writes_before = len(service.bodies("/docs/search.post.search")), len(service.bodies("/docs/search.index"))
    index.upsert_many([make_doc("tasn", "alice", texts=["Only one chunk now."]), make_doc("cats", "carol")])
    reads = service.bodies("/docs/search.post.search")[reads_before:]
    writes = [[a["@search.action"] for a in b["value"]] for b in service.bodies("/docs/search.index")[writes_before:]]
    assert len(reads) == 1 and "search.in(doc_id" in reads[0]["filter"]
    assert writes == [["upload"] * 5, ["delete"]]  # 1 + 2 chunks and 2 document records, then tasn's stale chunk


def test_filters_quote_and_pick_a_free_delimiter():
    assert literal("O'Brien") == "'O''Brien'"
    assert one_of("collection", ["a,b", "c"]) == "search.in(collection, 'a,b|c', '|')"
    assert scope_filter(Principal("u")) == "owner eq 'u'"
    odata = ODataFilter(scope_filter(Principal("o'b", groups=("x,y", "z"))))
    assert odata({"owner": "o'b"}) and odata({"owner": "q", "collection": "x,y"})
    assert not odata({"owner": "q", "collection": "x"})


def test_query_text_drops_operators():
    assert query_text('"unbalanced a:b OR ( title:x AND * \\') == "unbalanced a b OR title x AND"


def test_vectors_of_the_wrong_size_are_refused(service):
    doc, chunks, _ = make_doc("tasn", "alice")
    with pytest.raises(ConfigError, match="dims"):
        make_index(service).upsert(doc, chunks, np.zeros((2, 8), dtype=np.float32))


def test_missing_endpoint_names_the_variable():
    with pytest.raises(ConfigError, match="RAG_AZURE_SEARCH_ENDPOINT"):
        AzureSearchIndex(Settings(azure_search_endpoint=""))


class TestLiveAzureSearch(IndexContract):
    """Runs against a scratch index (RAG_AZURE_SEARCH_INDEX, default docchat-contract-test): it is emptied."""

    @pytest.fixture
    def index(self, tmp_path):
        import os

        name = os.environ.get("RAG_TEST_AZURE_SEARCH_INDEX", "docchat-contract-test")
        settings = live_settings(tmp_path, "azure_search_endpoint", azure_search_index=name)
        index = AzureSearchIndex(settings, dim=64)
        stale = index._select("kind eq 'chunk' or kind eq 'document'", ["id"])
        index._write("delete", [{"id": r["id"]} for r in stale])
        return index


# --- the schema as the SDK serializes it, field by field (issue 13 item 4)
S, I32, I64, VEC = "Edm.String", "Edm.Int32", "Edm.Int64", "Collection(Edm.Single)"
EXPECTED_FIELDS = {
    # name: (type, key, retrievable, searchable, filterable, sortable, facetable)
    "id": (S, True, True, False, True, True, False),
    "kind": (S, False, True, False, True, False, False),
    "doc_id": (S, False, True, False, True, False, False),
    "owner": (S, False, True, False, True, False, False),
    "collection": (S, False, True, False, True, False, False),
    "title": (S, False, True, True, False, False, False),
    "section": (S, False, True, True, False, False, False),
    "content": (S, False, True, True, False, False, False),
    "page": (I32, False, True, False, False, False, False),
    "start": (I32, False, True, False, False, False, False),
    "end": (I32, False, True, False, False, False, False),
    "vector": (VEC, False, False, True, False, False, False),
    "name": (S, False, True, False, False, False, False),
    "kind_of_file": (S, False, True, False, False, False, False),
    "sha256": (S, False, True, False, False, False, False),
    "size": (I64, False, True, False, False, False, False),
    "pages": (I32, False, True, False, False, False, False),
    "chunks": (I32, False, True, False, False, False, False),
    "uploaded_at": (S, False, True, False, False, False, False),
    "uploaded_by": (S, False, True, False, False, False, False),
}
ATTRS = ("type", "key", "retrievable", "searchable", "filterable", "sortable", "facetable")


def test_every_field_attribute_is_sent_explicitly(service):
    make_index(service).count()
    sent = next(c.json for c in service.transport.calls if c.method == "PUT")
    assert [f["name"] for f in sent["fields"]] == list(EXPECTED_FIELDS)
    for field in sent["fields"]:
        assert tuple(field.get(a) for a in ATTRS) == EXPECTED_FIELDS[field["name"]], field["name"]
        analyzer = "en.microsoft" if field["searchable"] and field["type"] == S else None
        assert field.get("analyzer") == analyzer, field["name"]
    vector = next(f for f in sent["fields"] if f["name"] == "vector")
    assert vector["dimensions"] == 64 and vector["vectorSearchProfile"] == "docchat-vector"
    semantic = sent["semantic"]["configurations"][0]["prioritizedFields"]
    assert semantic == {"titleField": {"fieldName": "title"}, "prioritizedContentFields": [{"fieldName": "content"}],
                        "prioritizedKeywordsFields": [{"fieldName": "section"}]}


def test_metadata_never_matches_question_words(service):
    """owner, ids and kinds are not full-text searched: a question naming a user finds nothing of theirs."""
    index = make_index(service)
    index.upsert(*make_doc("tasn", "alice"))
    assert search(index, "alice chunk document", ALICE, mode="bm25") == []
    body = service.bodies("/docs/search.post.search")[-1]
    assert body["searchFields"] == "title,section,content"
    assert [h.chunk.chunk_id for h in search(index, "DER", ALICE, mode="bm25")] == ["tasn-0"]


def test_content_over_32_kb_is_stored(service):
    """A sortable/facetable/filterable string is capped at 32,766 bytes; content is none of those."""
    index = make_index(service)
    doc, chunks, vectors = make_doc("big", "alice", texts=["word " * 8000])
    index.upsert(doc, chunks, vectors)
    assert [c.chunk_id for c in index.chunks("big", ALICE)] == ["big-0"]


OLD_SCHEMA_FIELDS = [  # what DocChat sent before issue 13: the rest was left to the REST defaults
    {"name": "id", "type": S, "key": True, "filterable": True}, {"name": "kind", "type": S, "filterable": True},
    {"name": "doc_id", "type": S, "filterable": True}, {"name": "owner", "type": S, "filterable": True},
    {"name": "collection", "type": S, "filterable": True},
    {"name": "title", "type": S, "searchable": True, "analyzer": "en.microsoft"},
    {"name": "content", "type": S, "searchable": True, "analyzer": "en.microsoft"}, {"name": "section", "type": S},
    {"name": "page", "type": I32, "filterable": True, "sortable": True}, {"name": "start", "type": I32},
    {"name": "end", "type": I32},
    {"name": "vector", "type": VEC, "searchable": True, "retrievable": False, "dimensions": 64,
     "vectorSearchProfile": "docchat-vector"},
    {"name": "name", "type": S, "sortable": True}, {"name": "kind_of_file", "type": S, "filterable": True},
    {"name": "sha256", "type": S, "filterable": True}, {"name": "size", "type": I64}, {"name": "pages", "type": I32},
    {"name": "chunks", "type": I32}, {"name": "uploaded_at", "type": S, "sortable": True, "filterable": True},
    {"name": "uploaded_by", "type": S, "filterable": True},
]


def old_schema_service(name="docchat") -> FakeSearchService:
    old = FakeSearchService(name)
    current = index_definition(name, 64, "en.microsoft").as_dict()
    old.definition = {**current, "fields": [with_defaults(f) for f in OLD_SCHEMA_FIELDS],
                      "semantic": {"configurations": [{"name": "docchat-semantic", "prioritizedFields": {
                          "titleField": {"fieldName": "title"}, "prioritizedContentFields": [{"fieldName": "content"}]}}]}}
    return old


def test_an_old_schema_stops_the_index_init_job_with_the_command_to_run():
    service = old_schema_service()
    with pytest.raises(ConfigError, match=r"kind\.searchable is True.*RAG_AZURE_SEARCH_INDEX=docchat-v2 "
                                          r"RAG_AZURE_SEARCH_MANAGE_INDEX=true python -m rag\.backends\.azure\.reindex "
                                          r"--from docchat"):
        make_index(service, azure_search_manage_index=True).count()
    assert not [c for c in service.transport.calls if c.method == "PUT"]  # nothing changed


def test_reindex_rebuilds_every_document_from_the_blobs(tmp_path):
    old_service, new_service = old_schema_service("docchat"), FakeSearchService("docchat-v2")
    settings = Settings(data_dir=tmp_path, azure_search_endpoint=ENDPOINT, chat_retries=0, rate_limit_per_minute=1000)
    old = AzureSearchIndex(settings.model_copy(update={"azure_search_index": "docchat", "azure_search_manage_index": False}),
                           credential=FakeCredential(), transport=old_service.transport, dim=64)
    blobs = FilesystemBlobStore(settings)
    before = Engine(settings, embedder=EMBED, index=old, blobs=blobs)
    before.ingest("bearings.txt", b"Turbine bearings are inspected monthly.", ALICE)
    before.ingest("budget.txt", b"The finance budget is approved in March.", BOB, collection="finance")
    new = AzureSearchIndex(settings.model_copy(update={"azure_search_index": "docchat-v2",
                                                       "azure_search_manage_index": True}),
                           credential=FakeCredential(), transport=new_service.transport, dim=64)
    lines = []
    assert reindex(old, Engine(settings, embedder=EMBED, index=new, blobs=blobs), lines.append) == 0
    assert [(d.name, d.owner, d.collection) for d in new.documents(ALICE)] == [
        ("bearings.txt", "alice", ""), ("budget.txt", "bob", "finance")]
    assert search(new, "bearings inspected", ALICE)[0].chunk.text.startswith("Turbine bearings")
    assert lines[-1] == "2 of 2 documents re-indexed into 'docchat-v2'."


def test_reindex_refuses_to_read_and_write_the_same_index(tmp_path):
    with pytest.raises(ConfigError, match="set RAG_AZURE_SEARCH_INDEX to the new index"):
        source_index(Settings(index="azure", azure_search_endpoint=ENDPOINT, azure_search_index="docchat"), "docchat")


# --- listings page in key order, never past the service's skip limit (item 8)
def test_listings_page_by_key_range_in_key_order(service, monkeypatch):
    monkeypatch.setattr(search_module, "PAGE", 2)
    service.max_skip = 3  # the service's 100,000, scaled down with the page size
    index = make_index(service)
    for i in range(7):
        index.upsert(*make_doc(f"d{i}", "alice", texts=[f"text {i}"]))
    before = len(service.bodies("/docs/search.post.search"))
    assert [d.doc_id for d in index.documents(ALICE)] == [f"d{i}" for i in range(7)]
    listing = service.bodies("/docs/search.post.search")[before:]
    assert len(listing) == 4 and all(b["orderby"] == "id asc" and not b.get("skip") for b in listing)
    assert " and id gt '" in listing[-1]["filter"]


def test_the_fake_refuses_skip_over_the_limit(service):
    make_index(service).count()
    status, _, body = service.refuse_search({"skip": 100_001})
    assert status == 400 and "$skip" in body["error"]["message"]


# --- the semantic ranker refuses: plain hybrid for that request, logged once, shown on the hits (item 3)
@pytest.mark.parametrize("refusal", ["quota", "plan", "transient"])
def test_a_refused_semantic_query_falls_back_to_plain_hybrid(service, refusal, caplog):
    index = make_index(service, azure_semantic=True)
    index.upsert(*make_doc("tasn", "alice"))
    service.semantic_error = refusal
    with caplog.at_level("WARNING", logger="rag.backends.azure.search"):
        first = search(index, "DER encoding", ALICE)
        second = search(index, "DER encoding", ALICE)
    assert first and [h.chunk.chunk_id for h in first] == [h.chunk.chunk_id for h in second]
    assert all(RERANK_SKIPPED in h.flags and not h.caption for h in first)
    assert first[0].bm25_rank is not None and first[0].vector_rank is not None  # the plain query's subscores
    bodies = [b for b in service.bodies("/docs/search.post.search") if b.get("search")]
    kinds = [b.get("queryType") for b in bodies]
    runs = [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]  # a transient 503 is retried first
    assert runs == ["semantic", None, "semantic", None] and kinds.count(None) == 2
    assert bodies[-1]["debug"] == "vector"
    assert len([r for r in caplog.records if "semantic" in r.getMessage()]) == 1


def test_a_ranked_semantic_query_is_not_flagged(service):
    index = make_index(service, azure_semantic=True)
    index.upsert(*make_doc("tasn", "alice"))
    hits = search(index, "DER encoding", ALICE)
    assert hits and all(RERANK_SKIPPED not in h.flags for h in hits) and hits[0].caption


def test_a_semantic_query_refused_for_access_is_reported_not_retried(service):
    index = make_index(service, azure_semantic=True)
    index.upsert(*make_doc("tasn", "alice"))
    service.transport.handler = lambda call: (403, {}, {"error": {"code": "Forbidden", "message": "no role"}})
    with pytest.raises(ConfigError, match="Search Index Data Reader"):
        search(index, "DER", ALICE)
