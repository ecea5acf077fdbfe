# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reconcile engine, driven through a fake in-memory adapter."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from ansible_collections.flowops.flows.plugins.module_utils._document import JsonNumber, Packed, pack
from ansible_collections.flowops.flows.plugins.module_utils._sync import Adapter, Engine, Item, SyncError


class FakeAdapter(Adapter):
    """An in-memory target. ``volatile`` is a server-owned key the normaliser drops."""

    provider = "fake"

    def __init__(self, store=None, fail_write_on=None, corrupt_on=None, delay=0.0):
        self.store = {k: dict(v) for k, v in (store or {}).items()}
        self.writes = []
        self.fail_write_on = fail_write_on or set()
        self.corrupt_on = corrupt_on or set()
        self.delay = delay
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def read(self, item):
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            doc = self.store.get(item.key)
            return dict(doc) if doc is not None else None
        finally:
            with self._lock:
                self.active -= 1

    def normalise(self, doc, item):
        return {k: v for k, v in doc.items() if k != "volatile"}

    def _write(self, kind, item, desired):
        self.writes.append((kind, item.key))
        if item.key in self.fail_write_on:
            raise RuntimeError("HTTP 503 while writing")
        doc = dict(desired or {})
        doc["volatile"] = len(self.writes)
        if item.key in self.corrupt_on:
            doc["body"] = "something else"
        self.store[item.key] = doc

    def create(self, item, desired):
        self._write("create", item, desired)

    def update(self, item, desired, current):
        self._write("update", item, desired)

    def delete(self, item, current):
        self.writes.append(("delete", item.key))
        self.store.pop(item.key, None)

    def mask(self, doc):
        return {k: ("********" if k == "secret" else v) for k, v in doc.items()}


def engine(adapter, **kwargs):
    kwargs.setdefault("parallel", 4)
    return Engine(adapter, **kwargs)


def test_created_updated_unchanged_in_one_run():
    adapter = FakeAdapter({"a": {"body": "old", "volatile": 7}, "b": {"body": "same", "volatile": 9}})
    items = [Item("a", desired={"body": "new"}), Item("b", desired={"body": "same"}), Item("c", desired={"body": "fresh"})]
    report = engine(adapter).apply(items)
    assert [f["action"] for f in report["flows"]] == ["updated", "unchanged", "created"]
    assert report["changed"] is True
    assert sorted(adapter.writes) == [("create", "c"), ("update", "a")]
    # a second run converges: nothing to write
    adapter.writes.clear()
    report = engine(adapter).apply(items)
    assert report["changed"] is False
    assert [f["action"] for f in report["flows"]] == ["unchanged"] * 3
    assert adapter.writes == []


def test_server_owned_field_does_not_cause_a_write():
    adapter = FakeAdapter({"a": {"body": "x", "volatile": 123}})
    report = engine(adapter).apply([Item("a", desired={"body": "x", "volatile": 1})])
    assert report["flows"][0]["action"] == "unchanged"
    assert adapter.writes == []


def test_check_mode_makes_no_write_and_returns_the_masked_diff():
    adapter = FakeAdapter({"a": {"body": "old", "secret": "s3cr3t"}})
    report = engine(adapter, check_mode=True, diff_mode=True).apply([Item("a", desired={"body": "new", "secret": "s3cr3t"}),
                                                                    Item("n", desired={"body": "brand new"})])
    assert adapter.writes == []
    assert [f["action"] for f in report["flows"]] == ["updated", "created"]
    assert report["changed"] is True
    assert len(report["diff"]) == 2
    before, after = report["diff"][0]["before"], report["diff"][0]["after"]
    assert '"body": "old"' in before and '"body": "new"' in after
    assert "s3cr3t" not in before + after and "********" in after
    assert report["diff"][1]["before"] == ""


def test_no_diff_without_diff_mode():
    adapter = FakeAdapter({"a": {"body": "old"}})
    report = engine(adapter).apply([Item("a", desired={"body": "new"})])
    assert report["diff"] == []


