"""deploy/infra: the Bicep files parse (pycep, a real Bicep parser) and declare what DocChat needs, least-privilege.

There is no az/bicep CLI offline, so this checks structure: resource types, the security-relevant
properties, role assignments, and that main.bicep wires its modules with the parameters and
outputs they really have (what `az deployment` would reject first).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from .conftest import DEPLOY, run, tool

pycep = pytest.importorskip("pycep", reason="pycep-parser is in requirements/deploy.txt")

INFRA = DEPLOY / "infra"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))


@cache
def parse(path: Path) -> dict:
    return pycep.BicepParser().parse(file_path=path)


def _unwrap(config: dict) -> tuple[dict, object]:
    """A resource's body and its `if` condition (loops and conditions wrap the body)."""
    condition = None
    while isinstance(config, dict) and "config" in config and ("loop_type" in config or "condition" in config):
        condition = config.get("condition") or condition
        config = config["config"]
    return config, condition


def resources(type_: str | None = None) -> list[tuple[str, dict, object]]:
    """(symbolic name, body, condition) of every declared (not `existing`) resource across all files."""
    found = []
    for path in BICEP_FILES:
        for name, res in parse(path).get("resources", {}).items():
            if res["existing"] or (type_ and res["type"] != type_):
                continue
            body, condition = _unwrap(res["config"])
            found.append((name, body, condition))
    return found


def one(type_: str) -> dict:
    found = resources(type_)
    assert len(found) == 1, f"expected one {type_}, found {[n for n, _, _ in found]}"
    return found[0][1]


def test_every_bicep_file_parses():
    assert {p.name for p in BICEP_FILES} >= {"main.bicep", "aks.bicep", "roles.bicep", "identity.bicep", "monitoring.bicep"}
    for path in BICEP_FILES:
        assert parse(path)["resources"] or parse(path).get("modules"), path


