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


def account_of(kind: str) -> dict:
    found = [body for _, body, _ in resources("Microsoft.CognitiveServices/accounts") if body["kind"] == kind]
    assert len(found) == 1, f"expected one {kind} account"
    return found[0]


def module_body(module: dict) -> dict:
    return _unwrap(module["config"])[0]


def test_search_and_openai_accept_only_entra_tokens_over_private_endpoints():
    search = one("Microsoft.Search/searchServices")["properties"]
    assert search["disableLocalAuth"] is True and search["publicNetworkAccess"] == "disabled"
    for kind in ("OpenAI", "FormRecognizer"):  # FormRecognizer: Document Intelligence (RAG_PARSER=azure)
        account = account_of(kind)
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
    assert "system:serviceaccount:${env.namespace}:${serviceAccountName}" in text
    assert "system:serviceaccount:${env.namespace}:${indexAdminServiceAccountName}" in text
    assert all(c["properties"]["audiences"] == "aksAudience" or "AzureADTokenExchange" in json.dumps(c) for c in creds)
    assert "api://AzureADTokenExchange" in json.dumps(parse(INFRA / "modules/identity.bicep")["variables"])
    main = parse(INFRA / "main.bicep")["parameters"]
    import yaml

    values = yaml.safe_load((DEPLOY / "helm/docchat/values.yaml").read_text())
    assert main["serviceAccountName"]["default"] == values["serviceAccount"]["name"]
    assert main["indexAdminServiceAccountName"]["default"] == values["indexInit"]["serviceAccountName"]


ROLE_IDS = {
    "Cognitive Services OpenAI User": "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
    "Cognitive Services User": "a97b65f3-24c7-4388-baec-2e87135dc908",
    "Search Index Data Reader": "1407120a-92aa-4202-b7e9-c0e197c71c8f",
    "Search Index Data Contributor": "8ebe5a00-799e-43f5-93ac-243d3dce84a7",
    "Search Service Contributor": "7ca78c08-252a-4471-8644-bb5ff32d4ba0",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
}


def _name_and_index(value) -> tuple[str, str | None]:
    """`x` -> ('x', None); `x[i]` -> ('x', 'i')."""
    if isinstance(value, str):
        return value, None
    operands = value["operator"]["operands"]
    assert value["operator"]["type"] == "index_accessor", value
    return operands["operand_1"], operands["operand_2"]


def _loop(config: dict) -> tuple[str | None, object]:
    """(index variable, array expression) of a looped declaration; (None, None) if it is not a loop."""
    loop = config.get("loop_type") if isinstance(config, dict) else None
    if not loop:
        return None, None
    return loop["detail"].get("index_name"), loop["detail"]["array_name"]


def _assignments() -> list[dict]:
    """Every role assignment in roles.bicep: principal, role GUID, scope, and the loop it sits in."""
    roles_file = parse(INFRA / "modules/roles.bicep")
    guids = roles_file["variables"]["roles"]["value"]
    out = []
    for name, res in roles_file["resources"].items():
        if res["existing"] or res["type"] != "Microsoft.Authorization/roleAssignments":
            continue
        body, condition = _unwrap(res["config"])
        index, array = _loop(res["config"])
        role_key = re.search(r'"operand_1": "roles", "operand_2": "(\w+)"', json.dumps(body["properties"]["roleDefinitionId"])).group(1)
        principal, principal_index = _name_and_index(body["properties"]["principalId"])
        scope, scope_index = _name_and_index(body["scope"])
        out.append({"name": name, "principal": principal, "principal_index": principal_index, "role": guids[role_key],
                    "scope": scope, "scope_index": scope_index, "loop_index": index, "loop_array": array,
                    "condition": condition})
    return out