def test_failed_verify_is_reported():
    adapter = FakeAdapter(corrupt_on={"a"})
    with pytest.raises(SyncError) as err:
        engine(adapter, rollback=False).apply([Item("a", desired={"body": "x"})])
    flow = err.value.report["flows"][0]
    assert flow["action"] == "failed"
    assert "does not hold the desired document" in flow["error"]
    assert "'a'" in str(err.value)


def test_write_failure_mid_batch_reports_precisely_and_rolls_back():
    before = {"a": {"body": "a0"}, "b": {"body": "b0"}}
    adapter = FakeAdapter(before, fail_write_on={"b"})
    items = [Item("a", desired={"body": "a1"}, stage=0), Item("b", desired={"body": "b1"}, stage=0), Item("c", desired={"body": "c1"}, stage=1)]
    with pytest.raises(SyncError) as err:
        engine(adapter, parallel=1).apply(items)
    report = err.value.report
    actions = {f["id"]: f["action"] for f in report["flows"]}
    assert actions == {"a": "updated", "b": "failed", "c": "skipped"}
    assert "HTTP 503" in str(err.value) and "a (updated)" in str(err.value)
    # c (a later stage) was never attempted, and a was put back
    assert ("create", "c") not in adapter.writes
    assert report["rolled_back"] == ["a"]
    assert report["flows"][0]["rollback"] == "restored"
    assert {k: {kk: vv for kk, vv in v.items() if kk != "volatile"} for k, v in adapter.store.items()} == before


class TwoStepAdapter(FakeAdapter):
    """An update of two calls (import, then deploy) whose second call fails once, after the first one wrote."""

    def __init__(self, store, fail_deploy_on):
        super().__init__(store)
        self.fail_deploy_on = fail_deploy_on

    def update(self, item, desired, current):
        self._write("update", item, desired)
        item.written = True
        if item.key in self.fail_deploy_on:
            self.fail_deploy_on.discard(item.key)   # once: the rollback's own deploy goes through
            raise RuntimeError("HTTP 500 on deploy")


def test_failure_after_part_of_an_update_wrote_is_rolled_back():
    before = {"a": {"body": "a0"}, "b": {"body": "b0"}}
    adapter = TwoStepAdapter(before, fail_deploy_on={"b"})
    with pytest.raises(SyncError) as err:
        engine(adapter, parallel=1).apply([Item("a", desired={"body": "a1"}), Item("b", desired={"body": "b1"})])
    report = err.value.report
    assert {f["id"]: f["action"] for f in report["flows"]} == {"a": "updated", "b": "failed"}
    assert sorted(report["rolled_back"]) == ["a", "b"]
    assert report["flows"][1]["rollback"] == "restored"
    assert "HTTP 500 on deploy" in str(err.value) and "rolled back from the pre-write state" in str(err.value)
    assert {k: {kk: vv for kk, vv in v.items() if kk != "volatile"} for k, v in adapter.store.items()} == before


def test_a_plain_update_that_fails_is_not_rolled_back():
    """An update that failed without writing (item.written not set) has nothing to put back."""
    adapter = FakeAdapter({"b": {"body": "b0"}}, fail_write_on={"b"})
    with pytest.raises(SyncError) as err:
        engine(adapter, parallel=1).apply([Item("b", desired={"body": "b1"})])
    assert err.value.report["rolled_back"] == []
    assert adapter.writes == [("update", "b")]


