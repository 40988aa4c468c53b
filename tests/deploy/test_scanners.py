"""Real scanners, all offline: trivy config (chart, rendered production manifests, Dockerfile) and hadolint."""

from __future__ import annotations

import json

import pytest
import yaml

from .conftest import CHART, DEPLOY, ROOT, run, strip_tag, tool

IGNOREFILE = DEPLOY / ".trivyignore.yaml"


def _trivy(target, tmp_path) -> dict:
    report = tmp_path / "trivy.json"
    # --skip-check-update: use the checks embedded in the binary, never download a bundle.
    result = run(
        [tool("trivy"), "config", "--skip-check-update", "--quiet", "--cache-dir", str(tmp_path / "cache"),
         "--ignorefile", str(IGNOREFILE), "--severity", "HIGH,CRITICAL", "--exit-code", "1",
         "--format", "json", "--output", str(report), str(target)],
        timeout=90,
    )
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(report.read_text())
    findings = [
        f"{r['Target']}: {m['ID']} {m['Severity']} {m['Title']}"
        for r in data.get("Results", [])
        for m in r.get("Misconfigurations", [])
        if m.get("Status") == "FAIL"
    ]
    assert result.returncode == 0 and findings == [], "\n".join(findings)
    return data


def _scanned(data: dict) -> set[str]:
    return {r["Target"] for r in data.get("Results", []) if r.get("MisconfSummary")}


def test_trivy_finds_no_high_or_critical_in_chart_and_dockerfile(tmp_path):
    data = _trivy(DEPLOY, tmp_path)
    scanned = _scanned(data)
    assert "Dockerfile" in scanned
    assert "helm/docchat/templates/deployment.yaml" in scanned


def test_trivy_finds_no_high_or_critical_in_production_manifests(tmp_path, production_objects):
    out = tmp_path / "manifests"
    (out / "templates").mkdir(parents=True)
    for obj in production_objects:  # one object per template, so the template's name is unique
        (out / "templates" / obj["__template__"].rsplit("/", 1)[-1]).write_text(yaml.safe_dump(strip_tag(obj)))
    data = _trivy(out, tmp_path)
    assert any("deployment" in t for t in _scanned(data))


def test_trivy_would_catch_a_privileged_container(tmp_path):
    """The scan is not vacuous: the same chart with a privileged container fails."""
    bad = tmp_path / "docchat"
    run(["cp", "-r", str(CHART), str(bad)])
    values = (bad / "values.yaml").read_text().replace("privileged: false", "privileged: true")
    (bad / "values.yaml").write_text(values)
    with pytest.raises(AssertionError, match="KSV"):
        _trivy(bad, tmp_path)


def test_the_only_trivy_exception_is_reviewed():
    ignores = yaml.safe_load(IGNOREFILE.read_text())
    assert set(ignores) == {"misconfigurations"}
    for entry in ignores["misconfigurations"]:
        assert entry["paths"] and len(entry["statement"]) > 40, "an exception names its files and says why"
    assert [e["id"] for e in ignores["misconfigurations"]] == ["KSV-0109", "KSV-0056"]


def test_hadolint_passes_the_dockerfile():
    result = run([tool("hadolint"), "--no-color", "--failure-threshold", "style", str(DEPLOY / "Dockerfile")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install streamlit\nCMD streamlit run app.py\n")
    result = run([tool("hadolint"), "--no-color", str(bad)], cwd=ROOT)
    assert result.returncode != 0 and "DL3007" in result.stdout
