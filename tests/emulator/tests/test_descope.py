"""Descope management API emulation over real HTTP (reference: shared/reference/descope.md)."""
from __future__ import annotations

import copy
import json
import pathlib

import pytest
import requests

from emulator.client import EmulatorClient
from shared_samples import sample  # pylint: disable=import-error

SAMPLES = sorted(pathlib.Path(sample("descope")).glob("*.json"))
PID = "P2aAc4T2V93bddihGEx2Ryhc8e5Z"
KEY = "K2testKey"
AUTH = {"Authorization": f"Bearer {PID}:{KEY}"}
FLOW = {
    "flowId": "my-flow", "metadata": {"name": "My flow", "componentsVersion": "2.0.100", "zeta": 1, "alpha": 2},
    "contents": {"startTask": "0", "tasks": {"0": {"id": "0", "ratio": 1e-50, "weights": [3, 1, 2]}}},
    "screens": [{"screenId": "SC2", "interactions": [], "contents": {}}], "references": {}, "unknownTopLevel": {"kept": True},
}
ERROR_KEYS = {"errorCode", "errorDescription", "errorMessage"}


def post(emu: EmulatorClient, path: str, body: object = None, headers: dict | None = None, data: str | bytes | None = None) -> requests.Response:
    kwargs: dict = {"headers": {**AUTH, **(headers or {})}, "timeout": 10}
    if data is not None:
        kwargs["data"] = data
    elif body is not None:
        kwargs["json"] = body
    return requests.post(emu.url(path), **kwargs)


@pytest.fixture()
def project(emulator: EmulatorClient) -> EmulatorClient:
    emulator.seed({"descope": {"projects": [{"project_id": PID, "management_key": KEY,
                                             "flows": {"sign-up-or-in": {"metadata": {"name": "Sign up or in"}, "contents": {}}}}]}})
    return emulator


def assert_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["errorCode"] == code


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_samples_round_trip(project: EmulatorClient, sample: pathlib.Path) -> None:
    raw = sample.read_text(encoding="utf-8")
    doc = json.loads(raw)
    assert post(project, "/v2/mgmt/flow/import", data='{"flow": ' + raw + "}", headers={"Content-Type": "application/json"}).json() == {}
    exported = post(project, "/v2/mgmt/flow/export", {"flowId": doc["flowId"]})
    assert exported.status_code == 200
    assert exported.json() == {"flow": doc}
    # byte-level: key order and literals as sent
    assert exported.text == '{"flow":' + json.dumps(doc, separators=(",", ":")) + "}"


def test_export_is_verbatim_including_number_literals(project: EmulatorClient) -> None:
    raw = json.dumps({"flow": FLOW}).replace('"zeta": 1', '"zeta": 1.0').replace("1e-50", "1E-50")
    assert "1E-50" in raw and '"zeta": 1.0' in raw
    assert post(project, "/v2/mgmt/flow/import", data=raw).status_code == 200
    text = post(project, "/v2/mgmt/flow/export", {"flowId": "my-flow"}).text
    assert '"ratio":1E-50' in text and '"zeta":1.0' in text
    assert json.loads(text)["flow"] == FLOW
    assert list(json.loads(text)["flow"]["metadata"]) == ["name", "componentsVersion", "zeta", "alpha"]
    # the snapshot keeps the literals too
    snapshot = requests.get(project.url("/_emulator/snapshot"), timeout=10).text
    assert "1E-50" in snapshot


def test_import_replaces_whole_and_forces_nothing_else(project: EmulatorClient) -> None:
    post(project, "/v2/mgmt/flow/import", {"flow": FLOW, "skipRender": True, "changelog": "first"})
    smaller = {"flowId": "my-flow", "metadata": {"name": "Renamed"}, "contents": {}}
    post(project, "/v2/mgmt/flow/import", {"flow": smaller})
    assert post(project, "/v2/mgmt/flow/export", {"flowId": "my-flow"}).json() == {"flow": smaller}


@pytest.mark.parametrize("body", [
    {"flow": {"flowId": "x", "contents": {}}},
    {"flow": {"flowId": "x", "metadata": {}}},
    {"flow": {"flowId": "x", "metadata": [], "contents": {}}},
    {"flow": {"metadata": {}, "contents": {}}},
    {"flow": {"flowId": "../etc", "metadata": {}, "contents": {}}},
    {"flow": {"flowId": "x", "metadata": {}, "contents": {}, "screens": {}}},
    {"flow": {"flowId": "x", "metadata": {}, "contents": {}}, "skipRender": "yes"},
    {"flow": "text"},
    [1, 2],
])
def test_import_validation(project: EmulatorClient, body: object) -> None:
    assert_error(post(project, "/v2/mgmt/flow/import", body), 400, "E011003")
    assert post(project, "/v1/mgmt/flow/list").json()["total"] == 1