def test_packed_desired_documents_are_parsed_only_while_the_engine_works_on_them():
    store = {"f%02d" % i: {"body": "old"} for i in range(12)}
    items = [Item(key, desired=pack({"body": "new", "n": JsonNumber("1.50")})) for key in store]

    class Counting(FakeAdapter):
        peak = 0

        def prepare(self, item):
            doc = super().prepare(item)
            with self._lock:
                self.peak = max(self.peak, sum(1 for i in items if i._parsed is not None))  # pylint: disable=protected-access
            return doc

    adapter = Counting(store, delay=0.01)
    report = engine(adapter, parallel=3).apply(items)
    assert [f["action"] for f in report["flows"]] == ["updated"] * 12
    assert 1 <= adapter.peak <= 3     # at most `parallel` parsed at once, in the survey and in the writes
    assert all(i._parsed is None for i in items)  # pylint: disable=protected-access
    assert adapter.store["f00"]["n"].text == "1.50" and items[0].has_desired


def test_the_survey_read_and_the_rollback_state_are_held_packed_and_come_back_exactly():
    before = {"a": {"z": JsonNumber("2.0"), "body": "a0"}, "b": {"body": "b0"}}
    adapter = FakeAdapter(before, fail_write_on={"b"})
    items = [Item("a", desired={"body": "a1"}), Item("b", desired={"body": "b1"}, stage=1)]
    run = engine(adapter, parallel=1)
    held = {}
    original = run._present_one  # pylint: disable=protected-access

    def spy(item):
        held[item.key] = item.survey.get("current")
        return original(item)

    run._present_one = spy  # pylint: disable=protected-access
    with pytest.raises(SyncError) as err:
        run.apply(items)
    assert err.value.report["rolled_back"] == ["a"]
    assert isinstance(held["a"], Packed) and isinstance(held["b"], Packed)
    assert all(isinstance(previous, Packed) for _item, previous in run._written)  # pylint: disable=protected-access
    assert run._written[0][1] is held["a"]   # the survey's packed read is reused, not packed again  # pylint: disable=protected-access
    restored = adapter.store["a"]
    assert list(restored)[:2] == ["z", "body"] and restored["z"].text == "2.0" and restored["body"] == "a0"


def test_a_rollback_state_that_cannot_be_unpacked_names_the_flow_changed_and_the_others_are_restored(tmp_path):
    before = {"a": {"body": "a0"}, "b": {"body": "b0"}}

    class Breaking(FakeAdapter):
        engine = None

        def _write(self, kind, item, desired):
            if item.key == "c":   # the failing write: break the held pre-write state of a first
                self.engine._written[0][1].data = b"not zlib"  # pylint: disable=protected-access
            super()._write(kind, item, desired)

    adapter = Breaking(before, fail_write_on={"c"})
    run = adapter.engine = engine(adapter, parallel=1, backup_dir=str(tmp_path))
    items = [Item("a", desired={"body": "a1"}), Item("b", desired={"body": "b1"}), Item("c", desired={"body": "c1"}, stage=1)]
    with pytest.raises(SyncError) as err:
        run.apply(items)
    flows = {f["id"]: f for f in err.value.report["flows"]}
    assert flows["a"]["rollback"].startswith("failed") and flows["a"]["changed"] is True and flows["a"]["backup_file"]
    assert flows["b"]["rollback"] == "restored" and adapter.store["b"]["body"] == "b0"
    assert "NOT rolled back" in str(err.value) and err.value.report["changed"] is True


def test_a_pre_write_state_that_cannot_be_packed_is_still_recorded_for_the_rollback(monkeypatch):
    from ansible_collections.flowops.flows.plugins.module_utils import _document  # pylint: disable=import-outside-toplevel

    def too_deep(_doc):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(_document, "dumps_compact", too_deep)
    adapter = FakeAdapter({"a": {"body": "a0"}}, fail_write_on={"b"})
    items = [Item("a", desired={"body": "a1"}), Item("b", desired={"body": "b1"}, stage=1)]
    with pytest.raises(SyncError) as err:
        engine(adapter, parallel=1).apply(items)
    assert err.value.report["rolled_back"] == ["a"] and adapter.store["a"]["body"] == "a0"


def test_rollback_removes_what_the_run_created():
    adapter = FakeAdapter(fail_write_on={"z"})
    with pytest.raises(SyncError) as err:
        engine(adapter, parallel=1).apply([Item("new", desired={"body": 1}), Item("z", desired={"body": 2}, stage=1)])
    assert err.value.report["flows"][0]["rollback"] == "removed"
    assert "new" not in adapter.store


