# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failure contract, module by module, against the provider emulator (tests/emulator) and its faults.

After any failure either the target equals its state before the task, or every flow that may have changed is
named with changed=true and its backup. Every test asserts from the emulator's own state (snapshot, request log),
not only from the module's result.
"""

from __future__ import annotations

import copy
import json
import os
import re

from ansible_collections.flowops.flows.plugins.modules import davinci_flow, koreai_workflow

from .utils import run_module

TESTS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SAMPLE = os.path.join(TESTS, "fixtures", "samples", "davinci", "multiple-flows.json")

DEV = {"environment_id": "0d0d0d0d-1111-4111-8111-000000000001", "client_id": "demo-worker-dev", "client_secret": "demo-secret-dev-4f1c9e"}
KOREAI = {"api_key": "kg-demo-assist-dev-0001", "workflow_id": "a-0a0a0a0a-1111-4111-8111-000000000001"}
SUB1 = "abcd123-subflow-1"


def dv_args(emu, src, **extra):
    args = dict(DEV, api_url=emu.url_base + "/v1", auth_url=emu.url_base, src=src, retries=0, parallel=4, deploy=True)
    args.update(extra)
    return args


def dev_env(emu):
    return next(e for e in emu.snapshot()["davinci"]["environments"] if e["id"] == DEV["environment_id"])


def flow_named(env, name):
    found = [f for f in env["flows"] if f["versions"] and max(f["versions"], key=lambda v: v["version"])["doc"].get("name") == name]
    return found


def version_doc(flow, number):
    return next(v["doc"] for v in flow["versions"] if v["version"] == number)


def source(tmp_path, change_sub1=True, new_parent=None, new_leaf=None):
    """The dev export with subflow-1 changed, optionally a new parent flow (calls both subflows) and a new leaf flow."""
    with open(SAMPLE, encoding="utf-8") as handle:
        tree = json.load(handle)
    flows = {f["name"]: f for f in tree["flows"]}
    if change_sub1:
        flows[SUB1]["description"] = "changed by this run"
    out = [flows[SUB1], flows["abcd123-subflow-2"]]
    if new_parent:
        parent = copy.deepcopy(flows["full-basic"])
        parent["name"] = new_parent
        parent["flowId"] = "f" * 32
        out.append(parent)
    if new_leaf:
        leaf = copy.deepcopy(flows["abcd123-subflow-2"])
        leaf["name"] = new_leaf
        leaf["flowId"] = "e" * 32
        out.append(leaf)
    tree["flows"] = out
    path = tmp_path / "src.json"
    path.write_text(json.dumps(tree), encoding="utf-8")
    return str(path)


def writes(emu, method, path_regex):
    return [r for r in emu.requests(provider="davinci") if r["method"] == method and re.search(path_regex, r["path"])]


# ---------------------------------------------------------------------------------------------------------------
# DaVinci


def test_davinci_rollback_restores_the_live_version(emu, capfd, tmp_path):
    """A subflow is updated and deployed, another flow's create fails: the rollback redeploys the old content."""
    before = flow_named(dev_env(emu), SUB1)[0]
    live_before = version_doc(before, before["publishedVersion"])
    emu.add_fault({"provider": "davinci", "method": "POST", "path": "/flows$", "body": '"name":\\s*"new-parent"',
                   "action": {"type": "respond", "status": 500}})
    args = dv_args(emu, source(tmp_path, new_parent="new-parent"), backup_dir=str(tmp_path / "bk"))
    code, result, _raw = run_module(davinci_flow.main, capfd, args)
    assert code == 1 and result["failed"]
    sub1 = next(f for f in result["flows"] if f["name"] == SUB1)
    assert sub1["rollback"] == "restored"
    after = flow_named(dev_env(emu), SUB1)[0]
    assert after["publishedVersion"] > before["publishedVersion"]           # the run did deploy, then redeployed
    assert version_doc(after, after["publishedVersion"])["description"] == live_before["description"]
    assert version_doc(after, after["currentVersion"])["description"] == live_before["description"]
    assert flow_named(dev_env(emu), "new-parent") == []


