# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Portable files against the provider emulator (tests/emulator), for Descope, DaVinci and Kore.ai.

dev is exported with ``portable: true`` (its own values become placeholders), the file is applied to prod with prod's
values: prod holds prod's values, a second run makes zero writes, resolving the portable file with dev's values gives
the exported document back, and an unresolved placeholder fails before any request at all reaches the emulator.
"""

from __future__ import annotations

import json
import os

from ansible_collections.flowops.flows.plugins.modules import davinci_flow, descope_flow, descope_theme, koreai_workflow
from ansible_collections.flowops.flows.plugins.module_utils._document import dumps, load_file
from ansible_collections.flowops.flows.plugins.module_utils._placeholders import find_placeholders, resolve

from .utils import run_module

TESTS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

DESCOPE = {"dev": {"project_id": "P2portalDEVxxxxxxxxxxxxxxxxx", "management_key": "K2demo-portal-dev-management-key"},
           "prod": {"project_id": "P2portalPRDxxxxxxxxxxxxxxxxx", "management_key": "K2demo-portal-prod-management-key"}}
DAVINCI = {"dev": {"environment_id": "0d0d0d0d-1111-4111-8111-000000000001", "client_id": "demo-worker-dev", "client_secret": "demo-secret-dev-4f1c9e"},
           "prod": {"environment_id": "0d0d0d0d-2222-4222-8222-000000000002", "client_id": "demo-worker-prod",
                    "client_secret": "demo-secret-prod-7a2b5d"}}
KOREAI = {"dev": {"api_key": "kg-demo-assist-dev-0001", "workflow_id": "a-0a0a0a0a-1111-4111-8111-000000000001"},
          "prod": {"api_key": "kg-demo-assist-prod-0002", "workflow_id": "a-0a0a0a0a-2222-4222-8222-000000000002"}}


def writes(emu, provider):
    return emu.requests(provider=provider, write=True)


# ---------------------------------------------------------------------------------------------------- Descope

DESCOPE_DEV = {"HTTP_CONNECTOR_ID": "CI2kytoq1RRvE147xvkGxu6xXEJxY", "OAUTH_PROVIDER": "apple"}
DESCOPE_PROD = {"HTTP_CONNECTOR_ID": "CIprod000000000000000000000001", "OAUTH_PROVIDER": "google"}


def descope(emu, stage, **extra):
    return dict(DESCOPE[stage], base_url=emu.url_base, retries=0, **extra)


def descope_flow_of(emu, stage, flow_id):
    project = next(p for p in emu.snapshot()["descope"]["projects"] if p["project_id"] == DESCOPE[stage]["project_id"])
    flows = project["flows"]
    return flows[flow_id] if isinstance(flows, dict) else next(f for f in flows if f.get("flowId", f.get("id")) == flow_id)


def test_descope_portable_export_then_apply_to_prod(emu, capfd, tmp_path):
    dest = tmp_path / "flows"
    export = descope(emu, "dev", state="exported", flow_id=["connector-flow"], dest=str(dest) + "/", portable=True, values=DESCOPE_DEV)
    code, result, _raw = run_module(descope_flow.main, capfd, export)
    assert code == 0, result["msg"]
    path = dest / "connector-flow.json"
    portable = load_file(str(path))
    assert portable["references"]["connectors"] == {"My HTTP Connector": "@@HTTP_CONNECTOR_ID@@"}
    assert portable["contents"]["tasks"]["1"]["arguments"]["defaultProvider"]["value"] == "@@OAUTH_PROVIDER@@"
    assert "CI2kytoq1RRvE147xvkGxu6xXEJxY" not in path.read_text()
    # resolving the portable file with dev's values gives the plain export back
    plain = tmp_path / "plain"
    run_module(descope_flow.main, capfd, descope(emu, "dev", state="exported", flow_id=["connector-flow"], dest=str(plain) + "/"))
    assert dumps(resolve(portable, DESCOPE_DEV, str(path))) == dumps(load_file(str(plain / "connector-flow.json")))
    # a second portable export rewrites nothing
    export = descope(emu, "dev", state="exported", flow_id=["connector-flow"], dest=str(dest) + "/", portable=True, values=DESCOPE_DEV)
    code, result, _raw = run_module(descope_flow.main, capfd, export)
    assert code == 0 and result["changed"] is False

    task = descope(emu, "prod", src=str(path), values=DESCOPE_PROD)
    emu.clear_requests()
    code, result, _raw = run_module(descope_flow.main, capfd, task, check_mode=True, diff=True)
    assert code == 0 and result["changed"] is True and writes(emu, "descope") == []
    assert "CIprod000000000000000000000001" in result["diff"][0]["after"]
    code, result, _raw = run_module(descope_flow.main, capfd, task)
    assert code == 0 and result["changed"] is True and result["flows"][0]["action"] == "created"
    held = descope_flow_of(emu, "prod", "connector-flow")
    assert json.dumps(held).count("CIprod000000000000000000000001") == 1 and "CI2kytoq1RRvE147xvkGxu6xXEJxY" not in json.dumps(held)
    assert "@@" not in json.dumps(held)
    emu.clear_requests()
    code, result, _raw = run_module(descope_flow.main, capfd, task)
    assert code == 0 and result["changed"] is False and writes(emu, "descope") == []
    code, second, _raw = run_module(descope_flow.main, capfd, task, check_mode=True)
    assert second["flows"][0]["fingerprint"] == result["flows"][0]["fingerprint"] and writes(emu, "descope") == []


def test_descope_unresolved_placeholder_makes_no_request(emu, capfd, tmp_path):
    path = tmp_path / "f.json"
    doc = load_file(os.path.join(TESTS, "fixtures", "samples", "descope", "connectorflow.json"))
    doc["contents"]["tasks"]["1"]["arguments"]["defaultProvider"]["value"] = "@@OAUTH_PROVIDER@@"
    path.write_text(json.dumps(doc))
    emu.clear_requests()
    code, result, _raw = run_module(descope_flow.main, capfd, descope(emu, "prod", src=str(path), values={"OTHER": "x"}))
    assert code == 1 and emu.requests() == []
    expected = "%s: no value for placeholder @@OAUTH_PROVIDER@@ at $.contents.tasks[\"1\"].arguments.defaultProvider.value; names with values: OTHER"
    assert result["msg"] == expected % path


def test_descope_theme_values(emu, capfd, tmp_path):
    path = tmp_path / "theme.json"
    path.write_text(json.dumps({"styles": {"portable": {"colors": {"primary": "@@BRAND@@"}, "name": "##STAGE## theme"}}}))
    task = descope(emu, "prod", src=str(path), values={"BRAND": {"main": "#0a0"}, "STAGE": "prod"})
    code, result, _raw = run_module(descope_theme.main, capfd, task)
    assert code == 0 and result["changed"] is True, result["msg"]
    out = tmp_path / "out.json"
    run_module(descope_theme.main, capfd, descope(emu, "prod", state="exported", dest=str(out), portable=True, values={"STAGE": "prod"}))
    exported = load_file(str(out))
    assert exported["styles"]["portable"] == {"colors": {"primary": {"main": "#0a0"}}, "name": "##STAGE## theme"}
    emu.clear_requests()
    code, result, _raw = run_module(descope_theme.main, capfd, task)
    assert code == 0 and result["changed"] is False and writes(emu, "descope") == []


# ---------------------------------------------------------------------------------------------------- DaVinci

DAVINCI_DEV = {"GREETING": "Hello, world?", "SUB1_TEXT": "Subflow 1"}
DAVINCI_PROD = {"GREETING": "Hello from prod", "SUB1_TEXT": "Subflow one (prod)"}


def davinci(emu, stage, **extra):
    return dict(DAVINCI[stage], api_url=emu.url_base + "/v1", auth_url=emu.url_base, retries=0, **extra)


def davinci_latest(emu, stage, name):
    env = next(e for e in emu.snapshot()["davinci"]["environments"] if e["id"] == DAVINCI[stage]["environment_id"])
    flows = [f for f in env["flows"] if f["versions"] and max(f["versions"], key=lambda v: v["version"])["doc"].get("name") == name]
    assert len(flows) == 1, name
    return max(flows[0]["versions"], key=lambda v: v["version"])["doc"]


def test_davinci_portable_export_then_apply_to_prod(emu, capfd, tmp_path):
    dest = tmp_path / "dv"
    code, result, _raw = run_module(davinci_flow.main, capfd, davinci(emu, "dev", state="exported", name="full-basic", dest=str(dest),
                                                                      portable=True, values=DAVINCI_DEV))
    assert code == 0, result["msg"]
    files = sorted(os.listdir(dest))
    assert files == ["abcd123-subflow-1.json", "abcd123-subflow-2.json", "full-basic.json"]
    parent = load_file(str(dest / "full-basic.json"))
    names = {name for _path, _text, name in find_placeholders(parent, ("SK",))}
    assert names == {"GREETING"}
    assert "##SK##" in json.dumps(parent)   # DaVinci's own separator is left as it is
    assert {n for _p, _t, n in find_placeholders(load_file(str(dest / "abcd123-subflow-1.json")), ("SK",))} == {"SUB1_TEXT"}

    task = davinci(emu, "prod", src=str(dest), values=DAVINCI_PROD, deploy=True)
    emu.clear_requests()
    code, result, _raw = run_module(davinci_flow.main, capfd, task, check_mode=True)
    assert code == 0 and result["changed"] is True and writes(emu, "davinci") == []
    code, result, _raw = run_module(davinci_flow.main, capfd, task)
    assert code == 0 and result["changed"] is True, result["msg"]
    held = json.dumps(davinci_latest(emu, "prod", "full-basic"))
    assert "Hello from prod" in held and "Hello, world?" not in held
    assert "Subflow one (prod)" in json.dumps(davinci_latest(emu, "prod", "abcd123-subflow-1"))
    emu.clear_requests()
    code, result, _raw = run_module(davinci_flow.main, capfd, task)
    assert code == 0 and result["changed"] is False and writes(emu, "davinci") == [], result["msg"]

    emu.clear_requests()
    code, result, _raw = run_module(davinci_flow.main, capfd, dict(task, values={"GREETING": "x"}))
    assert code == 1 and emu.requests() == []
    assert "abcd123-subflow-1.json: no value for placeholder ##SUB1_TEXT## at $.graphData.elements.nodes[" in result["msg"]


def test_davinci_portable_export_refuses_an_ambiguous_value(emu, capfd, tmp_path):
    dest = tmp_path / "dv"
    code, result, _raw = run_module(davinci_flow.main, capfd, davinci(emu, "dev", state="exported", name="full-basic", dest=str(dest),
                                                                      portable=True, values={"A": "Hello, world?", "B": "Hello, world?"}))
    assert code == 1
    assert "full-basic.json: cannot write a portable file: the values of A and B are the same" in result["msg"]
    assert not (dest / "full-basic.json").exists()


# ---------------------------------------------------------------------------------------------------- Kore.ai

def koreai(emu, stage, **extra):
    return dict(KOREAI[stage], base_url=emu.url_base, poll_interval=0.05, **extra)


def test_koreai_portable_export_then_apply_to_prod(emu, capfd, tmp_path):
    dev_values = {"ORDERS_API_URL": "https://orders.dev.example.com/api"}
    prod_values = {"ORDERS_API_URL": "https://orders.example.com/api"}
    dest = tmp_path / "pkg"
    code, result, _raw = run_module(koreai_workflow.main, capfd, koreai(emu, "dev", state="exported", dest=str(dest), portable=True, values=dev_values))
    assert code == 0, result["msg"]
    env = load_file(str(dest / "env_variables.json"))
    assert {"key": "ORDERS_API_URL", "value": "@@ORDERS_API_URL@@", "isSecured": False} in env
    task = koreai(emu, "prod", src=str(dest), values=prod_values, env_overrides={"ORDERS_API_TOKEN": "token-prod-1a2b3c4d"}, deploy=True)
    emu._call("PUT", "/koreai/config", {"env_merge_policy": "overwrite"})  # pylint: disable=protected-access
    code, result, raw = run_module(koreai_workflow.main, capfd, task)
    assert code == 0 and result["changed"] is True, result["msg"]
    assert "token-prod-1a2b3c4d" not in raw
    workflow = next(w for a in emu.snapshot()["koreai"]["accounts"] for w in a["workflows"] if w["id"] == KOREAI["prod"]["workflow_id"])
    live = next(v for v in workflow["versions"] if v["version"] == workflow["deployed_version"])
    held = {v["key"]: v["value"] for v in live["env_variables"]}
    assert held == {"ORDERS_API_URL": "https://orders.example.com/api", "ORDERS_API_TOKEN": "token-prod-1a2b3c4d"}
    emu.clear_requests()
    code, result, _raw = run_module(koreai_workflow.main, capfd, task)
    assert code == 0 and result["changed"] is False and writes(emu, "koreai") == [], result["msg"]
