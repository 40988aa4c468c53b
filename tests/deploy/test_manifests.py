"""Every rendered object is valid Kubernetes, and the security properties hold (default and production values)."""

from __future__ import annotations

import ast
import copy

import jsonschema
import pytest

from .conftest import only, production_values, render, strip_tag
from .crd_schemas import SCHEMAS

kv = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is in requirements/deploy.txt")

# AKS's supported minor versions include 1.33; kubernetes-validate ships its schemas offline.
KUBERNETES_VERSION = "1.33.0"
APP, PROXY = "docchat", "oauth2-proxy"
APP_PORT, PROXY_PORT = 8501, 4180


def _validate(obj: dict) -> None:
    if (obj["apiVersion"], obj["kind"]) in SCHEMAS:
        jsonschema.validate(obj, SCHEMAS[(obj["apiVersion"], obj["kind"])])
    else:
        kv.validate(obj, KUBERNETES_VERSION, strict=True)


def test_every_object_validates(objects):
    kinds = set()
    for obj in objects:
        _validate(strip_tag(obj))
        kinds.add(obj["kind"])
    expected = {"Deployment", "Service", "ServiceAccount", "ConfigMap", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                "NetworkPolicy", "HTTPRoute", "Gateway", "Certificate", "SecretProviderClass"}
    assert expected <= kinds


def test_optional_ingress_validates_and_is_off_by_default(default_objects):
    assert not [o for o in default_objects if o["kind"] == "Ingress"]
    objs = render(production_values() | {"ingress": {"enabled": True}})
    ingress = only(objs, "Ingress")
    for obj in objs:
        _validate(strip_tag(obj))
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert notes["nginx.ingress.kubernetes.io/cors-allow-origin"] == "https://docchat.contoso.com"
    headers = only([o for o in objs if o["__template__"].endswith("ingress-headers.yaml")], "ConfigMap")["data"]
    assert headers["X-Content-Type-Options"] == "nosniff" and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert ingress["spec"]["tls"][0]["secretName"] == "docchat-tls"
    assert notes["nginx.ingress.kubernetes.io/custom-headers"] == "docchat/docchat-headers"
    peers = only(objs, "NetworkPolicy")["spec"]["ingress"][0]["from"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "app-routing-system"}}} in peers


@pytest.mark.parametrize(
    "broken",
    [
        lambda d: d["spec"]["template"]["spec"]["containers"][0].update(imagePullPolicyy="Always"),
        lambda d: d["spec"]["template"]["spec"]["containers"][0]["ports"][0].update(containerPort="4180"),
        lambda d: d["spec"].pop("selector"),
    ],
    ids=["unknown-field", "wrong-type", "missing-required"],
)
def test_validator_rejects_broken_objects(default_objects, broken):
    deployment = copy.deepcopy(strip_tag(only(default_objects, "Deployment")))
    broken(deployment)
    with pytest.raises(kv.utils.ValidationError):
        _validate(deployment)


def test_crd_schemas_reject_broken_objects(default_objects):
    route = copy.deepcopy(strip_tag(only(default_objects, "HTTPRoute", "docchat")))
    route["spec"]["rules"][0]["filters"][1]["type"] = "ResponseHeaders"
    with pytest.raises(jsonschema.ValidationError):
        _validate(route)
    cert = copy.deepcopy(strip_tag(only(default_objects, "Certificate")))
    del cert["spec"]["issuerRef"]
    with pytest.raises(jsonschema.ValidationError):
        _validate(cert)


# --- the pod: two containers, both locked down


def _pod(objects) -> dict:
    return only(objects, "Deployment")["spec"]["template"]


def _containers(objects) -> dict[str, dict]:
    return {c["name"]: c for c in _pod(objects)["spec"]["containers"]}


