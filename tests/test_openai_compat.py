"""OpenAI-compatible chat and embeddings, through the SDK's own http_client hook (httpx.MockTransport)."""

import json

import httpx
import numpy as np
import pytest

from rag.backends.openai_compat import (
    EMBED_MAX_INPUTS,
    OpenAIChatModel,
    OpenAIEmbedder,
    retry_after,
    token_batches,
)
from rag.errors import BackendUnavailable, ConfigError
from rag.protocols import ChatRequest
from rag.settings import Settings
from tests.azure.fake_openai import FakeOpenAI, unit_rows
from tests.contracts.chat import ChatModelContract
from tests.contracts.embedder import EmbedderContract


class StoreOf(dict):
    def get(self, name):  # a SecretStore
        if name not in self:
            raise ConfigError(f"no secret {name}")
        return self[name]


@pytest.fixture
def server():
    return FakeOpenAI(dim=256)


@pytest.fixture
def sleeps():
    return []


def settings_for(tmp_path, **extra):
    values = dict(data_dir=tmp_path, openai_base_url="http://llm.test/v1", openai_model="m",
                  openai_embedding_dimensions=256, chat_retries=3)
    values.update(extra)
    return Settings(**values)


@pytest.fixture
def chat_model(tmp_path, server, sleeps):
    return OpenAIChatModel(settings_for(tmp_path), http_client=server.client(), sleep=sleeps.append)


@pytest.fixture
def embed_model(tmp_path, server, sleeps):
    return OpenAIEmbedder(settings_for(tmp_path), http_client=server.client(), sleep=sleeps.append)


class TestOpenAIChatContract(ChatModelContract):
    @pytest.fixture
    def chat(self, chat_model):
        return chat_model


class TestOpenAIEmbedderContract(EmbedderContract):
    @pytest.fixture
    def embedder(self, embed_model):
        return embed_model


def test_chat_request_is_temperature_zero_with_fenced_sources(chat_model, server):
    list(chat_model.stream(ChatRequest("q?", [])))
    body = server.bodies("/chat/completions")[0]
    assert body["temperature"] == 0 and body["stream"] is True and body["model"] == "m"
    assert body["messages"][0]["role"] == "system" and "Question: q?" in body["messages"][-1]["content"]


def test_key_comes_from_secret_store(tmp_path, server):
    model = OpenAIChatModel(settings_for(tmp_path), http_client=server.client(),
                            secrets=StoreOf({"openai-api-key": "sk-from-store"}))
    model.rewrite([], "hello")
    assert server.requests[0].headers["authorization"] == "Bearer sk-from-store"


def test_missing_base_url_says_which_variable(tmp_path):
    with pytest.raises(ConfigError, match="RAG_OPENAI_BASE_URL"):
        OpenAIChatModel(settings_for(tmp_path, openai_base_url=""))


@pytest.mark.parametrize(("headers", "expected"), [
    ({"retry-after-ms": "250"}, [0.25]),
    ({"retry-after": "2"}, [2.0]),
    ({}, [1.0]),
])
def test_429_waits_as_told(chat_model, server, sleeps, headers, expected):
    server.failures = [(429, headers, {})]
    assert chat_model.rewrite([], "what is DER")
    assert sleeps == expected
    assert len(server.requests) == 2


def test_5xx_backs_off_exponentially_then_gives_up(chat_model, server, sleeps):
    server.failures = [(503, {}, {})] * 4
    with pytest.raises(BackendUnavailable, match="4 attempts"):
        chat_model.rewrite([], "q")
    assert sleeps == [1.0, 2.0, 4.0]


def test_timeouts_are_retried(chat_model, server, sleeps):
    server.timeouts = 2
    assert "".join(chat_model.stream(ChatRequest("q", [])))
    assert sleeps == [1.0, 2.0]


def test_long_quota_wait_fails_fast_with_a_clear_message(chat_model, server, sleeps):
    server.failures = [(429, {"retry-after": "3600"}, {})]
    with pytest.raises(BackendUnavailable, match="out of quota for the next 3600 s"):
        chat_model.rewrite([], "q")
    assert sleeps == []


def test_insufficient_quota_is_not_retried(chat_model, server, sleeps):
    server.failures = [(429, {}, {"error": {"message": "You exceeded your quota", "code": "insufficient_quota"}})]
    with pytest.raises(BackendUnavailable, match="quota"):
        chat_model.rewrite([], "q")
    assert sleeps == [] and len(server.requests) == 1


@pytest.mark.parametrize("status", [401, 403, 404])
def test_auth_and_missing_model_are_config_errors(chat_model, server, status):
    server.failures = [(status, {}, {})]
    with pytest.raises(ConfigError, match="RAG_OPENAI_MODEL|key"):
        chat_model.rewrite([], "q")


