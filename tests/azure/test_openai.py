"""Azure OpenAI backends: the OpenAI-compatible ones with an Entra token, through httpx.MockTransport."""

import json

import pytest
from azure.core.exceptions import ClientAuthenticationError

from rag.backends.azure.openai import SCOPE, AzureOpenAIChatModel, AzureOpenAIEmbedder, takes_dimensions
from rag.errors import ConfigError
from rag.protocols import ChatRequest
from rag.settings import Settings
from tests.azure.fake_openai import FakeCredential, FakeOpenAI, unit_rows
from tests.azure.live import live_settings
from tests.contracts.chat import ChatModelContract
from tests.contracts.embedder import EmbedderContract


def azure_settings(tmp_path, **extra):
    values = dict(data_dir=tmp_path, azure_openai_endpoint="https://docchat-test.openai.azure.com",
                  azure_openai_embedding_dimensions=256, azure_openai_embedding_deployment="emb",
                  azure_openai_chat_deployment="gpt", chat_retries=2)
    values.update(extra)
    return Settings(**values)


@pytest.fixture
def server():
    return FakeOpenAI(dim=256)


@pytest.fixture
def credential():
    return FakeCredential()


class TestAzureChatContract(ChatModelContract):
    @pytest.fixture
    def chat(self, tmp_path, server, credential):
        return AzureOpenAIChatModel(azure_settings(tmp_path), http_client=server.client(), credential=credential)


class TestAzureEmbedderContract(EmbedderContract):
    @pytest.fixture
    def embedder(self, tmp_path, server, credential):
        return AzureOpenAIEmbedder(azure_settings(tmp_path), http_client=server.client(), credential=credential)


def test_chat_goes_to_the_deployment_with_an_entra_token(tmp_path, server, credential):
    model = AzureOpenAIChatModel(azure_settings(tmp_path), http_client=server.client(), credential=credential)
    list(model.stream(ChatRequest("q", [])))
    request = server.requests[0]
    assert request.url.path == "/openai/deployments/gpt/chat/completions"
    assert request.url.params["api-version"] == "2024-10-21"
    assert request.headers["authorization"] == "Bearer fake-entra-token"
    assert "api-key" not in request.headers
    assert credential.scopes[0] == (SCOPE,)


def test_embeddings_send_configured_dimensions(tmp_path, server, credential):
    model = AzureOpenAIEmbedder(azure_settings(tmp_path), http_client=server.client(), credential=credential)
    vectors = model.embed(["a", "b"])
    body = json.loads(server.requests[0].content)
    assert server.requests[0].url.path == "/openai/deployments/emb/embeddings"
    assert body["dimensions"] == 256 and unit_rows(vectors)
    assert model.dim == 256 and model.max_tokens == 8191


def test_retry_after_ms_from_azure_is_honoured(tmp_path, server, credential):
    sleeps = []
    server.failures = [(429, {"retry-after-ms": "1500", "retry-after": "2"}, {})]
    model = AzureOpenAIEmbedder(azure_settings(tmp_path), http_client=server.client(), credential=credential,
                                sleep=sleeps.append)
    model.embed(["x"])
    assert sleeps == [1.5]


def test_missing_role_names_it(tmp_path, server, credential):
    server.failures = [(401, {}, {"error": {"code": "PermissionDenied", "message": "lacks permission"}})]
    model = AzureOpenAIChatModel(azure_settings(tmp_path), http_client=server.client(), credential=credential)
    with pytest.raises(ConfigError, match="Cognitive Services OpenAI User"):
        model.rewrite([], "q")


class NoSignIn:
    def get_token(self, *scopes, **kwargs):
        raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    def get_token_info(self, *scopes, options=None):
        raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")


def test_no_sign_in_says_how_to_sign_in(tmp_path, server):
    model = AzureOpenAIChatModel(azure_settings(tmp_path), http_client=server.client(), credential=NoSignIn())
    with pytest.raises(ConfigError, match="az login"):
        model.rewrite([], "q")


def test_missing_endpoint_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="RAG_AZURE_OPENAI_ENDPOINT"):
        AzureOpenAIEmbedder(azure_settings(tmp_path, azure_openai_endpoint=""))


class TestLiveAzureEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, tmp_path):
        settings = live_settings(tmp_path, "azure_openai_endpoint")
        return AzureOpenAIEmbedder(settings)


def test_ada_002_gets_no_dimensions_and_the_fake_refuses_them_like_azure(tmp_path, credential):
    server = FakeOpenAI(dim=1536, deployments={"ada": "text-embedding-ada-002"})
    settings = azure_settings(tmp_path, azure_openai_embedding_deployment="ada", azure_openai_embedding_dimensions=1536,
                              azure_openai_embedding_model="text-embedding-ada-002")
    model = AzureOpenAIEmbedder(settings, http_client=server.client(), credential=credential)
    assert model.embed(["a"]).shape == (1, 1536)
    body = json.loads(server.requests[-1].content)
    assert "dimensions" not in body and server.requests[-1].url.path == "/openai/deployments/ada/embeddings"
    refused = server.client().post("https://x/openai/deployments/ada/embeddings?api-version=2024-10-21",
                                   json={"input": ["a"], "model": "ada", "dimensions": 1536})
    assert refused.status_code == 400 and "dimensions" in refused.json()["error"]["message"]


def test_ada_002_with_other_dimensions_is_a_config_error(tmp_path, server, credential):
    settings = azure_settings(tmp_path, azure_openai_embedding_model="text-embedding-ada-002")
    with pytest.raises(ConfigError, match="RAG_AZURE_OPENAI_EMBEDDING_DIMENSIONS=1536"):
        AzureOpenAIEmbedder(settings, http_client=server.client(), credential=credential)


@pytest.mark.parametrize(("model", "expected"), [("text-embedding-3-small", True), ("text-embedding-3-large", True),
                                                 ("text-embedding-4", True), ("text-embedding-ada-002", False)])
def test_dimensions_only_for_text_embedding_3_and_later(model, expected):
    assert takes_dimensions(model) is expected


def test_an_unknown_deployment_is_the_services_404(tmp_path, server, credential):
    settings = azure_settings(tmp_path, azure_openai_embedding_deployment="nope")
    with pytest.raises(ConfigError, match="deployment 'nope'"):
        AzureOpenAIEmbedder(settings, http_client=server.client(), credential=credential).embed(["a"])
