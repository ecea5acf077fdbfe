# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters ``flow_plan`` (module results -> plan document), ``flow_plan_markdown`` (plan -> Markdown) and
``flow_plan_expect`` (a plan file's text -> one host's entries, the modules' ``expect``).

A plan records, per host and per flow, the action and the fingerprints of the desired document and of the
target's current document, exactly as the modules return them (check mode and the real run give the same values).
Its entries for one host are what the modules' ``expect`` option takes.
"""

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError

PLAN_FORMAT = "flowops.flows/plan"
PLAN_VERSION = 1
# "enabled", "disabled", "deployed": a DaVinci flow whose document is as desired but whose state the run changes
STATE_ONLY = ("enabled", "disabled", "deployed")
PLAN_ACTIONS = ("created", "updated", "unchanged", "deleted", "absent") + STATE_ONLY
ORDER = {"deleted": 0, "created": 1, "updated": 2, "enabled": 3, "disabled": 3, "deployed": 3, "unchanged": 4, "absent": 5}
MAX_CHANGES = 5


def _module_results(value, host):
    """The module results of one host: a result dict (with ``flows``), a list of them, or a loop's ``results``."""
    if isinstance(value, dict) and "results" in value and "flows" not in value:
        value = value["results"]
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise AnsibleFilterError("flow_plan: host %s: results must be a module result or a list of them, got %s" % (host, type(value).__name__))
    return [r for r in value if isinstance(r, dict) and not r.get("skipped")]


def _entry(flow, host):
    label = flow.get("name") or flow.get("id")
    action = flow.get("action")
    if action not in PLAN_ACTIONS:
        detail = ": %s" % flow["error"] if flow.get("error") else ""
        raise AnsibleFilterError("flow_plan: host %s, flow '%s': action %r cannot be planned (expected one of %s)%s"
                                 % (host, label, action, ", ".join(PLAN_ACTIONS), detail))
    for key in ("fingerprint", "current_fingerprint"):
        if key not in flow:
            raise AnsibleFilterError("flow_plan: host %s, flow '%s': no %s in the module result (a flow module of flowops.flows with "
                                     "state=present returns it)" % (host, label, key))
    return {"id": flow.get("id"), "name": flow.get("name"), "action": action, "fingerprint": flow.get("fingerprint"),
            "current_fingerprint": flow.get("current_fingerprint"), "changes": list(flow.get("changes") or [])}


def flow_plan(hosts, source=None):
    """The plan document from per-host module results.

    ``hosts``: ``{host: {"provider", "project", "stage", "prune", "results"}}``, ``results`` being the registered module result(s)
    of that host (run in check mode, or not). ``source`` (optional dict) says where the desired state came from.
    """
    if not isinstance(hosts, dict):
        raise AnsibleFilterError("flow_plan expects a dict of host -> {provider, project, stage, results}, got %s" % type(hosts).__name__)
    out = {}
    for host in sorted(hosts):
        value = hosts[host]
        if not isinstance(value, dict) or "results" not in value:
            raise AnsibleFilterError("flow_plan: host %s: expected a dict with results (and provider, project, stage)" % host)
        flows = []
        for result in _module_results(value["results"], host):
            if result.get("failed"):
                raise AnsibleFilterError("flow_plan: host %s: a task failed, no plan can be made from it: %s" % (host, result.get("msg")))
            flows.extend(_entry(flow, host) for flow in result.get("flows") or [])
        out[str(host)] = {"provider": value.get("provider"), "project": value.get("project"), "stage": value.get("stage"),
                          "prune": bool(value.get("prune", False)), "flows": flows}
    plan = {"format": PLAN_FORMAT, "version": PLAN_VERSION, "hosts": out}
    if source is not None:
        if not isinstance(source, dict):
            raise AnsibleFilterError("flow_plan: source must be a dict, got %s" % type(source).__name__)
        plan["source"] = dict(source)
    return plan


def check_plan(plan):
    """Raise ``AnsibleFilterError`` unless ``plan`` is a plan document this collection writes."""
    if not isinstance(plan, dict) or plan.get("format") != PLAN_FORMAT:
        raise AnsibleFilterError("not a flowops.flows plan: expected format %r, got %r"
                                 % (PLAN_FORMAT, plan.get("format") if isinstance(plan, dict) else type(plan).__name__))
    if plan.get("version") != PLAN_VERSION:
        raise AnsibleFilterError("plan version %r is not supported (this collection reads version %d)" % (plan.get("version"), PLAN_VERSION))
    if not isinstance(plan.get("hosts"), dict):
        raise AnsibleFilterError("plan: hosts must be a dict of host -> {provider, project, stage, flows}")
    return plan


def flow_plan_expect(text, path, host, provider, project, stage, prune=False):
    """One host's entries of a plan file (the modules' ``expect``), after checking that the file is a plan made for
    this host as it is run now (provider, project, stage, prune). Every refusal names the file and what was expected."""
    try:
        plan = json.loads(text) if isinstance(text, (str, bytes)) else text
    except ValueError as exc:
        raise AnsibleFilterError("%s: not a JSON plan file (%s)" % (path, str(exc)[:200])) from None
    try:
        check_plan(plan)
    except AnsibleFilterError as exc:
        raise AnsibleFilterError("%s: %s; expected format '%s', version %d and a hosts mapping (write one with --check -e plan_out=plan.json)."
                                 % (path, str(exc), PLAN_FORMAT, PLAN_VERSION)) from None
    hosts = plan["hosts"]
    if host not in hosts:
        raise AnsibleFilterError("%s is not in the plan %s (it plans %s); nothing was written to it. Make a new plan that includes it "
                                 "(--check -e plan_out=...)." % (host, path, ", ".join(hosts) or "no host"))
    entry = hosts[host] if isinstance(hosts[host], dict) else {}
    flows = entry.get("flows")
    made_for = (entry.get("provider", provider), entry.get("project", project), entry.get("stage", stage), bool(entry.get("prune", False)))
    if made_for != (provider, project, stage, bool(prune)) or not isinstance(flows, list):
        raise AnsibleFilterError(
            "%s: the plan of %s was made for provider %s, project %s, stage %s, prune %s; this run is %s, %s, %s, prune %s%s. "
            "Apply with the same settings as the plan, or make a new plan."
            % (path, host, entry.get("provider", "?"), entry.get("project", "?"), entry.get("stage", "?"), str(made_for[3]).lower(),
               provider, project, stage, str(bool(prune)).lower(), "" if isinstance(flows, list) else " (and its flows are not a list)"))
    return flows


def _cell(text):
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _changes(flow):
    changes = list(flow.get("changes") or [])
    if flow["action"] == "created":
        return "new flow"
    if flow["action"] == "deleted":
        return "**deleted from the target** (prune)"
    if flow["action"] in STATE_ONLY:
        return "the document is unchanged; the flow is %s" % flow["action"]
    shown = "<br>".join(_cell(c) for c in changes[:MAX_CHANGES])
    if len(changes) > MAX_CHANGES:
        shown += "<br>... and %d more" % (len(changes) - MAX_CHANGES)
    return shown


def _flow_label(flow):
    name, key = flow.get("name"), flow.get("id")
    if name and key and name != key:
        return "%s (`%s`)" % (_cell(name), _cell(key))
    return _cell(name or key or "?")


def flow_plan_markdown(plan, title="Flow plan"):
    """Markdown for a pull request: per host a table of the flows that change, and the totals."""
    check_plan(plan)
    lines = ["## %s" % title, ""]
    totals = {}
    for host in sorted(plan["hosts"]):
        entry = plan["hosts"][host] or {}
        flows = entry.get("flows") or []
        what = ", ".join(["%s %s" % (k, entry[k]) for k in ("provider", "project", "stage") if entry.get(k)]
                         + (["prune on"] if entry.get("prune") else []))
        lines.append("### %s%s" % (_cell(host), " (%s)" % _cell(what) if what else ""))
        lines.append("")
        counts = {}
        for flow in flows:
            counts[flow.get("action")] = counts.get(flow.get("action"), 0) + 1
            totals[flow.get("action")] = totals.get(flow.get("action"), 0) + 1
        changing = sorted((f for f in flows if f.get("action") in ("created", "updated", "deleted") + STATE_ONLY),
                          key=lambda f: (ORDER.get(f.get("action"), 9), str(f.get("name") or f.get("id"))))
        if changing:
            lines += ["| Action | Flow | Changes |", "|---|---|---|"]
            for flow in changing:
                action = ":warning: **deleted**" if flow["action"] == "deleted" else flow["action"]
                lines.append("| %s | %s | %s |" % (action, _flow_label(flow), _changes(flow)))
        else:
            lines.append("No changes.")
        lines += ["", _summary(counts), ""]
    lines.append("**Total:** %s" % _summary(totals).rstrip("."))
    if totals.get("deleted"):
        lines.append("")
        lines.append(":warning: This plan **deletes %d flow(s)** from the target (prune)." % totals["deleted"])
    return "\n".join(lines) + "\n"


def _summary(counts):
    parts = ["%d to create" % counts.get("created", 0), "%d to update" % counts.get("updated", 0),
             "%d to delete" % counts.get("deleted", 0), "%d unchanged" % counts.get("unchanged", 0)]
    state_only = sum(counts.get(action, 0) for action in STATE_ONLY)
    if state_only:
        parts.append("%d to deploy, enable or disable only" % state_only)
    return ", ".join(parts) + "."


class FilterModule:  # pylint: disable=too-few-public-methods
    """flowops.flows plan filters."""

    def filters(self):
        return {"flow_plan": flow_plan, "flow_plan_markdown": flow_plan_markdown, "flow_plan_expect": flow_plan_expect}
