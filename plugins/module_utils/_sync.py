# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provider-agnostic reconcile engine. Private to this collection.

Every flow module runs the same state machine, so behaviour is identical across
providers (DESIGN.md section 3)::

    load desired -> remap (adapter.prepare) -> read current -> normalise both -> decide
      -> check mode stops here (plan + diff)
      -> backup current -> write -> re-read and verify -> finalise (deploy ...) -> report

Items are grouped in *stages* (``Item.stage``): every item of a stage is read and
written concurrently (bounded by ``parallel``), and a stage starts only when the
previous one succeeded (for example subflows before the flows that call them). When an item fails,
later stages are skipped and, if ``rollback`` is set, every item already written in
this run is put back from the document read before the write.

Adapter interface (duck-typed; see ``Adapter`` for the defaults):

``provider`` (str)
    Name used in messages.
``read(item)``
    Return the current raw document for the item in the target, or ``None`` when absent.
``prepare(item)``
    Return the desired raw document for the target (environment remapping). Called
    at the item's stage, after earlier stages were written.
``normalise(doc, item)``
    Return the comparable form of a raw document (server-owned and volatile fields
    dropped). Desired and current are equal when their normal forms are equal.
``create(item, desired)`` / ``update(item, desired, current)`` / ``delete(item, current)``
    Write calls. ``create`` stores any new id in ``item.data``. A write whose answer was lost raises an error
    with ``outcome_unknown`` true (``_http.ApiError``): the engine re-reads the target to learn whether it landed
    (``Engine._after_failed_write``); ``LostAnswer`` says that a re-read cannot tell. An ``update`` made of several calls
    (for example an import, then a deploy) sets ``item.written = True`` once the target has changed, so that a
    failure after that point is rolled back from the document read before, like any write of the run.
``restore(item, previous)``
    Put back ``previous`` (a document returned by ``read``; ``None`` = delete what this run created).
``finalise(item, current, check_mode)``
    Optional post-step run for every present item, changed or not (for example a deploy
    when the published version is behind). Returns ``(changed, extra_result_fields)``.
``mask(doc)``
    Copy of a document with secret values masked, for diffs and results.
``result_fields(item, current)``
    Extra per-flow result fields (``id``, ``version`` ...).
``backup_name(item)``
    File name (one path component) for the backup of this item.
``backup_document(item, current)``
    What the backup file holds (default: ``current``); an adapter leaves secret values out here.
``survey(item)``
    Before any write of the run: ``(desired, current)``, the desired raw document as the plan fingerprints it and
    the target's current document (default: ``prepare`` then ``read``). It must not write: an adapter whose
    ``prepare`` writes (DaVinci creates empty flows to break a reference cycle) overrides it.
``fingerprint_form(doc, item)``
    The form whose fingerprint a plan records (default: ``normalise``). It must not depend on ids that only
    exist after this run's writes (DaVinci: subflow references become ``@flow:<name>``).
``targets()``
    For ``prune``: an ``Item`` for every flow of the target (``data["keep"]`` set to a reason for one that must
    never be deleted: a built-in flow, a flow a desired flow uses). Default: prune is not supported.
``reuse_read`` (bool attribute, default True)
    Whether the engine may use the survey's read instead of reading again before the first write of the run.
``verify`` (bool attribute, default True)
    Whether the engine re-reads and compares after each write; an adapter that verifies inside its
    own ``create``/``update`` (after an asynchronous import and deploy) sets it to False.

