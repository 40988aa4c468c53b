"""A strict fake of the Document Intelligence REST API (2024-11-30) behind the SDK's transport hook.

Analyze: POST {endpoint}/documentintelligence/documentModels/{model}:analyze?api-version=2024-11-30 with the
file as application/octet-stream and a bearer token -> 202 + Operation-Location; GET on it -> "running" (with
Retry-After) a configurable number of times, then "succeeded" with an analyzeResult shaped as the service
returns it. Unknown bytes get the service's 400 InvalidContent; `throttle` answers 429 + Retry-After first."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from tests.azure.fake_transport import Call

ENDPOINT = "https://docintel-test.cognitiveservices.azure.com"
API_VERSION = "2024-11-30"
PREFIX = "/documentintelligence/documentModels/"


def word(content: str, x: float, y: float, offset: int, confidence: float = 0.99, w: float = 0.5) -> dict:
    return {"content": content, "polygon": [x, y, x + w, y, x + w, y + 0.2, x, y + 0.2], "confidence": confidence,
            "span": {"offset": offset, "length": len(content)}}


def analyze_result(model: str, lines_per_page: list[list[str]], table: list[list[str]] | None = None) -> dict:
    """A result as the service builds it: content is every line joined by newlines; pages in inches;
    a paragraph per line; the optional table on page 1 after its lines, its cells also in the content."""
    content, pages, paragraphs, tables, offset = [], [], [], [], 0
    for number, lines in enumerate(lines_per_page, start=1):
        page = {"pageNumber": number, "angle": 0, "width": 8.5, "height": 11, "unit": "inch", "words": [],
                "lines": [], "spans": [{"offset": offset, "length": 0}]}
        for row, text in enumerate(lines):
            position = 0
            for i, token in enumerate(text.split(" ")):
                confidence = 0.42 if token.startswith("blur") else 0.99  # "blurred" reads as OCR would a smudge
                page["words"].append(word(token, 1.0 + 0.6 * i, 1 + row * 0.3, offset + position, confidence))
                position += len(token) + 1
            page["lines"].append({"content": text, "polygon": [1, 1 + row * 0.3, 7, 1 + row * 0.3, 7, 1.2 + row * 0.3, 1,
                                                                1.2 + row * 0.3], "spans": [{"offset": offset, "length": len(text)}]})
            paragraphs.append({"spans": [{"offset": offset, "length": len(text)}], "content": text,
                               "boundingRegions": [{"pageNumber": number, "polygon": [1, 1, 7, 1, 7, 1.2, 1, 1.2]}]})
            content.append(text)
            offset += len(text) + 1
        if table and number == 1:
            start, cells = offset, []
            for r, row_cells in enumerate(table):
                for c, text in enumerate(row_cells):
                    cells.append({"kind": "columnHeader" if r == 0 else "content", "rowIndex": r, "columnIndex": c,
                                  "content": text, "boundingRegions": [{"pageNumber": 1, "polygon": [1, 5, 2, 5, 2, 5.2, 1, 5.2]}],
                                  "spans": [{"offset": offset, "length": len(text)}]})
                    page["words"].append(word(text, 1 + c, 5 + r * 0.3, offset))
                    page["lines"].append({"content": text, "polygon": [1 + c, 5 + r * 0.3, 2 + c, 5 + r * 0.3, 2 + c,
                                                                       5.2 + r * 0.3, 1 + c, 5.2 + r * 0.3],
                                          "spans": [{"offset": offset, "length": len(text)}]})
                    content.append(text)
                    offset += len(text) + 1
            tables.append({"rowCount": len(table), "columnCount": len(table[0]), "cells": cells,
                           "boundingRegions": [{"pageNumber": 1, "polygon": [1, 5, 4, 5, 4, 6, 1, 6]}],
                           "spans": [{"offset": start, "length": offset - start - 1}]})
        page["spans"][0]["length"] = offset - page["spans"][0]["offset"]
        pages.append(page)
    result = {"apiVersion": API_VERSION, "modelId": model, "stringIndexType": "textElements",
              "content": "\n".join(content), "pages": pages, "paragraphs": paragraphs, "contentFormat": "text"}
    if table:
        result["tables"] = tables
    return result


@dataclass
class FakeDocumentIntelligence:
    documents: dict[bytes, tuple[list[list[str]], list[list[str]] | None]] = field(default_factory=dict)
    running_polls: int = 2
    throttle: int = 0  # analyze requests answered 429 first
    fail_operation: dict | None = None  # an "error" object: the operation ends "failed"
    operations: dict[str, dict] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=itertools.count)
    analyzed: list[tuple[str, bytes]] = field(default_factory=list)

    def __call__(self, call: Call):
        assert call.url.startswith(ENDPOINT + PREFIX), call.url
        assert call.query.get("api-version") == API_VERSION, call.query
        headers = {k.lower(): v for k, v in call.headers.items()}
        assert headers.get("authorization", "").startswith("Bearer "), "keyless: an Entra token, never a key"
        assert "ocp-apim-subscription-key" not in headers
        if call.method == "POST":
            return self.analyze(call)
        assert call.method == "GET", call.method
        return self.poll(call)

    def analyze(self, call: Call):
        model, _, action = call.path.removeprefix(PREFIX).partition(":")
        assert action == "analyze" and model in ("prebuilt-layout", "prebuilt-read"), call.path
        assert {k.lower(): v for k, v in call.headers.items()}.get("content-type") == "application/octet-stream"
        if self.throttle:
            self.throttle -= 1
            return 429, {"Retry-After": "7"}, {"error": {"code": "429", "message": "Rate limit is exceeded. Try again in 7 seconds."}}
        self.analyzed.append((model, call.raw))
        known = self.documents.get(call.raw) or (self.documents.get(b"*image*") if call.raw.startswith(b"\x89PNG") else None)
        if known is None:
            return 400, {}, {"error": {"code": "InvalidRequest", "message": "Invalid request.", "innererror": {
                "code": "InvalidContent", "message": "The file is corrupted or format is unsupported. Refer to "
                "documentation for the list of supported formats."}}}
        result_id = f"3b6f0c4e-0000-4000-8000-{next(self.ids):012d}"
        self.operations[result_id] = {"polls": 0, "result": analyze_result(model, *known)}
        location = f"{ENDPOINT}{PREFIX}{model}/analyzeResults/{result_id}?api-version={API_VERSION}"
        return 202, {"Operation-Location": location, "apim-request-id": result_id, "Retry-After": "1"}, None

    def poll(self, call: Call):
        model, _, result_id = call.path.removeprefix(PREFIX).partition("/analyzeResults/")
        operation = self.operations.get(result_id)
        if operation is None:
            return 404, {}, {"error": {"code": "NotFound", "message": "Resource not found."}}
        operation["polls"] += 1
        stamp = {"createdDateTime": "2026-12-01T12:00:00Z", "lastUpdatedDateTime": "2026-12-01T12:00:02Z"}
        if operation["polls"] <= self.running_polls:
            return 200, {"Retry-After": "2"}, {"status": "running", **stamp}
        if self.fail_operation:
            return 200, {}, {"status": "failed", **stamp, "error": self.fail_operation}
        return 200, {}, {"status": "succeeded", **stamp, "analyzeResult": operation["result"]}