def test_davinci_update_whose_answer_is_truncated_is_re_read_not_re_sent(emu, capfd, tmp_path):
    sub1_id = flow_named(dev_env(emu), SUB1)[0]["id"]
    emu.add_fault({"provider": "davinci", "method": "PUT", "path": "/flows/%s$" % sub1_id, "times": 1, "action": {"type": "truncate"}})
    code, result, _raw = run_module(davinci_flow.main, capfd, dv_args(emu, source(tmp_path), retries=3))
    assert code == 0, result["msg"]
    assert next(f for f in result["flows"] if f["name"] == SUB1)["action"] == "updated"
    puts = writes(emu, "PUT", "/flows/%s$" % sub1_id)
    assert len(puts) == 1 and puts[0]["applied_status"] == 200 and puts[0]["fault"]   # landed once, answer lost, not re-sent
    after = flow_named(dev_env(emu), SUB1)[0]
    assert version_doc(after, after["publishedVersion"])["description"] == "changed by this run"


def test_davinci_create_whose_answer_is_lost_is_found_not_created_twice(emu, capfd, tmp_path):
    emu.add_fault({"provider": "davinci", "method": "POST", "path": "/flows$", "content_type": "application/json$",
                   "body": '"name":\\s*"new-leaf"', "times": 1, "action": {"type": "reset", "apply": True}})
    code, result, _raw = run_module(davinci_flow.main, capfd, dv_args(emu, source(tmp_path, change_sub1=False, new_leaf="new-leaf"), retries=3))
    assert code == 0, result["msg"]
    assert next(f for f in result["flows"] if f["name"] == "new-leaf")["action"] == "created"
    assert len(flow_named(dev_env(emu), "new-leaf")) == 1
    assert len([r for r in writes(emu, "POST", "/flows$") if r["applied_status"] in (200, 201)]) == 1


def test_davinci_token_dead_on_issue_is_renewed(emu, capfd, tmp_path):
    emu.add_fault({"provider": "davinci", "path": "/as/token$", "nth": 1, "action": {"type": "expire_token"}})
    code, result, _raw = run_module(davinci_flow.main, capfd, dv_args(emu, source(tmp_path, change_sub1=False)))
    assert code == 0, result["msg"]
    tokens = [r for r in emu.requests(provider="davinci") if r["path"].endswith("/as/token")]
    assert len(tokens) == 2
    assert [r["status"] for r in emu.requests(provider="davinci")].count(401) >= 1


def test_davinci_rollback_gets_a_fresh_token(emu, capfd, tmp_path):
    """The token expires just before the rollback's DELETE of the subflow this run created: one renewal, then it is removed."""
    emu.add_fault({"provider": "davinci", "method": "POST", "path": "/flows$", "body": '"name":\\s*"new-parent"',
                   "action": {"type": "respond", "status": 500}})
    emu.add_fault({"provider": "davinci", "method": "DELETE", "path": "/flows/", "nth": 1, "action": {"type": "expire_token"}})
    code, result, _raw = run_module(davinci_flow.main, capfd, dv_args(emu, source(tmp_path, change_sub1=False, new_leaf="new-leaf",
                                                                                  new_parent="new-parent"), parallel=1))
    assert code == 1
    assert next(f for f in result["flows"] if f["name"] == "new-leaf")["rollback"] == "removed"
    assert flow_named(dev_env(emu), "new-leaf") == []
    deletes = writes(emu, "DELETE", "/flows/")
    assert [d["status"] for d in deletes] == [401, 200] or [d["status"] for d in deletes] == [401, 204]
    assert len([r for r in emu.requests(provider="davinci") if r["path"].endswith("/as/token")]) == 2


