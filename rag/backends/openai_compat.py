"""Chat and embeddings from any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp server).

The Azure OpenAI backends subclass these and only change how the client is built.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import openai

from rag.backends.embed_cache import EmbeddingCache, cache_path
from rag.errors import BackendUnavailable, ConfigError
from rag.prompt import build_messages, build_rewrite_messages
from rag.protocols import ChatRequest, SecretAccessDenied
from rag.settings import Settings
from rag.types import Turn

T = TypeVar("T")

RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}
BACKOFF_BASE = 1.0  # seconds before the first retry when the server does not say how long to wait
BACKOFF_CAP = 30.0
# A server asking us to wait longer than this has run out of quota for now: waiting would freeze
# the UI, so we fail with a message instead (ingestion resumes from the embedding cache).
MAX_WAIT = 60.0
API_KEY_SECRET = "openai-api-key"
NO_KEY = "not-needed"  # local servers (Ollama, llama.cpp) accept any key; the SDK insists on one

# OpenAI embedding limits: 8191 tokens per input, 2048 inputs and 300,000 tokens summed over
# the inputs of one request (OpenAI API reference, "Create embeddings"; the same for Azure OpenAI).
EMBED_MAX_TOKENS = 8191
EMBED_MAX_INPUTS = 2048
EMBED_REQUEST_TOKENS = 300_000
TOKENIZER = "cl100k_base"  # text-embedding-3-* and ada-002


def retry_after(headers: Any) -> float | None:
    """Seconds the server asked us to wait: `retry-after-ms` first (Azure), then `retry-after`."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if email.utils.parsedate_tz(value) else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def error_code(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    inner = body.get("error", body) if isinstance(body.get("error", body), dict) else body
    return str(inner.get("code") or "")


@dataclass
class Endpoint:
    """One configured client plus what to tell people when it refuses us."""

    client: openai.OpenAI
    model: str  # the model name, or the Azure deployment name
    what: str  # e.g. "the OpenAI-compatible endpoint http://localhost:11434/v1"
    fix: str  # what to check on 401/403/404
    retries: int = 3
    sleep: Callable[[float], None] = time.sleep

    def call(self, request: Callable[[], T]) -> T:
        """Run `request`, retrying timeouts, 429 and 5xx with backoff that honours retry-after."""
        for attempt in range(self.retries + 1):
            try:
                return request()
            except openai.APIStatusError as exc:
                if exc.status_code not in RETRYABLE_STATUS or error_code(exc) == "insufficient_quota":
                    raise self.translate(exc) from exc
                delay, last = retry_after(exc.response.headers), exc
            except openai.APIConnectionError as exc:  # includes APITimeoutError
                delay, last = None, exc
            delay = min(BACKOFF_BASE * 2**attempt, BACKOFF_CAP) if delay is None else delay
            if delay > MAX_WAIT:
                raise BackendUnavailable(
                    f"{self.what} is out of quota for the next {delay:.0f} s. Try again later, or raise the "
                    "deployment's tokens-per-minute quota; ingestion resumes where it stopped."
                ) from last
            if attempt < self.retries:
                self.sleep(delay)
        raise BackendUnavailable(
            f"{self.what} did not answer after {self.retries + 1} attempts ({type(last).__name__}). "
            "Check that it is running and reachable, or raise RAG_CHAT_TIMEOUT / RAG_CHAT_RETRIES."
        ) from last

    def translate(self, exc: openai.APIStatusError) -> Exception:
        status, message = exc.status_code, getattr(exc, "message", str(exc))
        if status in (401, 403):
            return ConfigError(f"{self.what} refused the credentials (HTTP {status}): {self.fix}")
        if status == 404:
            return ConfigError(f"{self.what} has no model {self.model!r} (HTTP 404): {self.fix}")
        if status == 429:
            return BackendUnavailable(f"{self.what} is out of quota ({message}). Check the account's billing or quota.")
        return BackendUnavailable(f"{self.what} rejected the request (HTTP {status}): {message}")


def api_key(settings: Settings, secrets: Any = None) -> str:
    """The key from the secret store when one is configured there, else RAG_OPENAI_API_KEY."""
    if secrets is not None:
        try:
            return secrets.get(API_KEY_SECRET)
        except SecretAccessDenied:
            raise  # a store that refuses us is a misconfiguration, not a missing key
        except ConfigError:
            pass  # fall back to the setting: many OpenAI-compatible servers need no key at all
    return settings.openai_api_key.get_secret_value() or NO_KEY


def openai_endpoint(settings: Settings, deps: dict[str, Any], model: str, variable: str) -> Endpoint:
    if not settings.openai_base_url:
        raise ConfigError(
            f"{variable}=openai needs RAG_OPENAI_BASE_URL, e.g. https://api.openai.com/v1 "
            "or Ollama's http://localhost:11434/v1."
        )
    client = openai.OpenAI(
        base_url=settings.openai_base_url,
        api_key=api_key(settings, deps.get("secrets")),
        timeout=settings.chat_timeout,
        max_retries=0,  # Endpoint.call retries, honouring retry-after, with an injectable sleep
        http_client=deps.get("http_client"),
    )
    return Endpoint(
        client, model, f"The OpenAI-compatible endpoint {settings.openai_base_url}",
        f"check RAG_OPENAI_MODEL / RAG_OPENAI_EMBEDDING_MODEL and the key (RAG_OPENAI_API_KEY or secret {API_KEY_SECRET!r}).",
        retries=settings.chat_retries, sleep=deps.get("sleep") or time.sleep,
    )