class LostAnswerError(RuntimeError):
    """What ``_http`` raises when a write's answer was lost (``ApiError.outcome_unknown``)."""

    outcome_unknown = True


class LostAnswerAdapter(FakeAdapter):
    """Writes of ``lose_on`` land (or, with ``apply=False``, do not) and then lose their answer; reads of
    ``unreadable`` fail (``unreadable_after`` reads first succeed); restores of ``restore_fails`` fail."""

    def __init__(self, store, lose_on=(), apply=True, unreadable=(), unreadable_after=0, restore_fails=()):
        super().__init__(store)
        self.lose_on = set(lose_on)
        self.apply = apply
        self.unreadable = set(unreadable)
        self.unreadable_after = unreadable_after
        self.restore_fails = set(restore_fails)
        self.reads = 0

    def read(self, item):
        self.reads += 1
        if item.key in self.unreadable and self.reads > self.unreadable_after:
            raise RuntimeError("HTTP 503 on read")
        return super().read(item)

    def _write(self, kind, item, desired):
        if item.key in self.lose_on:
            if self.apply:
                super()._write(kind, item, desired)
            else:
                self.writes.append((kind, item.key))
            raise LostAnswerError("no HTTP response: connection reset")
        super()._write(kind, item, desired)

    def restore(self, item, previous):
        if item.key in self.restore_fails:
            raise RuntimeError("HTTP 503 on read")
        super().restore(item, previous)


def test_a_write_whose_answer_was_lost_but_landed_is_a_success():
    adapter = LostAnswerAdapter({"a": {"body": "a0"}}, lose_on={"a"})
    report = engine(adapter, parallel=1).apply([Item("a", desired={"body": "a1"})])
    assert report["changed"] is True and report["flows"][0]["action"] == "updated"
    assert adapter.writes == [("update", "a")]          # re-read, never re-sent
    assert adapter.store["a"]["body"] == "a1"


def test_a_write_whose_answer_was_lost_and_did_not_land_is_a_clean_failure():
    adapter = LostAnswerAdapter({"a": {"body": "a0"}}, lose_on={"a"}, apply=False)
    with pytest.raises(SyncError) as err:
        engine(adapter, parallel=1).apply([Item("a", desired={"body": "a1"})])
    report = err.value.report
    assert report["changed"] is False and report["rolled_back"] == []
    assert "changed" not in report["flows"][0] and adapter.writes == [("update", "a")]
    assert adapter.store["a"]["body"] == "a0"


def test_a_lost_answer_whose_re_read_fails_is_reported_as_may_have_changed(tmp_path):
    adapter = LostAnswerAdapter({"a": {"body": "a0"}}, lose_on={"a"}, unreadable={"a"}, unreadable_after=1)
    with pytest.raises(SyncError) as err:
        engine(adapter, parallel=1, backup_dir=str(tmp_path)).apply([Item("a", desired={"body": "a1"})])
    report = err.value.report
    flow = report["flows"][0]
    assert report["changed"] is True and flow["changed"] is True and flow["action"] == "failed"
    assert flow["backup_file"] and json.loads(open(flow["backup_file"], encoding="utf-8").read()) == {"body": "a0"}
    assert flow["rollback"].startswith("failed")                 # the rollback could not read the target either
    text = str(err.value)
    assert "a (may have changed)" in text and "NOT rolled back" in text and flow["backup_file"] in text
    assert adapter.store["a"]["body"] == "a1"                    # what the report says: the write landed