A module builds a ``Plan`` (adapter, items, state, and for ``exported`` the ``files_for`` callable) and
hands it to ``Engine.run``; see ``_module.run_module``.
"""

from __future__ import annotations

import datetime
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.flowops.flows.plugins.module_utils._changes import describe_documents
from ansible_collections.flowops.flows.plugins.module_utils._document import (
    diff as document_diff,
    dumps,
    fingerprint,
    pack,
    Packed,
    safe_join,
    safe_name,
    unpack,
    write_if_changed,
)

ACTIONS = ("created", "updated", "unchanged", "deleted", "exported", "absent", "failed", "skipped")


class FlowError(Exception):
    """An error a user can act on; the message names the flow, file or field."""


class VerifyError(FlowError):
    """The target did not hold the desired document after a write."""


class LostAnswer(FlowError):
    """A write whose answer was lost and whose effect cannot be learnt by re-reading the target (for example a
    create whose new id only the lost answer carried). The engine reports the item as may-have-changed."""

    outcome_unknown = True
    rereadable = False


class SyncError(FlowError):
    """A reconcile run failed part-way. ``report`` says exactly what was and wasn't written."""

    def __init__(self, message, report):
        super().__init__(message)
        self.report = report


class Item:  # pylint: disable=too-few-public-methods,too-many-instance-attributes
    """One flow (or workflow, or theme) to reconcile or export."""

    def __init__(self, key, name=None, desired=None, stage=0, data=None, source=None):
        self.key = key            # identity used in reports (flow id, or name when the id is unknown)
        self.name = name
        self._desired = desired   # raw desired document (None for delete/export), or a ``_document.Packed`` of it
        self._parsed = None       # the parsed copy of a packed desired document while the engine works on this item
        self.stage = stage
        self.data = dict(data or {})   # adapter-specific (target id, source id ...)
        self.source = source      # where the desired document came from (file path), for messages
        self.written = False      # set by an adapter whose update changed the target before it failed
        self.backup_file = None   # the pre-write backup of this item in this run (engine)
        self.may_have_changed = False   # a write of this item may have landed (engine): reported changed=true
        self.survey = None        # before any write of the run (engine): fingerprints, predicted action, current document
        self.survey_holds = False  # the survey's current document is still the target's (engine: nothing written since)
        self.held_current = None  # the packed form of the current document the engine's read reused (engine)

    @property
    def desired(self):
        """The raw desired document. A packed one is parsed on first use and kept until ``release()``."""
        held = self._desired
        if not isinstance(held, Packed):
            return held
        if self._parsed is None:
            self._parsed = held.unpack()
        return self._parsed

    @desired.setter
    def desired(self, value):
        self._desired = value
        self._parsed = None

    @property
    def has_desired(self):
        """Whether the item has a desired document (without parsing a packed one)."""
        return self._desired is not None

    def release(self):
        """Drop the parsed copy of a packed desired document (the engine calls this when it is done with the item)."""
        self._parsed = None
        self.held_current = None

    def label(self):
        """Human label for messages: ``'name' (key)``."""
        if self.name and self.name != self.key:
            return "'%s' (%s)" % (self.name, self.key)
        return "'%s'" % self.key


class Context:  # pylint: disable=too-few-public-methods
    """What a planner may use of the module run, without the module object."""

    def __init__(self, check_mode=False, diff_mode=False, warn=None, add_secret=None):
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.warn = warn or (lambda msg: None)
        self.add_secret = add_secret or (lambda value: None)


class Plan:  # pylint: disable=too-few-public-methods
    """What a provider's ``plan_*`` function returns: the adapter, the items and the state to reach.

    ``files_for`` (state ``exported``) is ``Engine.export``'s callable. ``result(report, context)`` optionally
    returns extra top-level result fields (and ``msg``) for the module's exit. ``snapshot`` (state ``present``) is a
    callable like ``files_for``: the files of the target's current document of each item the run reads before its
    first write (the pre-run backup, written as the provider's export writes it; not in check mode).
    """

    def __init__(self, adapter, items, state, files_for=None, result=None, expect=None, prune=False, snapshot=None):
        self.adapter = adapter
        self.items = list(items)
        self.state = state
        self.files_for = files_for
        self.result = result
        self.expect = expect      # plan entries the run must match exactly (Engine.apply), or None
        self.prune = prune        # delete the target's flows that are not in items (Engine.apply)
        self.snapshot = snapshot  # files_for of the pre-run backup (Engine.apply), or None

    def exit_fields(self, report, context):
        return dict(self.result(report, context)) if self.result is not None else {}


