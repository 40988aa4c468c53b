"""deploy/infra/modules/docintel.bicep: Document Intelligence is Entra-only, private, and the app alone may call it."""

from __future__ import annotations

import json

from .test_infra import INFRA, _assignments, parse, resources

MODULE = INFRA / "modules/docintel.bicep"
COGNITIVE_SERVICES_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"  # built-in role, the same in every tenant


def test_document_intelligence_is_entra_only_and_private():
    [(_, account, _)] = [r for r in resources("Microsoft.CognitiveServices/accounts") if r[1]["kind"] == "FormRecognizer"]
    assert account["sku"]["name"] == "S0"  # F0 reads only the first two pages of a document
    assert account["properties"]["disableLocalAuth"] is True
    assert account["properties"]["publicNetworkAccess"] == "Disabled"
    assert account["properties"]["networkAcls"]["defaultAction"] == "Deny"
    endpoint = parse(MODULE)["modules"]["endpoint"]
    assert endpoint["detail"]["path"] == "private-endpoint.bicep" and endpoint["config"]["params"]["groupId"] == "account"
    zones = json.dumps(parse(INFRA / "modules/network.bicep")["variables"]["privateDnsZoneNames"])
    assert "privatelink.cognitiveservices.azure.com" in zones


def test_the_app_gets_cognitive_services_user_on_document_intelligence_only():
    assert parse(MODULE)["variables"]["roles"]["value"]["cognitiveServicesUser"] == COGNITIVE_SERVICES_USER
    grants = [r for r in parse(MODULE)["resources"].values() if r["type"] == "Microsoft.Authorization/roleAssignments"]
    assert len(grants) == 1  # one grant, looped over each environment's app identity, on this account only
    loop, body = grants[0]["config"]["loop_type"]["detail"], grants[0]["config"]["config"]
    assert loop == {"item_name": "principalId", "array_name": "appPrincipalIds"}
    assert body["scope"] == "docintel" and body["properties"]["principalId"] == "principalId"
    assert '"operand_2": "cognitiveServicesUser"' in json.dumps(body["properties"]["roleDefinitionId"])
    assert not any(a["scope"] == "docintel" for a in _assignments())  # roles.bicep grants nothing on it


def test_main_passes_the_app_identity_and_outputs_the_endpoint():
    main = parse(INFRA / "main.bicep")
    assert main["modules"]["docintel"]["detail"]["path"] == "modules/docintel.bicep"
    assert "docintelEndpoint" in main["outputs"]