def test_a_failed_rollback_names_the_flow_changed_with_its_backup(tmp_path):
    before = {"a": {"body": "a0"}, "b": {"body": "b0"}}
    adapter = LostAnswerAdapter(before, restore_fails={"a"})
    adapter.fail_write_on = {"b"}
    with pytest.raises(SyncError) as err:
        engine(adapter, parallel=1, backup_dir=str(tmp_path)).apply([Item("a", desired={"body": "a1"}), Item("b", desired={"body": "b1"})])
    report = err.value.report
    flow_a = report["flows"][0]
    assert report["changed"] is True and flow_a["changed"] is True and flow_a["rollback"].startswith("failed")
    assert flow_a["backup_file"] and os.path.isfile(flow_a["backup_file"])
    assert "a (updated)" in str(err.value) and "NOT rolled back" in str(err.value) and flow_a["backup_file"] in str(err.value)


def test_a_two_step_update_whose_rollback_fails_is_changed():
    class UnrestorableTwoStep(TwoStepAdapter):
        def restore(self, item, previous):
            raise RuntimeError("HTTP 401 on read")

    adapter = UnrestorableTwoStep({"b": {"body": "b0"}}, fail_deploy_on={"b"})
    with pytest.raises(SyncError) as err:
        engine(adapter, parallel=1).apply([Item("b", desired={"body": "b1"})])
    flow = err.value.report["flows"][0]
    assert flow["action"] == "failed" and flow["changed"] is True and err.value.report["changed"] is True
    assert "b (may have changed)" in str(err.value) and "NOT rolled back" in str(err.value)


def test_a_lost_answer_of_a_delete_is_re_read():
    class LostDelete(FakeAdapter):
        def delete(self, item, current):
            super().delete(item, current)
            raise LostAnswerError("no HTTP response: connection reset")

    adapter = LostDelete({"a": {"body": "a0"}})
    report = engine(adapter, parallel=1).apply([Item("a")], state="absent")
    assert report["flows"][0]["action"] == "deleted" and "a" not in adapter.store


def test_stages_run_in_order_and_absent_runs_them_reversed():
    adapter = FakeAdapter()
    engine(adapter).apply([Item("parent", desired={"x": 1}, stage=1), Item("sub", desired={"x": 2}, stage=0)])
    assert [key for _kind, key in adapter.writes] == ["sub", "parent"]
    adapter.writes.clear()
    report = engine(adapter).apply([Item("parent", stage=1), Item("sub", stage=0), Item("gone", stage=0)], state="absent")
    assert [key for _kind, key in adapter.writes] == ["parent", "sub"]
    assert [f["action"] for f in report["flows"]] == ["deleted", "deleted", "absent"]


def test_absent_check_mode_makes_no_write():
    adapter = FakeAdapter({"a": {"body": 1}})
    report = engine(adapter, check_mode=True, diff_mode=True).apply([Item("a")], state="absent")
    assert report["flows"][0]["action"] == "deleted" and adapter.writes == [] and "a" in adapter.store
    assert report["diff"][0]["after"] == ""


def test_reads_run_concurrently_up_to_parallel():
    adapter = FakeAdapter({str(i): {"v": i} for i in range(12)}, delay=0.05)
    engine(adapter, parallel=4).apply([Item(str(i), desired={"v": i}) for i in range(12)])
    assert adapter.max_active == 4
    adapter.max_active = 0
    engine(adapter, parallel=1).apply([Item(str(i), desired={"v": i}) for i in range(3)])
    assert adapter.max_active == 1


def test_backup_written_before_update(tmp_path):
    adapter = FakeAdapter({"a/../x": {"body": "old"}})
    report = engine(adapter, backup_dir=str(tmp_path)).apply([Item("a/../x", desired={"body": "new"})])
    path = report["flows"][0]["backup_file"]
    assert path and os.path.dirname(os.path.dirname(path)) == str(tmp_path)
    assert json.loads(open(path, encoding="utf-8").read())["body"] == "old"


def _snapshot_to(folder, adapter=None):
    """A ``Plan.snapshot``: ``<folder>/<key>.json``; records the writes the adapter had made when each file was written."""
    seen = {}

    def files_for(item, current):
        seen[item.key] = list(adapter.writes) if adapter is not None else None
        return [(str(folder / (item.key + ".json")), current)]

    return files_for, seen


