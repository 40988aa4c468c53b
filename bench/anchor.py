"""The anchor's own venv (.venv-anchor), installed from bench/requirements-anchor.txt when missing.

Its own venv because langchain-huggingface pins huggingface_hub<2 and the product runs 2.x: installing
it into .venv would downgrade a product dependency."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT, run_worker

VENV = ROOT / ".venv-anchor"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = ROOT / "bench" / "requirements-anchor.txt"
STAMP = VENV / ".requirements"


def installed() -> bool:
    return PYTHON.exists() and STAMP.exists() and STAMP.read_text() == REQUIREMENTS.read_text()


def ensure(allow_install: bool) -> Anchor | None:
    """The anchor, installing it first when allowed; None (with the reason printed) when unavailable."""
    if not installed():
        if not allow_install:
            print("anchor: .venv-anchor is not installed; --quick skips installing it (about a minute). "
                  "Run `python -m bench all` once to install it.", file=sys.stderr)
            return None
        print("anchor: installing bench/requirements-anchor.txt into .venv-anchor ...", file=sys.stderr)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
            subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)],
                           check=True, timeout=1800, capture_output=True)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            print(f"anchor: could not be installed offline ({exc}); its numbers are left out.", file=sys.stderr)
            return None
        STAMP.write_text(REQUIREMENTS.read_text())
    return Anchor()


class Anchor:
    def ingest(self, spec: Path) -> dict:
        return self._run(["ingest", str(spec)], timeout=3600)

    def scale(self, chunks: int, queries: int) -> dict:
        from bench.common import percentiles_ms

        raw = self._run(["scale", "--chunks", str(chunks), "--queries", str(queries)], timeout=3600)
        return {**raw, "no_filter": percentiles_ms(raw["no_filter"]), "filter": percentiles_ms(raw["filter"])}

    @staticmethod
    def _run(args: list[str], timeout: float) -> dict:
        with tempfile.TemporaryDirectory(prefix="anchor-out-") as tmp:
            out = str(Path(tmp) / "out.json")
            return run_worker(["-m", "bench.anchor_worker", *args, "--out", out], timeout, python=str(PYTHON))