def test_pod_is_non_root_with_runtime_default_seccomp(objects):
    spec = _pod(objects)["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert spec["automountServiceAccountToken"] is False
    assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC")


@pytest.mark.parametrize("name", [APP, PROXY])
def test_every_container_is_locked_down(objects, name):
    ctx = _containers(objects)[name]["securityContext"]
    assert ctx["runAsNonRoot"] is True and ctx["runAsUser"] != 0
    assert ctx["readOnlyRootFilesystem"] is True
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["privileged"] is False
    assert ctx["capabilities"]["drop"] == ["ALL"] and not ctx["capabilities"].get("add")
    assert ctx["seccompProfile"]["type"] == "RuntimeDefault"


@pytest.mark.parametrize("name", [APP, PROXY])
def test_every_container_has_requests_limits_and_three_probes(objects, name):
    container = _containers(objects)[name]
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][bound]), f"{name} lacks {bound}"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert probe in container, f"{name} lacks {probe}"


def test_app_probes_run_inside_the_container_against_loopback_health(objects):
    # Streamlit binds 127.0.0.1, which kubelet's httpGet (dialling the pod IP) cannot reach.
    app = _containers(objects)[APP]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        command = app[probe]["exec"]["command"]
        assert command[:2] == ["python", "-c"] and "httpGet" not in app[probe]
        assert f"http://127.0.0.1:{APP_PORT}/_stcore/health" in command[2]
        ast.parse(command[2])  # the one-liner is valid Python
        assert app[probe]["timeoutSeconds"] >= 2


