"""AzureDocumentParser through the SDK's own transport against a strict fake of the service: the parser
contract, long-running operation polling, 429 with Retry-After, content errors, the password and page
limits checked before anything is sent, tables as Markdown, words with boxes, scanned-only mode."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter

from rag.backends.azure.docintel import AzureDocumentParser
from rag.errors import ConfigError, InvalidDocument
from rag.ingest.ocr import span_boxes
from rag.ingest.parsers import PdfParser
from rag.ingest.pipeline import parsers
from rag.settings import Settings
from tests.azure.fake_docintel import ENDPOINT, FakeDocumentIntelligence
from tests.azure.fake_openai import FakeCredential
from tests.azure.fake_transport import FakeTransport
from tests.conftest import make_pdf
from tests.contracts.parser import ParserContract
from tests.scans import png, scanned_pdf

SAMPLE = make_pdf()
LINES = [["Libtasn1 reference manual", "The needle is in chapter two."], ["Second page text, blurred words here."]]


def settings_for(tmp_path, **extra) -> Settings:
    return Settings(data_dir=tmp_path, parser="azure", azure_docintel_endpoint=ENDPOINT, **extra)


@pytest.fixture
def service():
    return FakeDocumentIntelligence(documents={SAMPLE: (LINES, [["Name", "Value"], ["alpha", "42"]])})


@pytest.fixture
def transport(service):
    return FakeTransport(service)


@pytest.fixture
def azure_parser(tmp_path, transport):
    return AzureDocumentParser(settings_for(tmp_path), transport=transport, credential=FakeCredential())


class TestAzureDocumentParser(ParserContract):
    @pytest.fixture
    def parser(self, azure_parser):
        return azure_parser

    @pytest.fixture
    def sample(self):
        return SAMPLE

    @pytest.fixture
    def garbage(self):
        return b"%PDF-1.4 nothing else"


def test_the_operation_is_polled_as_the_service_asks_and_pages_come_back_whole(azure_parser, transport, service):
    first, second = azure_parser.parse(SAMPLE)
    assert [c.method for c in transport.calls] == ["POST", "GET", "GET", "GET"]
    assert transport.sleeps == [2, 2]  # each "running" poll waits the Retry-After it carries
    assert service.analyzed == [("prebuilt-layout", SAMPLE)]
    assert first.text.startswith("Libtasn1 reference manual\n\nThe needle is in chapter two.")
    assert "| Name | Value |\n| --- | --- |\n| alpha | 42 |" in first.text  # the table, as Markdown
    assert second.number == 2 and second.text == "Second page text, blurred words here."
    for page in (first, second):
        assert all(page.text[w.start:w.end] for w in page.words)
    needle = next(w for w in first.words if first.text[w.start:w.end] == "needle")
    assert (needle.left, needle.top) == (round(1.6 / 8.5, 5), round(1.3 / 11, 5))  # inches -> page fractions
    assert [first.text[w.start:w.end] for w in first.words if w.confidence < 0.6] == []
    assert [second.text[w.start:w.end] for w in second.words if w.confidence < 0.6] == ["blurred"]
    assert span_boxes(first, [(first.text.index("needle"), first.text.index("needle") + 6)])


def test_429_is_retried_after_the_seconds_the_service_gives(tmp_path, service):
    service.throttle = 1
    transport = FakeTransport(service)
    pages = list(AzureDocumentParser(settings_for(tmp_path), transport=transport, credential=FakeCredential()).parse(SAMPLE))
    assert pages and transport.sleeps[0] == 7 and [c.method for c in transport.calls][:2] == ["POST", "POST"]


def test_throttling_that_outlasts_the_retries_is_backend_unavailable(tmp_path, service):
    service.throttle = 10
    parser = AzureDocumentParser(settings_for(tmp_path, chat_retries=2), transport=FakeTransport(service),
                                 credential=FakeCredential())
    with pytest.raises(Exception) as error:
        list(parser.parse(SAMPLE))
    assert type(error.value).__name__ == "BackendUnavailable" and "HTTP 429" in str(error.value)


def test_a_password_protected_pdf_is_refused_before_it_is_sent(azure_parser, transport):
    with pytest.raises(InvalidDocument, match="encrypted with a password"):
        list(azure_parser.parse(make_pdf(password="secret")))
    assert transport.calls == []


def test_more_than_2000_pages_is_refused_before_it_is_sent(tmp_path, transport):
    writer = PdfWriter()
    for _ in range(2001):
        writer.add_blank_page(width=100, height=100)
    out = io.BytesIO()
    writer.write(out)
    parser = AzureDocumentParser(settings_for(tmp_path), transport=transport, credential=FakeCredential())
    with pytest.raises(InvalidDocument, match="2001 pages; Azure AI Document Intelligence reads at most 2000"):
        list(parser.parse(out.getvalue()))
    assert transport.calls == []


def test_the_services_content_errors_are_invalid_document(azure_parser, service):
    with pytest.raises(InvalidDocument, match="damaged, password-protected or not a supported format"):
        list(azure_parser.parse(make_pdf(text_pages=False)))  # a PDF the fake service does not know: 400 InvalidContent
    service.fail_operation = {"code": "InvalidRequest", "message": "Invalid request.",
                              "innererror": {"code": "InvalidContent", "message": "The file is corrupted."}}
    with pytest.raises(InvalidDocument, match="could not read this file"):
        list(azure_parser.parse(SAMPLE))


def test_access_refused_names_the_role(tmp_path):
    transport = FakeTransport(lambda call: (403, {}, {"error": {"code": "PermissionDenied", "message": "denied"}}))
    parser = AzureDocumentParser(settings_for(tmp_path), transport=transport, credential=FakeCredential())
    with pytest.raises(ConfigError, match="Cognitive Services User"):
        list(parser.parse(SAMPLE))


def test_without_an_endpoint_the_error_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="RAG_AZURE_DOCINTEL_ENDPOINT"):
        AzureDocumentParser(Settings(data_dir=tmp_path, parser="azure"))


def test_scanned_only_keeps_text_layers_and_sends_only_scanned_pages_as_images(tmp_path, service, transport):
    service.documents[b"*image*"] = ([["The needle is hidden in the haystack."]], None)
    by_kind = parsers(settings_for(tmp_path, azure_docintel_scanned_only=True), transport=transport,
                      credential=FakeCredential())
    assert isinstance(by_kind["pdf"], PdfParser)
    writer = PdfWriter(clone_from=io.BytesIO(SAMPLE))
    writer.append(io.BytesIO(scanned_pdf()))
    out = io.BytesIO()
    writer.write(out)
    pages = list(by_kind["pdf"].parse(out.getvalue()))
    assert len(pages) == 3 and pages[0].words == () and "Libtasn1" in pages[0].text  # the text layer, unsent
    assert pages[2].text == "The needle is hidden in the haystack." and pages[2].words
    assert [(model, data[:4]) for model, data in service.analyzed] == [("prebuilt-read", b"\x89PNG")]
    assert [p.text for p in by_kind["image"].parse(png())] == ["The needle is hidden in the haystack."]


def test_all_of_a_pdf_goes_to_the_service_when_not_scanned_only(tmp_path, transport):
    by_kind = parsers(settings_for(tmp_path), transport=transport, credential=FakeCredential())
    assert isinstance(by_kind["pdf"], AzureDocumentParser) and by_kind["image"] is by_kind["pdf"]
    assert by_kind["txt"].kind == "txt"
