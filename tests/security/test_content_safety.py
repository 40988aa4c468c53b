"""Azure AI Content Safety (Prompt Shields + harm categories) through azure-core's transport hook,
with REST-shaped responses: no SDK class is patched."""

from __future__ import annotations

import pytest

from rag.backends.azure.content_safety import AzureContentSafety
from rag.errors import BackendUnavailable, ConfigError, Refused
from rag.guard import content_screen
from rag.settings import Settings
from tests.azure.fake_content_safety import FakeContentSafety
from tests.azure.fake_openai import FakeCredential
from tests.security.conftest import make_engine

ENDPOINT = "https://docchat-cs.cognitiveservices.azure.com"
DOC = "Turbine bearings are inspected monthly. The inspection covers wear, lubrication and vibration."


def service(prompt_attack=False, doc_attacks=(), harms=None, status=200):
    """The strict Content Safety fake (exact paths, api-versions and limits), scripted: a prompt attack,
    attacks in the sources at these positions of the retrieved list, harm severities, or a failure."""
    fake = FakeContentSafety(harms=harms or {}, status=status, prompt_attack=lambda text: prompt_attack,
                             document_attack=lambda text: 0 in doc_attacks and DOC[:40] in text)
    return fake.transport


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
    shield = next(c for c in transport.calls if c.path == "/contentsafety/text:shieldPrompt")
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