class Adapter:
    """Base class with the defaults of the adapter interface described in the module docstring."""

    provider = "provider"
    verify = True
    reuse_read = True

    def read(self, item):
        raise NotImplementedError

    def survey(self, item):
        desired = self.prepare(item) if item.has_desired else None
        return desired, self.read(item)

    def fingerprint_form(self, doc, item):
        return self.normalise(doc, item)

    def targets(self):
        raise FlowError("%s: prune is not supported" % self.provider)

    def prepare(self, item):
        return item.desired

    def normalise(self, doc, item):  # pylint: disable=unused-argument
        return doc

    def create(self, item, desired):
        raise NotImplementedError

    def update(self, item, desired, current):
        raise NotImplementedError

    def delete(self, item, current):
        raise NotImplementedError

    def restore(self, item, previous):
        if previous is None:
            self.delete(item, self.read(item))
        else:
            current = self.read(item)
            if current is None:
                self.create(item, previous)
            else:
                self.update(item, previous, current)

    def finalise(self, item, current, check_mode):  # pylint: disable=unused-argument
        return False, {}

    def mask(self, doc):
        return doc

    def result_fields(self, item, current):  # pylint: disable=unused-argument
        return {}

    def backup_name(self, item):
        return safe_name(str(item.key)) + ".json"

    def backup_document(self, item, current):  # pylint: disable=unused-argument
        return current


_UNREADABLE = object()