class OpenAIChatModel:
    """Streams grounded answers; temperature 0 so the same sources give the same answer."""

    can_rewrite = True

    def __init__(self, settings: Settings, secrets: Any = None, **deps: Any):
        """`secrets`: the SecretStore (the engine passes it by name); `http_client`, `sleep`: test hooks."""
        self.endpoint = self._connect(settings, {**deps, "secrets": secrets})
        self.name = f"{type(self).__name__}:{self.endpoint.model}"
        # only what is set: OpenAI's reasoning models reject max_tokens, some servers reject seed
        self.options: dict[str, Any] = {"seed": settings.chat_seed} if settings.chat_seed is not None else {}
        if settings.chat_max_tokens > 0:
            self.options["max_tokens"] = settings.chat_max_tokens

    def _connect(self, settings: Settings, deps: dict[str, Any]) -> Endpoint:
        return openai_endpoint(settings, deps, settings.openai_model, "RAG_CHAT")

    def _create(self, messages: list[dict[str, str]], stream: bool) -> Any:
        return self.endpoint.client.chat.completions.create(
            model=self.endpoint.model, messages=messages, temperature=0, stream=stream, **self.options
        )

    def stream(self, request: ChatRequest) -> Iterator[str]:
        messages = build_messages(request)
        response = self.endpoint.call(lambda: self._create(messages, stream=True))
        try:
            for chunk in response:
                # Azure sends a first chunk with no choices (prompt filter results)
                for choice in chunk.choices[:1]:
                    if choice.delta and choice.delta.content:
                        yield choice.delta.content
        except openai.APIError as exc:  # the SDK wraps a dropped connection or a stalled stream in these
            raise BackendUnavailable(
                f"{self.endpoint.what} stopped in the middle of the answer ({exc}). "
                "Check that the model server is still running, then ask again."
            ) from exc

    def rewrite(self, history: Sequence[Turn], question: str) -> str:
        messages = build_rewrite_messages(history, question)
        response = self.endpoint.call(lambda: self._create(messages, stream=False))
        text = (response.choices[0].message.content or "").strip() if response.choices else ""
        return text.strip('"') or question


def token_batches(counts: Sequence[int], max_inputs: int, max_tokens: int) -> Iterator[range]:
    """Consecutive index ranges whose inputs and summed tokens stay under a request's limits."""
    start, total = 0, 0
    for i, count in enumerate(counts):
        if i > start and (i - start >= max_inputs or total + count > max_tokens):
            yield range(start, i)
            start, total = i, 0
        total += count
    if start < len(counts):
        yield range(start, len(counts))


class OpenAIEmbedder:
    """Batches by tokens, caches by sha256(text), returns unit float32 vectors."""

    max_tokens = EMBED_MAX_TOKENS

    def __init__(self, settings: Settings, secrets: Any = None, **deps: Any):
        import bpe_openai  # the official BPE files, offline (stock tiktoken downloads them)

        self.endpoint, self.dim, self.send_dimensions = self._connect(settings, {**deps, "secrets": secrets})
        self.name = f"{type(self).__name__}:{self.endpoint.model}"
        self.encoding = bpe_openai.get_encoding(TOKENIZER)
        key = f"{self.endpoint.client.base_url}|{self.endpoint.model}|{self.dim}"  # same text, same vector
        self.cache = EmbeddingCache(deps.get("cache_path") or cache_path(settings), key, self.dim)

    def _connect(self, settings: Settings, deps: dict[str, Any]) -> tuple[Endpoint, int, bool]:
        model = settings.openai_embedding_model
        endpoint = openai_endpoint(settings, deps, model, "RAG_EMBEDDER")
        return endpoint, settings.openai_embedding_dimensions, model.startswith("text-embedding-3")

    def count_tokens(self, text: str) -> int:
        return len(self.encoding.encode_ordinary(text))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.cache.embed(list(texts), self._embed_uncached)

    def _fit(self, text: str) -> tuple[str, int]:
        """The text cut to the input window (chunks never reach it); the API rejects empty input."""
        tokens = self.encoding.encode_ordinary(text)
        if len(tokens) > self.max_tokens:
            tokens = tokens[: self.max_tokens]
            text = self.encoding.decode(tokens)
        return (text if text.strip() else " "), max(1, len(tokens))

    def _embed_uncached(self, texts: Sequence[str]) -> np.ndarray:
        fitted = [self._fit(text) for text in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows in token_batches([n for _, n in fitted], EMBED_MAX_INPUTS, EMBED_REQUEST_TOKENS):
            out[rows.start : rows.stop] = self._request([fitted[i][0] for i in rows])
        return out

    def _request(self, inputs: list[str]) -> np.ndarray:
        extra = {"dimensions": self.dim} if self.send_dimensions else {}
        response = self.endpoint.call(
            lambda: self.endpoint.client.embeddings.create(
                model=self.endpoint.model, input=inputs, encoding_format="float", **extra
            )
        )
        rows = sorted(response.data, key=lambda item: item.index)
        vectors = np.asarray([row.embedding for row in rows], dtype=np.float32)
        if vectors.shape != (len(inputs), self.dim):
            raise ConfigError(
                f"{self.endpoint.what} returned vectors of shape {vectors.shape} for {len(inputs)} inputs of "
                f"{self.dim} dims; set the embedding dimensions setting to the model's vector size."
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)
