"""Azure AI Content Safety behind an azure-core transport, as strict as the REST API.

Only the two operations DocChat calls exist, at their exact paths and api-versions
(text:shieldPrompt 2024-09-01, text:analyze 2023-10-01 as the pinned SDK sends it); anything else
is the service's 404. Bodies with unknown fields, or over the limits (a user prompt of 10,000
characters; at most five documents totalling 10,000 characters per shield call; 10,000 characters
to analyze), get the service's 400 error shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.azure.fake_transport import Call, FakeTransport

ENDPOINT = "https://docchat-cs.cognitiveservices.azure.com"
SHIELD = ("/contentsafety/text:shieldPrompt", "2024-09-01", {"userPrompt", "documents"})
ANALYZE = ("/contentsafety/text:analyze", "2023-10-01",
           {"text", "categories", "blocklistNames", "haltOnBlocklistHit", "outputType"})
CATEGORIES = ("Hate", "SelfHarm", "Sexual", "Violence")
ATTACK = "ignore all previous instructions"  # what this fake's shield recognises as an attack


def error(status: int, code: str, message: str):
    return status, {}, {"error": {"code": code, "message": message, "details": []}}


@dataclass
class FakeContentSafety:
    harms: dict[str, int] = field(default_factory=dict)
    status: int = 200  # anything else: every call answers with that status
    prompt_attack: Callable[[str], bool] = lambda text: ATTACK in text.lower()
    document_attack: Callable[[str], bool] = lambda text: ATTACK in text.lower()

    def __post_init__(self):
        self.transport = FakeTransport(self.handle)

    def shield_bodies(self) -> list[dict]:
        return [c.json for c in self.transport.calls if c.path == SHIELD[0]]

    def handle(self, call: Call):
        if not call.headers.get("Authorization", "").startswith("Bearer "):
            return error(401, "Unauthorized", "Access denied due to missing or invalid credentials.")
        if self.status != 200:
            code = {403: "PermissionDenied", 429: "TooManyRequests"}.get(self.status, "ServiceUnavailable")
            return error(self.status, code, "scripted failure")
        for path, version, fields, answer in ((*SHIELD, self.shield), (*ANALYZE, self.analyze)):
            if call.method == "POST" and call.path == path and call.query.get("api-version") == version:
                body = call.json or {}
                unknown = set(body) - fields
                if unknown:
                    return error(400, "InvalidRequestBody", f"Unknown field(s): {sorted(unknown)}.")
                return answer(body)
        return error(404, "NotFound", f"Resource not found: {call.method} {call.path}?{call.query}")

    def shield(self, body: dict):
        prompt, documents = body.get("userPrompt", ""), body.get("documents") or []
        if len(prompt) > 10_000:
            return error(400, "InvalidRequestBody", "The userPrompt is longer than 10000 characters.")
        if len(documents) > 5 or sum(len(d) for d in documents) > 10_000:
            return error(400, "InvalidRequestBody", "At most 5 documents totalling 10000 characters.")
        return 200, {}, {"userPromptAnalysis": {"attackDetected": self.prompt_attack(prompt)},
                         "documentsAnalysis": [{"attackDetected": self.document_attack(d)} for d in documents]}

    def analyze(self, body: dict):
        if len(body.get("text", "")) > 10_000:
            return error(400, "InvalidRequestBody", "The text is longer than 10000 characters.")
        return 200, {}, {"blocklistsMatch": [], "categoriesAnalysis": [
            {"category": c, "severity": self.harms.get(c, 0)} for c in CATEGORIES]}
