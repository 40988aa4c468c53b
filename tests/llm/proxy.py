"""A small HTTP proxy in front of the real llama.cpp server: it records what DocChat sends, can add
server options to chat requests (a grammar, say), and can kill the server after the first streamed
delta, so the client sees the stream cut off mid-answer exactly as when a server crashes."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade",
       "proxy-authenticate", "proxy-authorization"}
CONTENT = re.compile(rb'"content":\s*"[^"]')  # an SSE event with a non-empty text delta


class Tap:
    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.exchanges: list[dict] = []  # {"path", "body", "response"} per request; response only when not streamed
        self.patch: Callable[[dict], None] | None = None  # edits chat request bodies before they go upstream
        self.on_first_delta: Callable[[], None] | None = None  # called once, then the stream is cut
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def chat_requests(self, stream: bool) -> list[dict]:
        return [e for e in self.exchanges if e["path"].endswith("/chat/completions")
                and bool((e["body"] or {}).get("stream")) == stream]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def handler_for(tap: Tap) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - the http.server API
            self.forward(None, {"path": self.path, "body": None})

        def do_POST(self):  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.loads(raw) if raw else None
            if tap.patch and isinstance(body, dict) and self.path.endswith("/chat/completions"):
                tap.patch(body)
                raw = json.dumps(body).encode()
            exchange = {"path": self.path, "body": body}
            tap.exchanges.append(exchange)
            self.forward(raw, exchange)

        def forward(self, raw: bytes | None, exchange: dict) -> None:
            upstream = http.client.HTTPConnection("127.0.0.1", tap.upstream_port, timeout=300)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP | {"host"}}
            try:
                upstream.request(self.command, self.path, body=raw, headers=headers)
                response = upstream.getresponse()
            except OSError:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)  # as a dead server: no answer at all
                return
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in HOP:
                    self.send_header(key, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if self.relay(response, exchange):
                self.wfile.write(b"0\r\n\r\n")  # the last chunk: only when the upstream body was whole
            else:
                self.close_connection = True
            upstream.close()

        def relay(self, response: http.client.HTTPResponse, exchange: dict) -> bool:
            """Copy the body chunk by chunk; False when it was cut short (upstream died or we cut it)."""
            received = []
            while True:
                try:
                    data = response.read1(65536)
                except (OSError, http.client.HTTPException):
                    return False
                if not data:
                    break
                received.append(data)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                if tap.on_first_delta and CONTENT.search(data):
                    callback, tap.on_first_delta = tap.on_first_delta, None
                    callback()
                    return False
            if not (exchange["body"] or {}).get("stream"):
                try:
                    exchange["response"] = json.loads(b"".join(received) or b"null")
                except ValueError:
                    exchange["response"] = b"".join(received).decode(errors="replace")
            return True

        def log_message(self, *args):
            pass

    return Handler