def test_retry_after_parses_http_dates():
    assert retry_after(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after(httpx.Headers({})) is None


def test_embeddings_request_dimensions_and_return_unit_vectors(embed_model, server):
    vectors = embed_model.embed(["a b", "c d"])
    assert unit_rows(vectors) and vectors.dtype == np.float32
    body = server.bodies("/embeddings")[0]
    assert body["dimensions"] == 256 and body["model"] == "text-embedding-3-small"


def test_other_models_are_not_sent_dimensions(tmp_path, server):
    model = OpenAIEmbedder(settings_for(tmp_path, openai_embedding_model="nomic-embed-text"),
                           http_client=server.client())
    model.embed(["x"])
    assert "dimensions" not in server.bodies("/embeddings")[0]


def test_wrong_dimensions_setting_is_a_config_error(tmp_path, server):
    model = OpenAIEmbedder(settings_for(tmp_path, openai_embedding_dimensions=32, openai_embedding_model="other"),
                           http_client=server.client())
    with pytest.raises(ConfigError, match="dimensions"):
        model.embed(["x"])


def test_token_batches_respect_inputs_and_token_budget():
    assert [list(r) for r in token_batches([5, 5, 5, 5], max_inputs=10, max_tokens=10)] == [[0, 1], [2, 3]]
    assert [len(r) for r in token_batches([1] * 5, max_inputs=2, max_tokens=100)] == [2, 2, 1]
    assert [list(r) for r in token_batches([50], max_inputs=2, max_tokens=10)] == [[0]]


def test_many_inputs_are_split_into_requests(embed_model, server):
    texts = [f"text {i}" for i in range(EMBED_MAX_INPUTS + 10)]
    assert embed_model.embed(texts).shape == (len(texts), 256)
    sizes = [len(b["input"]) for b in server.bodies("/embeddings")]
    assert sum(sizes) == len(texts) and max(sizes) <= EMBED_MAX_INPUTS


def test_empty_text_is_sent_as_a_space_and_long_text_is_cut(embed_model, server):
    embed_model.embed(["", "word " * 9000])
    sent = server.bodies("/embeddings")[0]["input"]
    assert sent[0] == " " and embed_model.count_tokens(sent[1]) <= embed_model.max_tokens


def test_cache_means_a_rerun_embeds_only_what_is_missing(tmp_path, server, sleeps):
    settings = settings_for(tmp_path, chat_retries=0)
    first = OpenAIEmbedder(settings, http_client=server.client(), sleep=sleeps.append)
    texts = [f"chunk {i}" for i in range(600)]
    first.embed(texts[:300])  # as if the quota ran out after 300 texts
    server.requests.clear()
    again = OpenAIEmbedder(settings, http_client=server.client())
    vectors = again.embed(texts)
    sent = [t for b in server.bodies("/embeddings") for t in b["input"]]
    assert sorted(sent) == sorted(texts[300:])
    assert np.allclose(vectors[:300], first.embed(texts[:300]))


def test_quota_error_mid_ingestion_keeps_finished_slices(tmp_path, server):
    settings = settings_for(tmp_path, chat_retries=0)
    texts = [f"passage {i}" for i in range(600)]
    calls = {"n": 0}

    def fail_on_third(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 3:
            return httpx.Response(429, headers={"retry-after": "86400"}, json={"error": {"message": "quota"}})
        return server.handle(request)

    broken = OpenAIEmbedder(settings, http_client=httpx.Client(transport=httpx.MockTransport(fail_on_third)))
    with pytest.raises(BackendUnavailable, match="resumes"):
        broken.embed(texts)
    server.requests.clear()
    OpenAIEmbedder(settings, http_client=server.client()).embed(texts)
    assert sum(len(b["input"]) for b in server.bodies("/embeddings")) == 600 - 2 * 256


def test_stream_breaking_off_is_backend_unavailable(tmp_path):
    def broken(request):
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              content=b'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"m",'
                                      b'"choices":[]}\n\ndata: {"error": {"message": "overloaded"}}\n\n')

    model = OpenAIChatModel(settings_for(tmp_path), http_client=httpx.Client(transport=httpx.MockTransport(broken)))
    with pytest.raises(BackendUnavailable, match="stopped in the middle of the answer"):
        list(model.stream(ChatRequest("q", [])))


def test_request_body_is_json(chat_model, server):
    chat_model.rewrite([], "q")
    assert json.loads(server.requests[0].content)["stream"] is False


def test_seed_and_max_tokens_are_sent_only_when_set(tmp_path, server):
    list(OpenAIChatModel(settings_for(tmp_path), http_client=server.client()).stream(ChatRequest("q?", [])))
    plain = server.bodies("/chat/completions")[-1]
    assert "seed" not in plain and "max_tokens" not in plain  # OpenAI's reasoning models reject max_tokens
    configured = OpenAIChatModel(settings_for(tmp_path, chat_seed=7, chat_max_tokens=64), http_client=server.client())
    list(configured.stream(ChatRequest("q?", [])))
    configured.rewrite([], "q")
    assert [(b["seed"], b["max_tokens"]) for b in server.bodies("/chat/completions")[-2:]] == [(7, 64), (7, 64)]
