# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan fingerprints, ``expect`` and ``prune`` of the flow modules, against the provider emulator (tests/emulator).

Write counts come from the emulator's own request log, and the target's state from its snapshot.
"""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.flowops.flows.plugins.modules import davinci_flow, descope_flow, koreai_workflow

from .utils import run_module

TESTS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SAMPLE = os.path.join(TESTS, "fixtures", "samples", "davinci", "multiple-flows.json")
DESCOPE_SAMPLES = os.path.join(TESTS, "fixtures", "samples", "descope")

DAVINCI = {"environment_id": "0d0d0d0d-1111-4111-8111-000000000001", "client_id": "demo-worker-dev", "client_secret": "demo-secret-dev-4f1c9e"}
DESCOPE = {"project_id": "P2portalDEVxxxxxxxxxxxxxxxxx", "management_key": "K2demo-portal-dev-management-key"}
KOREAI = {"api_key": "kg-demo-assist-dev-0001", "workflow_id": "a-0a0a0a0a-1111-4111-8111-000000000001"}
PLAN_KEYS = ("id", "name", "action", "fingerprint", "current_fingerprint")


@pytest.fixture()
def emu(emu):  # pylint: disable=redefined-outer-name
    emu.set_rate_limits({"koreai": None, "descope": None, "davinci": None})   # these tests make many calls a minute
    return emu


def plan_of(result):
    return [{key: flow.get(key) for key in PLAN_KEYS} for flow in result["flows"]]


def write_count(emu, provider):
    return len(emu.requests(provider=provider, write=True))


# ---------------------------------------------------------------------------------------------------------------
# DaVinci


def dv(emu, src, **extra):
    args = dict(DAVINCI, api_url=emu.url_base + "/v1", auth_url=emu.url_base, src=src, retries=0, deploy=True)
    args.update(extra)
    return args


def dv_env(emu):
    return next(e for e in emu.snapshot()["davinci"]["environments"] if e["id"] == DAVINCI["environment_id"])


def dv_flows(emu):
    """name -> (id, latest version document) of the target's flows."""
    out = {}
    for flow in dv_env(emu)["flows"]:
        doc = max(flow["versions"], key=lambda v: v["version"])["doc"]
        out[doc.get("name")] = (flow["id"], doc)
    return out


def dv_tree(tmp_path, names=None, new_pair=False, describe=None, folder="tree"):
    """A folder of DaVinci flow files from the dev export: ``names`` of it, plus (``new_pair``) a new subflow and a new
    flow that calls it, both created by the same run."""
    with open(SAMPLE, encoding="utf-8") as handle:
        tree = json.load(handle)
    flows = {f["name"]: f for f in tree["flows"]}
    out = [copy.deepcopy(flows[name]) for name in (names or flows)]
    if new_pair:
        sub = copy.deepcopy(flows["abcd123-subflow-2"])
        sub.update(name="new-sub", flowId="e" * 32)
        parent = copy.deepcopy(flows["full-basic"])
        parent.update(name="new-parent", flowId="f" * 32)
        for node in parent["graphData"]["elements"]["nodes"]:
            ref = ((node["data"].get("properties") or {}).get("subFlowId") or {}).get("value")
            if ref and ref["label"] == "abcd123-subflow-2":
                ref.update(label="new-sub", value="e" * 32)
        out += [sub, parent]
    for flow in out:
        if describe and flow["name"] in describe:
            flow["description"] = describe[flow["name"]]
    folder = tmp_path / folder
    folder.mkdir(exist_ok=True)
    for flow in out:
        (folder / ("%s.json" % flow["name"])).write_text(json.dumps(dict(tree, flows=[flow])), encoding="utf-8")
    return str(folder)


