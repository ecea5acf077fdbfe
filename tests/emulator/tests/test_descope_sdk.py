"""The real Descope Python SDK (PyPI ``descope``) against the emulator: base_url override, license handshake, list, delete."""
from __future__ import annotations

import json

import pytest

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
