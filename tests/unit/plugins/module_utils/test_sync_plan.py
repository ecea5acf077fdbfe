# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's plan support: fingerprints read before any write, ``expect`` and ``prune``, with fake adapters."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.flowops.flows.plugins.module_utils._sync import Engine, FlowError, Item, SyncError

from .test_sync import FakeAdapter


class PruneAdapter(FakeAdapter):
    """A fake target that can list its flows; ``keep`` are flows it must never delete (built-in)."""

    def __init__(self, store=None, keep=(), fail_delete_on=(), **kwargs):
        super().__init__(store, **kwargs)
        self.keep = set(keep)
        self.fail_delete_on = set(fail_delete_on)

    def targets(self):
        return [Item(key, data={"keep": "built-in"} if key in self.keep else {}) for key in sorted(self.store)]

    def delete(self, item, current):
        self.writes.append(("delete", item.key))
        if item.key in self.fail_delete_on:
            raise RuntimeError("HTTP 409 while deleting")
        self.store.pop(item.key, None)


class LinkedAdapter(FakeAdapter):
    """Like DaVinci: a flow calls its subflow by the id the target gave it, which a created subflow only has after
    its write. ``prepare`` fills in the ids known now; ``fingerprint_form`` writes every reference by name."""

    def __init__(self, store=None, **kwargs):
        super().__init__(store, **kwargs)
        self.ids = {key: "id-%s" % key for key in self.store}

    def _write(self, kind, item, desired):
        super()._write(kind, item, desired)
        self.ids[item.key] = "id-%s-%d" % (item.key, len(self.writes))

    def prepare(self, item):
        doc = dict(item.desired)
        if "calls" in doc:
            doc["calls"] = self.ids.get(doc["calls"], "@flow:" + doc["calls"])
        return doc

    def fingerprint_form(self, doc, item):
        names = {v: k for k, v in self.ids.items()}
        doc = self.normalise(doc, item)
        if doc.get("calls") in names:
            doc["calls"] = "@flow:" + names[doc["calls"]]
        return doc


def run(adapter, items, **kwargs):
    expect = kwargs.pop("expect", None)
    prune = kwargs.pop("prune", False)
    return Engine(adapter, parallel=2, **kwargs).apply(items, "present", expect=expect, prune=prune)


def plan_of(report):
    return [{k: f.get(k) for k in ("id", "name", "action", "fingerprint", "current_fingerprint")} for f in report["flows"]]


def items():
    return [Item("a", desired={"body": "new"}), Item("b", desired={"body": "same"}), Item("c", desired={"body": "fresh"})]


STORE = {"a": {"body": "old", "volatile": 1}, "b": {"body": "same", "volatile": 2}}


def test_every_result_carries_both_fingerprints_and_check_mode_gives_the_real_values():
    checked = run(FakeAdapter(STORE), items(), check_mode=True)
    adapter = FakeAdapter(STORE)
    applied = run(adapter, items())
    assert plan_of(checked) == plan_of(applied)
    by_id = {f["id"]: f for f in applied["flows"]}
    assert by_id["c"]["current_fingerprint"] is None and by_id["c"]["action"] == "created"
    assert by_id["b"]["fingerprint"] == by_id["b"]["current_fingerprint"]
    assert by_id["a"]["fingerprint"] != by_id["a"]["current_fingerprint"]
    # a second plan: what was desired is now current
    again = run(adapter, items(), check_mode=True)
    assert all(f["fingerprint"] == f["current_fingerprint"] and f["action"] == "unchanged" for f in again["flows"])
    assert [f["fingerprint"] for f in again["flows"]] == [f["fingerprint"] for f in applied["flows"]]


def test_fingerprints_do_not_depend_on_ids_this_run_creates():
    def linked():
        return [Item("sub", desired={"body": "sub"}, stage=0), Item("main", desired={"body": "main", "calls": "sub"}, stage=1)]
    checked = run(LinkedAdapter({}), linked(), check_mode=True)
    applied = run(LinkedAdapter({}), linked())
    assert plan_of(checked) == plan_of(applied)
    assert [f["action"] for f in applied["flows"]] == ["created", "created"]


def test_the_survey_read_is_reused_before_the_first_write():
    adapter = FakeAdapter(STORE)
    reads = []
    original = adapter.read

    def counting(item):
        reads.append(item.key)
        return original(item)
    adapter.read = counting
    run(adapter, [Item("a", desired={"body": "new"})], verify=False)
    assert reads == ["a"]


def test_apply_with_its_own_plan_writes_exactly_it():
    plan = plan_of(run(FakeAdapter(STORE), items(), check_mode=True))
    adapter = FakeAdapter(STORE)
    report = run(adapter, items(), expect=plan)
    assert sorted(adapter.writes) == [("create", "c"), ("update", "a")]
    assert plan_of(report) == plan


def test_unchanged_flows_need_not_be_listed():
    plan = [f for f in plan_of(run(FakeAdapter(STORE), items(), check_mode=True)) if f["action"] != "unchanged"]
    adapter = FakeAdapter(STORE)
    run(adapter, items(), expect=plan)
    assert len(adapter.writes) == 2


