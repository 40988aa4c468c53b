"""Our configured chat model and embedder behind ragas' LLM and embeddings interfaces.

ragas' LLM metrics send their own prompts, so the adapter talks to the configured endpoint
(OpenAI-compatible or Azure OpenAI, as `RAG_CHAT` says) through the same `Endpoint` the chat model
uses: same client, credentials, retries and error translation. The extractive answerer is not a
language model, so with it only the offline metrics run."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")  # ragas sends usage analytics unless told not to

from langchain_core.outputs import Generation, LLMResult  # noqa: E402
from ragas.embeddings.base import BaseRagasEmbeddings  # noqa: E402
from ragas.llms.base import BaseRagasLLM  # noqa: E402

from rag.backends.openai_compat import Endpoint  # noqa: E402
from rag.protocols import ChatModel, Embedder  # noqa: E402


@dataclass
class DocChatRagasLLM(BaseRagasLLM):
    """A ragas LLM that completes prompts with our configured chat endpoint."""

    endpoint: Endpoint | None = None

    def _complete(self, text: str, n: int, temperature: float | None, stop: list[str] | None) -> LLMResult:
        assert self.endpoint is not None
        endpoint = self.endpoint
        response = endpoint.call(lambda: endpoint.client.chat.completions.create(
            model=endpoint.model, messages=[{"role": "user", "content": text}], temperature=temperature or 0.0,
            n=n, **({"stop": stop} if stop else {})))
        return LLMResult(generations=[[Generation(text=c.message.content or "") for c in response.choices]])

    def generate_text(self, prompt: Any, n: int = 1, temperature: float | None = 0.01, stop=None,
                      callbacks=None) -> LLMResult:
        return self._complete(prompt.to_string(), n, temperature, stop)

    async def agenerate_text(self, prompt: Any, n: int = 1, temperature: float | None = 0.01, stop=None,
                             callbacks=None) -> LLMResult:
        return await asyncio.to_thread(self._complete, prompt.to_string(), n, temperature, stop)

    def is_finished(self, response: LLMResult) -> bool:
        return True


class DocChatRagasEmbeddings(BaseRagasEmbeddings):
    """Our Embedder (local MiniLM or the configured endpoint) for ragas' response relevancy."""

    def __init__(self, embedder: Embedder):
        super().__init__()
        self.embedder = embedder

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed([text])[0].tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed(texts).tolist()

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)


def ragas_llm(chat: ChatModel) -> DocChatRagasLLM | None:
    """The adapter when the chat model is a language model behind an endpoint, else None."""
    endpoint = getattr(chat, "endpoint", None)
    return DocChatRagasLLM(endpoint=endpoint) if isinstance(endpoint, Endpoint) else None