def test_storage_is_private_and_entra_only():
    props = one("Microsoft.Storage/storageAccounts")["properties"]
    assert props["allowBlobPublicAccess"] is False
    assert props["allowSharedKeyAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2" and props["publicNetworkAccess"] == "Disabled"
    assert one("Microsoft.Storage/storageAccounts/blobServices/containers")["properties"]["publicAccess"] == "None"


def test_search_and_openai_accept_only_entra_tokens_over_private_endpoints():
    search = one("Microsoft.Search/searchServices")["properties"]
    assert search["disableLocalAuth"] is True and search["publicNetworkAccess"] == "disabled"
    accounts = {body["kind"]: body for _, body, _ in resources("Microsoft.CognitiveServices/accounts")}
    assert set(accounts) == {"OpenAI", "FormRecognizer"}  # FormRecognizer: Document Intelligence (RAG_PARSER=azure)
    for account in accounts.values():
        assert account["properties"]["disableLocalAuth"] is True and account["properties"]["publicNetworkAccess"] == "Disabled"
    models = {body["name"]: body["properties"]["model"]["name"] for _, body, _ in resources("Microsoft.CognitiveServices/accounts/deployments")}
    assert models == {"text-embedding-3-small": "text-embedding-3-small", "gpt-4o": "gpt-4o"}


def test_key_vault_is_rbac_with_soft_delete_and_purge_protection():
    props = one("Microsoft.KeyVault/vaults")["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True and props["softDeleteRetentionInDays"] == 90
    assert props["enablePurgeProtection"] is True
    assert props["networkAcls"]["defaultAction"] == "Deny"


def test_acr_has_no_admin_user():
    props = one("Microsoft.ContainerRegistry/registries")["properties"]
    assert props["adminUserEnabled"] is False and props["anonymousPullEnabled"] is False


def test_aks_has_oidc_workload_identity_csi_and_container_insights():
    props = one("Microsoft.ContainerService/managedClusters")["properties"]
    assert props["oidcIssuerProfile"]["enabled"] is True
    assert props["securityProfile"]["workloadIdentity"]["enabled"] is True
    assert props["disableLocalAccounts"] is True and props["aadProfile"]["enableAzureRBAC"] is True
    addons = props["addonProfiles"]
    assert addons["omsagent"]["enabled"] is True and addons["omsagent"]["config"]["logAnalyticsWorkspaceResourceID"]
    assert addons["azureKeyvaultSecretsProvider"]["enabled"] is True  # the Secrets Store CSI driver
    assert props["networkProfile"]["networkPolicy"] in {"cilium", "azure", "calico"}  # NetworkPolicy is enforced
    rule = one("Microsoft.Insights/dataCollectionRules")["properties"]
    assert rule["dataFlows"][0]["streams"] == ["Microsoft-ContainerInsights-Group-Default"]
    assert resources("Microsoft.Insights/dataCollectionRuleAssociations")


def test_pod_and_chart_cidrs_agree():
    """The chart's NetworkPolicy carves the cluster's pod and service CIDRs out of HTTPS egress."""
    import yaml

    net = one("Microsoft.ContainerService/managedClusters")["properties"]["networkProfile"]
    values = yaml.safe_load((DEPLOY / "helm/docchat/values-production.yaml").read_text())
    assert {net["podCidr"], net["serviceCidr"]} <= set(values["networkPolicy"]["excludedEgressCidrs"])


def test_federated_credentials_trust_the_charts_service_accounts():
    creds = [body for _, body, _ in resources("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials")]
    text = json.dumps(creds)
    assert "system:serviceaccount:${ns}:${serviceAccountName}" in text
    assert "system:serviceaccount:${ns}:${indexAdminServiceAccountName}" in text
    assert all(c["properties"]["audiences"] == "aksAudience" or "AzureADTokenExchange" in json.dumps(c) for c in creds)
    assert "api://AzureADTokenExchange" in json.dumps(parse(INFRA / "modules/identity.bicep")["variables"])
    main = parse(INFRA / "main.bicep")["parameters"]
    import yaml

    values = yaml.safe_load((DEPLOY / "helm/docchat/values.yaml").read_text())
    assert main["serviceAccountName"]["default"] == values["serviceAccount"]["name"]
    assert main["indexAdminServiceAccountName"]["default"] == values["indexInit"]["serviceAccountName"]


ROLE_IDS = {
    "Cognitive Services OpenAI User": "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
    "Search Index Data Contributor": "8ebe5a00-799e-43f5-93ac-243d3dce84a7",
    "Search Service Contributor": "7ca78c08-252a-4471-8644-bb5ff32d4ba0",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
}


def _assignments() -> list[tuple[str, str, str, object]]:
    """(principal parameter, role GUID, scope symbol, condition) of every role assignment."""
    roles_file = parse(INFRA / "modules/roles.bicep")
    guids = roles_file["variables"]["roles"]["value"]
    out = []
    for _, body, condition in resources("Microsoft.Authorization/roleAssignments"):
        role_key = re.search(r'"operand_1": "roles", "operand_2": "(\w+)"', json.dumps(body["properties"]["roleDefinitionId"])).group(1)
        scope = body["scope"] if isinstance(body["scope"], str) else re.search(r'"operand_1": "(\w+)"', json.dumps(body["scope"])).group(1)
        out.append((body["properties"]["principalId"], guids[role_key], scope, condition))
    return out


@pytest.mark.parametrize(
    ("principal", "role", "scope"),
    [
        ("appPrincipalId", "Cognitive Services OpenAI User", "openai"),
        ("appPrincipalId", "Search Index Data Contributor", "search"),
        ("appPrincipalId", "Storage Blob Data Contributor", "containers"),
        ("appPrincipalId", "Storage Table Data Contributor", "storage"),
        ("appPrincipalId", "Key Vault Secrets User", "vault"),
        ("indexAdminPrincipalId", "Search Service Contributor", "search"),
        ("kubeletObjectId", "AcrPull", "acr"),
    ],
)
def test_least_privilege_role_assignment(principal, role, scope):
    assert (principal, ROLE_IDS[role], scope) in {(p, r, s) for p, r, s, _ in _assignments()}


def test_app_gets_search_service_contributor_only_when_asked():
    app_admin = [c for p, r, _, c in _assignments() if p == "appPrincipalId" and r == ROLE_IDS["Search Service Contributor"]]
    assert app_admin == ["appManagesSearchIndex"]
    assert parse(INFRA / "main.bicep")["parameters"]["appManagesSearchIndex"]["default"] is False


def test_no_owner_or_contributor_anywhere():
    broad = {"8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"}
    assert not broad & set(parse(INFRA / "modules/roles.bicep")["variables"]["roles"]["value"].values())


def test_private_endpoints_for_every_data_service():
    main = parse(INFRA / "main.bicep")["modules"]
    groups = {m["config"]["params"]["groupId"] for m in main.values() if m["detail"]["path"] == "modules/private-endpoint.bicep"}
    assert groups == {"blob", "table", "searchService", "account", "vault"}
    assert one("Microsoft.Network/virtualNetworks")
    assert len(resources("Microsoft.Network/privateDnsZones")) == 1  # one looped declaration over the five zones


def test_log_analytics_has_saved_queries_and_a_restart_alert():
    assert one("Microsoft.OperationalInsights/workspaces")["properties"]["sku"]["name"] == "PerGB2018"
    queries = parse(INFRA / "modules/monitoring.bicep")["variables"]
    text = json.dumps(queries)
    for needle in ("PodRestartCount", "status >= 500", "percentile(seconds, 95)"):
        assert needle in text
    assert resources("Microsoft.OperationalInsights/workspaces/savedSearches")
    alert = one("Microsoft.Insights/scheduledQueryRules")["properties"]
    criterion = alert["criteria"]["allOf"][0]
    assert "PodRestartCount" in json.dumps(criterion["query"]) and criterion["operator"] == "GreaterThan"
    assert alert["actions"]["actionGroups"]


def _output_refs(value) -> set[tuple[str, str]]:
    """(module, output) pairs a value reads as `module.outputs.name`."""
    text = json.dumps(value)
    return set(re.findall(r'"operand_1": "(\w+)", "operand_2": \{"operator": \{"type": "property_accessor", "operands": \{"operand_1": "outputs", "operand_2": "(\w+)"', text))


def test_main_wires_modules_with_real_parameters_and_outputs():
    main = parse(INFRA / "main.bicep")
    modules = main["modules"]
    for name, module in modules.items():
        path = INFRA / module["detail"]["path"]
        assert path.is_file(), path
        declared = parse(path)["parameters"]
        passed = set(module["config"]["params"])
        required = {p for p, spec in declared.items() if spec.get("default") is None}
        assert passed <= set(declared), f"{name}: unknown params {passed - set(declared)}"
        assert required <= passed, f"{name}: missing params {required - passed}"
    for module_name, output in _output_refs(main):
        assert output in parse(INFRA / modules[module_name]["detail"]["path"])["outputs"], f"{module_name}.outputs.{output}"


def test_bicepparam_sets_only_declared_parameters():
    text = (INFRA / "main.bicepparam").read_text()
    assert re.search(r"^using 'main\.bicep'$", text, re.MULTILINE)
    names = set(re.findall(r"^param (\w+) =", text, re.MULTILINE))
    assert names and names <= set(parse(INFRA / "main.bicep")["parameters"])


def test_teardown_deletes_the_resource_group_and_passes_shellcheck():
    script = INFRA / "teardown.sh"
    assert "az group delete" in script.read_text() and "purge" in script.read_text()
    result = run([tool("shellcheck"), "--severity=style", str(script)])
    assert result.returncode == 0, result.stdout


def test_every_environment_has_its_own_container():
    import yaml

    containers = parse(INFRA / "main.bicep")["parameters"]["blobContainerNames"]["default"]
    staging = yaml.safe_load((DEPLOY / "helm/docchat/values-staging.yaml").read_text())
    assert staging["config"]["extra"]["RAG_AZURE_STORAGE_CONTAINER"] in containers
    assert "docchat" in containers  # the setting's default, used by production
