# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow_changes filter and the engine's per-flow ``changes`` share one implementation (module_utils/_changes)."""

from __future__ import annotations

import json

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.flowops.flows.plugins.filter.flow_changes import FilterModule, flow_changes
from ansible_collections.flowops.flows.plugins.module_utils._changes import describe_documents
from ansible_collections.flowops.flows.plugins.module_utils._sync import Adapter, Engine, Item

BEFORE = {"contents": {"tasks": {"2": {"name": "Send", "action": "sendEmail", "subject": "Hi"}}},
          "screens": [{"id": "s1", "title": "Old"}], "metadata": {"name": "Sign up"}}
AFTER = {"contents": {"tasks": {"2": {"name": "Send", "action": "sendEmail", "subject": "Welcome"}}},
         "screens": [{"id": "s1", "title": "Old"}, {"id": "s2", "title": "New"}], "metadata": {"name": "Sign up"}}


def test_describe_documents_names_descope_tasks_and_screens():
    changes = describe_documents(BEFORE, AFTER, "descope")
    assert changes == ["task 2 'Send' (sendEmail): subject changed from 'Hi' to 'Welcome'", "screen id=s2 added"]


def test_davinci_nodes_and_koreai_variables_are_named():
    before = {"graphData": {"elements": {"nodes": [{"data": {"id": "n1", "properties": {"x": 1}}}]}}}
    after = {"graphData": {"elements": {"nodes": [{"data": {"id": "n1", "properties": {"x": 2}}}]}}}
    assert describe_documents(before, after, "davinci") == ["node n1: data.properties.x changed from 1 to 2"]
    changes = describe_documents({"env_variables": [{"key": "URL", "value": "a"}]}, {"env_variables": [{"key": "URL", "value": "b"}]}, "koreai")
    assert changes == ["environment variable URL: value changed from 'a' to 'b'"]


def test_added_removed_and_equal():
    assert describe_documents(None, AFTER) == ["added (does not exist in the target yet)"]
    assert describe_documents(BEFORE, None) == ["removed (exists only in the target)"]
    assert not describe_documents(BEFORE, json.loads(json.dumps(BEFORE)))
    assert not describe_documents(None, None)


def test_long_lists_are_capped_and_say_how_many_more():
    before = {"v%03d" % i: i for i in range(120)}
    after = {"v%03d" % i: i + 1 for i in range(120)}
    changes = describe_documents(before, after, None, limit=50)
    assert len(changes) == 50
    assert changes[-1] == "... and 71 more changes"
    assert len(describe_documents(before, after, None, limit=None)) == 120


def test_filter_reads_a_module_diff_and_lists_every_change():
    diff = {"before": json.dumps(BEFORE), "after": json.dumps(AFTER),
            "before_header": "descope 'Sign up' (sign-up) (target)", "after_header": "descope 'Sign up' (sign-up) (desired)"}
    assert flow_changes(diff, provider="descope") == [{"flow": "descope 'Sign up' (sign-up)", "changes": describe_documents(BEFORE, AFTER, "descope")}]
    before = {"v%03d" % i: i for i in range(120)}
    after = {"v%03d" % i: i + 1 for i in range(120)}
    assert len(flow_changes({"before": before, "after": after})[0]["changes"]) == 120
    assert FilterModule().filters()["flow_changes"] is flow_changes


def test_filter_rejects_bad_input():
    with pytest.raises(AnsibleFilterError, match="not JSON"):
        flow_changes({"before": "{", "after": "{}"})
    with pytest.raises(AnsibleFilterError, match="expects a diff dict"):
        flow_changes("text")


class Store(Adapter):
    provider = "descope"

    def __init__(self, store):
        self.store = store

    def read(self, item):
        return self.store.get(item.key)

    def create(self, item, desired):
        self.store[item.key] = desired

    def update(self, item, desired, current):
        self.store[item.key] = desired

    def delete(self, item, current):
        del self.store[item.key]

    def mask(self, doc):
        return dict(doc, secret="********") if "secret" in doc else doc


@pytest.mark.parametrize("check_mode", [True, False])
def test_engine_returns_changes_without_diff_mode_and_masks_secrets(check_mode):
    store = {"a": dict(BEFORE, secret="s3cr3t-old"), "b": dict(BEFORE)}
    engine = Engine(Store(store), check_mode=check_mode, diff_mode=False)
    report = engine.apply([Item("a", desired=dict(AFTER, secret="s3cr3t-new")), Item("b", desired=dict(BEFORE)),
                           Item("c", desired=dict(AFTER))])
    by_id = {flow["id"]: flow for flow in report["flows"]}
    assert by_id["a"]["changes"] == describe_documents(BEFORE, AFTER, "descope")   # the secret change is masked away
    assert "s3cr3t" not in json.dumps(report)
    assert by_id["b"]["changes"] == []
    assert by_id["c"]["changes"] == ["added (does not exist in the target yet)"]
    assert report["diff"] == []


def test_engine_delete_says_removed():
    engine = Engine(Store({"a": dict(BEFORE)}), check_mode=True)
    report = engine.apply([Item("a")], state="absent")
    assert report["flows"][0]["changes"] == ["removed (exists only in the target)"]


def test_filter_reads_a_module_flows_list_like_its_diff():
    store = {"sign-up": dict(BEFORE), "same": dict(BEFORE)}
    report = Engine(Store(store), check_mode=True, diff_mode=True).apply(
        [Item("sign-up", name="Sign up", desired=dict(AFTER)), Item("same", desired=dict(BEFORE))])
    from_flows = flow_changes(report["flows"], provider="descope")
    assert from_flows == flow_changes(report["diff"], provider="descope")
    assert from_flows == [{"flow": "descope 'Sign up' (sign-up)", "changes": describe_documents(BEFORE, AFTER, "descope")}]
