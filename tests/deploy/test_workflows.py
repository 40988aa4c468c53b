"""GitHub Actions workflows: valid YAML, clean under actionlint (with shellcheck on every `run:`), and the
pipeline the issue asks for: tests, deploy checks, scanned image pushed by OIDC, staged rollout with approval."""

from __future__ import annotations

import json
import re
import shutil

import jsonschema
import pytest
import yaml

from .conftest import CHART, DEPLOY, ROOT, run, tool

WORKFLOWS = ROOT / ".github" / "workflows"

# The shape GitHub accepts, for the parts these workflows use (actionlint checks the rest).
WORKFLOW_SCHEMA = {
    "type": "object",
    "required": ["name", "on", "jobs"],
    "properties": {
        "permissions": {"type": "object", "additionalProperties": {"enum": ["read", "write", "none"]}},
        "jobs": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "required": ["runs-on", "steps"],
                "properties": {
                    "needs": {"type": ["string", "array"]},
                    "timeout-minutes": {"type": "integer", "maximum": 60},
                    "steps": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "object", "oneOf": [{"required": ["uses"]}, {"required": ["run"]}]},
                    },
                },
            },
        },
    },
}


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def uses(workflow: dict, job: str, action: str) -> list[dict]:
    return [s for s in steps(workflow, job) if s.get("uses", "").split("@")[0] == action]


def runs(workflow: dict, job: str) -> str:
    return "\n".join(s.get("run", "") for s in steps(workflow, job))


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_workflow_is_valid_yaml_of_the_right_shape(name):
    jsonschema.validate(load(name), WORKFLOW_SCHEMA)


def _actionlint(*paths) -> object:
    return run([tool("actionlint"), "-no-color", "-shellcheck", tool("shellcheck"), *map(str, paths)])


def test_actionlint_passes():
    result = _actionlint(WORKFLOWS / "ci.yml", WORKFLOWS / "deploy.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_mistakes(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.nope }} $UNQUOTED\n      - uses: actions/checkout@v4\n        with: {nope: 1}\n")
    result = _actionlint(bad)
    assert result.returncode != 0 and "nope" in result.stdout


def test_ci_runs_lint_tests_and_every_deploy_check():
    ci = load("ci.yml")
    assert "make test" in runs(ci, "test")
    checks = runs(ci, "deploy-checks")
    assert "helm lint --strict" in checks and "helm template" in checks and "values-production.yaml" in checks
    assert "kubernetes-validate --strict" in checks
    assert uses(ci, "deploy-checks", "hadolint/hadolint-action")[0]["with"]["dockerfile"] == "deploy/Dockerfile"
    [config_scan] = uses(ci, "deploy-checks", "aquasecurity/trivy-action")
    assert config_scan["with"]["scan-type"] == "config" and config_scan["with"]["exit-code"] == "1"


def test_ci_builds_scans_and_pushes_a_sha_tagged_image_with_oidc():
    ci = load("ci.yml")
    job = ci["jobs"]["image"]
    assert set(job["needs"]) == {"test", "deploy-checks"}
    assert job["permissions"]["id-token"] == "write" and ci["permissions"] == {"contents": "read"}
    [build] = uses(ci, "image", "docker/build-push-action")
    assert build["with"]["file"] == "deploy/Dockerfile" and build["with"]["target"] == "cloud"
    [scan] = uses(ci, "image", "aquasecurity/trivy-action")
    assert scan["with"]["severity"] == "HIGH,CRITICAL" and scan["with"]["exit-code"] == "1"
    [login] = uses(ci, "image", "azure/login")
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}, "federated: no client secret"
    order = [s.get("uses", s.get("run", "")) for s in steps(ci, "image")]
    assert order.index(scan["uses"]) < order.index(login["uses"]), "scan before anything is pushed"
    assert "$GITHUB_SHA" in runs(ci, "image") and "docker push" in runs(ci, "image")


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_no_stored_cloud_credentials(name):
    text = (WORKFLOWS / name).read_text()
    assert set(re.findall(r"secrets\.(\w+)", text)) <= {"DEPLOY_NOTIFY_WEBHOOK_URL"}
    assert not re.search(r"client-secret|AZURE_CREDENTIALS|creds:", text)


def test_deploy_goes_staging_then_smoke_then_approved_production_then_notifies():
    wf = load("deploy.yml")
    jobs = wf["jobs"]
    assert jobs["smoke"]["needs"] == "staging" and jobs["production"]["needs"] == "smoke"
    assert jobs["staging"]["environment"]["name"] == "staging"
    assert jobs["production"]["environment"]["name"] == "production"  # required reviewers gate it
    assert "--namespace docchat-staging" in runs(wf, "staging") and "helm upgrade --install" in runs(wf, "staging")
    assert "--namespace docchat " in runs(wf, "production") and "values-production.yaml" in runs(wf, "production")
    for job in ("staging", "production"):
        assert jobs[job]["permissions"]["id-token"] == "write" and uses(wf, job, "azure/login")
        assert "--atomic" in runs(wf, job)
    assert "npm run smoke" in runs(wf, "smoke")
    assert jobs["notify"]["if"].startswith("always()") and set(jobs["notify"]["needs"]) == {"staging", "smoke", "production"}
    assert wf["concurrency"]["cancel-in-progress"] is False
    assert wf["env"]["HELM_DRIVER"] == "configmap"  # the deploy identity cannot read Secrets


def test_files_the_workflows_use_exist():
    text = (WORKFLOWS / "ci.yml").read_text() + (WORKFLOWS / "deploy.yml").read_text()
    assert (CHART / "values-staging.yaml").is_file() and (DEPLOY / ".trivyignore.yaml").is_file()
    package = json.loads((DEPLOY / "smoke" / "package.json").read_text())
    assert re.fullmatch(r"\d+\.\d+\.\d+", package["devDependencies"]["@playwright/test"]), "pinned"
    assert "playwright test" in package["scripts"]["smoke"] and "working-directory: deploy/smoke" in text


def test_smoke_spec_is_valid_javascript_and_checks_the_edge():
    spec = DEPLOY / "smoke" / "smoke.spec.mjs"
    text = spec.read_text()
    for needle in ('"/ping"', "login\\.microsoftonline\\.com", "strict-transport-security", "X-Auth-Request-Email"):
        assert needle in text
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed; the syntax check needs it")
    for path in (spec, DEPLOY / "smoke" / "playwright.config.mjs"):
        result = run([node, "--check", str(path)])
        assert result.returncode == 0, result.stderr
