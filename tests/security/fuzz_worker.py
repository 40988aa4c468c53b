"""Runs inside a memory-capped subprocess: reads (name, bytes) cases from stdin, pushes each through
detect_kind -> parser -> chunker, answers one line per case: "ok", "invalid" or "crash <what>"."""

from __future__ import annotations

import resource
import struct
import sys
import traceback

MEMORY_LIMIT = 1536 * 2**20  # address space: a parser that tries to inflate a bomb hits MemoryError


def main() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    from rag.errors import InvalidDocument
    from rag.ingest.chunker import Chunker
    from rag.ingest.pipeline import parsers
    from rag.ingest.validate import check_name, detect_kind
    from rag.settings import Settings
    from rag.types import Document
    from tests.fakes import HashEmbedder

    settings = Settings(data_dir="/nonexistent")
    chunker = Chunker(HashEmbedder(), settings.chunk_tokens, settings.chunk_overlap)
    by_kind = parsers(settings)
    stdin = sys.stdin.buffer
    print("ready", flush=True)
    while header := stdin.read(8):
        name_len, data_len = struct.unpack("<II", header)
        name, data = stdin.read(name_len).decode(), stdin.read(data_len)
        try:
            kind = detect_kind(check_name(name), data)
            pages = list(by_kind[kind].parse(data))
            document = Document("d", name, kind, "sha", len(data), "fuzz")
            chunks = chunker.chunk(document, pages)
            assert all(c.text == pages[c.page - 1].text[c.start:c.end] for c in chunks), "chunk spans drifted"
            print("ok", flush=True)
        except InvalidDocument:
            print("invalid", flush=True)
        except BaseException as exc:  # noqa: BLE001 - anything else is the finding
            where = traceback.extract_tb(exc.__traceback__)[-1]
            print(f"crash {type(exc).__name__}: {str(exc)[:200]} at {where.filename}:{where.lineno}", flush=True)


if __name__ == "__main__":
    main()
