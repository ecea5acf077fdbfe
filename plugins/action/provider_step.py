# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""provider_step: run one step of the roles (list, export, apply, remove, ...) as the host's provider defines it.

The roles' skeleton names no provider: each provider's steps are data in the provider table of the
flowops.flows.provider role (``provider_steps``: the module and its options per step). One task of that role runs
whichever module the host's provider uses, so a step is one task in the play's output for every provider, not an
include of a file per provider. Internal to the collection's roles; its options are documented on the docs-only module
page ``plugins/modules/provider_step.py``.

Options (already templated by Ansible): ``module`` (a module of this collection, or none for a step that only
reports ``flows``), ``args`` (its options), ``each`` (one module run per entry, each entry's options over ``args``;
a list or its JSON text), ``run`` (false: skip the step), ``flows`` (the outcome of a step without a module),
``connection`` (the module options that connect to the provider: under ``args``), ``no_change`` (a local artifact:
report changed=false), ``writes`` (the step writes to the provider) and ``keys`` (the flows the step concerns).

A module run of a writing step that ends without its report (the module crashed, or running it raised an error) may
have written before it ended: the outcome is failed and changed, so the caller's rollback runs (the failure contract).
The other entries of an ``each`` step still run, and their outcome is kept.

The result is the step's outcome: ``flows`` (every module run's flows entries), ``diff`` (their diffs), ``flow_keys``
(``keys`` plus every subflow the flows name), ``changed``, ``failed`` and ``msg``; ``results`` holds each module run
of an ``each`` step.
"""

from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.flowops.flows.plugins.plugin_utils._action import ControllerAction

COLLECTION = "flowops.flows"

ARGUMENT_SPEC = {
    "module": {"type": "str"},
    "args": {"type": "dict", "default": {}},
    "each": {"type": "raw"},
    "run": {"type": "bool", "default": True},
    "flows": {"type": "list", "elements": "dict"},
    "connection": {"type": "dict", "default": {}, "no_log": True},
    "no_change": {"type": "bool", "default": False},
    "writes": {"type": "bool", "default": False},
    "keys": {"type": "list", "elements": "raw", "default": []},
}


def _entries(each):
    """``each`` as a list of option dicts (Jinja in the provider table may give it as JSON text)."""
    if each is None:
        return [{}]
    if isinstance(each, str):
        try:
            each = json.loads(each)
        except ValueError as exc:
            raise AnsibleActionFail("provider_step: each must be a list of option dicts, got text that is not JSON: %s" % exc) from None
    if not isinstance(each, list) or not all(isinstance(entry, dict) for entry in each):
        raise AnsibleActionFail("provider_step: each must be a list of option dicts, got %s" % type(each).__name__)
    return each


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _unreported(result):
    """A failed module run that ended without its report: no JSON at all (killed, crashed: ``module_stderr``), or an
    uncaught exception (ansible-core 2.19+ reports it without ``msg``; every ``fail_json`` has one)."""
    return "module_stderr" in result or "msg" not in result


def _crash_message(result):
    if result.get("msg"):
        return to_text(result["msg"])
    exception = result.get("exception")
    event = getattr(exception, "event", None)   # ansible-core's CapturedErrorSummary
    return "the module failed: %s" % to_text(getattr(event, "msg", None) or exception or "no message")


def outcome(results, keys, no_change):
    """The step's outcome from its module runs' results (pure: unit-tested)."""
    flows = [flow for result in results for flow in result.get("flows") or []]
    failed = [result for result in results if result.get("failed")]
    flow_keys = []
    for key in list(keys) + [sub for flow in flows for sub in flow.get("subflows") or []]:
        if key not in flow_keys:
            flow_keys.append(key)
    messages = [to_text(result.get("msg", "")) for result in (failed or results) if result.get("msg")]
    out = {
        "changed": bool(not no_change and any(result.get("changed") for result in results)),
        "failed": bool(failed),
        "flows": flows,
        "diff": [diff for result in results for diff in _as_list(result.get("diff"))],
        "flow_keys": flow_keys,
        "msg": "; ".join(messages),
    }
    warnings = [warning for result in results for warning in result.get("warnings") or []]
    if warnings:
        out["warnings"] = warnings
    if len(results) > 1:
        out["results"] = results
    return out


class ActionModule(ControllerAction):
    """Run the module of one provider step (see the module docstring)."""

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, params, task_vars):
        keys = params["keys"]
        if not params["run"]:
            return {"skipped": True, "skip_reason": "nothing to do for this step", "changed": False, "flows": [], "diff": [],
                    "flow_keys": list(keys), "msg": ""}
        if not params["module"]:
            return outcome([{"flows": params["flows"] or []}], keys, True)
        name = params["module"] if "." in params["module"] else "%s.%s" % (COLLECTION, params["module"])
        results = []
        for entry in _entries(params["each"]):
            module_args = dict(params["connection"])
            module_args.update(params["args"])
            module_args.update(entry)
            try:
                result = self._execute_module(module_name=name, module_args=module_args, task_vars=task_vars)
            except Exception as exc:  # pylint: disable=broad-exception-caught  # the run itself failed, not the module
                result = {"failed": True, "msg": "%s: %s" % (name, to_text(exc)), "module_stderr": ""}
            result.pop("invocation", None)   # the module's options, connection included: not part of the outcome
            if result.get("failed") and _unreported(result):
                result["msg"] = _crash_message(result)
                if params["writes"]:   # no report from the module: it may have written before it ended
                    result["changed"] = True
                    result["msg"] += " (the module ended without its report, so what it wrote is not known: counted as changed)"
            results.append(result)
        return outcome(results, keys, params["no_change"])
