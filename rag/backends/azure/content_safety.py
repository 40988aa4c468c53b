"""Azure AI Content Safety behind guard.ContentScreen: Prompt Shields for the question and the
retrieved sources, and the harm-category check for the question."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from azure.ai.contentsafety import ContentSafetyClient
from azure.ai.contentsafety.models import AnalyzeTextOptions
from azure.core.exceptions import AzureError
from azure.core.rest import HttpRequest

from rag.backends.azure.identity import credential_from, translate
from rag.errors import ConfigError
from rag.guard import Screening
from rag.settings import Settings

ROLE = "Cognitive Services User"
SHIELD_API_VERSION = "2024-09-01"
MAX_CHARS = 10_000  # per analyze call, and for the prompt and for the documents of one shield call


def fit(texts: Sequence[str], budget: int) -> list[str]:
    """Cut the texts so together they stay within the service's character budget."""
    share = budget // max(1, len(texts))
    return [text[:share] for text in texts]


class AzureContentSafety:
    def __init__(self, settings: Settings, **deps: Any):
        """`credential`, `transport`: test hooks (a fake TokenCredential and an azure-core transport)."""
        if not settings.content_safety_endpoint:
            raise ConfigError("Content Safety needs RAG_CONTENT_SAFETY_ENDPOINT, e.g. https://NAME.cognitiveservices.azure.com.")
        self.endpoint = settings.content_safety_endpoint
        extra = {"transport": deps["transport"]} if deps.get("transport") else {}
        self.client = ContentSafetyClient(self.endpoint, credential_from(deps), retry_total=settings.chat_retries, **extra)

    def screen(self, question: str, sources: Sequence[str]) -> Screening:
        try:
            shield = self._shield(question[:MAX_CHARS], fit(sources, MAX_CHARS))
            harms = self.client.analyze_text(AnalyzeTextOptions(text=question[:MAX_CHARS]))
        except AzureError as exc:
            raise translate(exc, f"Azure AI Content Safety {self.endpoint}", ROLE) from exc
        documents = shield.get("documentsAnalysis") or []
        return Screening(
            question_attack=bool((shield.get("userPromptAnalysis") or {}).get("attackDetected")),
            source_attacks=tuple(bool(d.get("attackDetected")) for d in documents) + (False,) * (len(sources) - len(documents)),
            harms={str(c.category): int(c.severity or 0) for c in harms.categories_analysis or []},
        )

    def _shield(self, question: str, sources: list[str]) -> dict[str, Any]:
        request = HttpRequest("POST", "/contentsafety/text:shieldPrompt", params={"api-version": SHIELD_API_VERSION},
                              json={"userPrompt": question, "documents": sources})
        response = self.client.send_request(request)
        response.raise_for_status()
        return response.json()