@pytest.mark.parametrize("path", ["/v2/mgmt/flow/import", "/v2/mgmt/flow/export", "/v1/mgmt/flow/list", "/v1/mgmt/flow/delete", "/v2/mgmt/theme/import"])
def test_malformed_json_is_400_without_trace(project: EmulatorClient, path: str) -> None:
    response = post(project, path, data='{"flow": {"flowId": ', headers={"Content-Type": "application/json"})
    assert_error(response, 400, "E011003")
    assert "Traceback" not in response.text


def test_export_unknown_and_missing_flow_id(project: EmulatorClient) -> None:
    assert_error(post(project, "/v2/mgmt/flow/export", {"flowId": "nope"}), 404, "E404000")
    assert_error(post(project, "/v2/mgmt/flow/export", {}), 400, "E011003")


@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer", f"Bearer {PID}", f"Bearer {PID}:wrong", "Bearer P2unknownProject:K2testKey", f"Bearer {KEY}"])
def test_auth_failures_are_401_with_descope_body(project: EmulatorClient, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = requests.post(project.url("/v1/mgmt/flow/list"), headers=headers, timeout=10)
    assert_error(response, 401, "E401000")


def test_password_segment_is_tolerated(project: EmulatorClient) -> None:
    response = requests.post(project.url("/v1/mgmt/flow/list"), headers={"Authorization": f"Bearer {PID}:pswd:{KEY}"}, timeout=10)
    assert response.status_code == 200


def test_list_bodies_and_filter(project: EmulatorClient) -> None:
    post(project, "/v2/mgmt/flow/import", {"flow": {**FLOW, "metadata": {"name": "Mine", "description": "d", "disabled": True}}})
    empty = requests.post(project.url("/v1/mgmt/flow/list"), data=b"", headers={**AUTH, "Content-Type": "application/json"}, timeout=10)
    assert empty.status_code == 200
    expected = [{"id": "sign-up-or-in", "name": "Sign up or in", "description": "", "disabled": False},
                {"id": "my-flow", "name": "Mine", "description": "d", "disabled": True}]
    assert empty.json() == {"flows": expected, "total": 2}
    assert post(project, "/v1/mgmt/flow/list", {}).json() == {"flows": expected, "total": 2}
    assert post(project, "/v1/mgmt/flow/list", {"ids": ["my-flow"]}).json() == {"flows": expected[1:], "total": 1}
    assert_error(post(project, "/v1/mgmt/flow/list", {"ids": "my-flow"}), 400, "E011003")


def test_delete(project: EmulatorClient) -> None:
    post(project, "/v2/mgmt/flow/import", {"flow": FLOW})
    assert post(project, "/v1/mgmt/flow/delete", {"ids": ["my-flow", "never-existed"]}).json() == {}
    assert_error(post(project, "/v2/mgmt/flow/export", {"flowId": "my-flow"}), 404, "E404000")
    assert_error(post(project, "/v1/mgmt/flow/delete", {"ids": []}), 400, "E011003")


@pytest.mark.parametrize("builtin", ["sign-up-or-in", "sign-up", "sign-in", "step-up"])
def test_builtin_flows_cannot_be_deleted(project: EmulatorClient, builtin: str) -> None:
    post(project, "/v2/mgmt/flow/import", {"flow": FLOW})
    response = post(project, "/v1/mgmt/flow/delete", {"ids": ["my-flow", builtin]})
    assert_error(response, 400, "E011003")
    assert builtin in response.json()["errorMessage"]
    assert post(project, "/v1/mgmt/flow/list").json()["total"] == 2  # nothing deleted


def test_theme_export_import_upserts(project: EmulatorClient) -> None:
    empty = requests.post(project.url("/v2/mgmt/theme/export"), headers=AUTH, timeout=10)
    assert empty.json() == {"theme": {"componentsVersion": "2.0.463", "styles": {}}}
    theme = {"styles": {"light": {"a": 1}, "dark": {"b": 2}}, "componentsVersion": "2.0.500", "references": {}}
    assert post(project, "/v2/mgmt/theme/import", {"theme": theme}).json() == {}
    assert post(project, "/v2/mgmt/theme/export", {}).json() == {"theme": theme}
    post(project, "/v2/mgmt/theme/import", {"theme": {"styles": {"light": {"a": 9}, "custom": {"c": 3}}}})
    stored = post(project, "/v2/mgmt/theme/export").json()["theme"]
    assert stored["styles"] == {"light": {"a": 9}, "dark": {"b": 2}, "custom": {"c": 3}}
    assert_error(post(project, "/v2/mgmt/theme/import", {"theme": {"styles": []}}), 400, "E011003")


def test_error_body_detail_in_error_message(project: EmulatorClient) -> None:
    """errorDescription is the code's fixed text, errorMessage the detail of this failure (reference §4)."""
    response = post(project, "/v2/mgmt/flow/import", {"flow": {"flowId": "x", "metadata": {}}})
    assert_error(response, 400, "E011003")
    body = response.json()
    assert body["errorDescription"] == "Request is invalid"
    assert "contents" in body["errorMessage"]
    missing = post(project, "/v2/mgmt/flow/export", {"flowId": "nope"}).json()
    assert missing == {"errorCode": "E404000", "errorDescription": "Not found", "errorMessage": "Flow nope not found"}
    unauthorized = requests.post(project.url("/v1/mgmt/flow/list"), headers={"Authorization": f"Bearer {PID}:wrong"}, timeout=10)
    assert unauthorized.json() == {"errorCode": "E401000", "errorDescription": "Unauthorized", "errorMessage": "Invalid management key or project id"}
    project.add_fault({"provider": "descope", "path": "/flow/list", "times": 1, "action": {"type": "respond", "status": 503}})
    injected = post(project, "/v1/mgmt/flow/list").json()
    assert injected["errorCode"] == "E503000" and injected["errorMessage"].startswith("Injected fault")


@pytest.mark.parametrize("path", ["/v2/mgmt/flow/export", "/v1/mgmt/flow/export"])
def test_behaviour_missing_flow_400(project: EmulatorClient, path: str) -> None:
    """Switch: an export of a missing flow answers 400 with a message that does not say the flow is absent."""
    url = project.url(f"/_emulator/descope/projects/{PID}/behaviour")
    assert requests.get(url, timeout=10).json()["missing_flow_400"] is False
    assert_error(post(project, path, {"flowId": "nope"}), 404, "E404000")
    assert requests.put(url, json={"missing_flow_400": True}, timeout=10).json()["missing_flow_400"] is True
    response = post(project, path, {"flowId": "nope"})
    assert_error(response, 400, "E011003")
    text = response.text.lower()
    assert "not found" not in text and "not exist" not in text and "nope" not in text
    assert post(project, path, {"flowId": "sign-up-or-in"}).status_code == 200  # present flows are unaffected
    assert requests.put(url, json={"missing_flow_400": False}, timeout=10).status_code == 200
    assert_error(post(project, path, {"flowId": "nope"}), 404, "E404000")


def test_legacy_v1_theme_replaces_whole_theme(project: EmulatorClient) -> None:
    empty = post(project, "/v1/mgmt/theme/export", {}).json()
    assert set(empty) == {"theme"} and set(empty["theme"]) == {"id", "cssTemplate"}
    assert empty["theme"]["cssTemplate"] == {"componentsVersion": "2.0.463", "styles": {}}
    theme_id = empty["theme"]["id"]
    saved = {"styles": {"light": {"a": 1}, "dark": {"b": 2}}, "componentsVersion": "2.0.500", "references": {"x": 1}}
    post(project, "/v2/mgmt/theme/import", {"theme": saved})
    exported = post(project, "/v1/mgmt/theme/export", {}).json()
    assert exported == {"theme": {"id": theme_id, "cssTemplate": saved}}
    post(project, "/v2/mgmt/theme/import", {"theme": {"styles": {"custom": {"c": 3}}, "componentsVersion": "2.0.600"}})
    # v1 import restores the saved theme exactly: the style added since then is gone (whole replacement, reference §1.2)
    restored = post(project, "/v1/mgmt/theme/import", {"theme": exported["theme"]})
    assert restored.status_code == 200 and restored.json() == exported
    assert post(project, "/v2/mgmt/theme/export").json() == {"theme": saved}
    assert_error(post(project, "/v1/mgmt/theme/import", {"theme": {"id": theme_id}}), 400, "E011003")
    assert_error(post(project, "/v1/mgmt/theme/import", {"theme": {"cssTemplate": {"styles": []}}}), 400, "E011003")
    assert post(project, "/v2/mgmt/theme/export").json() == {"theme": saved}  # rejected imports change nothing
    assert [(e["path"], e["write"]) for e in project.requests(tenant=PID) if "/v1/mgmt/theme/" in e["path"]] == [
        ("/v1/mgmt/theme/export", False), ("/v1/mgmt/theme/export", False), ("/v1/mgmt/theme/import", True),
        ("/v1/mgmt/theme/import", True), ("/v1/mgmt/theme/import", True),
    ]


def test_license(project: EmulatorClient) -> None:
    response = requests.get(project.url("/v1/mgmt/license"), headers=AUTH, timeout=10)
    assert response.json() == {"rateLimitTier": "tier1"}


def test_behaviour_bump_components_version(project: EmulatorClient) -> None:
    url = project.url(f"/_emulator/descope/projects/{PID}/behaviour")
    assert requests.put(url, json={"bump_components_version": True, "components_version": "2.0.999"}, timeout=10).json()["bump_components_version"]
    post(project, "/v2/mgmt/flow/import", {"flow": FLOW})
    exported = post(project, "/v2/mgmt/flow/export", {"flowId": "my-flow"}).json()["flow"]
    expected = copy.deepcopy(FLOW)
    expected["metadata"]["componentsVersion"] = "2.0.999"
    assert exported == expected
    assert requests.put(url, json={"nope": True}, timeout=10).status_code == 400
    assert requests.put(project.url("/_emulator/descope/projects/P2missing/behaviour"), json={}, timeout=10).status_code == 404


def test_behaviour_server_defaults_from_seed(emulator: EmulatorClient) -> None:
    emulator.seed({"descope": {"projects": [{"project_id": PID, "management_key": KEY, "flows": {"my-flow": FLOW},
                                             "behaviour": {"add_server_defaults": True, "fill_empty_metadata": True}}]}})
    exported = post(emulator, "/v2/mgmt/flow/export", {"flowId": "my-flow"}).json()["flow"]
    assert exported["serverDefault"] is True
    assert exported["metadata"]["description"] == "" and exported["metadata"]["disabled"] is False
    # not stored: the snapshot holds the document as imported
    stored = emulator.snapshot()["descope"]["projects"][0]["flows"]["my-flow"]
    assert stored == FLOW


def test_write_classification_and_tenant(project: EmulatorClient) -> None:
    post(project, "/v2/mgmt/flow/import", {"flow": FLOW})
    post(project, "/v2/mgmt/flow/export", {"flowId": "my-flow"})
    post(project, "/v2/mgmt/theme/import", {"theme": {"styles": {}}})
    post(project, "/v2/mgmt/theme/export")
    post(project, "/v1/mgmt/flow/delete", {"ids": ["my-flow"]})
    assert [(e["path"], e["write"]) for e in project.requests(tenant=PID)] == [
        ("/v2/mgmt/flow/import", True), ("/v2/mgmt/flow/export", False), ("/v2/mgmt/theme/import", True),
        ("/v2/mgmt/theme/export", False), ("/v1/mgmt/flow/delete", True),
    ]
    assert project.counts()["descope"][PID] == {"reads": 2, "writes": 3, "writes_ok": 3}


def test_unknown_route_and_method_use_descope_shape(project: EmulatorClient) -> None:
    assert_error(post(project, "/v1/mgmt/nothing", {}), 404, "E404000")
    assert set(requests.get(project.url("/v2/mgmt/flow/export"), headers=AUTH, timeout=10).json()) == ERROR_KEYS


def test_legacy_v1_round_trip(project: EmulatorClient) -> None:
    post(project, "/v2/mgmt/flow/import", {"flow": FLOW})
    v1 = post(project, "/v1/mgmt/flow/export", {"flowId": "my-flow"}).json()
    assert v1["flow"]["id"] == "my-flow" and v1["flow"]["dsl"] == FLOW["contents"] and v1["flow"]["version"] == 1
    assert v1["screens"][0]["id"] == "SC2" and v1["screens"][0]["htmlTemplate"] == {}
    again = post(project, "/v1/mgmt/flow/import", {"flowId": "copy", "flow": v1["flow"], "screens": v1["screens"]})
    assert again.status_code == 200 and again.json()["flow"]["id"] == "copy"
    v2 = post(project, "/v2/mgmt/flow/export", {"flowId": "copy"}).json()["flow"]
    assert v2["contents"] == FLOW["contents"] and v2["metadata"]["name"] == "My flow"
    assert v2["screens"] == FLOW["screens"] and v2["metadata"]["componentsVersion"] == "2.0.100"


def test_rate_limit_shape(project: EmulatorClient) -> None:
    project.set_rate_limits({"descope": {"requests": 1, "per_seconds": 60}})
    post(project, "/v1/mgmt/flow/list")
    response = post(project, "/v1/mgmt/flow/list")
    assert_error(response, 429, "E130429")
    assert int(response.headers["Retry-After"]) >= 1
