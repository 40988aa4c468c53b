"""The chart's shape: Helm v4 lint, bitnami conventions, one object per template, documented values."""

from __future__ import annotations

import re

import pytest
import yaml

from .conftest import CHART, PRODUCTION_VALUES, production_values, render

helm = pytest.importorskip("helm_python", reason="helm-python-sdk is in requirements/deploy.txt")

WARNING = 2  # helm lint severities: 1 info, 2 warning, 3 error


@pytest.mark.parametrize("values_file", [None, PRODUCTION_VALUES], ids=["default", "production"])
def test_helm_lint_strict_has_no_warnings_or_errors(values_file):
    values = yaml.safe_load(values_file.read_text()) if values_file else None
    report = helm.lint(CHART, values, strict=True, namespace="docchat", kube_version="v1.33.0")
    problems = [m for m in report["messages"] if m["severity"] >= WARNING]
    assert report["errors"] == [] and problems == [], report


def test_chart_metadata_is_complete():
    meta = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert meta["apiVersion"] == "v2" and meta["type"] == "application"
    assert meta["name"] == "docchat" and meta["version"] and meta["appVersion"]
    assert (CHART / "templates" / "_helpers.tpl").is_file()
    assert (CHART / "templates" / "NOTES.txt").is_file()


def _leaf_keys(tree: dict, prefix: str = "") -> set[str]:
    """Dotted paths of the values a user sets: scalars, lists and intentionally empty maps."""
    keys = set()
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            keys |= _leaf_keys(value, f"{path}.")
        else:
            keys.add(path)
    return keys


def _documented_params() -> set[str]:
    text = (CHART / "values.yaml").read_text()
    return set(re.findall(r"^\s*## @param (\S+) \S", text, flags=re.MULTILINE))


def test_every_value_has_a_param_line_and_every_param_a_value():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    leaves, params = _leaf_keys(values), _documented_params()
    assert sorted(leaves - params) == [], "values without a `## @param key description` line"
    assert sorted(params - leaves) == [], "`## @param` lines naming no value"


def test_value_keys_are_camel_case():
    def keys(tree):
        for key, value in tree.items():
            yield key
            if isinstance(value, dict):
                yield from keys(value)

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    # config.extra / podLabels hold user data (env names, labels); they are empty by default.
    bad = [k for k in keys(values) if not re.fullmatch(r"[a-z][a-zA-Z0-9]*", k)]
    assert bad == []


@pytest.mark.parametrize("name", ["values-production.yaml", "values-staging.yaml"])
def test_override_files_only_set_known_keys(name):
    defaults = _leaf_keys(yaml.safe_load((CHART / "values.yaml").read_text()))
    free_form = ("config.extra", "topologySpreadConstraints", "podLabels", "podAnnotations", "nodeSelector")
    overrides = yaml.safe_load((CHART / name).read_text())
    unknown = [k for k in _leaf_keys(overrides) if k not in defaults and not k.startswith(free_form)]
    assert unknown == []


def test_staging_renders_on_top_of_production():
    staging = yaml.safe_load((CHART / "values-staging.yaml").read_text())
    merged = production_values()
    for key, value in staging.items():
        merged[key] = (merged.get(key) or {}) | value if isinstance(value, dict) else value
    objects = render(merged | {"host": "docchat-staging.contoso.com"})
    config = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "docchat")["data"]
    assert config["RAG_AZURE_SEARCH_INDEX"] == "docchat-staging"


def test_each_template_renders_at_most_one_object(default_objects, production_objects):
    everything = render(
        production_values()
        | {"ingress": {"enabled": True}, "secrets": {"existingSecret": ""}, "authProxy": production_values()["authProxy"]}
    )
    per_template: dict[str, int] = {}
    for obj in default_objects + production_objects + everything:
        per_template.setdefault(obj["__template__"], 0)
    for objs in (default_objects, production_objects, everything):
        counts: dict[str, int] = {}
        for obj in objs:
            counts[obj["__template__"]] = counts.get(obj["__template__"], 0) + 1
        assert all(n == 1 for n in counts.values()), counts
    assert len(per_template) >= 13


def test_production_render_has_no_placeholders(production_objects):
    text = yaml.safe_dump([{k: v for k, v in o.items() if k != "__template__"} for o in production_objects])
    assert "<" not in text.replace("<=", ""), "a <placeholder> from values.yaml survived into production"
    assert "00000000-0000-0000-0000-000000000000" not in text
    assert "example.com" not in text


def test_redis_session_store_requires_a_connection_url():
    with pytest.raises(helm.HelmError, match="connectionUrl is required"):
        render({"authProxy": {"sessionStore": {"redis": {"enabled": True}}}})


def test_config_extra_rejects_non_rag_variables():
    with pytest.raises(helm.HelmError, match="only RAG_"):
        render({"config": {"extra": {"AZURE_CLIENT_SECRET": "x"}}})


def test_content_safety_endpoint_reaches_the_app_only_when_set(default_objects, production_objects):
    def config(objects):
        return next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "docchat")["data"]

    assert "RAG_CONTENT_SAFETY_ENDPOINT" not in config(default_objects)
    assert config(production_objects)["RAG_CONTENT_SAFETY_ENDPOINT"] == production_values()["config"]["contentSafetyEndpoint"]


def test_staging_runs_as_its_own_identities_with_its_own_vault():
    staging = yaml.safe_load((CHART / "values-staging.yaml").read_text())
    production = production_values()
    for path in (("workloadIdentity", "clientId"), ("indexInit", "clientId"), ("secrets", "keyVault", "name"),
                 ("config", "azureKeyvaultUrl")):
        mine, theirs = staging, production
        for key in path:
            mine, theirs = mine[key], theirs[key]
        assert mine != theirs, ".".join(path)
