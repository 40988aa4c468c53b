"""deploy/cluster: the one-time cluster objects (namespaces, ClusterIssuer, the CI identity's RBAC)."""

from __future__ import annotations

from string import Template

import pytest
import yaml

from .conftest import DEPLOY, production_values, render
from .test_infra import parse as parse_bicep

kv = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is in requirements/deploy.txt")

CLUSTER = DEPLOY / "cluster"


def load(name: str) -> list[dict]:
    """The file as `envsubst` would hand it to kubectl."""
    text = Template((CLUSTER / name).read_text()).substitute(GITHUB_PRINCIPAL_ID="11111111-2222-3333-4444-555555555555")
    return [d for d in yaml.safe_load_all(text) if d]


def test_built_in_objects_validate_strictly():
    for name in ("namespaces.yaml", "deployer-rbac.yaml"):
        for obj in load(name):
            kv.validate(obj, "1.33.0", strict=True)


def test_namespaces_match_the_federated_credentials():
    names = {o["metadata"]["name"] for o in load("namespaces.yaml")}
    environments = parse_bicep(DEPLOY / "infra/main.bicep")["parameters"]["environments"]["default"]
    assert names == {e["namespace"] for e in environments}


# kind -> (API group, resource) for everything the chart can render
RESOURCES = {
    "ConfigMap": ("", "configmaps"), "Secret": ("", "secrets"), "Service": ("", "services"),
    "ServiceAccount": ("", "serviceaccounts"), "Deployment": ("apps", "deployments"), "Job": ("batch", "jobs"),
    "HorizontalPodAutoscaler": ("autoscaling", "horizontalpodautoscalers"),
    "PodDisruptionBudget": ("policy", "poddisruptionbudgets"),
    "NetworkPolicy": ("networking.k8s.io", "networkpolicies"), "Ingress": ("networking.k8s.io", "ingresses"),
    "Gateway": ("gateway.networking.k8s.io", "gateways"), "HTTPRoute": ("gateway.networking.k8s.io", "httproutes"),
    "Certificate": ("cert-manager.io", "certificates"),
    "SecretProviderClass": ("secrets-store.csi.x-k8s.io", "secretproviderclasses"),
}


def test_ci_identity_may_manage_everything_the_chart_renders_and_helm_releases():
    role = next(o for o in load("deployer-rbac.yaml") if o["kind"] == "ClusterRole")
    allowed = {(g, r) for rule in role["rules"] if "create" in rule["verbs"] for g in rule["apiGroups"] for r in rule["resources"]}
    objects = render(production_values() | {"ingress": {"enabled": True}})
    needed = {RESOURCES[o["kind"]] for o in objects} | {RESOURCES["ConfigMap"]}  # HELM_DRIVER=configmap
    assert needed <= allowed, needed - allowed
    assert RESOURCES["Secret"] not in {(g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
    assert not any("*" in rule["verbs"] or "*" in rule["resources"] for rule in role["rules"])
    bindings = [o for o in load("deployer-rbac.yaml") if o["kind"] == "RoleBinding"]
    assert {b["metadata"]["namespace"] for b in bindings} == {o["metadata"]["name"] for o in load("namespaces.yaml")}


def test_cluster_issuer_solves_through_the_charts_gateways():
    [issuer] = load("cluster-issuer.yaml")
    assert issuer["apiVersion"] == "cert-manager.io/v1" and issuer["kind"] == "ClusterIssuer"
    values = yaml.safe_load((DEPLOY / "helm/docchat/values.yaml").read_text())
    assert issuer["metadata"]["name"] == values["certificate"]["issuerName"]
    gateway = next(o for o in render() if o["kind"] == "Gateway")
    refs = issuer["spec"]["acme"]["solvers"][0]["http01"]["gatewayHTTPRoute"]["parentRefs"]
    assert {r["name"] for r in refs} == {gateway["metadata"]["name"]}
    assert {r["sectionName"] for r in refs} == {"http"} and any(listener["name"] == "http" for listener in gateway["spec"]["listeners"])
