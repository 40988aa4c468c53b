"""Hypothesis mutates real PDF, DOCX and TXT bytes, and small scans (PNG, JPEG, TIFF, an image-only
PDF read by OCR), and feeds them through the whole parse path in a memory-capped worker process
with a per-case time limit: every case ends in success or InvalidDocument. No crash, no hang, no
runaway memory.

CI mode: FUZZ_EXAMPLES cases per document type (default 1500, under a minute here) and
FUZZ_IMAGE_EXAMPLES per image type (default 150, about 20 s each: decodable ones run Tesseract).
Long mode: RAG_FUZZ_LONG=1 runs 20000 per document type and 2000 per image type."""

from __future__ import annotations

import gzip
import json
import os
import select
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_docx, make_pdf

LONG = os.environ.get("RAG_FUZZ_LONG") == "1"
EXAMPLES = 20_000 if LONG else int(os.environ.get("FUZZ_EXAMPLES", "1500"))
# an image that still decodes goes through Tesseract (a process per page): fewer cases, same worker
IMAGE_EXAMPLES = 2_000 if LONG else int(os.environ.get("FUZZ_IMAGE_EXAMPLES", "150"))
CASE_SECONDS = 20  # a limit, not a measurement: a case still running then is a hang
MAN_PAGE = Path("/usr/share/man/man1/ls.1.gz")


def seeds() -> dict[str, bytes]:
    text = gzip.decompress(MAN_PAGE.read_bytes()) if MAN_PAGE.exists() else b"The ls manual.\n" * 400
    docx = make_docx([("Title", "Fuzz"), ("Heading 1", "Intro"), ("Normal", "The needle is in the haystack.")],
                     table=[["a", "b"], ["c", "d"]])
    return {"seed.pdf": make_pdf(), "seed.docx": docx, "seed.txt": text, **image_seeds()}


def image_seeds() -> dict[str, bytes]:
    """Small scans (one line of text) as PNG, JPEG and two-frame TIFF, plus a scanned PDF."""
    from tests.scans import encode, scan_image, scanned_pdf

    line = scan_image(["The needle."], size=(420, 110))
    return {"seed.png": encode([line], "PNG"), "seed.jpg": encode([line.convert("RGB")], "JPEG", quality=70),
            "seed.tif": encode([line, line], "TIFF", compression="tiff_lzw"),
            "scan.pdf": scanned_pdf([["The needle."]])}


class Worker:
    """One long-lived parse process; restarted after a crash or a hang."""

    def __init__(self):
        self.proc = None
        self.start()

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.getcwd()}
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.security.fuzz_worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        assert self.readline(120) == "ready"

    def readline(self, timeout: float) -> str | None:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline().decode().strip() if ready else None

    def run(self, name: str, data: bytes) -> str:
        self.proc.stdin.write(struct.pack("<II", len(name.encode()), len(data)) + name.encode() + data)
        self.proc.stdin.flush()
        line = self.readline(CASE_SECONDS)
        if not line:
            self.proc.kill()
            self.proc.wait()
            self.start()
            return "hang" if line is None else "crash: worker died"
        return line

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def mutate(data: bytes, edits: list[tuple[int, float, float, bytes]]) -> bytes:
    """Flip, insert, delete, duplicate or truncate at positions given as fractions of the length."""
    out = bytearray(data)
    for op, where, span, payload in edits:
        i = int(where * len(out)) if out else 0
        j = min(len(out), i + int(span * 4096))
        if op == 0 and i < len(out):
            out[i] ^= payload[0] if payload else 0xFF
        elif op == 1:
            out[i:i] = payload
        elif op == 2:
            del out[i:j]
        elif op == 3:
            out[i:i] = out[i:j] * 3
        elif op == 4:
            del out[i:]
    return bytes(out)


EDITS = st.lists(st.tuples(st.integers(0, 4), st.floats(0, 1), st.floats(0, 1), st.binary(min_size=1, max_size=64)),
                 min_size=1, max_size=6)


@pytest.fixture(scope="module")
def worker():
    worker = Worker()
    yield worker
    worker.close()


@pytest.mark.parametrize("seed", ["seed.pdf", "seed.docx", "seed.txt", "seed.png", "seed.jpg", "seed.tif", "scan.pdf"])
def test_mutated_files_end_in_success_or_invalid_document(worker, seed, tmp_path_factory):
    original, outcomes, findings = seeds()[seed], {}, []
    examples = EXAMPLES if seed in ("seed.pdf", "seed.docx", "seed.txt") else IMAGE_EXAMPLES

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(edits=EDITS, name=st.sampled_from([seed, "renamed", seed.replace("seed", "x")]))
    def case(edits, name):
        result = worker.run(name, mutate(original, edits))
        outcomes[result.split(" ")[0]] = outcomes.get(result.split(" ")[0], 0) + 1
        if result not in ("ok", "invalid"):
            findings.append((result, edits))

    assert worker.run(seed, original) == "ok"  # the unmutated seed parses
    case()
    report = {"seed": seed, "cases": sum(outcomes.values()), "outcomes": outcomes, "findings": findings[:5]}
    print("\nfuzz:", json.dumps(report, default=repr))
    (tmp_path_factory.mktemp("fuzz") / f"{seed}.json").write_text(json.dumps(report, default=repr))
    assert not findings, findings[:3]


def test_regression_a_damaged_deflate_stream_in_a_docx_is_invalid_document():
    """Found by this fuzzer: zlib.error escaped the DOCX parser as a crash."""
    import io
    import zipfile

    from rag.errors import InvalidDocument
    from rag.ingest.parsers import DocxParser

    data = seeds()["seed.docx"]
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    outcomes = set()
    for offset in range(0, info.compress_size, max(1, info.compress_size // 40)):
        broken = bytearray(data)
        broken[start + offset] ^= 0x5A
        try:
            list(DocxParser().parse(bytes(broken)))
            outcomes.add("ok")
        except InvalidDocument:
            outcomes.add("invalid")
    assert "invalid" in outcomes


def test_regression_an_unknown_compression_method_in_a_docx_is_invalid_document():
    """Found by this fuzzer: zipfile's NotImplementedError ("That compression method is not supported") escaped
    the DOCX parser as a crash when a mutation hit an entry's compression method."""
    import io
    import zipfile

    from rag.errors import InvalidDocument
    from rag.ingest.parsers import DocxParser

    data = bytearray(seeds()["seed.docx"])
    name = b"word/document.xml"
    entry = next(i for i in range(len(data)) if data[i:i + 4] == b"PK\x01\x02" and data[i + 46:i + 46 + len(name)] == name)
    data[entry + 10:entry + 12] = (99).to_bytes(2, "little")  # the central directory's compression method
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml").compress_type == 99
    with pytest.raises(InvalidDocument, match="damaged"):
        list(DocxParser().parse(bytes(data)))


def test_regression_a_tiff_frame_without_dimensions_is_invalid_document():
    """Found by this fuzzer: Pillow's TypeError ("Missing dimensions") counting a damaged TIFF's frames."""
    from rag.errors import InvalidDocument
    from rag.ingest.images import ImageParser

    data = seeds()["seed.tif"]
    outcomes = set()
    for cut in range(len(data) // 2, len(data), max(1, len(data) // 60)):  # the second frame's header, cut short
        try:
            list(ImageParser().parse(data[:cut] + b"\x00" + data[cut:]))
            outcomes.add("ok")
        except InvalidDocument:
            outcomes.add("invalid")
    assert "invalid" in outcomes
