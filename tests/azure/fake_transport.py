"""An azure-core HttpTransport that serves responses from a Python handler: the SDKs' own test hook.

The handler gets (method, url, headers, json_body) and returns (status, headers, json_body). Sleeps the
retry policy asks for are recorded, not slept, so retry timing is asserted without wall time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._requests_basic import RestRequestsTransportResponse
from requests.structures import CaseInsensitiveDict


class Call:
    def __init__(self, request: Any):
        self.method = request.method
        self.url = request.url
        parsed = urlparse(request.url)
        self.path = parsed.path
        self.query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        self.headers = dict(request.headers)
        raw = getattr(request, "content", None)
        raw = raw if raw is not None else getattr(request, "body", None)
        self.raw = raw.encode() if isinstance(raw, str) else (bytes(raw) if raw else b"")
        self.json = json.loads(self.raw) if self.raw[:1] in (b"{", b"[") else None


Handler = Callable[[Call], tuple[int, dict[str, str], Any]]


class FakeTransport(HttpTransport):
    def __init__(self, handler: Handler):
        self.handler = handler
        self.calls: list[Call] = []
        self.sleeps: list[float] = []

    def send(self, request, **kwargs):
        call = Call(request)
        self.calls.append(call)
        status, headers, body = self.handler(call)
        return respond(request, status, headers, body)

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __exit__(self, *args) -> None:
        pass

    def sleep(self, duration: float) -> None:
        self.sleeps.append(duration)


def respond(request, status: int, headers: dict[str, str], body: Any):
    raw = requests.Response()
    raw.status_code = status
    raw.reason = {200: "OK", 201: "Created", 204: "No Content", 207: "Multi-Status"}.get(status, "Error")
    content = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
    default = {"content-type": "application/json; charset=utf-8"} if body is not None else {}
    raw.headers = CaseInsensitiveDict({**default, **headers, "content-length": str(len(content))})
    raw._content = content
    raw._content_consumed = True
    raw.url = request.url
    return RestRequestsTransportResponse(request=request, internal_response=raw)
