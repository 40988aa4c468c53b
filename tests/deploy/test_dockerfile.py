"""The Dockerfile's structure, and its commands exercised where that needs no Docker engine."""

from __future__ import annotations

import ast
import fnmatch
import http.server
import json
import re
import socket
import subprocess
import sys
import threading

import pytest

from .conftest import DEPLOY, ROOT

DOCKERFILE = DEPLOY / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def _stages() -> dict[str, list[tuple[str, str]]]:
    stages: dict[str, list[tuple[str, str]]] = {}
    current = None
    for word, rest in _instructions():
        if word == "FROM":
            current = rest.split(" AS ")[-1].strip() if " AS " in rest else rest
            stages[current] = [(word, rest)]
        elif current:
            stages[current].append((word, rest))
    return stages


def _args(stage: str, word: str) -> list[str]:
    return [rest for w, rest in _stages()[stage] if w == word]


def test_base_is_slim_python_311():
    arg = next(rest for word, rest in _instructions() if word == "ARG" and rest.startswith("PYTHON_IMAGE="))
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11-slim(-\w+)?", arg)
    assert _args("base", "FROM") == ["${PYTHON_IMAGE} AS base"]


def test_default_target_is_the_cloud_image_without_torch():
    stages = _stages()
    assert list(stages)[-1] == "cloud", "the default target is the last stage"
    assert _args("cloud", "COPY")[0] == "--from=deps /opt/venv /opt/venv"
    assert not any("local.txt" in rest for _, rest in stages["deps"] + stages["runtime"] + stages["cloud"])
    installs = " ".join(_args("deps", "RUN"))
    for name in ("core", "azure", "security", "eval"):  # eval: the Evaluate page and chat feedback are product
        assert f"-r requirements/{name}.txt" in installs
    assert "--no-deps -r requirements/eval-nodeps.txt" in installs
    assert "test.txt" not in installs and "app.txt" not in installs and "bench" not in installs  # no test tooling


def test_local_target_adds_the_embedded_defaults():
    assert _args("local", "COPY")[0] == "--from=deps-local /opt/venv /opt/venv"
    assert _args("deps-local", "FROM") == ["deps AS deps-local"]
    assert "-r requirements/local.txt" in " ".join(_args("deps-local", "RUN"))


def test_dependency_layer_comes_before_the_code():
    deps_copies = _args("deps", "COPY")
    assert deps_copies == ["requirements/core.txt requirements/azure.txt requirements/security.txt "
                           "requirements/eval.txt requirements/eval-nodeps.txt requirements/"]
    for stage in ("local", "cloud"):
        copies = _args(stage, "COPY")
        assert copies[-1] == ". /app" and copies.index(". /app") > 0


def test_runs_as_non_root_in_app():
    assert _args("runtime", "WORKDIR") == ["/app"]
    for stage in ("local", "cloud"):
        user = _args(stage, "USER")[-1]
        uid = user.split(":")[0]
        assert uid.isdigit() and int(uid) >= 10000, "numeric, so runAsNonRoot can verify it"
    assert "--uid 10001" in " ".join(_args("runtime", "RUN"))


def test_cmd_runs_streamlit_headless_on_8501():
    cmd = json.loads(_args("runtime", "CMD")[-1])
    assert cmd == ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true"]