@pytest.mark.parametrize("change, reason", [
    ("target", "the target changed since the plan"),
    ("input", "the input changed since the plan"),
    ("unlisted", "would be created, but the plan does not list it"),
    ("missing", "the plan says updated, but it is not in the input"),
])
def test_a_run_that_differs_from_its_plan_writes_nothing_and_names_the_flow(change, reason):
    plan = plan_of(run(FakeAdapter(STORE), items(), check_mode=True))
    store = {k: dict(v) for k, v in STORE.items()}
    todo = items()
    if change == "target":
        store["a"]["body"] = "edited by hand"
    elif change == "input":
        todo[0].desired = {"body": "newer"}
    elif change == "unlisted":
        plan = [p for p in plan if p["id"] != "c"]
    elif change == "missing":
        todo = todo[1:]
    adapter = FakeAdapter(store)
    with pytest.raises(SyncError) as caught:
        run(adapter, todo, expect=plan)
    assert adapter.writes == []
    assert reason in str(caught.value) and "nothing was written" in str(caught.value)
    named = "'c'" if change == "unlisted" else "'a'"
    assert named in str(caught.value)
    assert caught.value.report["changed"] is False
    assert all(not f["changed"] for f in caught.value.report["flows"])


def test_the_refusal_comes_before_the_first_stage_writes():
    def staged():
        return [Item("sub", desired={"body": "s"}, stage=0), Item("main", desired={"body": "m"}, stage=1)]
    plan = plan_of(run(FakeAdapter({}), staged(), check_mode=True))
    adapter = FakeAdapter({"main": {"body": "created by someone else"}})   # only the later stage's flow changed
    with pytest.raises(SyncError, match="'main'.*the target changed since the plan"):
        run(adapter, staged(), expect=plan)
    assert adapter.writes == []


def test_a_read_failure_in_the_survey_writes_nothing():
    class Broken(FakeAdapter):
        def read(self, item):
            if item.key == "b":
                raise RuntimeError("HTTP 500 on read")
            return super().read(item)
    adapter = Broken(STORE)
    with pytest.raises(SyncError, match="HTTP 500 on read.*Nothing was written"):
        run(adapter, items())
    assert adapter.writes == []


def test_prune_deletes_what_is_not_desired_and_never_a_kept_flow(tmp_path):
    store = dict(STORE, old={"body": "gone"}, builtin={"body": "system"})
    checked = run(PruneAdapter(store, keep={"builtin"}), items(), check_mode=True, diff_mode=True, prune=True)
    deleted = [f for f in checked["flows"] if f["action"] == "deleted"]
    assert [f["id"] for f in deleted] == ["old"] and deleted[0]["fingerprint"] is None and deleted[0]["current_fingerprint"]
    assert any("old" in d["before_header"] and d["after"] == "" for d in checked["diff"])
    adapter = PruneAdapter(store, keep={"builtin"})
    applied = run(adapter, items(), prune=True, backup_dir=str(tmp_path))
    assert plan_of(applied) == plan_of(checked)
    assert adapter.writes[-1] == ("delete", "old") and "old" not in adapter.store and "builtin" in adapter.store
    backup = next(f["backup_file"] for f in applied["flows"] if f["id"] == "old")
    with open(backup, encoding="utf-8") as handle:
        assert json.load(handle)["body"] == "gone"
    assert os.stat(backup).st_mode & 0o777 == 0o600


def test_prune_off_deletes_nothing():
    adapter = PruneAdapter(dict(STORE, old={"body": "gone"}))
    report = run(adapter, items())
    assert "old" in adapter.store and all(f["action"] != "deleted" for f in report["flows"])


def test_a_failure_after_a_prune_puts_the_deleted_flow_back():
    store = dict(STORE, old1={"body": "one"}, old2={"body": "two"})
    adapter = PruneAdapter(store, fail_delete_on={"old2"})
    with pytest.raises(SyncError) as caught:
        Engine(adapter, parallel=1).apply(items(), "present", prune=True)
    assert adapter.store["old1"]["body"] == "one" and adapter.store["a"]["body"] == "old" and "c" not in adapter.store
    assert "old1" in caught.value.report["rolled_back"]


def test_prune_is_checked_against_the_plan():
    store = dict(STORE, old={"body": "gone"})
    plan = plan_of(run(PruneAdapter(store), items(), check_mode=True, prune=True))
    # a flow that appeared in the target after the plan would be deleted: refused
    adapter = PruneAdapter(dict(store, other={"body": "new by hand"}))
    with pytest.raises(SyncError, match="'other'.*would be deleted, but the plan does not list it"):
        run(adapter, items(), expect=plan, prune=True)
    assert adapter.writes == []
    # the plan deletes a flow, but the apply runs without prune: refused
    adapter = PruneAdapter(store)
    with pytest.raises(SyncError, match="'old'.*the plan deletes it"):
        run(adapter, items(), expect=plan)
    assert adapter.writes == []
    # exactly the plan
    adapter = PruneAdapter(store)
    run(adapter, items(), expect=plan, prune=True)
    assert ("delete", "old") in adapter.writes


def test_prune_on_an_adapter_without_a_listing_is_an_error():
    with pytest.raises(FlowError, match="prune is not supported"):
        run(FakeAdapter(STORE), items(), prune=True)
