# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PingOne DaVinci flow documents: formats, normalisation and environment remapping. Private to this collection.

Standard library only. Three input shapes are understood (reference davinci.md sections 3.5, 5.3, 6):

- the PingOne API export (``flow{id,name}``, ``version``, ``_embedded: [subflow exports]``);
- the legacy DaVinci export (``flowId``, ``companyId`` ..., or ``{"flows": [...]}`` with subflows);
- the collection's own portable file (what ``state: exported`` writes): one flow per file, the
  PingOne API body keys (``name``, ``description``, ``color``, ``graphData``, ``inputSchema``,
  ``outputSchema``, ``settings``, ``trigger``, ``variables``) without any environment metadata, and
  environment-specific ids replaced by symbolic references:

  - node ``data.connectionId`` -> ``@connection:<connection name>``
  - subflow references ``properties.subFlowId.value.value`` -> ``@flow:<subflow name>``
  - flow-context variable names ``<name>##SK##flow##SK##<flowId>`` -> ``...##SK##@self`` (the flow itself)
    or ``...##SK##@flow:<name>`` (another exported flow).

Every flow is first turned into the *flat* form (the portable keys plus any unknown key, kept
verbatim); the source flow id travels beside it. Symbolic references cannot be mistaken for real ids:
PingOne flow and connector-instance ids are 32 lower-case hex characters and never start with ``@``.
"""

from __future__ import annotations

import copy

from ansible_collections.flowops.flows.plugins.module_utils._shapes import foreign

SK = "##SK##"
# ``##SK##`` separates a variable's name from its context in DaVinci's own files: never a placeholder.
RESERVED_PLACEHOLDER_NAMES = ("SK",)
SELF = "@self"
CONNECTION_PREFIX = "@connection:"
FLOW_PREFIX = "@flow:"

# Keys of the PingOne API flow / export responses that are server-owned or environment-specific (section 7.2).
API_METADATA_KEYS = frozenset([
    "_links", "_embedded", "environment", "flow", "id", "version", "currentVersion", "publishedVersion",
    "createdAt", "updatedAt", "deployedAt", "clonedFrom", "alias", "updates", "connectors", "enabled",
    "dvlinterErrorCount", "dvlinterWarningCount",
])
# Legacy export keys that are environment, version or flow metadata (section 5.5) and have no PingOne API body equivalent.
LEGACY_METADATA_KEYS = frozenset([
    "companyId", "customerId", "flowId", "parentFlowId", "createdDate", "currentVersion", "publishedVersion",
    "versionId", "versionInfo", "flowStatus", "savedDate", "updatedDate", "deployedDate", "authTokenExpireIds",
    "connections", "connectorIds", "enabledGraphData", "functionConnectionId", "inputSchemaCompiled",
    "isInputSchemaSaved", "isOutputSchemaSaved", "orx", "timeouts",
])
VARIABLE_METADATA_KEYS = ("id", "companyId", "customerId", "createdDate", "updatedDate", "flowId")
# Settings DaVinci treats as per-environment knobs (TFDV: environment metadata); the target keeps its own.
ENVIRONMENT_SETTINGS = ("logLevel", "debugMode")
LAYOUT_GRAPH_KEYS = ("pan", "zoom", "minZoom", "maxZoom")
LAYOUT_ELEMENT_KEYS = ("position", "selected")
WRITE_KEYS = ("name", "description", "color", "graphData", "inputSchema", "outputSchema", "settings", "trigger")


class RemapError(Exception):
    """A document cannot be used or remapped; the message names the file, flow and node."""


# ---------------------------------------------------------------------------------------------- formats


def detect_format(doc):
    """``"api"``, ``"legacy"``, ``"legacy-multi"`` or ``"portable"``; raises RemapError for anything else."""
    if isinstance(doc, dict):
        if isinstance(doc.get("flows"), list):
            return "legacy-multi"
        if "graphData" in doc or "_embedded" in doc:
            if isinstance(doc.get("flow"), dict) and "id" in doc["flow"]:
                return "api"
            if "flowId" in doc or "companyId" in doc:
                return "legacy"
            if "name" in doc:
                return "portable"
    other = foreign(doc, "davinci")
    if other:
        raise RemapError(other)
    raise RemapError("not a DaVinci flow document: expected a PingOne API export (flow, graphData, _embedded), a legacy DaVinci "
                     "export (flowId, graphData, or {\"flows\": [...]}) or a file written by state=exported (name, graphData)")


def _flat_from_api(doc):
    flat = {k: copy.deepcopy(v) for k, v in doc.items() if k not in API_METADATA_KEYS}
    flat["name"] = doc["flow"].get("name")
    return flat, doc["flow"].get("id")


def _flat_from_legacy(doc):
    flat = {k: copy.deepcopy(v) for k, v in doc.items() if k not in LEGACY_METADATA_KEYS}
    if "flowColor" in flat:
        flat["color"] = flat.pop("flowColor")
    if "outputSchemaCompiled" in flat:
        compiled = flat.pop("outputSchemaCompiled")
        flat.setdefault("outputSchema", compiled)
    return flat, doc.get("flowId")


def split_document(doc):
    """Flat flows in a document: a list of ``(flat, source_id, role)`` (role ``"flow"`` or ``"subflow"``)."""
    kind = detect_format(doc)
    out = []
    if kind == "api":
        flat, fid = _flat_from_api(doc)
        out.append((flat, fid, "flow"))
        embedded = doc.get("_embedded") or []
        if isinstance(embedded, dict):  # tolerate a HAL object form
            embedded = [v for value in embedded.values() for v in (value if isinstance(value, list) else [value])]
        for sub in embedded:
            if not isinstance(sub, dict) or not isinstance(sub.get("flow"), dict):
                raise RemapError("an _embedded subflow is not a PingOne flow export (no flow{id,name})")
            flat, fid = _flat_from_api(sub)
            out.append((flat, fid, "subflow"))
    elif kind == "legacy":
        flat, fid = _flat_from_legacy(doc)
        out.append((flat, fid, "flow"))
    elif kind == "legacy-multi":
        for index, sub in enumerate(doc["flows"]):
            if not isinstance(sub, dict):
                raise RemapError("flows[%d] is not a flow object" % index)
            flat, fid = _flat_from_legacy(sub)
            out.append((flat, fid, "flow"))
    else:
        flat = copy.deepcopy(doc)
        out.append((flat, None, "flow"))
    return out


# ---------------------------------------------------------------------------------------------- graph helpers


def nodes_of(flat):
    graph = flat.get("graphData") or {}
    elements = graph.get("elements") or {} if isinstance(graph, dict) else {}
    nodes = elements.get("nodes") if isinstance(elements, dict) else None
    return [n for n in nodes or [] if isinstance(n, dict)]


def edges_of(flat):
    graph = flat.get("graphData") or {}
    elements = graph.get("elements") or {} if isinstance(graph, dict) else {}
    edges = elements.get("edges") if isinstance(elements, dict) else None
    return [e for e in edges or [] if isinstance(e, dict)]


def node_id(node):
    data = node.get("data") or {}
    return data.get("id") or "?"


def connection_nodes(flat):
    """Nodes that use a connector instance: ``(node, data)`` for every node with a ``connectionId``."""
    for node in nodes_of(flat):
        data = node.get("data")
        if isinstance(data, dict) and data.get("connectionId") not in (None, ""):
            yield node, data


def subflow_refs(flat):
    """Subflow references: ``(node, ref)`` where ``ref`` is the ``subFlowId.value`` dict ``{label, value}``."""
    for node in nodes_of(flat):
        data = node.get("data")
        if not isinstance(data, dict):
            continue
        props = data.get("properties")
        if not isinstance(props, dict):
            continue
        sub = props.get("subFlowId")
        ref = sub.get("value") if isinstance(sub, dict) else None
        if isinstance(ref, dict) and (ref.get("value") or ref.get("label")):
            yield node, ref


def ref_name(ref, names_by_source_id):
    """The subflow name a reference points at: by source id when known, else its label, else its marker."""
    value = ref.get("value")
    if isinstance(value, str) and value.startswith(FLOW_PREFIX):
        return value[len(FLOW_PREFIX):]
    if value in names_by_source_id:
        return names_by_source_id[value]
    return ref.get("label")


def connection_key(data):
    """``(source_id or None, connection name or None)`` of a node's connection."""
    value = data.get("connectionId")
    if isinstance(value, str) and value.startswith(CONNECTION_PREFIX):
        return None, value[len(CONNECTION_PREFIX):]
    return value, data.get("name")