@pytest.mark.parametrize(
    ("principal", "role", "scope"),
    [
        ("appPrincipalIds", "Cognitive Services OpenAI User", "openai"),
        ("appPrincipalIds", "Cognitive Services User", "contentSafety"),
        ("appPrincipalIds", "Search Index Data Contributor", "indexes"),
        ("appPrincipalIds", "Storage Blob Data Contributor", "containers"),
        ("appPrincipalIds", "Storage Table Data Contributor", "tables"),
        ("appPrincipalIds", "Key Vault Secrets User", "vaults"),
        ("indexAdminPrincipalIds", "Search Service Contributor", "search"),
        ("indexAdminPrincipalIds", "Search Index Data Reader", "indexes"),
        ("kubeletObjectId", "AcrPull", "acr"),
    ],
)
def test_least_privilege_role_assignment(principal, role, scope):
    assert (principal, ROLE_IDS[role], scope) in {(a["principal"], a["role"], a["scope"]) for a in _assignments()}


def test_app_gets_search_service_contributor_only_when_asked():
    app_admin = [a["loop_array"] for a in _assignments()
                 if a["principal"] == "appPrincipalIds" and a["role"] == ROLE_IDS["Search Service Contributor"]]
    assert app_admin == [{"operator": {"type": "conditional", "operands": {
        "condition": "appManagesSearchIndex", "true_value": "environments", "false_value": []}}}]
    assert parse(INFRA / "main.bicep")["parameters"]["appManagesSearchIndex"]["default"] is False


PER_ENVIRONMENT_PRINCIPALS = {"appPrincipalIds", "indexAdminPrincipalIds"}
# Services that hold no environment's data: OpenAI and Content Safety only process what is sent.
SHARED_SCOPES = {"openai", "contentSafety"}
# Creating an index is a service-level operation: the index-init Jobs' Search Service Contributor
# covers index definitions (never document reads) of the whole service.
SERVICE_LEVEL = {("search", ROLE_IDS["Search Service Contributor"])}


def _per_environment_arrays() -> dict[str, object]:
    """Existing-resource arrays of roles.bicep (symbol -> the array they loop over)."""
    found = {}
    for name, res in parse(INFRA / "modules/roles.bicep")["resources"].items():
        _, array = _loop(res["config"])
        if res["existing"] and array is not None:
            found[name] = array
    return found


def test_no_role_assignment_crosses_environments():
    """An environment's identity is granted only on that environment's index, container, table and vault:
    principal and scope are picked by the same loop index from arrays in the order of `environments`."""
    arrays = _per_environment_arrays()
    assert set(arrays) == {"indexes", "containers", "tables", "vaults"}
    assert arrays["indexes"] == arrays["containers"] == arrays["tables"] == "environments"
    assert arrays["vaults"] == "keyVaultNames"
    main = parse(INFRA / "main.bicep")
    roles = module_body(main["modules"]["roles"])["params"]
    assert roles["keyVaultNames"] == "keyVaultNames" and roles["environments"] == "environments"
    assert json.dumps(main["variables"]["keyVaultNames"]).count("environments") == 1  # one vault per environment
    checked = 0
    for a in _assignments():
        if a["principal"] not in PER_ENVIRONMENT_PRINCIPALS:
            assert a["scope_index"] is None or a["principal"] == "deployerPrincipalId", a["name"]
            continue
        assert a["principal_index"] is not None and a["principal_index"] == a["loop_index"], a["name"]
        assert "environments" in json.dumps(a["loop_array"]), a["name"]
        if a["scope"] in arrays:
            assert a["scope_index"] == a["loop_index"], f"{a['name']}: scope picked by another index"
        else:
            assert a["scope"] in SHARED_SCOPES or (a["scope"], a["role"]) in SERVICE_LEVEL, a["name"]
        checked += 1
    assert checked >= 9


def test_each_environment_signs_in_only_from_its_own_namespace():
    identity = parse(INFRA / "modules/identity.bicep")["resources"]
    for identities, federation in (("apps", "appFederation"), ("indexAdmins", "indexAdminFederation")):
        assert _loop(identity[identities]["config"])[1] == "environments"
        index, array = _loop(identity[federation]["config"])
        body = _unwrap(identity[federation]["config"])[0]
        assert array == "environments" and _name_and_index(body["parent"]) == (identities, index)
        assert body["properties"]["subject"].startswith("system:serviceaccount:${env.namespace}:")


