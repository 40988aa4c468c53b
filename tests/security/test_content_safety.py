"""Azure AI Content Safety (Prompt Shields + harm categories) through azure-core's transport hook,
with REST-shaped responses: no SDK class is patched."""

from __future__ import annotations

import pytest

from rag.backends.azure.content_safety import AzureContentSafety
from rag.errors import BackendUnavailable, ConfigError, Refused
from rag.guard import content_screen
from rag.settings import Settings
from tests.azure.fake_openai import FakeCredential
from tests.azure.fake_transport import Call, FakeTransport
from tests.security.conftest import make_engine

ENDPOINT = "https://docchat-cs.cognitiveservices.azure.com"
CATEGORIES = ("Hate", "SelfHarm", "Sexual", "Violence")
DOC = "Turbine bearings are inspected monthly. The inspection covers wear, lubrication and vibration."


def service(prompt_attack=False, doc_attacks=(), harms=None, status=200):
    """Answers like the Content Safety REST API (2024-09-01 shieldPrompt, 2023-10-01 text:analyze)."""
    def handle(call: Call):
        if status != 200:
            return status, {}, {"error": {"code": "Forbidden" if status == 403 else "ServiceUnavailable", "message": "no"}}
        if call.path.endswith("text:shieldPrompt"):
            docs = call.json["documents"]
            return 200, {}, {"userPromptAnalysis": {"attackDetected": prompt_attack},
                             "documentsAnalysis": [{"attackDetected": i in doc_attacks} for i in range(len(docs))]}
        if call.path.endswith("text:analyze"):
            return 200, {}, {"blocklistsMatch": [], "categoriesAnalysis": [
                {"category": c, "severity": (harms or {}).get(c, 0)} for c in CATEGORIES]}
        return 404, {}, {"error": {"code": "NotFound", "message": call.path}}
    return FakeTransport(handle)


def engine_with(tmp_path, transport, **settings):
    engine = make_engine(tmp_path / "data", content_safety_endpoint=ENDPOINT, **settings)
    engine.content_safety = AzureContentSafety(engine.settings, credential=FakeCredential(), transport=transport)
    return engine


def test_not_configured_means_no_screen_and_no_sdk_import():
    assert content_screen(Settings()) is None


def test_a_clean_question_passes_and_sends_question_and_sources(tmp_path, users):
    transport = service()
    engine = engine_with(tmp_path, transport)
    engine.ingest("bearings.txt", DOC.encode(), users["alice"])
    answer = engine.ask("How often are bearings inspected?", users["alice"]).complete()
    assert answer.citations
    shield = next(c for c in transport.calls if c.path.endswith("text:shieldPrompt"))
    assert shield.query["api-version"] == "2024-09-01" and shield.headers["Authorization"] == "Bearer fake-entra-token"
    assert shield.json["userPrompt"] == "How often are bearings inspected?" and DOC in shield.json["documents"][0]


def test_a_prompt_attack_is_refused(tmp_path, users):
    engine = engine_with(tmp_path, service(prompt_attack=True))
    engine.ingest("bearings.txt", DOC.encode(), users["alice"])
    with pytest.raises(Refused, match="Content Safety"):
        engine.ask("How often are bearings inspected?", users["alice"])


def test_a_harmful_question_is_refused_at_the_configured_severity(tmp_path, users):
    engine = engine_with(tmp_path, service(harms={"Violence": 4}))
    engine.ingest("bearings.txt", DOC.encode(), users["alice"])
    with pytest.raises(Refused, match="harmful .Violence."):
        engine.ask("How often are bearings inspected?", users["alice"])
    lenient = engine_with(tmp_path, service(harms={"Violence": 4}), content_safety_severity=6)
    assert lenient.ask("How often are bearings inspected?", users["alice"]).complete().citations


def test_a_source_with_an_attack_is_quarantined(tmp_path, users):
    engine = engine_with(tmp_path, service(doc_attacks={0}))
    engine.ingest("bearings.txt", DOC.encode(), users["alice"])
    answer = engine.ask("How often are bearings inspected?", users["alice"]).complete()
    assert answer.hits == [] and not answer.citations  # the only source was withheld from the model


def test_forbidden_names_the_role_and_outage_is_backend_unavailable(tmp_path, users):
    for status, error, match in ((403, ConfigError, "Cognitive Services User"), (503, BackendUnavailable, "Try again")):
        transport = service(status=status)
        engine = engine_with(tmp_path, transport, chat_retries=2)
        engine.ingest("bearings.txt", DOC.encode(), users["alice"])
        with pytest.raises(error, match=match):
            engine.ask("How often are bearings inspected?", users["alice"])
        engine.content_safety = AzureContentSafety(engine.settings, credential=FakeCredential(), transport=service())
        assert engine.ask("How often are bearings inspected?", users["alice"]).complete().citations  # and recovers
