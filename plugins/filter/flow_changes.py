# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``flow_changes``: turn a module's before/after diff into changes a person can read.

The modules already return the same sentences in each flow's ``changes`` field (one implementation:
``module_utils/_changes.py``); this filter serves a ``diff`` registered with ``--diff`` or ``diff: true``.
"""

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError
from ansible_collections.flowops.flows.plugins.module_utils._changes import describe_documents


def _parse(side):
    if side is None or side == "":
        return None
    if isinstance(side, (dict, list)):
        return side
    try:
        return json.loads(side)
    except ValueError as exc:
        raise AnsibleFilterError("flow_changes: a diff side is not JSON: %s" % exc) from None


def describe(diff, provider=None):
    """Changes of one diff entry as a list of sentences."""
    return describe_documents(_parse(diff.get("before")), _parse(diff.get("after")), provider, limit=None)


def _flow_label(entry, provider):
    """The diff header the engine gives the same flow: ``<provider> 'name' (id)``."""
    key, name = entry.get("id"), entry.get("name")
    label = "'%s' (%s)" % (name, key) if name and name != key else "'%s'" % (key if key is not None else name)
    return "%s %s" % (provider, label) if provider else label


def flow_changes(diffs, provider=None):
    """``[{flow, changes: [...]}]`` for a module's ``diff``, or for its ``flows`` (entries with ``changes``; unchanged
    flows are left out)."""
    if isinstance(diffs, dict):
        diffs = [diffs]
    if not isinstance(diffs, list):
        raise AnsibleFilterError("flow_changes expects a diff dict or a list of them, got %s" % type(diffs).__name__)
    out = []
    for entry in diffs:
        if not isinstance(entry, dict):
            raise AnsibleFilterError("flow_changes: each diff entry must be a dict with before/after")
        if "changes" in entry and "before" not in entry and "after" not in entry:
            # a module's flows entry: its changes were computed by the module (the same sentences, at most 50)
            if entry["changes"]:
                out.append({"flow": _flow_label(entry, provider), "changes": list(entry["changes"])})
            continue
        header = entry.get("after_header") or entry.get("before_header") or ""
        out.append({"flow": header.replace(" (desired)", "").replace(" (target)", ""), "changes": describe(entry, provider)})
    return out


class FilterModule:  # pylint: disable=too-few-public-methods
    """flowops.flows filters."""

    def filters(self):
        return {"flow_changes": flow_changes}