def test_davinci_check_mode_fingerprints_equal_the_applied_ones(emu, capfd, tmp_path):
    """A new flow calling a new subflow of the same run: the ids only exist after the writes, the plan is the same."""
    src = dv_tree(tmp_path, new_pair=True, describe={"abcd123-subflow-1": "changed"})
    code, checked, _raw = run_module(davinci_flow.main, capfd, dv(emu, src), check_mode=True)
    assert code == 0, checked["msg"]
    assert write_count(emu, "davinci") == 0
    actions = {f["name"]: f["action"] for f in checked["flows"]}
    assert actions == {"full-basic": "unchanged", "abcd123-subflow-2": "unchanged", "abcd123-subflow-1": "updated",
                       "new-sub": "created", "new-parent": "created"}
    code, applied, _raw = run_module(davinci_flow.main, capfd, dv(emu, src, expect=plan_of(checked)))
    assert code == 0, applied["msg"]
    assert [{k: f[k] for k in PLAN_KEYS if k != "id"} for f in applied["flows"]] == \
        [{k: f[k] for k in PLAN_KEYS if k != "id"} for f in checked["flows"]]
    target = dv_flows(emu)
    calls = [n["data"]["properties"]["subFlowId"]["value"]["value"] for n in target["new-parent"][1]["graphData"]["elements"]["nodes"]
             if (n["data"].get("properties") or {}).get("subFlowId")]
    assert target["new-sub"][0] in calls
    # the next plan: every desired document is now the current one
    code, again, _raw = run_module(davinci_flow.main, capfd, dv(emu, src), check_mode=True)
    assert all(f["action"] == "unchanged" and f["fingerprint"] == f["current_fingerprint"] for f in again["flows"]), again["flows"]
    assert [f["fingerprint"] for f in again["flows"]] == [f["fingerprint"] for f in checked["flows"]]


def test_davinci_apply_refuses_when_the_target_changed_since_the_plan(emu, capfd, tmp_path):
    src = dv_tree(tmp_path, describe={"abcd123-subflow-1": "changed"})
    code, checked, _raw = run_module(davinci_flow.main, capfd, dv(emu, src), check_mode=True)
    assert code == 0
    # someone edits subflow-2 in the target
    hand = dv_tree(tmp_path, ["abcd123-subflow-2"], folder="hand", describe={"abcd123-subflow-2": "by hand"})
    code, _result, _raw = run_module(davinci_flow.main, capfd, dv(emu, hand))
    assert code == 0
    emu.clear_requests()
    code, result, _raw = run_module(davinci_flow.main, capfd, dv(emu, src, expect=plan_of(checked)))
    assert code == 1 and result["changed"] is False
    assert "'abcd123-subflow-2'" in result["msg"] and "the target changed since the plan" in result["msg"]
    assert "abcd123-subflow-1" not in result["msg"]
    assert write_count(emu, "davinci") == 0


def test_davinci_prune_deletes_what_the_plan_shows_and_a_later_failure_puts_it_back(emu, capfd, tmp_path):
    src = dv_tree(tmp_path, ["abcd123-subflow-2"])
    before = dv_flows(emu)
    code, checked, _raw = run_module(davinci_flow.main, capfd, dv(emu, src, prune=True), check_mode=True, diff=True)
    assert code == 0 and write_count(emu, "davinci") == 0
    deleted = sorted(f["name"] for f in checked["flows"] if f["action"] == "deleted")
    assert deleted == ["abcd123-subflow-1", "full-basic"]
    assert any("full-basic" in d["before_header"] for d in checked["diff"])
    # the delete of subflow-1 fails to verify (a read error): both flows come back, the parent calls the new subflow id
    sub1_id = before["abcd123-subflow-1"][0]
    emu.add_fault({"provider": "davinci", "method": "GET", "path": "/flows/%s$" % sub1_id, "nth": 3, "times": 1,
                   "action": {"type": "respond", "status": 503}})
    args = dv(emu, src, prune=True, expect=plan_of(checked), backup_dir=str(tmp_path / "bk"))
    code, result, _raw = run_module(davinci_flow.main, capfd, args)
    assert code == 1, result
    by_name = {f["name"]: f for f in result["flows"]}
    assert by_name["full-basic"]["rollback"] == "restored" and os.path.isfile(by_name["full-basic"]["backup_file"])
    after = dv_flows(emu)
    assert set(after) == set(before)
    new_sub1 = after["abcd123-subflow-1"][0]
    refs = {n["data"]["properties"]["subFlowId"]["value"]["label"]: n["data"]["properties"]["subFlowId"]["value"]["value"]
            for n in after["full-basic"][1]["graphData"]["elements"]["nodes"] if (n["data"].get("properties") or {}).get("subFlowId")}
    assert refs["abcd123-subflow-1"] == new_sub1 and refs["abcd123-subflow-2"] == before["abcd123-subflow-2"][0]
    # without the fault the plan is applied exactly (the plan of the restored target: new ids, same documents)
    code, checked, _raw = run_module(davinci_flow.main, capfd, dv(emu, src, prune=True), check_mode=True)
    code, result, _raw = run_module(davinci_flow.main, capfd, dv(emu, src, prune=True, expect=plan_of(checked)))
    assert code == 0, result["msg"]
    assert set(dv_flows(emu)) == {"abcd123-subflow-2"}


