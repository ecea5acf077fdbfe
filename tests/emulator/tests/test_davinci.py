"""Tests of the PingOne DaVinci provider of the emulator, driven over real HTTP (the `emulator` fixture)."""
from __future__ import annotations

import json
import typing as t

import pytest
import requests

from emulator.client import EmulatorClient, EmulatorError

ENV_A = "0b7c6c2e-0000-4000-8000-00000000000a"
ENV_B = "0b7c6c2e-0000-4000-8000-00000000000b"
ENV_OTHER = "0b7c6c2e-0000-4000-8000-00000000000c"  # exists, but the worker may not manage it
ADMIN_ENV = "0b7c6c2e-0000-4000-8000-0000000000ad"
CLIENT_ID = "worker-app"
CLIENT_SECRET = "s3cr3t-worker-value"

CT_JSON = "application/json"
CT_IMPORT = "application/vnd.pingidentity.flow.import+json"
CT_IMPORT_LEGACY = "application/vnd.pingidentity.flow.import.legacy+json"
CT_DEPLOY = "application/vnd.pingidentity.flow.deploy+json"
CT_CLONE = "application/vnd.pingidentity.flow.clone+json"
CT_VALIDATE = "application/vnd.pingidentity.flow.validate+json"
CT_EXPORT = "application/vnd.pingidentity.flowversion.export+json"
CT_REVERT = "application/vnd.pingidentity.flowversion.revert+json"
CT_INSTANCE_CLONE = "application/vnd.pingidentity.connectorInstance.clone+json"

HTTP_INSTANCE = "867ed4363b2bc21c860085ad2baa817d"


def base_seed(extra_envs: list[dict] | None = None) -> dict:
    return {"davinci": {
        "environments": [
            {"id": ENV_A, "name": "dev", "connector_instances": [{"id": HTTP_INSTANCE, "name": "Http", "connector": {"id": "httpConnector"}}]},
            {"id": ENV_B, "name": "prod"},
            {"id": ENV_OTHER, "name": "not mine"},
        ] + (extra_envs or []),
        "workers": [{"environment_id": ADMIN_ENV, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                     "environments": [ENV_A, ENV_B] + [e["id"] for e in extra_envs or []]}],
    }}