def _read_bytes(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _file_diff(path, old, new):
    """Before/after of a file's text, or None when the new content is not UTF-8 text (a zip)."""
    try:
        after = new.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return {"before": (old or b"").decode("utf-8", "replace"), "after": after, "before_header": path, "after_header": path}


def _encode(content):
    """A file's bytes: ``bytes`` as they are, a document as canonical JSON."""
    return content if isinstance(content, bytes) else dumps(content).encode("utf-8")


def _timestamp():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")


class Engine:
    """Runs the reconcile state machine for a list of items through one adapter."""

    def __init__(self, adapter, check_mode=False, diff_mode=False, parallel=4, backup_dir=None, rollback=True, verify=True):
        self.adapter = adapter
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.parallel = max(1, int(parallel or 1))
        self.backup_dir = backup_dir
        self.rollback = rollback
        self.verify = verify and getattr(adapter, "verify", True)
        self._lock = threading.Lock()
        self._written = []   # (item, previous raw document or None) in write order
        self._reuse = False  # whether the current stage may use the survey's reads (nothing written yet)
        self._snapshot = None  # files_for of the pre-run backup of the run being applied (Plan.snapshot)

    # ------------------------------------------------------------------ helpers
    def _map(self, func, items):
        if self.parallel == 1 or len(items) <= 1:
            return [func(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.parallel, len(items))) as pool:
            return list(pool.map(func, items))

    @staticmethod
    def _released(func):
        """``func(item)``, then the item's parsed desired document is dropped: at most ``parallel`` are held at a time."""
        def run(item):
            try:
                return func(item)
            finally:
                item.release()
        return run

    def _diff(self, item, before, after):
        masked_before = self.adapter.mask(before) if before is not None else None
        masked_after = self.adapter.mask(after) if after is not None else None
        return document_diff(
            masked_before if masked_before is not None else "",
            masked_after if masked_after is not None else "",
            before_header="%s %s (target)" % (self.adapter.provider, item.label()),
            after_header="%s %s (desired)" % (self.adapter.provider, item.label()),
        )

    def _changes(self, before, after):
        """The compact, always returned summary of a difference (normal forms, secrets masked)."""
        return describe_documents(self.adapter.mask(before) if before is not None else None,
                                  self.adapter.mask(after) if after is not None else None, self.adapter.provider)

    def _backup(self, item, current):
        if not self.backup_dir or current is None:
            return None
        base = os.path.join(self.backup_dir, self.adapter.provider)
        name = self.adapter.backup_name(item)
        stem, ext = os.path.splitext(name)
        path = safe_join(base, "%s.%s%s" % (stem, _timestamp(), ext or ".json"))
        write_if_changed(path, dumps(self.adapter.backup_document(item, current)), mode=0o600)
        return path

    def _record_write(self, item, previous):
        # kept for a rollback until the end of the run: packed, not parsed (the survey's packed read when it is that one)
        held = item.held_current if item.held_current is not None and previous is not None else pack(previous)
        with self._lock:
            self._written.append((item, held))

    @staticmethod
    def _failed(item, exc):
        result = {"id": item.data.get("id", item.key), "name": item.name, "action": "failed", "error": str(exc)}
        if item.may_have_changed:
            # the failure contract: a flow a write of this run may have changed is named with changed=true and its backup
            result["changed"] = True
            result["backup_file"] = item.backup_file
        return result

    def _after_failed_write(self, item, exc, previous, want, expect_absent=False):
        """Decide what a failed write did. Returns True when it landed (the run goes on as after a success).

        - ``item.written`` (a multi-call update changed the target before failing): may have changed.
        - an answer that was lost (``exc.outcome_unknown``): re-read the target. Holding the desired document
          (``None`` for a delete) -> it landed. Holding the document read before the write -> it did not: a clean
          failure. Anything else, or a re-read that fails too, or a write whose effect a re-read cannot show
          (``exc.rereadable`` false) -> may have changed.
        - any other error: the write was refused; nothing changed.

        A may-have-changed item is recorded for the rollback and reported with changed=true and its backup.
        """
        adapter = self.adapter
        landed = False
        if item.written:
            pass
        elif not getattr(exc, "outcome_unknown", False):
            return False
        elif getattr(exc, "rereadable", True):
            try:
                now = adapter.read(item)
            except Exception:  # pylint: disable=broad-exception-caught
                now = got = _UNREADABLE
            else:
                got = adapter.normalise(now, item) if now is not None else None
            if got is not _UNREADABLE:
                if got == want or (expect_absent and now is None):
                    landed = True
                elif previous is not None and got is not None and got == adapter.normalise(previous, item):
                    return False   # the target is as before: the write did not land
                elif previous is None and now is None:
                    return False   # nothing was created
        self._record_write(item, previous)
        if not landed:
            item.may_have_changed = True
        return landed

    # ------------------------------------------------------------------ present / absent
    def _read(self, item):
        """The target's document: the survey's read while nothing of this run was written, else a new read."""
        survey = item.survey
        current = survey.pop("current", None) if survey is not None else None
        item.held_current = None
        if survey is not None and self._reuse and getattr(self.adapter, "reuse_read", True):
            item.held_current = current if isinstance(current, Packed) else None
            return unpack(current)
        return self.adapter.read(item)

    def _fingerprints(self, item, result):
        survey = item.survey or {}
        result["fingerprint"] = survey.get("fingerprint")
        result["current_fingerprint"] = survey.get("current_fingerprint")

    def _present_one(self, item):
        adapter = self.adapter
        item.survey_holds = self._reuse and item.survey is not None and "current" in item.survey
        try:
            desired = adapter.prepare(item)
            current = self._read(item)
            want = adapter.normalise(desired, item)
            have = adapter.normalise(current, item) if current is not None else None
            result = {"id": item.data.get("id", item.key), "name": item.name, "backup_file": None}
            self._fingerprints(item, result)
            diff = None
            if have == want:
                result["action"] = "unchanged"
                result["changes"] = []
            else:
                result["action"] = "created" if current is None else "updated"
                result["changes"] = self._changes(have, want)
                if self.diff_mode:
                    diff = self._diff(item, have, want)
            have = None   # decided: a large document is not held through the write and the verify
            if result["action"] != "unchanged" and not self.check_mode:
                result["backup_file"] = item.backup_file = self._backup(item, current)
                try:
                    if current is None:
                        adapter.create(item, desired)
                    else:
                        adapter.update(item, desired, current)
                except Exception as exc:  # pylint: disable=broad-exception-caught
                    # a lost answer is re-read before deciding; a write that may have landed is rolled back with the others
                    if not self._after_failed_write(item, exc, current, want):
                        raise
                else:
                    self._record_write(item, current)
                if self.verify:
                    current = None   # backed up and recorded for the rollback: the re-read replaces it
                    current = adapter.read(item)
                    got = adapter.normalise(current, item) if current is not None else None
                    if got != want:
                        raise VerifyError(
                            "%s flow %s: the target does not hold the desired document after the write (fingerprint %s, expected %s)"
                            % (adapter.provider, item.label(), fingerprint(got) if got is not None else "absent", fingerprint(want))
                        )
            finalised, extra = adapter.finalise(item, current, self.check_mode)
            result.update(adapter.result_fields(item, current))
            result.update(extra or {})
            result["id"] = item.data.get("id", result["id"])
            result["changed"] = result["action"] != "unchanged" or bool(finalised)
            return result, diff
        except Exception as exc:  # pylint: disable=broad-exception-caught
            return self._failed(item, exc), None

    def _absent_one(self, item):
        adapter = self.adapter
        try:
            current = self._read(item)
            result = {"id": item.data.get("id", item.key), "name": item.name, "backup_file": None, "fingerprint": None,
                      "current_fingerprint": None}
            diff = None
            if current is None:
                result["action"] = "absent"
                result["changed"] = False
                return result, None
            have = adapter.normalise(current, item)
            if item.survey is not None:   # a flow pruned from the target: the plan's fingerprints (nothing desired)
                result["current_fingerprint"] = item.survey["current_fingerprint"]
            else:
                result["fingerprint"] = result["current_fingerprint"] = fingerprint(adapter.fingerprint_form(current, item))
            result["action"] = "deleted"
            result["changed"] = True
            result["changes"] = self._changes(have, None)
            result.update(adapter.result_fields(item, current))
            if self.diff_mode:
                diff = self._diff(item, have, None)
            if not self.check_mode:
                result["backup_file"] = item.backup_file = self._backup(item, current)
                try:
                    adapter.delete(item, current)
                except Exception as exc:  # pylint: disable=broad-exception-caught
                    if not self._after_failed_write(item, exc, current, None, expect_absent=True):
                        raise
                else:
                    self._record_write(item, current)
                if self.verify and adapter.read(item) is not None:
                    raise VerifyError("%s flow %s: still present after the delete" % (adapter.provider, item.label()))
            return result, diff
        except Exception as exc:  # pylint: disable=broad-exception-caught
            return self._failed(item, exc), None

    def _survey_one(self, item):
        """Read and decide one item before any write of the run: what the plan records and ``expect`` checks."""
        adapter = self.adapter
        try:
            desired, current = adapter.survey(item)
            want = adapter.fingerprint_form(desired, item) if desired is not None else None
            have = adapter.fingerprint_form(current, item) if current is not None else None
            if desired is None:
                action = "deleted" if current is not None else "absent"
            else:
                action = "created" if current is None else ("unchanged" if want == have else "updated")
            item.survey = {"fingerprint": fingerprint(want) if want is not None else None,
                           "current_fingerprint": fingerprint(have) if have is not None else None,
                           "action": action, "current": pack(current)}   # held packed until the item's stage
            if self._snapshot is not None and current is not None and not self.check_mode:
                # the pre-run backup is what the survey read: written before the first write of the run, or it fails
                for path, content in self._snapshot(item, current):
                    write_if_changed(path, _encode(content))
            return None
        except Exception as exc:  # pylint: disable=broad-exception-caught
            return self._failed(item, exc)

    def _prune_items(self, items):
        """The target's flows that are not in ``items`` and may be deleted (never one the adapter says to keep)."""
        wanted = {item.key for item in items}
        return [target for target in self.adapter.targets() if target.key not in wanted and not target.data.get("keep")]

    @staticmethod
    def _identities(entry):
        return {str(x) for x in (entry.get("id"), entry.get("name")) if x not in (None, "")}

    def _expect_problems(self, items, pruned, expect):
        """What differs between the plan entries ``expect`` and this run, as ``{item or entry key: reason}``."""
        entries = [e for e in expect or [] if isinstance(e, dict)]
        used = set()
        problems = []

        def entry_for(item):
            keys = {str(x) for x in (item.key, item.data.get("id")) if x not in (None, "")}
            for index, entry in enumerate(entries):
                if index not in used and keys & self._identities(entry):
                    used.add(index)
                    return entry
            return None

        for item in list(items) + list(pruned):
            survey = item.survey
            entry = entry_for(item)
            if entry is None:
                if survey["action"] != "unchanged":
                    problems.append((item, "would be %s, but the plan does not list it" % survey["action"]))
                continue
            planned = entry.get("action")
            if planned == "deleted" and survey["action"] != "deleted":
                problems.append((item, "the plan deletes it, but it is %s" % (
                    "in the input" if item.has_desired else "not deleted by this run (prune is off)")))
                continue
            if survey["action"] == "deleted" and planned != "deleted":
                problems.append((item, "would be deleted (prune), but the plan says %s" % planned))
                continue
            if item.has_desired and entry.get("fingerprint") != survey["fingerprint"]:
                problems.append((item, "the input changed since the plan (fingerprint %s, the plan has %s)"
                                 % (survey["fingerprint"], entry.get("fingerprint"))))
            if entry.get("current_fingerprint") != survey["current_fingerprint"]:
                problems.append((item, "the target changed since the plan (its fingerprint is %s, the plan has %s)"
                                 % (survey["current_fingerprint"] or "absent", entry.get("current_fingerprint") or "absent")))
        for index, entry in enumerate(entries):
            if index in used:
                continue
            if entry.get("action") == "deleted":
                problems.append((entry, "the plan deletes it, but it is no longer in the target or prune is off"))
            elif entry.get("action") not in (None, "unchanged", "absent"):
                problems.append((entry, "the plan says %s, but it is not in the input" % entry.get("action")))
        return problems

    def _refuse(self, items, problems, failures=None):
        """Fail before any write: each problem names its flow; every item is reported skipped."""
        reasons = {}
        for subject, reason in problems:
            reasons.setdefault(id(subject), []).append(reason)
        flows = []
        for item in items:
            if id(item) in (failures or {}):
                flows.append(failures[id(item)])
                continue
            result = {"id": item.data.get("id", item.key), "name": item.name, "action": "skipped", "changed": False}
            self._fingerprints(item, result)
            if id(item) in reasons:
                result["action"] = "failed"
                result["error"] = "; ".join(reasons[id(item)])
            flows.append(result)
        for subject, reason in problems:
            if isinstance(subject, dict):
                flows.append({"id": subject.get("id"), "name": subject.get("name"), "action": "failed", "changed": False, "error": reason})
        return flows

    def _label(self, subject):
        if isinstance(subject, Item):
            return "%s flow %s" % (self.adapter.provider, subject.label())
        name, key = subject.get("name"), subject.get("id")
        return "%s flow '%s'%s" % (self.adapter.provider, name or key, " (%s)" % key if name and key and name != key else "")

    def _preflight(self, items, expect, prune):
        """Survey every item (and the flows prune would delete) before the first write of the first stage.
        Returns the items to delete; raises ``SyncError`` (nothing written) when a read fails or ``expect`` differs."""
        pruned = self._prune_items(items) if prune else []
        everything = list(items) + pruned
        failures = {id(item): failure for item, failure in zip(everything, self._map(self._released(self._survey_one), everything)) if failure is not None}
        if failures:
            flows = self._refuse(everything, [], failures)
            raise SyncError("; ".join("%s flow '%s': %s" % (self.adapter.provider, r.get("name") or r.get("id"), r.get("error"))
                                      for r in flows if r.get("action") == "failed") + ". Nothing was written.",
                            {"changed": False, "flows": flows, "diff": [], "rolled_back": []})
        if expect is not None:
            problems = self._expect_problems(items, pruned, expect)
            if problems:
                flows = self._refuse(everything, problems)
                raise SyncError("the run does not match the plan, nothing was written: %s"
                                % "; ".join("%s: %s" % (self._label(subject), reason) for subject, reason in problems),
                                {"changed": False, "flows": flows, "diff": [], "rolled_back": []})
        return pruned

    def apply(self, items, state="present", expect=None, prune=False, snapshot=None):
        """Reconcile ``items`` to ``state`` (``present`` or ``absent``). Returns the report; raises SyncError on failure.

        State ``present`` first surveys every item (and with ``prune`` every flow of the target that is not in
        ``items``) before anything is written: the fingerprints of the result, and ``expect`` (the entries of a
        plan) is checked then, refusing with nothing written. With ``snapshot`` (``Plan.snapshot``) the survey writes
        each current document it read as files: the pre-run backup, so the target is read once. Pruned flows are
        deleted after every stage succeeded.
        """
        items = list(items)
        pruned = []
        self._snapshot = snapshot
        if state == "present":
            pruned = self._preflight(items, expect, prune)
        one = self._present_one if state == "present" else self._absent_one
        stages = sorted({item.stage for item in items})
        if state == "absent":
            stages.reverse()     # parents before the subflows they use
        batches = [(one, [item for item in items if item.stage == stage]) for stage in stages]
        # prune after the writes (callers no longer use what is deleted), parents before the subflows they use
        batches += [(self._absent_one, [item for item in pruned if item.stage == stage])
                    for stage in sorted({item.stage for item in pruned}, reverse=True)]
        results = {}
        diffs = []
        failed = []
        for run_one, batch in batches:
            if failed:
                for item in batch:
                    results[id(item)] = {"id": item.data.get("id", item.key), "name": item.name, "action": "skipped", "changed": False,
                                         "error": "not attempted: an earlier flow failed"}
                continue
            self._reuse = self.check_mode or not self._written   # nothing of this run written yet: the survey's read holds
            for item, (result, diff) in zip(batch, self._map(self._released(run_one), batch)):
                results[id(item)] = result
                if diff is not None:
                    diffs.append(diff)
                if result["action"] == "failed":
                    failed.append(item)
        report = self._report([results[id(item)] for item in items + pruned], diffs)
        if failed:
            report["rolled_back"] = self._rollback(report) if (self.rollback and not self.check_mode) else []
            report["changed"] = any(r.get("changed") for r in report["flows"])
            raise SyncError(self._failure_message(report), report)
        return report

    def _rollback(self, report):
        """Put back every item written in this run, newest first. Returns what was restored."""
        by_key = {}
        for entry in report["flows"]:
            by_key.setdefault(entry.get("id"), entry)
        for entry in report["flows"]:
            by_key.setdefault(entry.get("name"), entry)
        restored = []
        for item, held in reversed(self._written):
            entry = by_key.get(item.data.get("id", item.key)) or by_key.get(item.key) or by_key.get(item.name)
            if entry is None:
                entry = {"id": item.data.get("id", item.key), "name": item.name, "action": "failed"}
                report["flows"].append(entry)
            try:
                previous = unpack(held)
                self.adapter.restore(item, previous)
                entry["rollback"] = "restored" if previous is not None else "removed"
                restored.append(item.data.get("id", item.key))
            except Exception as exc:  # pylint: disable=broad-exception-caught
                # the target may hold this run's write: the flow is changed, and its backup is where to restore from
                entry["rollback"] = "failed: %s" % exc
                entry["changed"] = True
                entry["backup_file"] = entry.get("backup_file") or item.backup_file
        return restored

    def _failure_message(self, report):
        msg = "; ".join("%s flow '%s': %s" % (self.adapter.provider, r.get("name") or r.get("id"), r.get("error"))
                        for r in report["flows"] if r.get("action") == "failed")
        written = [r for r in report["flows"]
                   if r.get("action") in ("created", "updated", "deleted") or (r.get("action") == "failed" and r.get("changed"))]
        if written:
            msg += ". Written before the failure: %s" % ", ".join(
                "%s (%s)" % (r.get("id"), r["action"] if r["action"] != "failed" else "may have changed") for r in written)
        if self.rollback and (written or report.get("rolled_back")):
            msg += ("; " if written else ". ") + "rolled back from the pre-write state: %s" % (
                ", ".join(str(x) for x in report.get("rolled_back") or []) or "none")
        unrestored = [r for r in report["flows"] if str(r.get("rollback") or "").startswith("failed")]
        if unrestored:
            msg += "; NOT rolled back (the target may hold this run's write): %s" % ", ".join(
                "%s (backup: %s)" % (r.get("id"), r.get("backup_file") or "none, backup_dir not set") for r in unrestored)
        elif written and not self.rollback:
            msg += "; not rolled back (rollback is off): backups %s" % ", ".join(
                "%s: %s" % (r.get("id"), r.get("backup_file") or "none") for r in written)
        return msg + "."

    @staticmethod
    def _report(flows, diffs):
        return {"changed": any(r.get("changed") for r in flows), "flows": flows, "diff": diffs}

    def run(self, plan):
        """Run a ``Plan``: ``exported`` -> ``export``, ``present``/``absent`` -> ``apply``."""
        if plan.state == "exported":
            return self.export(plan.items, plan.files_for)
        return self.apply(plan.items, plan.state, expect=plan.expect, prune=plan.prune, snapshot=plan.snapshot)

    # ------------------------------------------------------------------ export
    def export(self, items, files_for):
        """Export items to files.

        ``files_for(item, current)`` returns a list of ``(path, content)`` where ``content`` is a JSON-able
        document (written as canonical JSON) or ``bytes``. A file is rewritten only when its bytes change.
        In diff mode each changed file gets a before/after diff, bytes included when they are UTF-8 text
        (not for a zip).
        """
        adapter = self.adapter

        def one(item):
            try:
                current = adapter.read(item)
                if current is None:
                    raise FlowError("%s flow %s: not found in the source" % (adapter.provider, item.label()))
                result = {"id": item.data.get("id", item.key), "name": item.name, "fingerprint": fingerprint(adapter.normalise(current, item)),
                          "backup_file": None, "files": []}
                result.update(adapter.result_fields(item, current))
                diffs = []
                changed = False
                for path, content in files_for(item, current):
                    data = _encode(content)
                    old = _read_bytes(path)
                    if old != data:
                        changed = True
                        if self.diff_mode:
                            diff = _file_diff(path, old, data)
                            if diff is not None:
                                diffs.append(diff)
                        if not self.check_mode:
                            write_if_changed(path, data)
                    result["files"].append(path)
                result["action"] = "exported" if changed else "unchanged"
                result["changed"] = changed
                return result, diffs
            except Exception as exc:  # pylint: disable=broad-exception-caught
                return self._failed(item, exc), []

        outcome = self._map(one, items)
        flows = [result for result, _diffs in outcome]
        diffs = [d for _result, ds in outcome for d in ds]
        report = self._report(flows, diffs)
        errors = ["%s %s: %s" % (adapter.provider, item.label(), result["error"])
                  for item, result in zip(items, flows) if result["action"] == "failed"]
        if errors:
            raise SyncError("; ".join(errors), report)
        return report