def test_davinci_prune_keeps_a_subflow_the_input_calls(emu, capfd, tmp_path):
    src = dv_tree(tmp_path, ["full-basic"])
    code, checked, _raw = run_module(davinci_flow.main, capfd, dv(emu, src, prune=True), check_mode=True)
    assert code == 0 and not [f for f in checked["flows"] if f["action"] == "deleted"]


def test_prune_needs_a_folder(emu, capfd, tmp_path):
    src = os.path.join(dv_tree(tmp_path, ["abcd123-subflow-2"]), "abcd123-subflow-2.json")
    code, result, _raw = run_module(davinci_flow.main, capfd, dv(emu, src, prune=True))
    assert code == 1 and "prune: src must be a directory" in result["msg"]
    assert write_count(emu, "davinci") == 0


# ---------------------------------------------------------------------------------------------------------------
# Descope


def ds(emu, **extra):
    args = dict(DESCOPE, base_url=emu.url_base, retries=0)
    args.update(extra)
    return args


def ds_tree(tmp_path, flows, folder="descope"):
    folder = tmp_path / folder
    folder.mkdir(exist_ok=True)
    for flow_id, (sample, description) in flows.items():
        with open(os.path.join(DESCOPE_SAMPLES, sample), encoding="utf-8") as handle:
            doc = json.load(handle)
        doc["flowId"] = flow_id
        doc["metadata"]["name"] = flow_id.replace("-", " ").title()
        if description:
            doc["metadata"]["description"] = description
        (folder / ("%s.json" % flow_id)).write_text(json.dumps(doc), encoding="utf-8")
    return str(folder)


def ds_ids(emu):
    project = next(p for p in emu.snapshot()["descope"]["projects"] if p["project_id"] == DESCOPE["project_id"])
    return set(project["flows"])


def test_descope_plan_apply_refuse_and_prune(emu, capfd, tmp_path):
    # a built-in flow in the project, which prune must never touch
    builtin = ds_tree(tmp_path, {"sign-up-or-in": ("basicflow.json", None)}, folder="builtin")
    code, result, _raw = run_module(descope_flow.main, capfd, ds(emu, src=builtin))
    assert code == 0, result["msg"]
    src = ds_tree(tmp_path, {"sign-in-oauth": ("basicflow.json", "new release"), "connector-flow": ("connectorflow.json", None)})
    emu.clear_requests()
    code, checked, _raw = run_module(descope_flow.main, capfd, ds(emu, src=src, prune=True), check_mode=True, diff=True)
    assert code == 0, checked["msg"] and write_count(emu, "descope") == 0
    assert {f["id"]: f["action"] for f in checked["flows"]}["role-flow"] == "deleted"
    assert "sign-up-or-in" not in {f["id"] for f in checked["flows"]}
    code, again, _raw = run_module(descope_flow.main, capfd, ds(emu, src=src, prune=True), check_mode=True)
    assert plan_of(again) == plan_of(checked)
    # hand edit of a flow the plan updates: refused, nothing written
    run_module(descope_flow.main, capfd, ds(emu, src=ds_tree(tmp_path, {"sign-in-oauth": ("basicflow.json", "by hand")}, folder="hand")))
    emu.clear_requests()
    code, result, _raw = run_module(descope_flow.main, capfd, ds(emu, src=src, prune=True, expect=plan_of(checked)))
    assert code == 1 and "(sign-in-oauth)" in result["msg"] and "the target changed since the plan" in result["msg"]
    assert write_count(emu, "descope") == 0 and "role-flow" in ds_ids(emu)
    # a fresh plan, applied exactly
    code, checked, _raw = run_module(descope_flow.main, capfd, ds(emu, src=src, prune=True), check_mode=True)
    code, result, _raw = run_module(descope_flow.main, capfd, ds(emu, src=src, prune=True, expect=plan_of(checked),
                                                                 backup_dir=str(tmp_path / "bk")))
    assert code == 0, result["msg"]
    assert plan_of(result) == plan_of(checked)
    assert ds_ids(emu) == {"sign-in-oauth", "connector-flow", "sign-up-or-in"}
    assert os.path.isfile(next(f["backup_file"] for f in result["flows"] if f["id"] == "role-flow"))
    emu.clear_requests()
    code, result, _raw = run_module(descope_flow.main, capfd, ds(emu, src=src, prune=True))
    assert code == 0 and not result["changed"] and write_count(emu, "descope") == 0