def parse_variable_name(name):
    """``"x##SK##flow##SK##abc"`` -> ``("x", "flow", "abc")``; ``"x##SK##company"`` -> ``("x", "company", None)``."""
    parts = str(name).split(SK)
    base = parts[0]
    context = parts[1] if len(parts) > 1 else None
    owner = SK.join(parts[2:]) if len(parts) > 2 else None
    return base, context, owner


def variable_name(base, context, owner=None):
    if owner:
        return SK.join([base, context, owner])
    if context:
        return SK.join([base, context])
    return base


def walk_strings(obj, func):
    """A copy of ``obj`` with ``func`` applied to every string value (keys untouched)."""
    if isinstance(obj, dict):
        return {k: walk_strings(v, func) for k, v in obj.items()}
    if isinstance(obj, list):
        return [walk_strings(v, func) for v in obj]
    if isinstance(obj, str):
        return func(obj)
    return obj


def substitute(flat, substitutions):
    """Literal string replacements (longest first) in every string value of ``flat``."""
    if not substitutions:
        return flat
    pairs = sorted(((str(k), str(v)) for k, v in substitutions.items() if str(k)), key=lambda kv: len(kv[0]), reverse=True)

    def replace(text):
        for old, new in pairs:
            if old in text:
                text = text.replace(old, new)
        return text
    return walk_strings(flat, replace)