def test_semantic_ranker_is_on_the_standard_plan_when_the_chart_asks_for_it():
    import yaml

    main = parse(INFRA / "main.bicep")
    assert main["parameters"]["semanticSearch"]["default"] == "standard"
    assert module_body(main["modules"]["search"])["params"]["semanticSearch"] == "semanticSearch"
    assert one("Microsoft.Search/searchServices")["properties"]["semanticSearch"] == "semanticSearch"
    assert re.search(r"^param semanticSearch = 'standard'$", (INFRA / "main.bicepparam").read_text(), re.MULTILINE)
    for name in ("values-production.yaml", "values-staging.yaml"):
        values = yaml.safe_load((DEPLOY / "helm/docchat" / name).read_text())
        assert values["config"]["extra"].get("RAG_AZURE_SEMANTIC") == "true"  # so the plan must not be free


def test_content_safety_is_an_optional_private_entra_only_account():
    account = account_of("ContentSafety")
    assert account["properties"]["disableLocalAuth"] is True and account["properties"]["publicNetworkAccess"] == "Disabled"
    main = parse(INFRA / "main.bicep")
    module = main["modules"]["contentSafetyAccount"]
    assert module["detail"]["path"] == "modules/content-safety.bicep" and module["config"]["condition"] == "contentSafety"
    endpoint = main["modules"]["contentSafetyEndpoint"]
    assert endpoint["config"]["condition"] == "contentSafety"
    params = module_body(endpoint)["params"]
    assert params["groupId"] == "account" and "cognitiveServicesDnsZoneId" in json.dumps(params["privateDnsZoneId"])
    zones = parse(INFRA / "modules/network.bicep")["variables"]["privateDnsZoneNames"]["value"]
    assert "privatelink.cognitiveservices.azure.com" in zones
    assert main["parameters"]["contentSafety"]["default"] is False
    assert re.search(r"^param contentSafety = true$", (INFRA / "main.bicepparam").read_text(), re.MULTILINE)


def test_no_owner_or_contributor_anywhere():
    broad = {"8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"}
    assert not broad & set(parse(INFRA / "modules/roles.bicep")["variables"]["roles"]["value"].values())


def test_private_endpoints_for_every_data_service():
    main = parse(INFRA / "main.bicep")["modules"]
    groups = {module_body(m)["params"]["groupId"] for m in main.values() if m["detail"]["path"] == "modules/private-endpoint.bicep"}
    assert groups == {"blob", "table", "searchService", "account", "vault"}
    assert one("Microsoft.Network/virtualNetworks")
    assert len(resources("Microsoft.Network/privateDnsZones")) == 1  # one looped declaration over the six zones


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
        passed = set(module_body(module)["params"])
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


def test_every_environment_has_its_own_container_table_and_index():
    import yaml

    from rag.settings import Settings

    environments = parse(INFRA / "main.bicep")["parameters"]["environments"]["default"]
    by_namespace = {e["namespace"]: e for e in environments}
    for key in ("container", "table", "searchIndex"):
        assert len({e[key] for e in environments}) == len(environments), key
    staging = yaml.safe_load((DEPLOY / "helm/docchat/values-staging.yaml").read_text())["config"]["extra"]
    assert by_namespace["docchat-staging"]["container"] == staging["RAG_AZURE_STORAGE_CONTAINER"]
    assert by_namespace["docchat-staging"]["table"] == staging["RAG_AZURE_STORAGE_TABLE"]
    assert by_namespace["docchat-staging"]["searchIndex"] == staging["RAG_AZURE_SEARCH_INDEX"]
    assert by_namespace["docchat"]["container"] == by_namespace["docchat"]["searchIndex"] == "docchat"  # the defaults
    assert by_namespace["docchat"]["table"] == Settings.model_fields["azure_storage_table"].default
    for values in ("values.yaml", "values-production.yaml"):  # production keeps the default table
        extra = yaml.safe_load((DEPLOY / "helm/docchat" / values).read_text())["config"].get("extra") or {}
        assert "RAG_AZURE_STORAGE_TABLE" not in extra, values
    # The tables exist before the role assignments scoped to them.
    main = parse(INFRA / "main.bicep")
    assert module_body(main["modules"]["storage"])["params"]["tableNames"] == "tableNames"
    assert json.dumps(main["variables"]["tableNames"]).count("environments") == 1
    assert _loop(parse(INFRA / "modules/storage.bicep")["resources"]["tables"]["config"])[1] == "tableNames"
