"""docs/deploy.md stays true to the files it names: paths, chart values, Bicep outputs, workflow variables."""

from __future__ import annotations

import re

import yaml

from .conftest import CHART, DEPLOY, ROOT
from .test_infra import parse as parse_bicep

DOC = ROOT / "docs" / "deploy.md"


def text() -> str:
    return DOC.read_text()


def test_walks_from_empty_subscription_to_monitored_deployment():
    headings = re.findall(r"^## (.+)$", text(), re.MULTILINE)
    for needle in ("Sign in", "infrastructure", "sign-in app", "Key Vault", "cluster credentials", "prerequisites",
                   "image", "Helm", "Verify", "Dashboards and alerts", "CI/CD", "cost", "Teardown", "Rotating"):
        assert any(needle.lower() in h.lower() for h in headings), needle
    for command in ("az login", "az deployment sub create", "az aks get-credentials", "gateway-api", "cert-manager",
                    "az acr build", "helm upgrade --install", "teardown.sh", "rollout restart"):
        assert command in text(), command


def test_every_repository_path_it_names_exists():
    # `deploy/docchat` in a kubectl command is a Deployment, not a path: only known folders count.
    paths = set(re.findall(r"(?<![\w/])((?:deploy/(?:helm|infra|cluster|smoke|Dockerfile)|docs/|tests/|\.github/)[\w./-]*[\w])", text()))
    assert paths
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert missing == []


def test_values_table_names_real_chart_values():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    named = re.findall(r"^\| `([a-zA-Z.]+)`(?:, `([a-zA-Z.]+)`)? \|", text(), re.MULTILINE)
    keys = {k for pair in named for k in pair if k and "." in k or k in values}
    assert len(keys) >= 10
    for key in keys:
        node = values
        for part in key.split("."):
            assert isinstance(node, dict) and part in node, key
            node = node[part]


def test_bicep_outputs_it_uses_exist():
    outputs = set(parse_bicep(DEPLOY / "infra" / "main.bicep")["outputs"])
    used = set(re.findall(r"\$\(out (\w+)\)", text()))
    for line in text().splitlines():
        if re.search(r"\boutputs? `", line):
            used |= set(re.findall(r"`([a-z]\w+)`", line.split("output", 1)[1]))
    assert len(used) >= 10 and used <= outputs, used - outputs


def test_workflow_variables_it_lists_are_the_ones_the_workflows_read():
    workflows = "".join(p.read_text() for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    read = set(re.findall(r"vars\.(\w+)", workflows))
    documented = set(re.findall(r"`([A-Z_]{4,})`", text()))
    assert read <= documented, read - documented


def test_cost_table_has_a_total_and_states_assumptions():
    assert "Assumptions:" in text() and re.search(r"\*\*Total\*\* \| \| \*\*about \d+\*\*", text())