def _healthcheck_code() -> str:
    health = _args("runtime", "HEALTHCHECK")[-1]
    exec_form = json.loads(health[health.index("CMD") + 3 :].strip())
    assert exec_form[:2] == ["python", "-c"], "python, not curl: the slim image has no curl"
    return exec_form[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthcheck_one_liner_parses_and_targets_streamlit():
    code = _healthcheck_code()
    ast.parse(code)
    assert "http://127.0.0.1:8501/_stcore/health" in code


def test_healthcheck_one_liner_passes_on_ok_and_fails_when_down():
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            self.send_response(200 if self.path == "/_stcore/health" else 404)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        up = _healthcheck_code().replace(":8501/", f":{server.server_port}/")
        assert subprocess.run([sys.executable, "-c", up], timeout=15).returncode == 0
    finally:
        server.shutdown()
    down = _healthcheck_code().replace(":8501/", f":{_free_port()}/")
    assert subprocess.run([sys.executable, "-c", down], capture_output=True, timeout=15).returncode != 0


def test_torch_pin_extraction_finds_exactly_one_requirement():
    run_line = " ".join(_args("deps-local", "RUN"))
    grep = re.search(r'"\$\((grep [^)]*)\)"', run_line).group(1)
    out = subprocess.run(["bash", "-c", grep], cwd=ROOT, capture_output=True, text=True, timeout=10)
    assert re.fullmatch(r"torch==[\w.]+\n", out.stdout), out


def test_referenced_requirements_files_exist_and_are_pinned():
    referenced = set(re.findall(r"requirements/([\w-]+\.txt)", DOCKERFILE.read_text()))
    assert referenced == {"core.txt", "azure.txt", "security.txt", "eval.txt", "eval-nodeps.txt", "local.txt"}
    for name in referenced:
        lines = [ln.split("#")[0].strip() for ln in (ROOT / "requirements" / name).read_text().splitlines()]
        assert all("==" in ln for ln in lines if ln), f"{name}: every requirement pinned with =="


def test_the_image_can_import_what_the_app_always_imports():
    """Top-level third-party imports of the app's code are installed by the cloud image's requirements."""
    import ast as _ast

    shipped = {"core.txt", "azure.txt", "security.txt", "eval.txt", "eval-nodeps.txt"}
    names = set()
    for name in shipped:
        for ln in (ROOT / "requirements" / name).read_text().splitlines():
            if ln.split("#")[0].strip():
                names.add(re.split(r"[=<>\[]", ln.strip())[0].lower().replace("_", "-"))
    # import name -> distribution, where they differ
    dist = {"docx": "python-docx", "opentelemetry": "opentelemetry-api", "pil": "streamlit", "yaml": "streamlit",
            "pandas": "streamlit", "altair": "streamlit", "langchain-core": "langchain",
            "azure": "azure-core", "langchain-text-splitters": "langchain-text-splitters"}
    local = {"rag", "ui", "pages", "eval", "app"}
    missing = set()
    code = [ROOT / "app.py", *(ROOT / "ui").glob("*.py"), *(ROOT / "pages").glob("*.py"), *(ROOT / "rag").rglob("*.py"),
            *(ROOT / "eval").glob("*.py")]
    for path in code:
        if not path.exists() or "local" in path.parts:  # rag/backends/local is the local target's business
            continue
        for node in _ast.parse(path.read_text()).body:  # module level only: lazy imports are optional backends
            if isinstance(node, _ast.Import | _ast.ImportFrom) and getattr(node, "level", 0) == 0:
                for mod in [a.name for a in node.names] if isinstance(node, _ast.Import) else [node.module]:
                    top = mod.split(".")[0].lower().replace("_", "-")
                    if top in sys.stdlib_module_names or top in local or top == "--future--":
                        continue
                    if dist.get(top, top) not in names:
                        missing.add(f"{path.relative_to(ROOT)}: {mod}")
    assert missing == set()


def _dockerignored(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; `!` re-includes; a pattern matches a path or its parents."""
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines() if p.strip() and not p.startswith("#")]
    ignored = False
    parts = path.split("/")
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.lstrip("!").rstrip("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        hit = any(fnmatch.fnmatch(p, pat) or (pat.startswith("**/") and fnmatch.fnmatch(p.split("/")[-1], pat[3:])) for p in prefixes)
        if hit:
            ignored = not negate
    return ignored


@pytest.mark.parametrize("path", ["app.py", "rag/settings.py", "pages/chat.py", "ui/state.py", "requirements/core.txt"])
def test_dockerignore_keeps_the_app(path):
    assert not _dockerignored(path)


@pytest.mark.parametrize(
    "path", [".git/config", ".venv/bin/python", ".data/index/x", "tests/test_x.py", ".env", ".streamlit/secrets.toml",
             "deploy/Dockerfile", "rag/__pycache__/settings.cpython-311.pyc", "bench/results/x.json"]
)
def test_dockerignore_drops_everything_else(path):
    assert _dockerignored(path)


def test_app_entry_point_is_in_the_build_context():
    if not (ROOT / "app.py").exists():
        pytest.skip("app.py (the Streamlit router) is being written by the app team")
    assert not _dockerignored("app.py")