# ---------------------------------------------------------------------------------------------- portable form


def to_portable(flat, source_id, connection_names, flow_names):
    """Replace the source environment's ids in a flat flow by symbolic references.

    ``connection_names``: connector-instance id -> name (the source environment's);
    ``flow_names``: flow id -> name (the flows exported together, and any other known flow).
    """
    doc = copy.deepcopy(flat)
    for _node, data in connection_nodes(doc):
        cid = data.get("connectionId")
        if isinstance(cid, str) and cid.startswith(CONNECTION_PREFIX):
            continue
        name = connection_names.get(cid)
        if name:
            data["connectionId"] = CONNECTION_PREFIX + name
    for _node, ref in subflow_refs(doc):
        value = ref.get("value")
        if isinstance(value, str) and value.startswith(FLOW_PREFIX):
            continue
        name = flow_names.get(value) or ref.get("label")
        if name:
            ref["value"] = FLOW_PREFIX + name
            ref["label"] = name
    doc["variables"] = [_portable_variable(v, source_id, flow_names) for v in doc.get("variables") or [] if isinstance(v, dict)]
    if not doc["variables"]:
        del doc["variables"]
    return doc


def _portable_variable(var, source_id, flow_names):
    out = {k: copy.deepcopy(v) for k, v in var.items() if k not in VARIABLE_METADATA_KEYS}
    base, context, owner = parse_variable_name(var.get("name", ""))
    if context == "flow":
        owner = owner or var.get("flowId")
        if owner and owner == source_id:
            owner = SELF
        elif owner in flow_names:
            owner = FLOW_PREFIX + flow_names[owner]
        out["name"] = variable_name(base, context, owner)
    return out


# ---------------------------------------------------------------------------------------------- remapping


