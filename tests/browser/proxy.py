"""A stand-in for the sign-in proxy (oauth2-proxy) in front of the app: it strips any
X-Auth-Request-* headers the browser sent and sets its own on the first request of every
connection. Browsers open a fresh connection for each WebSocket, and the WebSocket handshake
is where Streamlit reads st.context.headers (Chromium does not send Playwright's
extra_http_headers on it, hence this proxy)."""

from __future__ import annotations

import asyncio
import threading

from tests.browser.conftest import free_port


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def rewrite(head: bytes, headers: dict[str, str]) -> bytes:
    lines = head.rstrip(b"\r\n").split(b"\r\n")
    kept = [line for line in lines[1:] if not line.lower().startswith(b"x-auth-request-")]
    added = [f"{name}: {value}".encode() for name, value in headers.items()]
    return b"\r\n".join([lines[0], *kept, *added]) + b"\r\n\r\n"


class HeaderProxy:
    def __init__(self, upstream_port: int, headers: dict[str, str]):
        self.upstream_port, self.headers, self.port = upstream_port, headers, free_port()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        up_writer.write(rewrite(head, self.headers))
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def serve(self) -> None:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", self.port)
        self.ready.set()
        try:
            async with self.server:
                await self.server.serve_forever()
        except asyncio.CancelledError:
            pass

    async def stop(self) -> None:
        """Close the server and wait for every connection task to finish cancelling: tasks left
        pending are destroyed later by the garbage collector, at a random point in the test run."""
        self.server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        asyncio.get_running_loop().call_soon(self.loop.stop)

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.create_task(self.serve())
        self.loop.run_forever()

    def __enter__(self) -> str:
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        self.ready.wait(10)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.stop(), self.loop).result(5)
        self.thread.join(5)
        self.loop.close()
