"""Azure OpenAI chat and embeddings with an Entra ID token (no key): the OpenAI-compatible backends
with a differently built client."""

from __future__ import annotations

import re
import time
from typing import Any

import openai
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import get_bearer_token_provider

from rag.backends.azure.identity import credential_from, translate
from rag.backends.openai_compat import Endpoint, OpenAIChatModel, OpenAIEmbedder
from rag.errors import ConfigError
from rag.settings import Settings

SCOPE = "https://cognitiveservices.azure.com/.default"
ROLE = "Cognitive Services OpenAI User"
FIXED_DIMENSIONS = {"text-embedding-ada-002": 1536}  # models that take no `dimensions` parameter


def takes_dimensions(model: str) -> bool:
    """Only text-embedding-3 and later accept `dimensions`; ada-002 deployments answer it with a 400."""
    generation = re.match(r"text-embedding-(\d+)", model)
    return bool(generation) and int(generation.group(1)) >= 3


def token_provider(credential: Any, service: str):
    """A bearer-token callable whose sign-in failures read as ConfigError, not an SDK traceback."""
    provide = get_bearer_token_provider(credential, SCOPE)

    def token() -> str:
        try:
            return provide()
        except ClientAuthenticationError as exc:
            raise translate(exc, service, ROLE) from exc

    return token


def azure_endpoint(settings: Settings, deps: dict[str, Any], deployment: str, variable: str) -> Endpoint:
    if not settings.azure_openai_endpoint:
        raise ConfigError(f"{variable}=azure needs RAG_AZURE_OPENAI_ENDPOINT, e.g. https://NAME.openai.azure.com.")
    service = f"Azure OpenAI {settings.azure_openai_endpoint}"
    client = openai.AzureOpenAI(
        azure_endpoint=settings.azure_openai_endpoint,
        api_version=settings.azure_openai_api_version,
        azure_ad_token_provider=token_provider(credential_from(deps), service),
        timeout=settings.chat_timeout,
        max_retries=0,  # Endpoint.call retries, honouring retry-after-ms / retry-after
        http_client=deps.get("http_client"),
    )
    fix = (
        f"check that deployment {deployment!r} exists on {settings.azure_openai_endpoint} and that the identity "
        f"DocChat runs as has the '{ROLE}' role on the resource (see docs/azure.md)."
    )
    return Endpoint(client, deployment, service, fix, retries=settings.chat_retries, sleep=deps.get("sleep") or time.sleep)


class AzureOpenAIChatModel(OpenAIChatModel):
    def _connect(self, settings: Settings, deps: dict[str, Any]) -> Endpoint:
        return azure_endpoint(settings, deps, settings.azure_openai_chat_deployment, "RAG_CHAT")


class AzureOpenAIEmbedder(OpenAIEmbedder):
    def _connect(self, settings: Settings, deps: dict[str, Any]) -> tuple[Endpoint, int, bool]:
        model, dims = settings.azure_openai_embedding_model, settings.azure_openai_embedding_dimensions
        fixed = FIXED_DIMENSIONS.get(model)
        if fixed is not None and dims != fixed:
            raise ConfigError(f"{model} always makes {fixed}-dimension vectors; set RAG_AZURE_OPENAI_EMBEDDING_DIMENSIONS={fixed}.")
        endpoint = azure_endpoint(settings, deps, settings.azure_openai_embedding_deployment, "RAG_EMBEDDER")
        return endpoint, dims, takes_dimensions(model)