class Remapper:
    """Rewrites flat flows from the source environment's ids to the target's.

    ``instances``: the target's connector instances (``{id, name, connector{id}}``);
    ``connection_map``: source connection name or id -> target connector-instance id;
    ``flow_ids``: callable ``name -> target flow id or None`` (subflows written earlier in the run included).
    """

    def __init__(self, instances, connection_map=None, allow_unmapped=False, substitutions=None):
        self.instances = [i for i in instances or [] if isinstance(i, dict) and i.get("id")]
        self.instance_ids = {i["id"] for i in self.instances}
        self.connection_map = {str(k): str(v) for k, v in (connection_map or {}).items()}
        self.allow_unmapped = allow_unmapped
        self.substitutions = substitutions or {}

    def _by_name(self, name, connector_id):
        matches = [i for i in self.instances if i.get("name") == name]
        if len(matches) > 1 and connector_id:
            typed = [i for i in matches if (i.get("connector") or {}).get("id") == connector_id]
            matches = typed or matches
        if len(matches) > 1:
            return None, "%d connector instances in the target are named '%s'; map it with connection_map" % (len(matches), name)
        return (matches[0]["id"], None) if matches else (None, None)

    def resolve_connection(self, data):
        """``(target id or None, problem or None)`` for one node."""
        source_id, name = connection_key(data)
        for key in (source_id, name):
            if key and key in self.connection_map:
                target = self.connection_map[key]
                if target not in self.instance_ids:
                    return None, "connection_map maps '%s' to '%s', which is not a connector instance in the target environment" % (key, target)
                return target, None
        if name:
            target, problem = self._by_name(name, data.get("connectorId"))
            if target or problem:
                return target, problem
        if source_id and source_id in self.instance_ids:
            return source_id, None   # bootstrapped connections keep their id in every environment
        what = "connection '%s'" % name if name else "connection id %s" % source_id
        if name and source_id:
            what += " (id %s)" % source_id
        return None, "%s not found in the target environment (no connector instance of that name, no connection_map entry)" % what

    def check_connections(self, flat, flow_label):
        """Every unresolved connection of one flow as ``"flow ..., node ...: reason"`` strings."""
        problems = []
        for _node, data in connection_nodes(flat):
            target, problem = self.resolve_connection(data)
            if target is None:
                problems.append("flow %s, node %s (%s): %s" % (flow_label, data.get("id") or "?", data.get("connectorId") or data.get("nodeType"), problem))
        return problems

    def remap(self, flat, source_id, target_id, names_by_source_id, flow_ids, warn=None, pending=()):
        """The flat flow with target ids (``target_id`` is None for a flow not created yet).

        ``pending``: names of flows this run will create; a reference to one that does not exist yet (check
        mode) keeps its symbolic ``@flow:<name>`` form.
        """
        doc = substitute(copy.deepcopy(flat), self.substitutions)
        for _node, data in connection_nodes(doc):
            target, problem = self.resolve_connection(data)
            if target is not None:
                data["connectionId"] = target
            elif not self.allow_unmapped:
                raise RemapError("flow '%s', node %s: %s" % (doc.get("name"), data.get("id"), problem))
            else:
                sid, _name = connection_key(data)
                if sid is None:
                    del data["connectionId"]
                if warn:
                    warn("flow '%s', node %s: %s; left unmapped (allow_unmapped_connections)" % (doc.get("name"), data.get("id"), problem))
        for _node, ref in subflow_refs(doc):
            name = ref_name(ref, names_by_source_id)
            target = flow_ids(name) if name else None
            if target is None and name in pending:
                target = FLOW_PREFIX + name
            if target is None:
                raise RemapError("flow '%s': subflow '%s' is in neither the source nor the target environment" % (doc.get("name"), name))
            ref["value"] = target
            ref["label"] = name
        variables = []
        for var in doc.get("variables") or []:
            if not isinstance(var, dict):
                continue
            var = dict(var)
            base, context, owner = parse_variable_name(var.get("name", ""))
            if context == "flow":
                owner = owner or var.get("flowId")
                if owner in (SELF, source_id) or owner is None:
                    owner = target_id or SELF
                elif isinstance(owner, str) and owner.startswith(FLOW_PREFIX):
                    owner = flow_ids(owner[len(FLOW_PREFIX):]) or owner
                elif owner in names_by_source_id:
                    owner = flow_ids(names_by_source_id[owner]) or owner
                var["name"] = variable_name(base, context, owner)
                if owner and owner != SELF:
                    var["flowId"] = owner
                else:
                    var.pop("flowId", None)
            variables.append(var)
        if "variables" in doc:
            doc["variables"] = variables
        return doc


