# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exact plan and prune end to end (flowops.flows.apply with plan_out / plan / prune) on the dev stage of the
sandbox estate of examples/, for Descope and PingOne DaVinci, against the emulator.

plan -> apply does exactly the plan; plan -> a change made by hand through the provider API -> apply refuses, names
the flow and writes nothing; prune deletes only what the plan showed; a failure after a prune puts the flow back.
"""

from __future__ import annotations

import copy
import json
import os

import pytest
import requests

from e2e_helpers import estate, writes  # pylint: disable=import-error

HOSTS = "portal_descope_dev,portal_davinci_dev"
DESCOPE = estate.DESCOPE["dev"]
DAVINCI = estate.DAVINCI["dev"]
SAMPLE = os.path.join(estate.SAMPLES, "davinci", "multiple-flows.json")


# --- the tree ------------------------------------------------------------------------------------------------------

def write_tree(root, descope=None, davinci=None):
    """A git tree for project portal: ``descope`` maps flow id -> document, ``davinci`` flow name -> flat flow."""
    for provider, flows in (("descope", descope or {}), ("davinci", davinci or {})):
        folder = os.path.join(str(root), "portal", provider, "flows")
        os.makedirs(folder, exist_ok=True)
        for key, doc in flows.items():
            with open(os.path.join(folder, key + ".json"), "w", encoding="utf-8") as handle:
                json.dump({"flows": [doc]} if provider == "davinci" else doc, handle)
    return str(root)


def descope_tree(only=None, describe=None):
    flows = estate.descope_flows("dev")
    for flow_id, text in (describe or {}).items():
        flows[flow_id]["metadata"]["description"] = text
    return {k: v for k, v in flows.items() if only is None or k in only}


def davinci_tree(only=None, describe=None):
    with open(SAMPLE, encoding="utf-8") as handle:
        flows = {f["name"]: f for f in json.load(handle)["flows"]}
    for name, text in (describe or {}).items():
        flows[name]["description"] = text
    return {k: v for k, v in flows.items() if only is None or k in only}


# --- the targets, read and changed through the provider APIs -------------------------------------------------------

def descope_target(emulator):
    project = next(p for p in emulator.snapshot()["descope"]["projects"] if p["project_id"] == DESCOPE["project_id"])
    return project["flows"]


def davinci_target(emulator):
    env = next(e for e in emulator.snapshot()["davinci"]["environments"] if e["id"] == DAVINCI["environment_id"])
    return {max(f["versions"], key=lambda v: v["version"])["doc"]["name"]: f for f in env["flows"]}


def descope_edit_by_hand(emulator, flow_id, description):
    doc = copy.deepcopy(descope_target(emulator)[flow_id])
    doc["metadata"]["description"] = description
    answer = requests.post(emulator.base_url + "/v2/mgmt/flow/import", json={"flow": doc}, timeout=30,
                           headers={"Authorization": "Bearer %s:%s" % (DESCOPE["project_id"], DESCOPE["management_key"])})
    answer.raise_for_status()


def davinci_edit_by_hand(emulator, name, description):
    env_id = DAVINCI["environment_id"]
    token = requests.post("%s/%s/as/token" % (emulator.base_url, env_id), data={"grant_type": "client_credentials"},
                          auth=(DAVINCI["client_id"], DAVINCI["client_secret"]), timeout=30).json()["access_token"]
    headers = {"Authorization": "Bearer " + token}
    flow_id = davinci_target(emulator)[name]["id"]
    url = "%s/v1/environments/%s/flows/%s" % (emulator.base_url, env_id, flow_id)
    flow = requests.get(url, headers=headers, timeout=30).json()
    body = {k: flow[k] for k in ("name", "graphData", "settings", "trigger") if flow.get(k) is not None}
    body["description"] = description
    requests.put(url, json=body, headers=headers, timeout=30).raise_for_status()


@pytest.fixture()
def apply(play, inventory, tmp_path):
    def run(tree, check=False, diff=False, **extra):
        extra_vars = dict({"tree": tree, "to": "dev", "flow_selection": "all"}, **extra)
        return play("apply", inventory, extra_vars, check=check, diff=diff, limit=HOSTS)
    return run


def read_plan(tmp_path, name="plan.json"):
    with open(os.path.join(str(tmp_path), name), encoding="utf-8") as handle:
        return json.load(handle)


def actions(plan, host):
    return {f["id"] if host.startswith("portal_descope") else f["name"]: f["action"] for f in plan["hosts"][host]["flows"]}


# --- the tests -----------------------------------------------------------------------------------------------------

def test_plan_then_apply_does_exactly_the_plan(emulator, apply, tmp_path):
    new_flow = copy.deepcopy(descope_tree()["role-flow"])
    new_flow.update(flowId="welcome-flow")
    new_flow["metadata"]["name"] = "Welcome Flow"
    tree = write_tree(tmp_path / "tree", descope=dict(descope_tree(describe={"sign-in-oauth": "new release"}), **{"welcome-flow": new_flow}),
                      davinci=davinci_tree(describe={"abcd123-subflow-1": "new release"}))
    run = apply(tree, check=True, plan_out="plan.json")
    assert run.rc == 0, run.text()
    assert writes(emulator) == 0
    plan = read_plan(tmp_path)
    assert plan["format"] == "flowops.flows/plan" and plan["version"] == 1 and sorted(plan["hosts"]) == sorted(HOSTS.split(","))
    assert actions(plan, "portal_descope_dev") == {"sign-in-oauth": "updated", "welcome-flow": "created", "connector-flow": "unchanged",
                                                   "role-flow": "unchanged"}
    assert actions(plan, "portal_davinci_dev") == {"full-basic": "unchanged", "abcd123-subflow-2": "unchanged", "abcd123-subflow-1": "updated"}
    with open(os.path.join(str(tmp_path), "plan.md"), encoding="utf-8") as handle:
        markdown = handle.read()
    assert "### portal_descope_dev" in markdown and "| created | Welcome Flow (`welcome-flow`) | new flow |" in markdown

    run = apply(tree, plan="plan.json")
    assert run.rc == 0, run.text()
    assert descope_target(emulator)["sign-in-oauth"]["metadata"]["description"] == "new release"
    assert "welcome-flow" in descope_target(emulator)
    sub1 = davinci_target(emulator)["abcd123-subflow-1"]
    assert max(sub1["versions"], key=lambda v: v["version"])["doc"]["description"] == "new release"
    # what was written is what the plan said: a new plan finds every desired document in the target
    run = apply(tree, check=True, plan_out="again.json")
    assert run.rc == 0, run.text()
    again = read_plan(tmp_path, "again.json")
    for host in HOSTS.split(","):
        assert set(actions(again, host).values()) == {"unchanged"}
        fingerprints = {f["name"]: f["fingerprint"] for f in plan["hosts"][host]["flows"]}
        assert all(f["current_fingerprint"] == fingerprints[f["name"]] for f in again["hosts"][host]["flows"])


def test_apply_refuses_a_plan_the_target_no_longer_matches_and_writes_nothing(emulator, apply, tmp_path):
    tree = write_tree(tmp_path / "tree", descope=descope_tree(describe={"sign-in-oauth": "new release"}),
                      davinci=davinci_tree(describe={"abcd123-subflow-1": "new release"}))
    run = apply(tree, check=True, plan_out="plan.json")
    assert run.rc == 0, run.text()
    descope_edit_by_hand(emulator, "role-flow", "edited in the console")
    davinci_edit_by_hand(emulator, "abcd123-subflow-2", "edited in the console")
    emulator.clear_requests()
    run = apply(tree, plan="plan.json")
    assert run.rc != 0
    text = run.text()
    assert "(role-flow): the target changed since the plan" in text
    assert "'abcd123-subflow-2'" in text and "the target changed since the plan" in text
    assert writes(emulator) == 0
    assert descope_target(emulator)["sign-in-oauth"]["metadata"].get("description") != "new release"


def test_a_host_missing_from_the_plan_is_refused(emulator, apply, play, inventory, tmp_path):
    tree = write_tree(tmp_path / "tree", descope=descope_tree(describe={"sign-in-oauth": "new release"}), davinci=davinci_tree())
    run = play("apply", inventory, {"tree": tree, "to": "dev", "flow_selection": "all", "plan_out": "plan.json"}, check=True,
               limit="portal_descope_dev")
    assert run.rc == 0, run.text()
    emulator.clear_requests()
    run = apply(tree, plan="plan.json")
    assert run.rc != 0 and "portal_davinci_dev is not in the plan" in run.text()
    assert run.failed_hosts() == ["portal_davinci_dev"]
    assert writes(emulator, DAVINCI["environment_id"]) == 0


def test_prune_deletes_only_what_the_plan_showed(emulator, apply, tmp_path):
    tree = write_tree(tmp_path / "tree", descope=descope_tree(only=["connector-flow"]), davinci=davinci_tree(only=["abcd123-subflow-2"]))
    run = apply(tree, check=True, diff=True, plan_out="plan.json", prune=True)
    assert run.rc == 0, run.text()
    assert writes(emulator) == 0
    plan = read_plan(tmp_path)
    deleted = {host: sorted(k for k, v in actions(plan, host).items() if v == "deleted") for host in HOSTS.split(",")}
    assert deleted == {"portal_descope_dev": ["role-flow", "sign-in-oauth"], "portal_davinci_dev": ["abcd123-subflow-1", "full-basic"]}
    with open(os.path.join(str(tmp_path), "plan.md"), encoding="utf-8") as handle:
        assert "This plan **deletes 4 flow(s)**" in handle.read()
    # the plan was made with prune: applying it without prune is refused before anything is written
    run = apply(tree, plan="plan.json")
    assert run.rc != 0 and "Apply with the same settings as the plan" in run.text()
    assert writes(emulator) == 0
    # a flow changed after the plan is not deleted: that host refuses (the other host's plan still holds: it is applied)
    descope_edit_by_hand(emulator, "role-flow", "still wanted")
    emulator.clear_requests()
    run = apply(tree, plan="plan.json", prune=True)
    assert run.rc != 0 and "(role-flow): the target changed since the plan" in run.text()
    assert run.failed_hosts() == ["portal_descope_dev"]
    assert writes(emulator, DESCOPE["project_id"]) == 0 and "role-flow" in descope_target(emulator)
    assert sorted(davinci_target(emulator)) == ["abcd123-subflow-2"]
    # a fresh plan, applied exactly
    run = apply(tree, check=True, plan_out="plan.json", prune=True)
    assert run.rc == 0, run.text()
    run = apply(tree, plan="plan.json", prune=True)
    assert run.rc == 0, run.text()
    assert sorted(descope_target(emulator)) == ["connector-flow"]
    assert sorted(davinci_target(emulator)) == ["abcd123-subflow-2"]


def test_a_failure_after_a_prune_puts_the_deleted_flows_back(emulator, apply, tmp_path):
    before_descope = descope_target(emulator)
    before_davinci = davinci_target(emulator)
    tree = write_tree(tmp_path / "tree", descope=descope_tree(only=["connector-flow"]), davinci=davinci_tree(only=["abcd123-subflow-2"]))
    sub1_id = before_davinci["abcd123-subflow-1"]["id"]
    emulator.add_fault({"provider": "descope", "method": "POST", "path": "/v1/mgmt/flow/delete$", "body": "role-flow",
                        "action": {"type": "respond", "status": 500}})
    emulator.add_fault({"provider": "davinci", "method": "DELETE", "path": "/flows/%s$" % sub1_id, "action": {"type": "respond", "status": 500}})
    run = apply(tree, prune=True)
    assert run.rc != 0
    assert sorted(descope_target(emulator)) == sorted(before_descope)
    assert descope_target(emulator)["sign-in-oauth"]["metadata"] == before_descope["sign-in-oauth"]["metadata"]
    after = davinci_target(emulator)
    assert sorted(after) == sorted(before_davinci)
    parent = max(after["full-basic"]["versions"], key=lambda v: v["version"])["doc"]
    calls = {n["data"]["properties"]["subFlowId"]["value"]["label"]: n["data"]["properties"]["subFlowId"]["value"]["value"]
             for n in parent["graphData"]["elements"]["nodes"] if (n["data"].get("properties") or {}).get("subFlowId")}
    assert calls == {name: after[name]["id"] for name in ("abcd123-subflow-1", "abcd123-subflow-2")}
