# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow_plan and flow_plan_markdown filters, fed with what the engine really returns."""

from __future__ import annotations

import json

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.flowops.flows.plugins.filter.flow_plan import FilterModule, check_plan, flow_plan, flow_plan_expect, flow_plan_markdown
from ansible_collections.flowops.flows.plugins.module_utils._sync import Adapter, Engine, Item


class Target(Adapter):
    provider = "fake"

    def __init__(self, store):
        self.store = dict(store)

    def read(self, item):
        return self.store.get(item.key)

    def create(self, item, desired):
        self.store[item.key] = desired

    def update(self, item, desired, current):
        self.store[item.key] = desired

    def delete(self, item, current):
        self.store.pop(item.key)

    def targets(self):
        return [Item(key, name=key.title()) for key in self.store]


def module_result(check_mode=True):
    store = {"a": {"body": "old"}, "b": {"body": "same"}, "gone": {"body": "x"}}
    items = [Item("a", name="A", desired={"body": "new"}), Item("b", desired={"body": "same"}), Item("c", desired={"body": "fresh"})]
    report = Engine(Target(store), check_mode=check_mode).apply(items, "present", prune=True)
    return {"changed": report["changed"], "flows": report["flows"], "msg": "check mode"}


def test_the_plan_holds_every_flow_and_feeds_expect():
    plan = flow_plan({"dev": {"provider": "descope", "project": "portal", "stage": "dev", "prune": True, "results": module_result()}},
                     source={"tree": "flows/"})
    assert plan["format"] == "flowops.flows/plan" and plan["version"] == 1 and plan["source"] == {"tree": "flows/"}
    host = plan["hosts"]["dev"]
    assert (host["provider"], host["project"], host["stage"], host["prune"]) == ("descope", "portal", "dev", True)
    assert {f["id"]: f["action"] for f in host["flows"]} == {"a": "updated", "b": "unchanged", "c": "created", "gone": "deleted"}
    assert all(set(f) == {"id", "name", "action", "fingerprint", "current_fingerprint", "changes"} for f in host["flows"])
    assert json.loads(json.dumps(plan)) == plan
    # the entries are what expect takes: the real run matches them exactly
    store = {"a": {"body": "old"}, "b": {"body": "same"}, "gone": {"body": "x"}}
    items = [Item("a", name="A", desired={"body": "new"}), Item("b", desired={"body": "same"}), Item("c", desired={"body": "fresh"})]
    Engine(Target(store)).apply(items, "present", prune=True, expect=host["flows"])


def test_results_can_be_a_list_or_a_registered_loop():
    one = module_result()
    listed = flow_plan({"h": {"results": [one, {"skipped": True}]}})
    looped = flow_plan({"h": {"results": {"results": [one], "changed": True}}})
    assert listed["hosts"]["h"]["flows"] == looped["hosts"]["h"]["flows"] == flow_plan({"h": {"results": one}})["hosts"]["h"]["flows"]


@pytest.mark.parametrize("hosts, message", [
    ("nope", "expects a dict of host"),
    ({"h": {"provider": "descope"}}, "host h: expected a dict with results"),
    ({"h": {"results": {"failed": True, "msg": "boom", "flows": []}}}, "host h: a task failed, no plan can be made from it: boom"),
    ({"h": {"results": {"flows": [{"id": "x", "action": "failed", "error": "HTTP 500"}]}}}, "host h, flow 'x': action 'failed' cannot be planned"),
    ({"h": {"results": {"flows": [{"id": "x", "action": "updated"}]}}}, "host h, flow 'x': no fingerprint in the module result"),
])
def test_bad_input_is_an_error_naming_host_and_flow(hosts, message):
    with pytest.raises(AnsibleFilterError, match=message):
        flow_plan(hosts)