SAVE_VARIABLE_KEYS = ("saveFlowVariables", "saveVariables")


def keep_variable_values(desired, current):
    """Fill ``value`` of save-variable node items that ``desired`` lacks from ``current`` (in place).

    Exports without variable values (the default) leave these values out (reference section 3.5); such a
    file then keeps the target's values instead of erasing them.
    """
    if not current:
        return desired
    by_node = {}
    for node in nodes_of(current):
        data = node.get("data") or {}
        by_node[data.get("id")] = data.get("properties") or {}
    for node in nodes_of(desired):
        data = node.get("data") or {}
        props = data.get("properties")
        have = by_node.get(data.get("id"))
        if not isinstance(props, dict) or not have:
            continue
        for key in SAVE_VARIABLE_KEYS:
            items = (props.get(key) or {}).get("value") if isinstance(props.get(key), dict) else None
            old_items = (have.get(key) or {}).get("value") if isinstance(have.get(key), dict) else None
            if not isinstance(items, list) or not isinstance(old_items, list):
                continue
            old_by_name = {}
            for old in old_items:   # the same name can appear more than once: pair them in order
                if isinstance(old, dict):
                    old_by_name.setdefault(old.get("name"), []).append(old)
            for entry in items:
                if not isinstance(entry, dict):
                    continue
                candidates = old_by_name.get(entry.get("name")) or []
                old = candidates.pop(0) if candidates else None
                if "value" not in entry and isinstance(old, dict) and "value" in old:
                    entry["value"] = copy.deepcopy(old["value"])
    return desired


# ---------------------------------------------------------------------------------------------- normal form


def _bool(value):
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def prune(obj):
    """Empty == absent: drop ``None``, ``""``, ``[]`` and ``{}`` values from every dict (list items stay)."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            value = prune(value)
            if value is None or value == "" or value == [] or value == {}:
                continue
            out[key] = value
        return out
    if isinstance(obj, list):
        return [prune(v) for v in obj]
    return obj


def normal_variables(variables, own_ids):
    """Flow variables as compared: sorted ``{name, context, type}``; the flow's own id becomes ``@self``."""
    out = []
    for var in variables or []:
        if not isinstance(var, dict):
            continue
        base, context, owner = parse_variable_name(var.get("name", ""))
        context = var.get("context") or context
        if context == "flow":
            owner = owner or var.get("flowId")
            if owner in own_ids or owner is None:
                owner = SELF
        else:
            owner = None
        fields = var.get("fields") or {}
        out.append({"name": variable_name(base, context, owner), "context": context, "type": fields.get("type")})
    out.sort(key=lambda v: (str(v["name"]), str(v["context"])))
    return out


