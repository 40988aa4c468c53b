"""The whole engine on the Azure backends: Azure OpenAI (fake OpenAI server), AI Search (fake service),
Blob Storage (the real Azurite) and Key Vault (fake vault) wired into one Engine, driven like the app does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from rag.backends.azure.blobs import CONNECTION_STRING_SECRET, AzureBlobStore
from rag.backends.azure.keyvault import KeyVaultSecretStore
from rag.backends.azure.openai import AzureOpenAIChatModel, AzureOpenAIEmbedder
from rag.backends.azure.search import AzureSearchIndex
from rag.backends.azure.search_schema import record_key
from rag.engine import Engine
from rag.errors import NotFound
from rag.ingest.pipeline import original_key, pages_key
from rag.prompt import NOT_FOUND
from rag.settings import Settings
from rag.types import Principal
from tests.azure.fake_openai import FakeCredential, FakeOpenAI
from tests.azure.fake_search import FakeSearchService
from tests.azure.test_keyvault import VAULT, vault
from tests.conftest import MIME_SPEC

REPO = Path(__file__).resolve().parents[2]
ALICE, BOB = Principal("alice"), Principal("bob")
QUESTION = "What is the default weight of a glob pattern?"
FACT = "The default weight value is 50, and the maximum is 100"  # verbatim from page 4 of the spec
SOURCE = re.compile(r"<<<SOURCE (\d+) (\w+)\n(.*?)\n\2 SOURCE \1>>>", re.DOTALL)
_containers = iter(range(10_000))


@dataclass
class SpecOpenAI(FakeOpenAI):
    """The fake OpenAI server, scripted to answer the glob-weight question the way a model would: the
    sentence from the fenced source that holds it, cited with that source's number."""

    prompts: list[str] = field(default_factory=list)
    replies: list[list[str]] = field(default_factory=list)

    def chat(self, body: dict) -> httpx.Response:
        prompt = body["messages"][-1]["content"]
        if not (body.get("stream") and "glob" in prompt and "Sources:" in prompt):
            return super().chat(body)
        self.prompts.append(prompt)
        cited = [n for n, _, text in SOURCE.findall(prompt) if FACT in " ".join(text.split())]
        pieces = [FACT[:31], FACT[31:] + " ", f"[{cited[0]}]."] if cited else [NOT_FOUND]
        self.replies.append(pieces)
        events = [{"id": "c", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                   "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]} for piece in pieces]
        stream = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=stream.encode())


@dataclass
class Stack:
    engine: Engine
    openai: SpecOpenAI
    search: FakeSearchService
    blobs: AzureBlobStore
    vault_calls: list


@pytest.fixture
def stack(tmp_path, azurite):
    settings = Settings(
        data_dir=tmp_path / "data", embedder="azure", index="azure", blobs="azure", chat="azure", secrets="keyvault",
        azure_openai_endpoint="https://docchat-test.openai.azure.com", azure_openai_embedding_deployment="emb",
        azure_openai_embedding_dimensions=256, azure_openai_chat_deployment="gpt",
        azure_search_endpoint="https://docchat-test.search.windows.net", azure_search_index="docchat",
        azure_keyvault_url=VAULT, azure_storage_account_url="",
        azure_storage_container=f"engine{next(_containers)}", chat_retries=1,
    )
    credential, openai_server, search_service = FakeCredential(), SpecOpenAI(dim=256), FakeSearchService("docchat")
    vault_transport = vault({CONNECTION_STRING_SECRET: azurite})
    secrets = KeyVaultSecretStore(settings, credential=credential, transport=vault_transport)
    embedder = AzureOpenAIEmbedder(settings, secrets=secrets, credential=credential, http_client=openai_server.client())
    chat = AzureOpenAIChatModel(settings, secrets=secrets, credential=credential, http_client=openai_server.client())
    index = AzureSearchIndex(settings, embedder=embedder, credential=credential, transport=search_service.transport)
    blobs = AzureBlobStore(settings, secrets=secrets)  # the connection string comes from the vault
    engine = Engine(settings, embedder=embedder, index=index, blobs=blobs, chat=chat, secrets=secrets)
    return Stack(engine, openai_server, search_service, blobs, vault_transport.calls)


@pytest.fixture
def ingested(stack):
    data = MIME_SPEC.read_bytes()
    report = stack.engine.ingest(MIME_SPEC.name, data, ALICE)
    return stack, report, data


def chunk_records(service: FakeSearchService, doc_id: str) -> list[dict]:
    return [d for d in service.docs.values() if d["kind"] == "chunk" and d["doc_id"] == doc_id]


def test_ingest_stores_the_original_in_azurite_and_the_chunks_in_search(ingested):
    stack, report, data = ingested
    assert report.status == "indexed" and report.error == ""
    assert report.pages >= 4 and report.chunks > report.pages
    assert stack.engine.original(report.doc_id, ALICE) == data  # downloaded back from Azurite
    assert any(c.path.startswith(f"/secrets/{CONNECTION_STRING_SECRET}") for c in stack.vault_calls)

    chunks = chunk_records(stack.search, report.doc_id)
    assert len(chunks) == report.chunks
    assert {(c["owner"], c["collection"]) for c in chunks} == {("alice", "")}
    assert all(len(c["vector"]) == 256 and c["content"] and c["page"] >= 1 for c in chunks)
    uploaded = [a for body in stack.search.bodies("/docs/search.index") for a in body["value"]]
    assert {a["@search.action"] for a in uploaded} == {"upload"}
    assert {a["id"] for a in uploaded} == set(stack.search.docs)
    record = stack.search.docs[record_key("document", report.doc_id)]
    assert (record["owner"], record["collection"], record["name"]) == ("alice", "", MIME_SPEC.name)

    [listed] = stack.engine.documents(ALICE)
    assert (listed.doc_id, listed.name, listed.kind, listed.owner) == (report.doc_id, MIME_SPEC.name, "pdf", "alice")
    assert (listed.pages, listed.chunks, listed.size) == (report.pages, report.chunks, len(data))
    assert stack.blobs.metadata(original_key(listed))["name"] == MIME_SPEC.name
    assert [p.number for p in stack.engine.pages(report.doc_id, ALICE)] == list(range(1, report.pages + 1))
    embeds = stack.openai.bodies("/embeddings")
    assert embeds and all(b["model"] == "emb" and b["dimensions"] == 256 for b in embeds)


def test_ask_streams_an_answer_citing_the_spec_page_from_one_hybrid_query(ingested):
    stack, report, _ = ingested
    before = len(stack.search.bodies("/docs/search.post.search"))
    stream = stack.engine.ask(QUESTION, ALICE)
    deltas = list(stream)
    [query] = stack.search.bodies("/docs/search.post.search")[before:]  # retrieval is one hybrid request
    answer = stream.answer
    [reply] = stack.openai.replies
    assert deltas == reply and len(deltas) == 3  # streamed piece by piece, as the chat deployment sent them
    assert answer.text == "".join(reply).strip() and not answer.abstained and not answer.unsupported
    [citation] = answer.citations
    source = answer.hits[citation.n - 1]
    assert source.bm25_rank and source.vector_rank  # both halves of the hybrid query found it
    assert (citation.doc_id, citation.title, citation.page) == (report.doc_id, MIME_SPEC.name, 4)
    assert " ".join(citation.quote.split()) == FACT  # narrowed to the quoted sentence
    page = stack.engine.pages(report.doc_id, ALICE)[citation.page - 1]
    assert " ".join(page.text[citation.start:citation.end].split()) == FACT
    assert all(h.chunk.doc_id == report.doc_id for h in answer.hits)
    assert f"<<<SOURCE {citation.n} " in stack.openai.prompts[0] and QUESTION in stack.openai.prompts[0]
    chats = [r for r in stack.openai.requests if r.url.path.endswith("/chat/completions")]
    assert [r.url.path for r in chats] == ["/openai/deployments/gpt/chat/completions"]
    assert chats[0].headers["authorization"] == "Bearer fake-entra-token"

    assert query["search"] == "What is the default weight of a glob pattern"  # '?' is a query operator
    [vector_query] = query["vectorQueries"]
    assert vector_query["kind"] == "vector" and vector_query["fields"] == "vector"
    assert len(vector_query["vector"]) == 256 and vector_query["k"] >= query["top"]
    assert query["filter"] == "kind eq 'chunk' and owner eq 'alice'"


def test_another_user_sees_nothing_and_gets_no_answer(ingested):
    stack, report, _ = ingested
    assert stack.engine.documents(BOB) == []
    assert stack.engine.search(QUESTION, BOB) == []
    answer = stack.engine.ask(QUESTION, BOB).complete()
    assert answer.abstained and answer.hits == [] and answer.citations == []
    assert stack.search.bodies("/docs/search.post.search")[-1]["filter"] == "kind eq 'chunk' and owner eq 'bob'"
    assert stack.openai.prompts == []  # nothing of alice's reached the chat model
    with pytest.raises(NotFound):
        stack.engine.original(report.doc_id, BOB)
    with pytest.raises(NotFound):
        stack.engine.delete(report.doc_id, BOB)
    assert len(chunk_records(stack.search, report.doc_id)) == report.chunks


def test_delete_removes_the_records_and_the_blobs(ingested):
    stack, report, _ = ingested
    document = stack.engine.document(report.doc_id, ALICE)
    keys = [original_key(document), pages_key(document)]
    assert all(stack.blobs.exists(key) for key in keys)
    deleted = stack.engine.delete(report.doc_id, ALICE)
    assert deleted.doc_id == report.doc_id
    assert [d for d in stack.search.docs.values() if d["doc_id"] == report.doc_id] == []
    assert not any(stack.blobs.exists(key) for key in keys)
    assert stack.engine.documents(ALICE) == []
    assert stack.engine.search(QUESTION, ALICE) == []
    with pytest.raises(NotFound):
        stack.engine.original(report.doc_id, ALICE)


def run_cli(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "AZURE_"))}
    clean.update(PYTHONPATH=str(REPO), RAG_DATA_DIR=str(tmp_path / "data"), **env)
    return subprocess.run([sys.executable, "-m", "rag", "list", "--json"], cwd=tmp_path, env=clean,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("extra", "missing"), [
    ({}, "RAG_AZURE_OPENAI_ENDPOINT"),
    ({"RAG_SECRETS": "keyvault"}, "RAG_AZURE_KEYVAULT_URL"),
    ({"RAG_AZURE_OPENAI_ENDPOINT": "https://docchat-test.openai.azure.com"}, "RAG_AZURE_SEARCH_ENDPOINT"),
])
def test_cli_without_endpoints_names_the_missing_variable(tmp_path, extra, missing):
    done = run_cli(tmp_path, RAG_EMBEDDER="azure", RAG_INDEX="azure", RAG_BLOBS="azure", RAG_CHAT="azure", **extra)
    message = " ".join(done.stderr.split())  # rich wraps long lines
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert re.search(rf"error: RAG_\w+=\w+ needs {missing}\b", message), message
