# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Changes a person can read between two parsed documents (tasks, screens, nodes, variables). Private.

One implementation for the engine (each flow result's compact ``changes`` list, computed from the normalised and
masked documents, always) and for the ``flowops.flows.flow_changes`` filter (from a module's ``diff``).
"""

from __future__ import annotations

import json

MAX_VALUE = 60
IDENTITY_KEYS = ("id", "name", "key")


def _identity(element):
    if not isinstance(element, dict):
        return None
    for key in IDENTITY_KEYS:
        if isinstance(element.get(key), (str, int)):
            return "%s=%s" % (key, element[key])
    data = element.get("data")
    if isinstance(data, dict) and isinstance(data.get("id"), (str, int)):
        return "id=%s" % data["id"]
    return None


def _walk(before, after, path, out):
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            if key not in after:
                out.append((path + (key,), "removed", before[key], None))
            elif key not in before:
                out.append((path + (key,), "added", None, after[key]))
            else:
                _walk(before[key], after[key], path + (key,), out)
        return
    if isinstance(before, list) and isinstance(after, list):
        ids_before = [_identity(e) for e in before]
        ids_after = [_identity(e) for e in after]
        by_id = all(ids_before) and all(ids_after) and len(set(ids_before)) == len(ids_before) and len(set(ids_after)) == len(ids_after)
        if by_id and (ids_before or ids_after):
            old = dict(zip(ids_before, before))
            new = dict(zip(ids_after, after))
            for ident in ids_before:
                if ident not in new:
                    out.append((path + ("[%s]" % ident,), "removed", old[ident], None))
            for ident in ids_after:
                if ident not in old:
                    out.append((path + ("[%s]" % ident,), "added", None, new[ident]))
                else:
                    _walk(old[ident], new[ident], path + ("[%s]" % ident,), out)
            if [i for i in ids_before if i in new] != [i for i in ids_after if i in old]:
                out.append((path, "reordered", None, None))
            return
        for index in range(max(len(before), len(after))):
            if index >= len(after):
                out.append((path + ("[%d]" % index,), "removed", before[index], None))
            elif index >= len(before):
                out.append((path + ("[%d]" % index,), "added", None, after[index]))
            else:
                _walk(before[index], after[index], path + ("[%d]" % index,), out)
        return
    if before != after:
        out.append((path, "changed", before, after))


def _short(value):
    text = json.dumps(value, sort_keys=True, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 3] + "..."


def _dotted(parts):
    out = ""
    for part in parts:
        part = str(part)
        out += part if part.startswith("[") or not out else "." + part
    return out


def _label(provider, path, before_doc, after_doc):
    """Return (subject, rest_of_path) naming the object a person knows (task, screen, node, variable)."""
    parts = list(path)
    doc = after_doc if isinstance(after_doc, dict) else before_doc if isinstance(before_doc, dict) else {}

    def lookup(*keys):
        node = doc
        for key in keys:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        return node

    if provider == "descope":
        if parts[:2] == ["contents", "tasks"] and len(parts) > 2:
            task = lookup("contents", "tasks", parts[2]) or {}
            label = "task %s" % parts[2]
            if isinstance(task, dict) and task.get("name"):
                label += " '%s'" % task["name"]
            if isinstance(task, dict) and (task.get("action") or task.get("type")):
                label += " (%s)" % (task.get("action") or task.get("type"))
            return label, parts[3:]
        if parts and parts[0] == "screens" and len(parts) > 1:
            return "screen %s" % parts[1].strip("[]"), parts[2:]
        if parts and parts[0] in ("metadata", "references"):
            return parts[0], parts[1:]
        if parts and parts[0] == "styles" and len(parts) > 1:
            return "style %s" % parts[1], parts[2:]
    if provider == "davinci":
        if "nodes" in parts:
            at = parts.index("nodes")
            if len(parts) > at + 1:
                node_id = parts[at + 1].strip("[]").split("=", 1)[-1]
                return "node %s" % node_id, parts[at + 2:]
        if parts and parts[0] == "settings":
            return "settings", parts[1:]
        if parts and parts[0] == "variables" and len(parts) > 1:
            return "variable %s" % parts[1].strip("[]").split("=", 1)[-1], parts[2:]
    if provider == "koreai":
        if parts and parts[0] == "env_variables":
            if len(parts) > 1:
                name = parts[1].strip("[]").split("=", 1)[-1]
                if len(parts) > 2 and str(parts[1]).startswith("[") and "=" not in str(parts[1]):
                    name = str(parts[1])
                return "environment variable %s" % name, parts[2:]
            return "environment variables", []
        if parts and parts[0] in ("flow_definition", "app_definition"):
            return parts[0].replace("_", " "), parts[1:]
    return None, parts


MAX_CHANGES = 50


def describe_documents(before, after, provider=None, limit=MAX_CHANGES):
    """Changes from ``before`` (target) to ``after`` (desired) as a list of short sentences.

    ``None`` on one side means the flow is absent there. At most ``limit`` sentences (``None``: no limit); the last
    one then says how many more there are, so a result stays small for a flow rewritten from scratch.
    """
    if before is None and after is None:
        return []
    if before is None:
        return ["added (does not exist in the target yet)"]
    if after is None:
        return ["removed (exists only in the target)"]
    raw = []
    _walk(before, after, (), raw)
    sentences = []
    for path, kind, old, new in raw:
        subject, rest = _label(provider, path, before, after)
        where = _dotted(rest)
        head = subject if subject else (where or "document")
        tail = (" %s" % where) if (subject and where) else ""
        if kind == "changed":
            sentences.append("%s:%s changed from %s to %s" % (head, tail, _short(old), _short(new)))
        elif kind == "added":
            sentences.append("%s:%s added (%s)" % (head, tail, _short(new)) if tail or not subject else "%s added" % head)
        elif kind == "removed":
            sentences.append("%s:%s removed (was %s)" % (head, tail, _short(old)) if tail or not subject else "%s removed" % head)
        else:
            sentences.append("%s:%s order changed" % (head, tail))
    if limit is not None and len(sentences) > limit:
        more = len(sentences) - (limit - 1)
        sentences = sentences[:limit - 1] + ["... and %d more changes" % more]
    return sentences
