"""Shared fixtures for the offline deployment checks: the chart rendered by Helm v4 (helm-python-sdk)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "docchat"
PRODUCTION_VALUES = CHART / "values-production.yaml"
RELEASE = "docchat"
NAMESPACE = "docchat"


def tool(name: str) -> str:
    """Path of a console script shipped by a requirements/deploy.txt wheel (next to this Python first)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: pip install -r requirements/deploy.txt")
    return found


def run(args: list[str], cwd: Path = ROOT, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def render(values: dict | None = None) -> list[dict]:
    """Render the chart offline and return every object, each tagged with its template path."""
    helm = pytest.importorskip("helm_python", reason="helm-python-sdk is in requirements/deploy.txt")
    with helm.Chart.load(CHART) as chart:
        manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    objects = []
    for template, text in sorted(manifests.items()):
        if template.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc["__template__"] = template
                objects.append(doc)
    return objects


def production_values() -> dict:
    return yaml.safe_load(PRODUCTION_VALUES.read_text())


@pytest.fixture(scope="session")
def default_objects() -> list[dict]:
    return render()


@pytest.fixture(scope="session")
def production_objects() -> list[dict]:
    return render(production_values())


@pytest.fixture(scope="session", params=["default", "production"])
def objects(request, default_objects, production_objects) -> list[dict]:
    """Each check runs on both value sets."""
    return default_objects if request.param == "default" else production_objects


def only(objects: list[dict], kind: str, name: str | None = None) -> dict:
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def strip_tag(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k != "__template__"}