class DaVinci:
    """A tiny PingOne API client over HTTP (requests), with the token handled for the tests."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.token: str | None = None

    def get_token(self, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET, env: str = ADMIN_ENV) -> requests.Response:
        return self.session.post(f"{self.base_url}/{env}/as/token", data={"grant_type": "client_credentials"}, auth=(client_id, client_secret))

    def login(self) -> None:
        response = self.get_token()
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]

    def call(self, method: str, path: str, body: t.Any = None, content_type: str | None = None, env: str = ENV_A,
             raw: bytes | str | None = None, params: dict | None = None, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        data: bytes | str | None = raw
        if body is not None:
            data = json.dumps(body)
        if content_type is not None:
            headers["Content-Type"] = content_type
        elif data is not None:
            headers["Content-Type"] = CT_JSON
        url = f"{self.base_url}/v1/environments/{env}{path}"
        return self.session.request(method, url, data=data, headers=headers, params=params)

    def create_flow(self, body: dict, env: str = ENV_A) -> dict:
        response = self.call("POST", "/flows", body, env=env)
        assert response.status_code == 201, response.text
        return response.json()

    def export(self, flow_id: str, version: int, body: dict | None = None, env: str = ENV_A) -> requests.Response:
        return self.call("POST", f"/flows/{flow_id}/versions/{version}", body, CT_EXPORT, env=env)

    def import_legacy(self, flow_info: dict, name: str, mapping: dict | None = None, env: str = ENV_A, raw: str | None = None) -> requests.Response:
        if raw is not None:
            return self.call("POST", "/flows", raw=raw, content_type=CT_IMPORT_LEGACY, env=env)
        body = {"name": name, "flowInfo": flow_info, "flowNameMapping": mapping if mapping is not None else {}}
        return self.call("POST", "/flows", body, CT_IMPORT_LEGACY, env=env)


def simple_graph(subflow_id: str | None = None) -> dict:
    nodes = [{"data": {"id": "aaaaaaaaaa", "nodeType": "CONNECTION", "connectionId": HTTP_INSTANCE, "connectorId": "httpConnector",
                       "name": "Http", "capabilityName": "customHtmlMessage", "properties": {"message": {"value": "hi"}}, "futureKey": [1, 2]},
              "position": {"x": 1.5, "y": 2}, "group": "nodes"},
             {"data": {"id": "bbbbbbbbbb", "nodeType": "CONNECTION", "connectorId": "variablesConnector", "capabilityName": "saveValue",
                       "properties": {"saveVariables": {"value": [{"name": "v1", "key": 0.25, "type": "string", "value": "secret-ish"}]}}},
              "position": {"x": 3, "y": 4}, "group": "nodes"}]
    if subflow_id is not None:
        nodes.append({"data": {"id": "cccccccccc", "nodeType": "CONNECTION", "connectorId": "flowConnector", "capabilityName": "startUiSubFlow",
                               "properties": {"subFlowId": {"value": {"label": "sub", "value": subflow_id}}, "subFlowVersionId": {"value": -1}}},
                      "position": {"x": 5, "y": 6}, "group": "nodes"})
    edges = [{"data": {"id": "eeeeeeeeee", "source": "aaaaaaaaaa", "target": "bbbbbbbbbb"}, "group": "edges"}]
    return {"elements": {"nodes": nodes, "edges": edges}, "minZoom": 1e-50, "maxZoom": 1e+50, "zoom": 1, "pan": {"x": 0, "y": 0}}


@pytest.fixture()
def dv(emulator: EmulatorClient) -> t.Iterator[DaVinci]:
    emulator.seed(base_seed())
    client = DaVinci(emulator.base_url)
    client.login()
    yield client
    client.session.close()


def assert_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert set(body) >= {"id", "code", "message"}
    assert "Traceback" not in response.text
    return body


# -- token endpoint -----------------------------------------------------------------------------------
def test_token_basic_and_form_auth(emulator: EmulatorClient) -> None:
    emulator.seed(base_seed())
    client = DaVinci(emulator.base_url)
    basic = client.get_token()
    assert basic.status_code == 200
    body = basic.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]
    form = client.session.post(f"{emulator.base_url}/{ADMIN_ENV}/as/token",
                               data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert form.status_code == 200 and form.json()["access_token"] != body["access_token"]


def test_token_errors_never_echo_the_secret(emulator: EmulatorClient) -> None:
    emulator.seed(base_seed())
    client = DaVinci(emulator.base_url)
    wrong = client.get_token(client_secret="wrong-secret-value")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert "wrong-secret-value" not in wrong.text and CLIENT_SECRET not in wrong.text
    assert client.get_token(env=ENV_A).json()["error"] == "invalid_client"  # the worker lives in ADMIN_ENV
    assert client.get_token(client_id="nobody").status_code == 401
    grant = client.session.post(f"{emulator.base_url}/{ADMIN_ENV}/as/token", data={"grant_type": "password"}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    as_json = client.session.post(f"{emulator.base_url}/{ADMIN_ENV}/as/token", json={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"


def test_token_expiry_by_clock_and_control_route(emulator: EmulatorClient, dv: DaVinci) -> None:
    assert dv.call("GET", "/flows").status_code == 200
    emulator.advance_clock(3601)
    expired = assert_error(dv.call("GET", "/flows"), 401, "ACCESS_FAILED")
    assert expired["details"][0]["code"] == "INVALID_TOKEN"
    dv.login()
    assert dv.call("GET", "/flows").status_code == 200
    response = requests.post(emulator.url("/_emulator/davinci/tokens/expire"), timeout=10)
    assert response.status_code == 200 and response.json()["expired"] >= 1
    assert_error(dv.call("GET", "/flows"), 401, "ACCESS_FAILED")
    dv.login()
    assert dv.call("GET", "/flows").status_code == 200


def test_missing_bad_token_and_environment_access(dv: DaVinci) -> None:
    no_token = dv.session.get(f"{dv.base_url}/v1/environments/{ENV_A}/flows")
    assert_error(no_token, 401, "ACCESS_FAILED")
    assert_error(dv.call("GET", "/flows", token="not-a-token"), 401, "ACCESS_FAILED")
    assert_error(dv.call("GET", "/flows", env=ENV_OTHER), 403, "ACCESS_FAILED")
    assert_error(dv.call("GET", "/flows", env="11111111-2222-4333-8444-555555555555"), 403, "ACCESS_FAILED")
    env = dv.call("GET", "")
    assert env.status_code == 200 and env.json()["id"] == ENV_A


@pytest.mark.usefixtures("dv")
def test_new_environment_propagation_window(emulator: EmulatorClient) -> None:
    new_env = "0b7c6c2e-0000-4000-8000-0000000000ee"
    emulator.seed({"davinci": {"environments": [{"id": new_env, "propagation_seconds": 30}],
                               "workers": [{"environment_id": ADMIN_ENV, "client_id": "w2", "client_secret": "x", "environments": [new_env]}]}})
    client = DaVinci(emulator.base_url)
    client.token = client.get_token("w2", "x").json()["access_token"]
    assert_error(client.call("GET", "/flows", env=new_env), 403, "ACCESS_FAILED")
    emulator.advance_clock(31)
    assert client.call("GET", "/flows", env=new_env).status_code == 200


# -- routing --------------------------------------------------------------------------------------------
def test_content_type_dispatch_and_415(dv: DaVinci) -> None:
    flow = dv.create_flow({"name": "ct"})
    assert_error(dv.call("POST", "/flows", {"name": "x"}, "application/vnd.pingidentity.flow.unknown+json"), 415, "INVALID_REQUEST")
    assert_error(dv.call("POST", f"/flows/{flow['id']}", {}, CT_JSON), 415, "INVALID_REQUEST")
    assert_error(dv.call("POST", f"/flows/{flow['id']}/versions/1", {}, "text/plain"), 415, "INVALID_REQUEST")
    assert_error(dv.call("PUT", f"/flows/{flow['id']}", {"name": "x"}, "text/plain"), 415, "INVALID_REQUEST")
    charset = dv.call("POST", "/flows", {"name": "with charset"}, "application/json; charset=UTF-8")
    assert charset.status_code == 201
    deploy = dv.call("POST", f"/flows/{flow['id']}", {}, CT_DEPLOY + "; charset=utf-8")
    assert deploy.status_code == 201
    assert_error(dv.call("GET", "/nothing/here"), 404, "NOT_FOUND")
    assert_error(dv.call("PATCH", "/flows"), 405, "INVALID_REQUEST")


def test_malformed_json_is_invalid_data(dv: DaVinci) -> None:
    for raw in ("{not json", "[1, 2]", "", '{"name": NaN}'):
        response = dv.call("POST", "/flows", raw=raw, content_type=CT_JSON)
        assert_error(response, 400, "INVALID_DATA")


# -- flows ----------------------------------------------------------------------------------------------
def test_create_read_list_with_hal_links(emulator: EmulatorClient, dv: DaVinci) -> None:
    body = {"name": "Login", "description": "d", "color": "#fff", "graphData": simple_graph(), "settings": {"logLevel": 2, "useCSP": "true"},
            "customTopLevel": {"kept": True}, "id": "ignored", "createdAt": "ignored", "environment": {"id": ENV_B}}
    flow = dv.create_flow(body)
    assert len(flow["id"]) == 32 and flow["id"] != "ignored" and flow["environment"] == {"id": ENV_A}
    assert flow["currentVersion"] == 1 and "publishedVersion" not in flow
    assert flow["customTopLevel"] == {"kept": True} and flow["settings"]["useCSP"] == "true"
    assert {c["id"] for c in flow["connectors"]} == {"httpConnector", "variablesConnector"}
    base = f"{emulator.base_url}/v1/environments/{ENV_A}"
    assert flow["_links"]["self"]["href"] == f"{base}/flows/{flow['id']}"
    assert flow["_links"]["environment"]["href"] == base
    assert flow["_links"]["version"]["href"] == f"{base}/flows/{flow['id']}/versions/1"
    read = dv.call("GET", f"/flows/{flow['id']}").json()
    assert read["graphData"]["elements"]["nodes"][0]["data"]["futureKey"] == [1, 2]
    linted = simple_graph()
    linted["allLinterErrors"] = [{"code": "X"}]
    linted["elements"]["nodes"][0]["data"]["linterError"] = [{"code": "X"}]
    replaced = dv.call("PUT", f"/flows/{flow['id']}", {"name": "Login", "graphData": linted, "dvlinterErrorCount": 99}).json()
    assert "allLinterErrors" not in replaced["graphData"] and "linterError" not in replaced["graphData"]["elements"]["nodes"][0]["data"]
    assert replaced["dvlinterErrorCount"] == 0
    listing = dv.call("GET", "/flows").json()
    assert listing["count"] == 1 and listing["_embedded"]["flows"][0]["id"] == flow["id"]
    assert "graphData" not in listing["_embedded"]["flows"][0]
    only = dv.call("GET", f"/flows/{flow['id']}", params={"attributes": "name,enabled"}).json()
    assert set(only) == {"_links", "name", "enabled"}
    listed = dv.call("GET", "/flows", params={"attributes": "name,id"}).json()["_embedded"]["flows"][0]
    assert set(listed) == {"_links", "name", "id"}


def test_validation_errors(dv: DaVinci) -> None:
    cases = [({}, "REQUIRED_VALUE", "name"), ({"name": "x" * 257}, "INVALID_VALUE", "name"), ({"name": "a<b"}, "INVALID_VALUE", "name"),
             ({"name": "a${b}"}, "INVALID_VALUE", "name"), ({"name": "n", "settings": {"logLevel": 5}}, "INVALID_VALUE", "settings.logLevel"),
             ({"name": "n", "description": "d" * 1025}, "INVALID_VALUE", "description"),
             ({"name": "n", "trigger": {"type": "NOPE"}}, "INVALID_VALUE", "trigger.type"),
             ({"flows": [{"name": "a"}]}, "INVALID_VALUE", "flows")]
    for body, code, target in cases:
        error = assert_error(dv.call("POST", "/flows", body), 400, "INVALID_DATA")
        assert any(d["code"] == code and d["target"] == target for d in error["details"]), (body, error)
    assert dv.call("GET", "/flows").json()["count"] == 0


def test_replace_versions_deploy_enable(emulator: EmulatorClient, dv: DaVinci) -> None:
    flow = dv.create_flow({"name": "v1", "graphData": simple_graph()})
    fid = flow["id"]
    emulator.advance_clock(5)
    replaced = dv.call("PUT", f"/flows/{fid}", {"name": "v2", "graphData": simple_graph(), "currentVersion": 99})
    assert replaced.status_code == 200
    assert replaced.json()["currentVersion"] == 2 and replaced.json()["updatedAt"] != flow["updatedAt"]
    deployed = dv.call("POST", f"/flows/{fid}", None, CT_DEPLOY)
    assert deployed.status_code == 201
    assert deployed.json()["publishedVersion"] == 2 and deployed.json()["currentVersion"] == 2 and deployed.json()["deployedAt"]
    dv.call("PUT", f"/flows/{fid}", {"name": "v3"})
    after = dv.call("GET", f"/flows/{fid}").json()
    assert after["currentVersion"] == 3 and after["publishedVersion"] == 2
    versions = dv.call("GET", f"/flows/{fid}/versions").json()["_embedded"]["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert [v["flow"]["name"] for v in versions] == ["v1", "v2", "v3"]
    assert dv.call("GET", f"/flows/{fid}/versions/2").json()["deployedAt"]
    assert dv.export(fid, 1).json()["flow"]["name"] == "v1"
    assert "graphData" not in dv.export(fid, 3).json()
    assert_error(dv.export(fid, 7), 404, "NOT_FOUND")
    enabled = dv.call("PUT", f"/flows/{fid}/enabled", {"enabled": False})
    assert enabled.status_code == 200 and enabled.json()["enabled"] is False and "self" in enabled.json()["_links"]
    assert dv.call("GET", f"/flows/{fid}").json()["enabled"] is False
    assert_error(dv.call("PUT", f"/flows/{fid}/enabled", {"enabled": "no"}), 400, "INVALID_DATA")
    reverted = dv.call("POST", f"/flows/{fid}/versions/1", None, CT_REVERT)
    assert reverted.status_code == 200 and reverted.json()["currentVersion"] == 4 and reverted.json()["name"] == "v1"
    alias = dv.call("PUT", f"/flows/{fid}/versions/1/alias", {"alias": "first"})
    assert alias.json()["alias"] == "first" and dv.call("GET", f"/flows/{fid}/versions/1").json()["alias"] == "first"
    details = dv.call("GET", f"/flows/{fid}/versions/1/details").json()
    assert details["graphData"]["elements"]["nodes"][0]["data"]["id"] == "aaaaaaaaaa"
    assert details["_links"]["connectorInstances.aaaaaaaaaa"]["href"].endswith(f"/connectorInstances/{HTTP_INSTANCE}")
    assert_error(dv.call("DELETE", f"/flows/{fid}/versions/4"), 400, "INVALID_DATA")
    assert dv.call("DELETE", f"/flows/{fid}/versions/3").status_code == 204


def test_clone_validate_and_delete(emulator: EmulatorClient, dv: DaVinci) -> None:
    flow = dv.create_flow({"name": "orig", "graphData": simple_graph()})
    clone = dv.call("POST", f"/flows/{flow['id']}", None, CT_CLONE)
    assert clone.status_code == 201
    assert clone.json()["id"] != flow["id"] and clone.json()["name"] != "orig" and clone.json()["environment"]["id"] == ENV_A
    bad_graph = {"graphData": {"elements": {"nodes": [{"data": {"id": "n1", "nodeType": "EVAL"}}],
                                            "edges": [{"data": {"id": "e1", "source": "n1", "target": "ghost"}}]}}}
    emulator.clear_requests()
    validated = dv.call("POST", f"/flows/{flow['id']}", bad_graph, CT_VALIDATE)
    assert validated.status_code == 200 and validated.json()["dvlinterErrorCount"] == 1
    assert dv.call("GET", f"/flows/{flow['id']}").json()["dvlinterErrorCount"] == 0  # no side effect
    assert emulator.requests(provider="davinci", write=True) == []
    assert dv.call("DELETE", f"/flows/{clone.json()['id']}").status_code == 204
    assert dv.call("DELETE", f"/flows/{clone.json()['id']}").status_code == 404
    assert_error(dv.call("GET", f"/flows/{clone.json()['id']}"), 404, "NOT_FOUND")


def test_delete_flow_in_flow_policy(emulator: EmulatorClient, dv: DaVinci) -> None:
    flow = dv.create_flow({"name": "in policy"})
    policy = {"id": "p1", "name": "app policy", "flowDistributions": [{"id": flow["id"], "version": 1}]}
    emulator.seed({"davinci": {"environments": [{"id": ENV_A, "flow_policies": [policy]}]}})
    error = assert_error(dv.call("DELETE", f"/flows/{flow['id']}"), 400, "INVALID_DATA")
    assert "This Flow is in a Application Flow Policy" in error["details"][0]["message"]
    assert dv.call("GET", f"/flows/{flow['id']}").status_code == 200


def test_default_input_schema_for_authentication_flows(dv: DaVinci) -> None:
    flow = dv.create_flow({"name": "auth", "trigger": {"type": "AUTHENTICATION"}})
    names = [item["propertyName"] for item in flow["inputSchema"]]
    assert names == ["loginHint", "maxSecondsSinceLastSignOn", "authorizationRequest", "samlRequest", "wsFedRequest", "application", "relayState"]
    custom = dv.create_flow({"name": "auth2", "trigger": {"type": "AUTHENTICATION"}, "inputSchema": []})
    assert custom["inputSchema"] == []
    assert "inputSchema" not in dv.create_flow({"name": "plain"})


def test_environment_isolation(dv: DaVinci) -> None:
    flow = dv.create_flow({"name": "only in A"})
    assert_error(dv.call("GET", f"/flows/{flow['id']}", env=ENV_B), 404, "NOT_FOUND")
    assert_error(dv.export(flow["id"], 1, env=ENV_B), 404, "NOT_FOUND")
    assert_error(dv.call("GET", f"/connectorInstances/{HTTP_INSTANCE}", env=ENV_B), 404, "NOT_FOUND")
    assert dv.call("GET", "/flows", env=ENV_B).json()["count"] == 0


# -- export ------------------------------------------------------------------------------------------------
def test_export_shape_subflows_and_variable_values(dv: DaVinci) -> None:
    sub = dv.create_flow({"name": "sub", "graphData": simple_graph()})
    parent = dv.create_flow({"name": "parent", "graphData": simple_graph(subflow_id=sub["id"])})
    var = dv.call("POST", "/variables", {"name": "fv", "context": "flow", "dataType": "string", "mutable": True, "value": "x",
                                         "flow": {"id": parent["id"]}})
    assert var.status_code == 201
    no_body = dv.export(parent["id"], 1)
    assert no_body.status_code == 200
    export = no_body.json()
    assert export["flow"] == {"id": parent["id"], "name": "parent"} and export["version"] == 1
    assert "publishedVersion" in export and "_embedded" not in export
    assert export["variables"][0]["name"] == f"fv##SK##flow##SK##{parent['id']}" and "value" not in export["variables"][0]["fields"]
    save_items = export["graphData"]["elements"]["nodes"][1]["data"]["properties"]["saveVariables"]["value"]
    assert "value" not in save_items[0] and save_items[0]["key"] == 0.25
    full = dv.export(parent["id"], 1, {"includeSubFlows": True, "includeVariableValues": True}).json()
    assert isinstance(full["_embedded"], list) and [e["flow"]["id"] for e in full["_embedded"]] == [sub["id"]]
    assert full["variables"][0]["fields"]["value"] == "x" and full["variables"][0]["companyId"] == ENV_A
    assert full["graphData"]["elements"]["nodes"][1]["data"]["properties"]["saveVariables"]["value"][0]["value"] == "secret-ish"
    assert_error(dv.export(parent["id"], 1, {"includeSubFlows": "yes"}), 400, "INVALID_DATA")


def test_numbers_keep_their_literal_text(dv: DaVinci) -> None:
    raw = ('{"name": "nums", "graphData": {"minZoom": 1e-50, "maxZoom": 1E+50, "zoom": 1.50, "pan": {"x": 12345678901234567890, "y": -0.0},'
           ' "elements": {"nodes": []}}}')
    created = dv.call("POST", "/flows", raw=raw, content_type=CT_JSON)
    assert created.status_code == 201, created.text
    for text in (created.text, dv.export(created.json()["id"], 1).text, dv.call("GET", f"/flows/{created.json()['id']}").text):
        assert '"minZoom":1e-50' in text and '"maxZoom":1E+50' in text and '"zoom":1.50' in text
        assert '"x":12345678901234567890' in text and '"y":-0.0' in text


def test_legacy_multi_flow_import_remaps_subflows(dv: DaVinci) -> None:
    sub_src, main_src = "1" * 32, "2" * 32
    sub = {"flowId": sub_src, "name": "child", "flowStatus": "enabled", "graphData": simple_graph(), "companyId": "x", "currentVersion": 7,
           "variables": [{"name": f"fvar##SK##flow##SK##{sub_src}", "context": "flow", "flowId": sub_src, "type": "property",
                          "fields": {"type": "string", "mutable": True, "value": "v"}}]}
    main = {"flowId": main_src, "parentFlowId": main_src, "name": "parent", "flowStatus": "enabled", "graphData": simple_graph(subflow_id=sub_src),
            "flowColor": "#abc", "timeouts": "null"}
    response = dv.import_legacy({"flows": [sub, main], "companyId": "x"}, "Parent renamed", {sub_src: "child renamed"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["flow"]["name"] == "Parent renamed" and body["version"] == 1 and body["publishedVersion"] == 1
    assert body["color"] == "#abc" and body["timeouts"] == "null" and body["parentFlowId"] == body["flow"]["id"]
    assert [e["flow"]["name"] for e in body["_embedded"]] == ["child renamed"]
    child_id = body["_embedded"][0]["flow"]["id"]
    assert child_id not in (sub_src, main_src)
    ref = body["graphData"]["elements"]["nodes"][2]["data"]["properties"]["subFlowId"]["value"]
    assert ref == {"label": "sub", "value": child_id}
    assert body["_embedded"][0]["variables"][0]["name"] == f"fvar##SK##flow##SK##{child_id}"
    export = dv.export(body["flow"]["id"], 1, {"includeSubFlows": True}).json()
    assert [e["flow"]["id"] for e in export["_embedded"]] == [child_id]
    variables = dv.call("GET", "/variables").json()["_embedded"]["variables"]
    assert [(v["name"], v["flow"]["id"]) for v in variables] == [("fvar", child_id)]
    bad = dv.call("POST", "/flows", {"name": "x", "flowInfo": {"flows": []}, "flowNameMapping": {}}, CT_IMPORT_LEGACY)
    assert_error(bad, 400, "INVALID_DATA")
    missing = dv.call("POST", "/flows", {"flowInfo": main}, CT_IMPORT_LEGACY)
    assert {d["target"] for d in assert_error(missing, 400, "INVALID_DATA")["details"]} == {"name", "flowNameMapping"}


def test_import_of_pingone_export_shape(dv: DaVinci) -> None:
    source = dv.create_flow({"name": "src", "graphData": simple_graph()})
    export = dv.export(source["id"], 1, {"includeVariableValues": True}).json()
    response = dv.call("POST", "/flows", {"name": "copy", "flowInfo": export, "flowNameMapping": {}}, CT_IMPORT, env=ENV_B)
    assert response.status_code == 201, response.text
    imported = response.json()
    assert imported["environment"]["id"] == ENV_B and imported["flow"]["name"] == "copy"
    assert imported["graphData"] == export["graphData"]


# -- variables ----------------------------------------------------------------------------------------------
def test_variables_crud_validation_and_masking(dv: DaVinci) -> None:
    created = dv.call("POST", "/variables", {"name": "apiKey", "context": "company", "dataType": "secret", "mutable": True, "value": "hunter2"})
    assert created.status_code == 201 and created.json()["value"] == "******" and "hunter2" not in created.text
    vid = created.json()["id"]
    assert len(vid) == 36 and dv.call("GET", f"/variables/{vid}").json()["value"] == "******"
    bad = [({"name": "a", "context": "galaxy", "dataType": "string", "mutable": True}, "context"),
           ({"name": "a", "context": "company", "dataType": "blob", "mutable": True}, "dataType"),
           ({"name": "a", "context": "flow", "dataType": "string", "mutable": True}, "flow.id"),
           ({"name": "a", "context": "company", "dataType": "string", "mutable": True, "flow": {"id": "x"}}, "flow"),
           ({"name": "a", "context": "flowInstance", "dataType": "secret", "mutable": True}, "dataType"),
           ({"name": "a", "context": "company", "dataType": "string"}, "mutable"),
           ({"name": "a", "context": "company", "dataType": "string", "mutable": False}, "mutable"),
           ({"name": "a", "context": "company", "dataType": "boolean", "mutable": True, "value": "maybe"}, "value"),
           ({"name": "apiKey", "context": "company", "dataType": "string", "mutable": True}, "name")]
    for body, target in bad:
        error = assert_error(dv.call("POST", "/variables", body), 400, "INVALID_DATA")
        assert target in {d["target"] for d in error["details"]}, (body, error)
    ok = dv.call("POST", "/variables", {"name": "flag", "context": "company", "dataType": "boolean", "mutable": True, "value": "false"})
    assert ok.status_code == 201 and ok.json()["value"] == "false"
    new_body = {"name": "flag", "context": "company", "dataType": "boolean", "mutable": False, "value": True, "displayName": "Flag"}
    replaced = dv.call("PUT", f"/variables/{ok.json()['id']}", new_body)
    assert replaced.status_code == 200 and replaced.json()["value"] is True and replaced.json()["displayName"] == "Flag"
    assert dv.call("DELETE", f"/variables/{vid}").status_code == 204
    assert_error(dv.call("GET", f"/variables/{vid}"), 404, "NOT_FOUND")


def test_variables_pagination(dv: DaVinci) -> None:
    for index in range(23):
        assert dv.call("POST", "/variables", {"name": f"v{index:02d}", "context": "flowInstance", "dataType": "string", "mutable": True}).status_code == 201
    first = dv.call("GET", "/variables").json()
    assert first["size"] == 10 and first["count"] == 23 and "next" in first["_links"]
    names: list[str] = []
    url: str | None = f"{dv.base_url}/v1/environments/{ENV_A}/variables?limit=7"
    while url:
        page = dv.session.get(url, headers={"Authorization": f"Bearer {dv.token}"}).json()
        names += [v["name"] for v in page["_embedded"]["variables"]]
        url = page["_links"].get("next", {}).get("href")
    assert names == [f"v{index:02d}" for index in range(23)]
    assert_error(dv.call("GET", "/variables", params={"limit": "501"}), 400, "INVALID_DATA")
    assert_error(dv.call("GET", "/variables", params={"limit": "0"}), 400, "INVALID_DATA")
    assert_error(dv.call("GET", "/variables", params={"cursor": "garbage!"}), 400, "INVALID_DATA")
    assert dv.call("GET", "/variables", params={"limit": "500"}).json()["size"] == 23
    filtered = dv.call("GET", "/variables", params={"filter": 'name eq "v05"'}).json()
    assert [v["name"] for v in filtered["_embedded"]["variables"]] == ["v05"]


# -- connector instances -------------------------------------------------------------------------------
def test_connector_instances(dv: DaVinci) -> None:
    listing = dv.call("GET", "/connectorInstances").json()
    assert [i["id"] for i in listing["_embedded"]["connectorInstances"]] == [HTTP_INSTANCE]
    one = dv.call("GET", f"/connectorInstances/{HTTP_INSTANCE}").json()
    assert one["connector"] == {"id": "httpConnector"} and one["name"] == "Http" and one["environment"] == {"id": ENV_A}
    created = dv.call("POST", "/connectorInstances", {"name": "Err", "connector": {"id": "errorConnector"}})
    assert created.status_code == 201 and len(created.json()["id"]) == 32
    assert_error(dv.call("POST", "/connectorInstances", {"name": "x"}), 400, "INVALID_DATA")
    connectors = dv.call("GET", "/connectors").json()["_embedded"]["connectors"]
    assert {"httpConnector", "errorConnector"} <= {c["id"] for c in connectors}


@pytest.mark.parametrize("content_type", [CT_INSTANCE_CLONE, CT_INSTANCE_CLONE.lower(), CT_INSTANCE_CLONE.upper() + "; charset=UTF-8"])
def test_connector_instance_clone(emulator: EmulatorClient, dv: DaVinci, content_type: str) -> None:
    """The clone route is reached whatever the case of the media type (media types are case-insensitive)."""
    emulator.clear_requests()
    clone = dv.call("POST", f"/connectorInstances/{HTTP_INSTANCE}", {}, content_type)
    assert clone.status_code == 201, clone.text
    body = clone.json()
    assert body["id"] != HTTP_INSTANCE and len(body["id"]) == 32
    assert body["name"] == "Http - Copy" and body["connector"] == {"id": "httpConnector"} and body["environment"] == {"id": ENV_A}
    listing = dv.call("GET", "/connectorInstances").json()["_embedded"]["connectorInstances"]
    assert sorted(i["id"] for i in listing) == sorted([HTTP_INSTANCE, body["id"]])
    assert [(e["method"], e["status"], e["write"]) for e in emulator.requests(provider="davinci")][0] == ("POST", 201, True)
    assert_error(dv.call("POST", "/connectorInstances/" + "0" * 32, {}, content_type), 404, "NOT_FOUND")
    assert_error(dv.call("POST", f"/connectorInstances/{HTTP_INSTANCE}", {}, CT_JSON), 415, "INVALID_REQUEST")


# -- faults: content type, token expiry ------------------------------------------------------------------------
def test_fault_matched_by_content_type(emulator: EmulatorClient, dv: DaVinci) -> None:
    """Deploy, clone and validate share one URL: a rule can pick one of them by its Content-Type."""
    flow = dv.create_flow({"name": "ct"})
    rule = emulator.add_fault({"provider": "davinci", "method": "POST", "path": "/flows/[^/]+$", "content_type": r"flow\.deploy\+json",
                               "action": {"type": "respond", "status": 503}})
    assert dv.call("POST", f"/flows/{flow['id']}", {}, CT_CLONE).status_code == 201
    assert dv.call("POST", f"/flows/{flow['id']}", {"graphData": {}}, CT_VALIDATE).status_code == 200
    assert_error(dv.call("POST", f"/flows/{flow['id']}", None, CT_DEPLOY.upper()), 503, "UNEXPECTED_ERROR")  # case-insensitive
    assert dv.call("GET", f"/flows/{flow['id']}").json().get("publishedVersion") is None  # the deploy never ran
    (entry,) = [r for r in emulator.faults() if r["id"] == rule]
    assert (entry["matched"], entry["fired"], entry["content_type"]) == (1, 1, r"flow\.deploy\+json")


def test_fault_expire_token_from_request_n_on(emulator: EmulatorClient, dv: DaVinci) -> None:
    """A token issued, then rejected with 401 from the 3rd API call on; a fresh token works again."""
    emulator.add_fault({"provider": "davinci", "path": "^/v1/environments/", "nth": 3, "action": {"type": "expire_token"}})
    assert dv.call("GET", "/flows").status_code == 200
    assert dv.call("GET", "/flows").status_code == 200
    for _call in range(2):
        body = assert_error(dv.call("GET", "/flows"), 401, "ACCESS_FAILED")
        assert body["details"][0]["code"] == "INVALID_TOKEN"
    dv.login()
    assert dv.call("GET", "/flows").status_code == 200
    log = [(e["status"], (e["fault"] or "").split(":")[0]) for e in emulator.requests(provider="davinci")]
    assert log[-6:] == [(200, ""), (200, ""), (401, "expire_token"), (401, ""), (200, ""), (200, "")]


def test_fault_token_dead_on_arrival(emulator: EmulatorClient, dv: DaVinci) -> None:
    """The next token issued looks normal (expires_in as usual) but dies at once: the one after works."""
    emulator.add_fault({"provider": "davinci", "path": "/as/token$", "nth": 1, "action": {"type": "expire_token"}})
    dead = dv.get_token()  # the fixture's login came before the rule: rules count only later requests
    assert dead.status_code == 200 and dead.json()["expires_in"] == 3600
    assert_error(dv.call("GET", "/flows", token=dead.json()["access_token"]), 401, "ACCESS_FAILED")
    assert dv.call("GET", "/flows").status_code == 200  # the first token is unaffected
    fresh = dv.get_token().json()["access_token"]
    assert dv.call("GET", "/flows", token=fresh).status_code == 200
    with pytest.raises(EmulatorError):
        emulator.add_fault({"provider": "koreai", "path": "/", "action": {"type": "expire_token"}})


# -- core integration ----------------------------------------------------------------------------------------
def test_request_log_write_classification(emulator: EmulatorClient, dv: DaVinci) -> None:
    flow = dv.create_flow({"name": "log"})
    emulator.clear_requests()
    dv.export(flow["id"], 1)
    dv.call("POST", f"/flows/{flow['id']}", {"graphData": {}}, CT_VALIDATE)
    dv.call("GET", f"/flows/{flow['id']}")
    dv.get_token()
    assert emulator.requests(provider="davinci", write=True) == []
    dv.call("POST", f"/flows/{flow['id']}", {}, CT_DEPLOY)
    dv.call("PUT", f"/flows/{flow['id']}/enabled", {"enabled": True})
    dv.call("POST", f"/flows/{flow['id']}/versions/1", None, CT_REVERT)
    writes = emulator.requests(provider="davinci", write=True)
    assert [w["status"] for w in writes] == [201, 200, 200]
    assert {w["tenant"] for w in writes} == {ENV_A}
    assert emulator.counts()["davinci"][ENV_A]["writes_ok"] == 3


def test_faults_use_the_pingone_error_shape(emulator: EmulatorClient, dv: DaVinci) -> None:
    emulator.add_fault({"provider": "davinci", "path": "/flows$", "nth": 1, "action": {"type": "respond", "status": 429,
                                                                                       "headers": {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}}})
    limited = dv.call("GET", "/flows")
    assert_error(limited, 429, "REQUEST_LIMITED")
    assert limited.headers["Retry-After"] == "Wed, 21 Oct 2026 07:28:00 GMT"
    emulator.add_fault({"provider": "davinci", "path": "/flows$", "nth": 1, "action": {"type": "respond", "status": 503, "headers": {"Retry-After": "2"}}})
    unavailable = dv.call("GET", "/flows")
    assert unavailable.status_code == 503 and unavailable.headers["Retry-After"] == "2" and "code" in unavailable.json()
    emulator.add_fault({"provider": "davinci", "path": "/flows$", "nth": 1, "action": {"type": "respond", "status": 500}})
    assert_error(dv.call("GET", "/flows"), 500, "UNEXPECTED_ERROR")
    assert dv.call("GET", "/flows").status_code == 200


def test_snapshot_restore_is_exact(emulator: EmulatorClient, dv: DaVinci) -> None:
    raw = '{"name": "snap", "graphData": {"maxZoom": 1E+50, "elements": {"nodes": []}}, "settings": {"logLevel": 3}}'
    flow = dv.call("POST", "/flows", raw=raw, content_type=CT_JSON).json()
    dv.call("PUT", f"/flows/{flow['id']}", raw=raw.replace("snap", "snap2"), content_type=CT_JSON)
    dv.call("POST", "/variables", {"name": "s", "context": "company", "dataType": "secret", "mutable": True, "value": "pw"})
    before = [dv.export(flow["id"], n, {"includeVariableValues": True}).text for n in (1, 2)]
    snapshot = emulator.snapshot()
    emulator.reset()
    assert_error(dv.call("GET", "/flows"), 401, "ACCESS_FAILED")  # tokens are not part of the state
    emulator.restore(snapshot)  # issued tokens are part of the state
    after = [dv.export(flow["id"], n, {"includeVariableValues": True}).text for n in (1, 2)]
    assert after == before and '"maxZoom":1E+50' in after[0]
    assert emulator.snapshot() == snapshot


def test_seed_flows_in_both_shapes(emulator: EmulatorClient) -> None:
    legacy = {"flowId": "a" * 32, "name": "legacy seeded", "flowStatus": "enabled", "currentVersion": 3, "publishedVersion": 3,
              "graphData": simple_graph(), "variables": [{"name": "c1##SK##company", "context": "company", "fields": {"type": "string", "value": "v"}}]}
    pingone = {"id": "b" * 32, "name": "pingone seeded", "enabled": False, "graphData": simple_graph()}
    emulator.seed(base_seed([{"id": ENV_OTHER.replace("c", "d"), "flows": [legacy, pingone]}]))
    client = DaVinci(emulator.base_url)
    client.login()
    env = ENV_OTHER.replace("c", "d")
    flows = {f["id"]: f for f in client.call("GET", "/flows", env=env).json()["_embedded"]["flows"]}
    assert flows["a" * 32]["currentVersion"] == 3 and flows["a" * 32]["publishedVersion"] == 3
    assert flows["b" * 32]["enabled"] is False and "publishedVersion" not in flows["b" * 32]
    export = client.export("a" * 32, 3, {"includeVariableValues": True}, env=env).json()
    assert export["variables"][0]["name"] == "c1##SK##company" and export["variables"][0]["fields"]["value"] == "v"
    with pytest.raises(EmulatorError):
        emulator.seed({"davinci": {"environments": [{"flows": []}]}})