def test_markdown_lists_changes_per_host_and_flags_deletes():
    result = module_result()
    result["flows"][0]["changes"] = ["task 'Send' (2): subject changed | with a pipe"] + ["change %d" % i for i in range(7)]
    plan = flow_plan({"prod": {"provider": "descope", "stage": "prod", "results": result},
                      "dev": {"provider": "descope", "stage": "dev", "results": {"flows": []}}})
    text = flow_plan_markdown(plan, title="Plan for prod")
    assert text.startswith("## Plan for prod\n")
    assert "### dev (provider descope, stage dev)\n\nNo changes." in text
    prod = text[text.index("### prod"):]
    rows = [line for line in prod.splitlines() if line.startswith("| ") and not line.startswith("| Action")]
    assert rows[0].startswith("| :warning: **deleted** | Gone (`gone`) |")
    assert rows[1] == "| created | c | new flow |"
    assert rows[2].startswith("| updated | A (`a`) | task 'Send' (2): subject changed \\| with a pipe<br>")
    assert rows[2].endswith("<br>... and 3 more |")
    assert "b" not in [r.split(" | ")[1] for r in rows]   # unchanged flows are counted, not listed
    assert "1 to create, 1 to update, 1 to delete, 1 unchanged." in prod
    assert "**Total:** 1 to create, 1 to update, 1 to delete, 1 unchanged" in text
    assert ":warning: This plan **deletes 1 flow(s)**" in text


@pytest.mark.parametrize("plan, message", [
    ({"format": "other"}, "not a flowops.flows plan"),
    ({"format": "flowops.flows/plan", "version": 2, "hosts": {}}, "plan version 2 is not supported"),
    ({"format": "flowops.flows/plan", "version": 1, "hosts": []}, "hosts must be a dict"),
])
def test_markdown_refuses_what_is_not_a_plan(plan, message):
    with pytest.raises(AnsibleFilterError, match=message):
        flow_plan_markdown(plan)
    with pytest.raises(AnsibleFilterError, match=message):
        check_plan(plan)


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"flow_plan", "flow_plan_markdown", "flow_plan_expect"}


def test_a_flow_only_deployed_is_planned_and_shown():
    flows = [{"id": "f1", "name": "Login", "action": "deployed", "fingerprint": "sha256:a", "current_fingerprint": "sha256:a", "changes": []}]
    plan = flow_plan({"h": {"provider": "davinci", "results": {"flows": flows}}})
    assert plan["hosts"]["h"]["flows"][0]["action"] == "deployed"
    text = flow_plan_markdown(plan)
    assert "| deployed | Login (`f1`) | the document is unchanged; the flow is deployed |" in text
    assert "1 to deploy, enable or disable only" in text


PLAN_TEXT = json.dumps({"format": "flowops.flows/plan", "version": 1, "hosts": {
    "prod": {"provider": "descope", "project": "portal", "stage": "prod", "prune": False,
             "flows": [{"id": "a", "name": "A", "action": "updated", "fingerprint": "sha256:1", "current_fingerprint": "sha256:0"}]}}})
RUN = {"path": "/p/plan.json", "host": "prod", "provider": "descope", "project": "portal", "stage": "prod"}


def test_plan_expect_returns_the_host_entries_of_a_plan_made_for_it():
    assert flow_plan_expect(PLAN_TEXT, **RUN) == [{"id": "a", "name": "A", "action": "updated", "fingerprint": "sha256:1",
                                                  "current_fingerprint": "sha256:0"}]
    assert FilterModule().filters()["flow_plan_expect"] is flow_plan_expect


@pytest.mark.parametrize("text, run, message", [
    ("{not json", {}, r"^/p/plan\.json: not a JSON plan file \("),
    (json.dumps({"format": "other"}), {}, r"^/p/plan\.json: not a flowops.flows plan.*expected format 'flowops.flows/plan', version 1"),
    (json.dumps({"format": "flowops.flows/plan", "version": 1, "hosts": []}), {}, r"^/p/plan\.json: plan: hosts must be a dict"),
    (PLAN_TEXT, {"host": "staging"}, r"^staging is not in the plan /p/plan\.json \(it plans prod\); nothing was written to it"),
    (PLAN_TEXT, {"stage": "staging"}, r"the plan of prod was made for provider descope, project portal, stage prod, prune false; "
                                      r"this run is descope, portal, staging, prune false\. Apply with the same settings"),
    (PLAN_TEXT, {"prune": True}, r"prune false; this run is descope, portal, prod, prune true"),
    (json.dumps({"format": "flowops.flows/plan", "version": 1, "hosts": {"prod": {"flows": "x"}}}), {}, r"\(and its flows are not a list\)"),
])
def test_plan_expect_refuses_naming_the_file_and_what_was_expected(text, run, message):
    with pytest.raises(AnsibleFilterError, match=message):
        flow_plan_expect(text, **dict(RUN, **run))