def test_davinci_failed_rollback_is_reported_changed_with_its_backup(emu, capfd, tmp_path):
    sub1_id = flow_named(dev_env(emu), SUB1)[0]["id"]
    emu.add_fault({"provider": "davinci", "method": "POST", "path": "/flows$", "body": '"name":\\s*"new-parent"',
                   "action": {"type": "respond", "status": 500}})
    # reads of subflow-1: the survey's (before any write; the plan reuses it), the engine's verify, then the rollback's:
    # that one (and later ones) fail
    emu.add_fault({"provider": "davinci", "method": "GET", "path": "/flows/%s$" % sub1_id, "nth": 3, "every": True,
                   "action": {"type": "respond", "status": 503}})
    emu.add_fault({"provider": "davinci", "method": "GET", "path": "/flows/%s$" % sub1_id, "nth": 4, "every": True,
                   "action": {"type": "respond", "status": 503}})
    args = dv_args(emu, source(tmp_path, new_parent="new-parent"), parallel=1, backup_dir=str(tmp_path / "bk"))
    code, result, _raw = run_module(davinci_flow.main, capfd, args)
    assert code == 1 and result["changed"] is True
    sub1 = next(f for f in result["flows"] if f["name"] == SUB1)
    assert sub1["rollback"].startswith("failed") and sub1["changed"] is True
    assert sub1["backup_file"] and os.path.isfile(sub1["backup_file"])
    assert sub1_id in result["msg"] and "NOT rolled back" in result["msg"] and sub1["backup_file"] in result["msg"]
    # and that is the truth: the target holds this run's write
    after = flow_named(dev_env(emu), SUB1)[0]
    assert version_doc(after, after["currentVersion"])["description"] == "changed by this run"


# ---------------------------------------------------------------------------------------------------------------
# Kore.ai


def kore_package(tmp_path, emu):
    workflow = next(w for a in emu.snapshot()["koreai"]["accounts"] for w in a["workflows"] if w["id"] == KOREAI["workflow_id"])
    version = max(workflow["versions"], key=lambda v: v["version"])
    src = tmp_path / "pkg"
    src.mkdir()
    flow = copy.deepcopy(version["flow_definition"])
    flow["nodes"][-1]["text"] = "changed by this run"
    for name, doc in (("flow_definition.json", flow), ("app_definition.json", version["app_definition"]),
                      ("env_variables.json", version["env_variables"])):
        (src / name).write_text(json.dumps(doc), encoding="utf-8")
    return str(src)


def kore_workflow(emu):
    return next(w for a in emu.snapshot()["koreai"]["accounts"] for w in a["workflows"] if w["id"] == KOREAI["workflow_id"])


def kore_args(emu, **extra):
    args = {"base_url": emu.url_base, "api_key": KOREAI["api_key"], "workflow_id": KOREAI["workflow_id"], "poll_interval": 0.05,
            "retries": 3}
    args.update(extra)
    return args


def test_koreai_import_whose_answer_is_lost_is_not_re_sent_and_is_reported_changed(emu, capfd, tmp_path):
    versions_before = len(kore_workflow(emu)["versions"])
    emu.add_fault({"provider": "koreai", "method": "POST", "path": "/workflows/[^/]+/import$", "times": 1,
                   "action": {"type": "reset", "apply": True}})
    args = kore_args(emu, src=kore_package(tmp_path, emu), deploy=True, backup_dir=str(tmp_path / "bk"))
    code, result, _raw = run_module(koreai_workflow.main, capfd, args)
    assert code == 1 and result["changed"] is True
    flow = result["flows"][0]
    assert flow["changed"] is True and flow["backup_file"] and os.path.isfile(flow["backup_file"])
    imports = [r for r in emu.requests(provider="koreai") if r["method"] == "POST" and r["path"].endswith("/import")]
    # the lost import landed once and was never re-sent; the only other import is the rollback's, of the package read before
    assert len(imports) == 2 and imports[0]["status"] is None and imports[0]["applied_status"] == 200
    assert flow["rollback"] == "restored"
    assert len(kore_workflow(emu)["versions"]) == versions_before + 2


def test_koreai_present_with_flow_id_verifies_the_imported_version(emu, capfd, tmp_path):
    """flow_id names the version read before; the import's verify must read the new version, under either export default."""
    emu._call("PUT", "/koreai/config", {"export_default_version": "latest"})  # pylint: disable=protected-access
    deployed = kore_workflow(emu)["versions"][0]["flow_id"]
    code, result, _raw = run_module(koreai_workflow.main, capfd, kore_args(emu, src=kore_package(tmp_path, emu), deploy=True, flow_id=deployed))
    assert code == 0, result["msg"]
    workflow = kore_workflow(emu)
    assert workflow["deployed_version"] == max(v["version"] for v in workflow["versions"])
    live = next(v for v in workflow["versions"] if v["version"] == workflow["deployed_version"])
    assert live["flow_definition"]["nodes"][-1]["text"] == "changed by this run"
