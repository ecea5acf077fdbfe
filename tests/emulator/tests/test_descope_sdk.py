"""The real Descope Python SDK (PyPI ``descope``) against the emulator: base_url override, license handshake, flow
list/export/import/delete and theme export/import (the SDK uses the legacy v1 routes for export/import)."""
from __future__ import annotations

import json

import pytest
import requests

from emulator.client import EmulatorClient

descope = pytest.importorskip("descope")

PID = "P2aAc4T2V93bddihGEx2Ryhc8e5Z"  # 28 characters: the legacy id form (reference §3)
REGIONAL_PID = "Peuc12aAc4T2V93bddihGEx2Ryhc8e5Z"  # 32 characters: the SDK would derive api.euc1.descope.com without base_url
KEY = "K2sdkTestManagementKey"
FLOW = {"flowId": "sdk-flow", "metadata": {"name": "SDK flow", "description": "made for the SDK"}, "contents": {}, "screens": [], "references": {}}


def seed(emu: EmulatorClient, pid: str) -> None:
    emu.seed({"descope": {"projects": [{"project_id": pid, "management_key": KEY, "rate_limit_tier": "tier2",
                                        "flows": {"sdk-flow": FLOW, "sign-in": {"metadata": {"name": "Sign in"}, "contents": {}}}}]}})


@pytest.mark.parametrize("pid", [PID, REGIONAL_PID])
def test_sdk_license_list_delete(emulator: EmulatorClient, pid: str) -> None:
    seed(emulator, pid)
    client = descope.DescopeClient(project_id=pid, management_key=KEY, base_url=emulator.base_url)
    log = emulator.requests()
    assert [(e["method"], e["path"], e["status"], e["tenant"]) for e in log] == [("GET", "/v1/mgmt/license", 200, pid)]

    flows = client.mgmt.flow.list_flows()
    assert flows == {"flows": [{"id": "sdk-flow", "name": "SDK flow", "description": "made for the SDK", "disabled": False},
                               {"id": "sign-in", "name": "Sign in", "description": "", "disabled": False}], "total": 2}
    assert client.mgmt.flow.delete_flows(["sdk-flow"]) == {}
    assert [f["id"] for f in client.mgmt.flow.list_flows()["flows"]] == ["sign-in"]

    log = emulator.requests()
    assert [(e["method"], e["path"], e["status"], e["write"]) for e in log] == [
        ("GET", "/v1/mgmt/license", 200, False),
        ("POST", "/v1/mgmt/flow/list", 200, False),
        ("POST", "/v1/mgmt/flow/delete", 200, True),
        ("POST", "/v1/mgmt/flow/list", 200, False),
    ]
    assert emulator.counts()["descope"][pid] == {"reads": 3, "writes": 1, "writes_ok": 1}


def test_sdk_builtin_delete_raises_auth_exception_with_descope_body(emulator: EmulatorClient) -> None:
    seed(emulator, PID)
    client = descope.DescopeClient(project_id=PID, management_key=KEY, base_url=emulator.base_url)
    with pytest.raises(descope.AuthException) as err:
        client.mgmt.flow.delete_flows(["sign-in"])
    assert err.value.status_code == 400
    assert json.loads(err.value.error_message)["errorCode"] == "E011003"


def test_sdk_wrong_key_and_rate_limit(emulator: EmulatorClient) -> None:
    seed(emulator, PID)
    bad = descope.DescopeClient(project_id=PID, management_key="K2wrong", base_url=emulator.base_url)  # handshake failure is only logged
    with pytest.raises(descope.AuthException) as err:
        bad.mgmt.flow.list_flows()
    assert err.value.status_code == 401
    emulator.set_rate_limits({"descope": {"requests": 1, "per_seconds": 60}})
    emulator.clear_requests()
    client = descope.DescopeClient(project_id=PID, management_key=KEY, base_url=emulator.base_url)  # uses the one request
    with pytest.raises(descope.RateLimitException) as limited:
        client.mgmt.flow.list_flows()
    assert limited.value.status_code == "E130429"
    assert limited.value.rate_limit_parameters["Retry-After"] >= 1


def test_sdk_legacy_v1_export(emulator: EmulatorClient) -> None:
    seed(emulator, PID)
    client = descope.DescopeClient(project_id=PID, management_key=KEY, base_url=emulator.base_url)
    exported = client.mgmt.flow.export_flow("sdk-flow")
    assert exported["flow"]["id"] == "sdk-flow" and exported["flow"]["name"] == "SDK flow" and exported["screens"] == []


def test_sdk_flow_list_export_import_delete(emulator: EmulatorClient) -> None:
    """The SDK's flow calls (legacy v1 export/import, list, delete) round-trip a flow through the emulator."""
    seed(emulator, PID)
    client = descope.DescopeClient(project_id=PID, management_key=KEY, base_url=emulator.base_url)
    exported = client.mgmt.flow.export_flow("sdk-flow")
    imported = client.mgmt.flow.import_flow("sdk-copy", exported["flow"], exported["screens"])
    assert imported["flow"]["id"] == "sdk-copy" and imported["flow"]["name"] == "SDK flow" and imported["screens"] == []
    assert client.mgmt.flow.export_flow("sdk-copy")["flow"]["dsl"] == exported["flow"]["dsl"]
    assert [f["id"] for f in client.mgmt.flow.list_flows()["flows"]] == ["sdk-flow", "sign-in", "sdk-copy"]
    assert client.mgmt.flow.delete_flows(["sdk-copy"]) == {}
    assert [f["id"] for f in client.mgmt.flow.list_flows()["flows"]] == ["sdk-flow", "sign-in"]
    with pytest.raises(descope.AuthException) as err:
        client.mgmt.flow.export_flow("sdk-copy")
    assert err.value.status_code == 404
    body = json.loads(err.value.error_message)
    assert body["errorCode"] == "E404000" and "sdk-copy" in body["errorMessage"]
    writes = [(e["path"], e["status"]) for e in emulator.requests(write=True)]
    assert writes == [("/v1/mgmt/flow/import", 200), ("/v1/mgmt/flow/delete", 200)]


def test_sdk_theme_export_import(emulator: EmulatorClient) -> None:
    """The SDK's legacy v1 theme calls: export, then import of the saved theme restores it whole."""
    seed(emulator, PID)
    saved_styles = {"styles": {"light": {"globals": {"color": "#fff"}}}, "componentsVersion": "2.0.500"}
    emulator.seed({"descope": {"projects": [{"project_id": PID, "theme": saved_styles}]}})
    client = descope.DescopeClient(project_id=PID, management_key=KEY, base_url=emulator.base_url)
    saved = client.mgmt.flow.export_theme()
    assert saved["theme"]["cssTemplate"] == saved_styles and saved["theme"]["id"]
    changed = requests.post(emulator.url("/v2/mgmt/theme/import"), json={"theme": {"styles": {"dark": {"globals": {"color": "#000"}}}}},
                            headers={"Authorization": f"Bearer {PID}:{KEY}"}, timeout=10)
    assert changed.status_code == 200
    assert set(client.mgmt.flow.export_theme()["theme"]["cssTemplate"]["styles"]) == {"light", "dark"}
    assert client.mgmt.flow.import_theme(saved["theme"]) == saved
    assert client.mgmt.flow.export_theme() == saved
    assert emulator.snapshot()["descope"]["projects"][0]["theme"] == saved_styles