def test_bad_expect_entries_are_refused_before_any_call(emu, capfd, tmp_path):
    src = ds_tree(tmp_path, {"sign-in-oauth": ("basicflow.json", None)})
    code, result, _raw = run_module(descope_flow.main, capfd, ds(emu, src=src, expect=[{"action": "updated"}]))
    assert code == 1 and "expect[0]: needs id or name" in result["msg"]
    code, result, _raw = run_module(descope_flow.main, capfd, ds(emu, src=src, expect=[{"id": "x", "action": "renamed"}]))
    assert code == 1 and "expect[0] (x): action must be one of" in result["msg"]
    assert emu.requests(provider="descope") == []


# ---------------------------------------------------------------------------------------------------------------
# Kore.ai


def kore(emu, **extra):
    args = {"base_url": emu.url_base, "api_key": KOREAI["api_key"], "workflow_id": KOREAI["workflow_id"], "poll_interval": 0.05}
    args.update(extra)
    return args


def kore_package(tmp_path, emu, text, folder="pkg"):
    workflow = next(w for a in emu.snapshot()["koreai"]["accounts"] for w in a["workflows"] if w["id"] == KOREAI["workflow_id"])
    version = max(workflow["versions"], key=lambda v: v["version"])
    src = tmp_path / folder
    src.mkdir(exist_ok=True)
    flow = copy.deepcopy(version["flow_definition"])
    flow["nodes"][-1]["text"] = text
    for name, doc in (("flow_definition.json", flow), ("app_definition.json", version["app_definition"]),
                      ("env_variables.json", version["env_variables"])):
        (src / name).write_text(json.dumps(doc), encoding="utf-8")
    return str(src)


def test_koreai_plan_fingerprints_and_refusal(emu, capfd, tmp_path):
    src = kore_package(tmp_path, emu, "planned")
    code, checked, _raw = run_module(koreai_workflow.main, capfd, kore(emu, src=src, deploy=True), check_mode=True)
    assert code == 0 and checked["flows"][0]["action"] == "updated" and write_count(emu, "koreai") == 0
    hand = kore_package(tmp_path, emu, "by hand", folder="hand")
    code, _result, _raw = run_module(koreai_workflow.main, capfd, kore(emu, src=hand, deploy=True))
    assert code == 0
    emu.clear_requests()
    code, result, _raw = run_module(koreai_workflow.main, capfd, kore(emu, src=src, deploy=True, expect=plan_of(checked)))
    assert code == 1 and "the target changed since the plan" in result["msg"] and write_count(emu, "koreai") == 0
    code, checked, _raw = run_module(koreai_workflow.main, capfd, kore(emu, src=src, deploy=True), check_mode=True)
    code, applied, _raw = run_module(koreai_workflow.main, capfd, kore(emu, src=src, deploy=True, expect=plan_of(checked)))
    assert code == 0, applied["msg"]
    assert plan_of(applied) == plan_of(checked)