def normalise(flat, own_ids=(), ignore_layout=False):
    """The comparable form of a flat flow (reference sections 5.5 and 7.2)."""
    doc = {k: copy.deepcopy(v) for k, v in flat.items() if k not in API_METADATA_KEYS and k not in LEGACY_METADATA_KEYS}
    if "flowColor" in doc:
        doc["color"] = doc.pop("flowColor")
    if "outputSchemaCompiled" in doc:
        doc.setdefault("outputSchema", doc.pop("outputSchemaCompiled"))
        doc.pop("outputSchemaCompiled", None)
    graph = doc.get("graphData")
    if isinstance(graph, dict):
        graph.pop("allLinterErrors", None)
        elements = graph.get("elements")
        if isinstance(elements, dict):
            for kind in ("nodes", "edges"):
                items = [e for e in elements.get(kind) or [] if isinstance(e, dict)]
                for element in items:
                    data = element.get("data")
                    if isinstance(data, dict):
                        data.pop("linterError", None)
                        data.pop("capabilityClass", None)
                    if ignore_layout:
                        for key in LAYOUT_ELEMENT_KEYS:
                            element.pop(key, None)
                items.sort(key=lambda e: str((e.get("data") or {}).get("id")))
                if kind in elements:
                    elements[kind] = items
        if ignore_layout:
            for key in LAYOUT_GRAPH_KEYS:
                graph.pop(key, None)
    if ignore_layout:
        doc.pop("color", None)
    settings = doc.get("settings")
    if isinstance(settings, dict):
        doc["settings"] = {k: _bool(v) for k, v in settings.items() if k not in ENVIRONMENT_SETTINGS}
    trigger = doc.get("trigger")
    if isinstance(trigger, dict) and trigger.get("type") == "AUTHENTICATION":
        doc.pop("inputSchema", None)   # server-defined for authentication flows (TFP1 forbids setting it)
    doc["variables"] = normal_variables(doc.get("variables"), set(own_ids) | {SELF})
    return prune(doc)


def write_body(flat, keep_settings_from=None):
    """Request body for create (POST /flows) or replace (PUT /flows/{id}): the API keys plus unknown keys."""
    body = {k: copy.deepcopy(v) for k, v in flat.items()
            if k not in API_METADATA_KEYS and k not in LEGACY_METADATA_KEYS and k != "variables"}
    settings = body.get("settings")
    if keep_settings_from and isinstance(keep_settings_from.get("settings"), dict):
        settings = dict(settings or {})
        for key in ENVIRONMENT_SETTINGS:
            if key in keep_settings_from["settings"]:
                settings[key] = keep_settings_from["settings"][key]
        body["settings"] = settings
    for key in ("graphData", "settings", "outputSchema", "trigger"):
        if body.get(key) in (None, "", [], {}):
            body.pop(key, None)
    return body


def flow_order(flows):
    """Stages for flows that reference each other by name (``flows``: name -> referenced names).

    Returns ``(stages, groups)``: ``stages`` maps each name to its stage (subflows before the flows that use
    them); ``groups`` maps each name that is part of a reference cycle (DaVinci allows a subflow to call its
    caller) to the set of names in that cycle, which share one stage.
    """
    index = {}
    low = {}
    on_stack = set()
    stack = []
    components = []
    counter = [0]

    def connect(name):   # Tarjan's strongly connected components (iterative enough for flow trees)
        index[name] = low[name] = counter[0]
        counter[0] += 1
        stack.append(name)
        on_stack.add(name)
        for child in flows.get(name, ()):
            if child not in flows:
                continue
            if child not in index:
                connect(child)
                low[name] = min(low[name], low[child])
            elif child in on_stack:
                low[name] = min(low[name], index[child])
        if low[name] == index[name]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == name:
                    break
            components.append(component)

    for flow_name in flows:
        if flow_name not in index:
            connect(flow_name)
    component_of = {name: i for i, comp in enumerate(components) for name in comp}
    stage_of = {}
    for i, comp in enumerate(components):   # Tarjan emits components children-first
        children = {component_of[c] for name in comp for c in flows.get(name, ()) if c in component_of} - {i}
        stage_of[i] = 1 + max((stage_of[c] for c in children), default=-1)
    stages = {name: stage_of[component_of[name]] for name in flows}
    groups = {}
    for comp in components:
        if len(comp) > 1 or any(name in flows.get(name, ()) for name in comp):
            for name in comp:
                groups[name] = set(comp)
    return stages, groups