def test_app_volumes_make_read_only_root_usable(objects):
    pod = _pod(objects)["spec"]
    mounts = {m["mountPath"]: m["name"] for m in _containers(objects)[APP]["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]] and "emptyDir" in volumes[mounts["/home/docchat"]]
    env = {e["name"]: e for e in _containers(objects)[APP]["env"]}
    assert env["HOME"]["value"] == "/home/docchat"


# --- the proxy is the only way in


def test_oauth2_proxy_sidecar_fronts_streamlit(objects):
    containers = _containers(objects)
    proxy, app = containers[PROXY], containers[APP]
    assert proxy["image"].startswith("quay.io/oauth2-proxy/oauth2-proxy:")
    args = proxy["args"]
    for flag in (
        "--provider=entra-id",
        "--entra-id-federated-token-auth=true",
        "--set-xauthrequest=true",
        f"--upstream=http://127.0.0.1:{APP_PORT}",
        f"--http-address=0.0.0.0:{PROXY_PORT}",
        "--cookie-secure=true",
        "--reverse-proxy=true",
    ):
        assert flag in args
    issuer = next(a for a in args if a.startswith("--oidc-issuer-url="))
    assert issuer.startswith("--oidc-issuer-url=https://login.microsoftonline.com/") and issuer.endswith("/v2.0")
    tenant = issuer.split("/")[-2]
    assert f"--entra-id-allowed-tenant={tenant}" in args
    assert any(a.startswith("--email-domain=") and a != "--email-domain=*" for a in args)
    assert not any("client-secret" in a for a in args)
    assert not any("skip-auth" in a for a in args), "nothing may bypass sign-in"
    cookie = next(e for e in proxy["env"] if e["name"] == "OAUTH2_PROXY_COOKIE_SECRET")
    assert "secretKeyRef" in cookie["valueFrom"]
    # Streamlit: loopback only, no container port, identity from the proxy.
    assert "--server.address=127.0.0.1" in app["args"] and not app.get("ports")
    assert [p["containerPort"] for p in proxy["ports"]] == [PROXY_PORT]


def test_streamlit_cookie_secret_is_shared_from_key_vault(objects):
    app = _containers(objects)[APP]
    env = {e["name"]: e for e in app["env"]}
    ref = env["STREAMLIT_SERVER_COOKIE_SECRET"]["valueFrom"]["secretKeyRef"]
    spc = only(objects, "SecretProviderClass")
    synced = {s["secretName"]: {d["key"] for d in s["data"]} for s in spc["spec"]["secretObjects"]}
    assert ref["key"] in synced[ref["name"]]
    assert "oauth2-proxy-cookie-secret" in synced[ref["name"]]
    # The CSI volume must be mounted, or the driver never syncs the Secret.
    pod = _pod(objects)["spec"]
    csi = [v for v in pod["volumes"] if v.get("csi", {}).get("driver") == "secrets-store.csi.k8s.io"]
    assert csi and csi[0]["csi"]["volumeAttributes"]["secretProviderClass"] == spc["metadata"]["name"]
    assert any(m["name"] == csi[0]["name"] for c in pod["containers"] for m in c.get("volumeMounts", []))


def test_service_exposes_only_the_proxy_port(objects):
    service = only(objects, "Service")
    assert service["spec"]["type"] == "ClusterIP"
    ports = service["spec"]["ports"]
    assert [p["port"] for p in ports] == [PROXY_PORT] and [p["targetPort"] for p in ports] == ["http-proxy"]
    assert APP_PORT not in {p["port"] for p in ports} | {p.get("targetPort") for p in ports}
    assert service["spec"]["sessionAffinity"] == "ClientIP"  # more than one replica by default


def test_single_replica_needs_no_affinity():
    objs = render({"replicaCount": 1, "autoscaling": {"enabled": False}})
    assert "sessionAffinity" not in only(objs, "Service")["spec"]


def test_production_route_is_sticky(production_objects):
    rule = only(production_objects, "HTTPRoute", "docchat")["spec"]["rules"][0]
    assert rule["sessionPersistence"]["type"] == "Cookie"


def test_route_sets_security_headers_and_strips_identity_headers(objects):
    route = only(objects, "HTTPRoute", "docchat")
    rule = route["spec"]["rules"][0]
    filters = {f["type"]: f for f in rule["filters"]}
    headers = {h["name"]: h["value"] for h in filters["ResponseHeaderModifier"]["responseHeaderModifier"]["set"]}
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    csp = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    assert csp["frame-ancestors"] == "'none'" and csp["default-src"] == "'self'" and csp["object-src"] == "'none'"
    assert "'unsafe-inline'" in csp["script-src"] and "'unsafe-inline'" in csp["style-src"]  # Streamlit needs them
    assert csp["connect-src"].startswith("'self' wss://")  # Streamlit's websocket
    removed = set(filters["RequestHeaderModifier"]["requestHeaderModifier"]["remove"])
    assert {"X-Auth-Request-Email", "X-Auth-Request-Groups", "X-Forwarded-Email", "X-Forwarded-Groups"} <= removed
    assert rule["backendRefs"] == [{"name": "docchat", "port": PROXY_PORT}]


def test_tls_from_cert_manager_on_the_gateway(objects):
    gateway, cert = only(objects, "Gateway"), only(objects, "Certificate")
    https = next(listener for listener in gateway["spec"]["listeners"] if listener["protocol"] == "HTTPS")
    assert https["tls"]["certificateRefs"][0]["name"] == cert["spec"]["secretName"]
    assert cert["spec"]["dnsNames"] == [https["hostname"]]


def test_network_policy_admits_only_the_gateway_to_the_proxy_port(objects):
    policy = only(objects, "NetworkPolicy")["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    assert policy["podSelector"]["matchLabels"] == only(objects, "Deployment")["spec"]["selector"]["matchLabels"]
    [rule] = policy["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": PROXY_PORT}]
    assert all("namespaceSelector" in peer or "podSelector" in peer for peer in rule["from"])
    egress_ports = {(p["protocol"], p["port"]) for r in policy["egress"] for p in r["ports"]}
    assert {("UDP", 53), ("TCP", 53), ("TCP", 443)} <= egress_ports
    assert egress_ports - {("UDP", 53), ("TCP", 53), ("TCP", 443), ("TCP", 6380)} == set()


def test_service_account_and_pod_use_workload_identity(objects):
    sa = only(objects, "ServiceAccount", "docchat")
    assert sa["metadata"]["annotations"]["azure.workload.identity/client-id"]
    pod = _pod(objects)
    assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert pod["spec"]["serviceAccountName"] == sa["metadata"]["name"]


def test_configmap_holds_azure_settings_and_no_secrets(objects):
    cm = only(objects, "ConfigMap", "docchat")
    data = cm["data"]
    expected = {"RAG_EMBEDDER": "azure", "RAG_INDEX": "azure", "RAG_BLOBS": "azure", "RAG_CHAT": "azure",
                "RAG_SECRETS": "keyvault", "RAG_AUTH_MODE": "proxy", "RAG_DATA_DIR": "/tmp/docchat"}
    assert expected.items() <= data.items()
    for key in ("RAG_AZURE_OPENAI_ENDPOINT", "RAG_AZURE_SEARCH_ENDPOINT", "RAG_AZURE_STORAGE_ACCOUNT_URL", "RAG_AZURE_KEYVAULT_URL"):
        assert data[key].startswith("https://")
    # Reviewed in deploy/.trivyignore.yaml: nothing here is a secret, only names, URLs and paths.
    assert all(k.startswith("RAG_") for k in data)
    assert not [k for k in data if k.endswith(("_KEY", "_PASSWORD", "_TOKEN", "_SECRET", "_CONNECTION_STRING"))]
    envfrom = _containers(objects)[APP]["envFrom"]
    assert {"configMapRef": {"name": cm["metadata"]["name"]}} in envfrom


def test_rag_settings_read_by_the_app_exist():
    """The ConfigMap's variables are fields of rag.settings.Settings (env prefix RAG_)."""
    settings = pytest.importorskip("rag.settings")
    fields = {f"RAG_{name.upper()}" for name in settings.Settings.model_fields}
    data = only(render(production_values()), "ConfigMap", "docchat")["data"]
    env = {e["name"] for e in _containers(render())[APP]["env"] if e["name"].startswith("RAG_")}
    assert set(data) | env <= fields


def test_hpa_scales_the_deployment_on_cpu_and_pdb_covers_it(objects):
    hpa, deployment, pdb = only(objects, "HorizontalPodAutoscaler"), only(objects, "Deployment"), only(objects, "PodDisruptionBudget")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert hpa["spec"]["minReplicas"] >= 2
    assert "replicas" not in deployment["spec"]  # the HPA owns it
    assert pdb["spec"]["selector"] == deployment["spec"]["selector"]


def test_index_job_has_its_own_identity_and_is_never_a_service_endpoint(objects):
    job = only(objects, "Job")
    pod = job["spec"]["template"]
    admin = only(objects, "ServiceAccount", pod["spec"]["serviceAccountName"])
    app_sa = only(objects, "ServiceAccount", "docchat")
    admin_id = admin["metadata"]["annotations"]["azure.workload.identity/client-id"]
    app_id = app_sa["metadata"]["annotations"]["azure.workload.identity/client-id"]
    assert admin_id != app_id or set(admin_id) <= {"0", "-"}, "placeholders aside, two identities"
    assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    selector = only(objects, "Service")["spec"]["selector"]
    assert not selector.items() <= pod["metadata"]["labels"].items()
    assert "post-install" in job["metadata"]["annotations"]["helm.sh/hook"]
    [container] = pod["spec"]["containers"]
    ctx = container["securityContext"]
    assert ctx["readOnlyRootFilesystem"] and not ctx["allowPrivilegeEscalation"] and ctx["capabilities"]["drop"] == ["ALL"]
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])


def test_only_the_index_init_job_manages_the_search_schema(objects):
    config = only(objects, "ConfigMap")["data"]
    assert config["RAG_AZURE_SEARCH_MANAGE_INDEX"] == "false"  # the app lacks Search Service Contributor
    job = only(objects, "Job")
    env = {e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["RAG_AZURE_SEARCH_MANAGE_INDEX"] == "true"
