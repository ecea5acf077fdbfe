# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``select_flows``: resolve a selection (ids, names, globs, tags, exclusions) against a list of flows.

One implementation for every role and every provider: the roles list the flows of an environment or of a tree
(entries with the provider's key and other key, e.g. Descope ``id``/``name``, DaVinci ``name``/``id``) and this
filter says which of them are selected and which requested names match nothing.
"""

from __future__ import annotations

import fnmatch

from ansible.errors import AnsibleFilterError

GLOB_CHARS = set("*?[")


def _as_list(value, what):
    """A list of strings from a list, a comma-separated string, or nothing."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        out = []
        for entry in value:
            if not isinstance(entry, (str, int)) or isinstance(entry, bool):
                raise AnsibleFilterError("select_flows: %s entries must be strings (ids, names or globs), got %r" % (what, entry))
            out.append(str(entry))
        return out
    raise AnsibleFilterError("select_flows: %s must be a list of strings or a comma-separated string, got %s" % (what, type(value).__name__))


def _is_glob(pattern):
    return bool(GLOB_CHARS & set(pattern))


def _matches(pattern, names):
    if _is_glob(pattern):
        return any(fnmatch.fnmatchcase(name, pattern) for name in names)
    return pattern in names


def _tags_of(names, tag_map):
    tags = set()
    for name in names:
        value = tag_map.get(name)
        if value is None:
            continue
        tags.update(_as_list(value, "tags of %s" % name))
    return tags


def select_flows(flows, key="id", other_key="name", selection="all", tags=None, exclude=None, tag_map=None):
    """``{keys, missing, all}`` for ``flows`` (a list of dicts holding ``key`` and maybe ``other_key``, or of keys).

    - ``selection``: ``all``, or ids/names/globs (a glob matches the key or the other key; ``fnmatch`` syntax).
    - ``tags``: keep only flows carrying at least one of these tags (``tag_map``: flow key or name -> list of tags).
    - ``exclude``: ids/names/globs, or ``tag:<tag>``, of flows to leave out (applied last).
    - ``missing``: the selection entries (not globs) and the tags that match no flow.
    """
    if not isinstance(flows, list):
        raise AnsibleFilterError("select_flows expects a list of flows, got %s" % type(flows).__name__)
    tag_map = tag_map or {}
    if not isinstance(tag_map, dict):
        raise AnsibleFilterError("select_flows: tag_map must be a dict (flow id or name -> list of tags), got %s" % type(tag_map).__name__)
    everything = selection in (None, "all", ["all"])
    wanted = [] if everything else _as_list(selection, "selection")
    wanted_tags = _as_list(tags, "tags")
    excluded = _as_list(exclude, "exclude")

    entries = []
    for flow in flows:
        if isinstance(flow, str) and flow:
            flow = {key: flow}   # a flow known only by its key (a file name of a tree)
        if not isinstance(flow, dict) or flow.get(key) in (None, ""):
            raise AnsibleFilterError("select_flows: every flow must be a dict with a %r field, got %r" % (key, flow))
        names = [str(flow[key])] + ([str(flow[other_key])] if flow.get(other_key) not in (None, "") else [])
        entries.append((str(flow[key]), names, _tags_of(names, tag_map)))

    missing = [w for w in wanted if not _is_glob(w) and not any(_matches(w, names) for _k, names, _t in entries)]
    known_tags = set().union(*(t for _k, _n, t in entries)) if entries else set()
    missing += ["tag:" + t for t in wanted_tags if t not in known_tags]

    keys = []
    for flow_key, names, flow_tags in entries:
        if not everything and not any(_matches(w, names) for w in wanted):
            continue
        if wanted_tags and not flow_tags & set(wanted_tags):
            continue
        if any((e[4:] in flow_tags) if e.startswith("tag:") else _matches(e, names) for e in excluded):
            continue
        if flow_key not in keys:
            keys.append(flow_key)
    return {"keys": keys, "missing": missing, "all": everything and not wanted_tags and not excluded}


class FilterModule:  # pylint: disable=too-few-public-methods
    """flowops.flows filters."""

    def filters(self):
        return {"select_flows": select_flows}
