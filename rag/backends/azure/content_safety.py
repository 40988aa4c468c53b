"""The ContentScreen seam on Azure AI Content Safety: Prompt Shields for the question and the
retrieved sources, and the harm-category check for the question.

Prompt Shields takes at most five documents totalling 10,000 characters per call, so the sources go
in batches and the verdicts are merged back in source order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from azure.ai.contentsafety import ContentSafetyClient
from azure.ai.contentsafety.models import AnalyzeTextOptions
from azure.core.exceptions import AzureError
from azure.core.rest import HttpRequest

from rag.backends.azure.identity import credential_from, translate
from rag.errors import BackendUnavailable, ConfigError
from rag.protocols import Screening
from rag.settings import Settings

ROLE = "Cognitive Services User"
SHIELD_API_VERSION = "2024-09-01"
# Relative to the client's base URL, which already ends in /contentsafety.
SHIELD_PATH = "/text:shieldPrompt"
MAX_CHARS = 10_000  # text:analyze text; the shield's user prompt; the shield's documents of one call together
MAX_DOCUMENTS = 5  # documents per shield call


def shield_batches(sources: Sequence[str]) -> Iterator[list[str]]:
    """The sources in order, in groups within the per-call limits; a source longer than the whole
    budget is cut to it (only its start is screened)."""
    batch: list[str] = []
    size = 0
    for source in sources:
        text = source[:MAX_CHARS]
        if batch and (len(batch) == MAX_DOCUMENTS or size + len(text) > MAX_CHARS):
            yield batch
            batch, size = [], 0
        batch.append(text)
        size += len(text)
    if batch:
        yield batch


class AzureContentSafety:
    def __init__(self, settings: Settings, **deps: Any):
        """`credential`, `transport`: test hooks (a fake TokenCredential and an azure-core transport)."""
        if not settings.content_safety_endpoint:
            raise ConfigError("Content Safety needs RAG_CONTENT_SAFETY_ENDPOINT, e.g. https://NAME.cognitiveservices.azure.com.")
        self.endpoint = settings.content_safety_endpoint
        extra = {"transport": deps["transport"]} if deps.get("transport") else {}
        self.client = ContentSafetyClient(self.endpoint, credential_from(deps), retry_total=settings.chat_retries, **extra)

    def screen(self, question: str, sources: Sequence[str]) -> Screening:
        prompt = question[:MAX_CHARS]
        try:
            shields = [self._shield(prompt, batch) for batch in shield_batches(sources)] or [self._shield(prompt, [])]
            harms = self.client.analyze_text(AnalyzeTextOptions(text=prompt))
        except AzureError as exc:
            raise translate(exc, f"Azure AI Content Safety {self.endpoint}", ROLE) from exc
        documents = [bool(d.get("attackDetected")) for shield in shields for d in shield.get("documentsAnalysis") or []]
        if len(documents) != len(sources):
            raise BackendUnavailable(f"Azure AI Content Safety {self.endpoint} judged {len(documents)} of "
                                     f"{len(sources)} sources. Try again.")
        return Screening(
            question_attack=any(bool((s.get("userPromptAnalysis") or {}).get("attackDetected")) for s in shields),
            source_attacks=tuple(documents),
            harms={str(c.category): int(c.severity or 0) for c in harms.categories_analysis or []},
        )

    def _shield(self, question: str, documents: list[str]) -> dict[str, Any]:
        request = HttpRequest("POST", SHIELD_PATH, params={"api-version": SHIELD_API_VERSION},
                              json={"userPrompt": question, "documents": documents})
        response = self.client.send_request(request)
        response.raise_for_status()
        return response.json()
