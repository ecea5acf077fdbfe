# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classify a fault-matrix cell from the emulator's state and the promote role's report.

ok: the run succeeded and the target holds the desired documents.
clean-fail: the run failed and either the target equals its snapshot, or every flow whose stored document differs
from the snapshot (or that had a write whose answer was lost) is named in the report with changed=true and, when
it existed before, a backup.
unclean: anything else.
"""

from __future__ import annotations

import json
import re

VOLATILE = {"id", "createdAt", "updatedAt", "deployedAt", "currentVersion", "publishedVersion", "versions", "version"}


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _descope_comparable(doc):
    """Descope treats an empty references/metadata value as absent (as tests/e2e/test_promote.py does)."""
    doc = {k: v for k, v in doc.items() if not (k == "references" and not v)}
    doc["metadata"] = {k: v for k, v in doc.get("metadata", {}).items() if v not in ("", None, False, [], {})}
    return doc


def target_state(snapshot, cell):
    """{flow key: comparable document(s)} of the cell's target, free of ids and counters that differ per cell."""
    if cell.provider == "descope":
        project = next(p for p in snapshot["descope"]["projects"] if p["project_id"] == cell.target_tenant)
        return {fid: _descope_comparable(doc) for fid, doc in project["flows"].items()}
    if cell.provider == "davinci":
        env = next(e for e in snapshot["davinci"]["environments"] if e["id"] == cell.target_tenant)
        names = {}
        for flow in env.get("flows") or []:
            current = next(v for v in flow["versions"] if v["version"] == flow["currentVersion"])
            names[flow["id"]] = current["doc"].get("name", flow["id"])
        state = {}
        for flow in env.get("flows") or []:
            versions = {v["version"]: v["doc"] for v in flow["versions"]}
            entry = {"enabled": flow.get("enabled"), "draft": _strip(versions[flow["currentVersion"]]),
                     "live": _strip(versions[flow["publishedVersion"]]) if flow.get("publishedVersion") in versions else None}
            text = json.dumps(entry, sort_keys=True)
            for flow_id, name in names.items():  # references between the cell's own flows, by name
                text = text.replace(flow_id, "<flow %s>" % name)
            state[names[flow["id"]]] = json.loads(text.replace(cell.target_tenant, "<env>"))
        variables = sorted((_strip({k: v for k, v in var.items() if k not in ("flow",)}) for var in env.get("variables") or []),
                           key=lambda v: json.dumps(v, sort_keys=True))
        state["<variables>"] = json.loads(json.dumps(variables).replace(cell.target_tenant, "<env>"))
        return state
    account = next(a for a in snapshot["koreai"]["accounts"] if a["id"] == cell.target_tenant)
    state = {}
    for workflow in account["workflows"]:
        def package(version):
            return {n: version[n] for n in ("flow_definition", "app_definition", "env_variables")}
        deployed = next((v for v in workflow["versions"] if v["version"] == workflow.get("deployed_version")), None)
        newest = max(workflow["versions"], key=lambda v: v["version"])
        state[workflow["name"]] = {"deployed": package(deployed) if deployed else None, "newest": package(newest)}
    return state


def lost_writes(requests, cell, after):
    """Flow keys of the target that had a write which landed (the route answered 2xx) but whose answer was lost."""
    keys = set()
    for entry in requests:
        applied = entry.get("applied_status")
        if not entry.get("write") or applied is None or not 200 <= applied < 300 or entry.get("status") == applied:
            continue
        if cell.provider == "davinci":
            found = re.search(r"/flows/([^/]+)", entry["path"])
            env = next(e for e in after["davinci"]["environments"] if e["id"] == cell.target_tenant)
            names = {f["id"]: next(v for v in f["versions"] if v["version"] == f["currentVersion"])["doc"].get("name") for f in env["flows"]}
            keys.add(names.get(found.group(1), found.group(1)) if found else "<a created flow or variable>")
        elif cell.provider == "koreai":
            keys.add("orders-assistant" if "/import" in entry["path"] or "/deploy" in entry["path"] else "<upload>")
        else:
            keys.add("<an imported flow>")
    keys.discard("<upload>")  # an uploaded file is not a change to a workflow
    return keys


class Outcome:
    def __init__(self, cell, verdict, why):
        self.cell = cell
        self.verdict = verdict
        self.why = why


def classify(cell, before, after, desired, report, requests):
    """Return an Outcome for one cell.

    before/after: full emulator snapshots (after seeding / after the run); desired: target_state of a fault-free
    cell; report: the promote role's JSON report of the target host (None when it wrote none); requests: the
    emulator's request log entries of the target tenant.
    """
    state_before, state_after = target_state(before, cell), target_state(after, cell)
    succeeded = report is not None and report.get("status") == "promoted"
    if succeeded:
        if state_after == desired:
            return Outcome(cell, "ok", "")
        wrong = sorted(k for k in set(desired) | set(state_after) if desired.get(k) != state_after.get(k))
        return Outcome(cell, "unclean", "success reported but the target differs from the desired state in: %s" % ", ".join(wrong))
    if state_after == state_before:
        return Outcome(cell, "clean-fail", "")
    differing = {k for k in set(state_before) | set(state_after) if state_before.get(k) != state_after.get(k)}
    may_have_changed = differing | lost_writes(requests, cell, after)
    if report is None:
        return Outcome(cell, "unclean", "no report, and the target changed: %s" % ", ".join(sorted(differing)))
    named, backed_up = set(), set()
    for flow in report.get("flows") or []:
        keys = {str(flow.get(k)) for k in ("id", "name", "workflow_id") if flow.get(k)}
        if flow.get("changed"):
            named |= keys
            if flow.get("backup_file") or report.get("backup"):
                backed_up |= keys
    problems = []
    for key in sorted(may_have_changed):
        if key.startswith("<"):
            if not named:
                problems.append("%s may have changed, but no flow is named changed" % key)
            continue
        if key not in named:
            problems.append("%s changed but is not named with changed=true" % key)
        elif key in state_before and key not in backed_up:
            problems.append("%s changed and has no backup in the report" % key)
    if problems:
        return Outcome(cell, "unclean", "; ".join(problems))
    return Outcome(cell, "clean-fail", "target changed (%s), every change named with its backup" % ", ".join(sorted(differing)))