def test_snapshot_is_the_survey_read_written_before_the_first_write(tmp_path):
    adapter = FakeAdapter({"a": {"body": "old"}, "b": {"body": "same"}, "gone": {"body": "pruned"}})
    adapter.targets = lambda: [Item("a"), Item("b"), Item("gone")]
    snapshot, seen = _snapshot_to(tmp_path, adapter)
    items = [Item("a", desired={"body": "new"}), Item("b", desired={"body": "same"}), Item("c", desired={"body": "fresh"})]
    report = engine(adapter).apply(items, prune=True, snapshot=snapshot)
    assert [f["action"] for f in report["flows"]] == ["updated", "unchanged", "created", "deleted"]
    # every flow the target had and the run read (unchanged and pruned ones too), as it was, before any write
    assert sorted(os.listdir(tmp_path)) == ["a.json", "b.json", "gone.json"]
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8")) == {"body": "old"}
    assert json.loads((tmp_path / "gone.json").read_text(encoding="utf-8")) == {"body": "pruned"}
    assert seen == {"a": [], "b": [], "gone": []}
    # each target flow is read once: the snapshot did not cost a read of its own
    reads = []
    adapter.read = lambda item, read=adapter.read: reads.append(item.key) or read(item)
    engine(adapter).apply([Item("a", desired={"body": "new"}), Item("b", desired={"body": "same"})], snapshot=snapshot)
    assert sorted(reads) == ["a", "b"]


def test_snapshot_is_not_written_in_check_mode(tmp_path):
    adapter = FakeAdapter({"a": {"body": "old"}})
    snapshot, _seen = _snapshot_to(tmp_path)
    engine(adapter, check_mode=True).apply([Item("a", desired={"body": "new"})], snapshot=snapshot)
    assert os.listdir(tmp_path) == [] and adapter.writes == []


def test_a_snapshot_that_cannot_be_written_fails_before_any_write(tmp_path):
    adapter = FakeAdapter({"a": {"body": "old"}, "b": {"body": "old"}})
    (tmp_path / "b.json").mkdir()   # a directory where the backup file goes
    snapshot, _seen = _snapshot_to(tmp_path)
    with pytest.raises(SyncError) as err:
        engine(adapter).apply([Item("a", desired={"body": "new"}), Item("b", desired={"body": "new"})], snapshot=snapshot)
    assert "b.json" in str(err.value) and "Nothing was written" in str(err.value)
    assert adapter.writes == [] and err.value.report["changed"] is False


def test_export_rewrites_only_changed_files(tmp_path):
    adapter = FakeAdapter({"a": {"body": "one"}})
    dest = tmp_path / "a.json"

    def files_for(item, current):  # pylint: disable=unused-argument
        return [(str(dest), current)]

    report = engine(adapter).export([Item("a")], files_for)
    assert report["flows"][0]["action"] == "exported" and report["changed"]
    mtime = os.stat(dest).st_mtime_ns
    report = engine(adapter).export([Item("a")], files_for)
    assert report["flows"][0]["action"] == "unchanged" and not report["changed"]
    assert os.stat(dest).st_mtime_ns == mtime
    adapter.store["a"]["body"] = "two"
    report = engine(adapter, check_mode=True, diff_mode=True).export([Item("a")], files_for)
    assert report["changed"] and '"body": "one"' in report["diff"][0]["before"] and '"body": "two"' in report["diff"][0]["after"]
    assert '"one"' in dest.read_text(encoding="utf-8")


def test_export_of_a_missing_flow_fails_with_its_name(tmp_path):
    with pytest.raises(SyncError) as err:
        engine(FakeAdapter()).export([Item("nope", name="Nope")], lambda item, cur: [(str(tmp_path / "x.json"), cur)])
    assert "'Nope' (nope)" in str(err.value) and "not found" in str(err.value)
