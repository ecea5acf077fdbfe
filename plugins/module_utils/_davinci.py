# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PingOne DaVinci provider: API client with token handling, document models, and the reconcile adapters.

Private to this collection. Reference: the project's shared/reference/davinci.md (section numbers below).
Document formats, normalisation and remapping live in ``_davinci_documents``.
"""

from __future__ import annotations

import base64
import copy
import os
import threading
import time
import typing as t

from ansible_collections.flowops.flows.plugins.module_utils._document import (
    DocumentError,
    fingerprint,
    load_file,
    safe_join,
    check_id,
    safe_name,
    unpack,
)
from ansible_collections.flowops.flows.plugins.module_utils._http import ApiError, HttpClient, error_parser, text_or_none
from ansible_collections.flowops.flows.plugins.module_utils._models import lazy_models, validate
from ansible_collections.flowops.flows.plugins.module_utils._options import env, plan_options
from ansible_collections.flowops.flows.plugins.module_utils._placeholders import make_portable, portable_values
from ansible_collections.flowops.flows.plugins.module_utils._placeholders import resolve as resolve_placeholders
from ansible_collections.flowops.flows.plugins.module_utils._sync import Adapter, FlowError, Item, LostAnswer, Plan
from ansible_collections.flowops.flows.plugins.module_utils._davinci_documents import (
    RESERVED_PLACEHOLDER_NAMES,
    SELF,
    RemapError,
    Remapper,
    normalise as normalise_flow,
    parse_variable_name,
    ref_name,
    split_document,
    subflow_refs,
    FLOW_PREFIX,
    to_portable,
    variable_name,
    flow_order,
    keep_variable_values,
    write_body,
)

PROVIDER = "davinci"
# Region code -> top-level domain (section 1.1).
REGIONS = {"NA": "com", "EU": "eu", "CA": "ca", "AU": "com.au", "SG": "sg", "AP": "asia"}
CT_EXPORT = "application/vnd.pingidentity.flowversion.export+json"
CT_DEPLOY = "application/vnd.pingidentity.flow.deploy+json"
CT_REVERT = "application/vnd.pingidentity.flowversion.revert+json"
VARIABLE_CONTEXTS = ("company", "flow", "flowInstance", "user")
VARIABLE_TYPES = ("boolean", "number", "object", "secret", "string")
POLICY_MARKER = "Flow Policy"


# ---------------------------------------------------------------------------------------------------
# connection: options, error parser, client


CONNECTION_SPEC = {
    "environment_id": {"type": "str", "required": True, "fallback": env("PINGONE_ENVIRONMENT_ID")},
    "client_id": {"type": "str", "required": True, "fallback": env("PINGONE_CLIENT_ID")},
    "client_secret": {"type": "str", "required": True, "no_log": True, "fallback": env("PINGONE_CLIENT_SECRET")},
    "worker_environment_id": {"type": "str"},
    "region": {"type": "str", "choices": list(REGIONS), "fallback": env("PINGONE_REGION_CODE")},
    "api_url": {"type": "str"},
    "auth_url": {"type": "str"},
    "token_auth_method": {"type": "str", "default": "client_secret_basic", "choices": ["client_secret_basic", "client_secret_post"]},
}


@error_parser
def parse_pingone_error(body):
    """PingOne platform ``{id, code, message, details[]}`` or OAuth ``{error, error_description}``."""
    if "error" in body and isinstance(body.get("error"), str):
        return text_or_none(body["error"]), text_or_none(body.get("error_description")), None
    if "code" not in body and "message" not in body:
        return None
    message = text_or_none(body.get("message"))
    parts = []
    details = body.get("details")
    for detail in details if isinstance(details, list) else ():
        if not isinstance(detail, dict):
            continue
        item = text_or_none(detail.get("message")) or ""
        if detail.get("target"):
            item = "%s: %s" % (detail["target"], item) if item else str(detail["target"])
        if detail.get("code"):
            item = "%s (%s)" % (item, detail["code"]) if item else str(detail["code"])
        if item:
            parts.append(item)
    if parts:
        message = "%s [%s]" % (message or "", "; ".join(parts))
        message = message.strip()
    return text_or_none(body.get("code")), message, text_or_none(body.get("id"))


def urls_for(region=None, api_url=None, auth_url=None):
    """``(api_url, auth_url)`` from explicit URLs or the region code (default NA)."""
    tld = REGIONS.get((region or "NA").upper())
    if tld is None:
        raise FlowError("unknown PingOne region '%s' (expected one of %s)" % (region, ", ".join(REGIONS)))
    api = (api_url or "https://api.pingone.%s/v1" % tld).rstrip("/")
    auth = (auth_url or "https://auth.pingone.%s" % tld).rstrip("/")
    return api, auth


class DaVinciClient:
    """The PingOne DaVinci admin API (section 2) with a worker-app access token (section 1.2).

    The token is fetched on the first call, handed to ``on_secret`` (module no_log_values), and
    fetched again once when a call answers 401 (expired or revoked token).
    """

    def __init__(self, environment_id, client_id, client_secret, worker_environment_id=None, region=None, api_url=None,
                 auth_url=None, token_auth_method="client_secret_basic", on_secret=None, **http_options):
        self.environment_id = environment_id
        self.worker_environment_id = worker_environment_id or environment_id
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_auth_method = token_auth_method
        self.on_secret = on_secret
        self.api_url, self.auth_url = urls_for(region, api_url, auth_url)
        self._lock = threading.Lock()
        self._token_time = None
        self.token_fetches = 0
        self.api = HttpClient(PROVIDER, self.api_url, error_parser=parse_pingone_error, secrets=[client_secret],
                              reauth=self._reauth, **http_options)
        self.auth = HttpClient("pingone-auth", self.auth_url, error_parser=parse_pingone_error, secrets=[client_secret], **http_options)
        self._base = "environments/%s" % environment_id

    def close(self):
        self.api.close()
        self.auth.close()

    # -- token ----------------------------------------------------------------------------------
    def fetch_token(self):
        data = {"grant_type": "client_credentials"}
        headers = {}
        if self.token_auth_method == "client_secret_post":
            data.update({"client_id": self.client_id, "client_secret": self._client_secret})
        else:
            raw = ("%s:%s" % (self.client_id, self._client_secret)).encode("utf-8")
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
        path = "%s/as/token" % self.worker_environment_id
        try:
            resp = self.auth.request("POST", path, data=data, headers=headers, safe_to_retry=True, expected=(200,))
        except ApiError as exc:
            if exc.status in (400, 401, 403):
                raise FlowError("PingOne authentication failed for client_id '%s' in environment %s (%s%s): %s%s. Check client_id, client_secret, "
                                "worker_environment_id and token_auth_method" % (
                                    self.client_id, self.worker_environment_id, self.auth_url, "/<env>/as/token", exc.code or "HTTP %s" % exc.status,
                                    ": %s" % exc.message.rstrip(".") if exc.message else "")) from None
            raise
        try:
            token = resp.json()["access_token"]
        except (ValueError, KeyError, TypeError):
            raise FlowError("PingOne token endpoint %s/%s answered without an access_token" % (self.auth_url, path)) from None
        if self.on_secret:
            self.on_secret(token)
        self.api.set_bearer_token(token)
        self.auth.add_secret(token)
        self._token_time = time.monotonic()
        self.token_fetches += 1
        return token

    def _ensure_token(self):
        with self._lock:
            if self._token_time is None:
                self.fetch_token()

    def _reauth(self, client, generation):
        """A call sent with token ``generation`` got a 401: renew the token once, unless another call already
        renewed it since that call was sent (then the call is simply re-sent with the newer token).

        No time window: a token that dies a moment after it was issued is renewed like any other."""
        with self._lock:
            if client.auth_generation != generation:
                return True   # another call fetched a fresh token after this one was sent
            self.fetch_token()
            return True

    def _json(self, method, path, safe_to_retry=True, **kwargs):
        self._ensure_token()
        return self.api.json(method, "%s/%s" % (self._base, path) if path else self._base, safe_to_retry=safe_to_retry, **kwargs)

    def _get_or_none(self, path):
        try:
            return self._json("GET", path)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    # -- flows ----------------------------------------------------------------------------------
    def list_flows(self):
        body = self._json("GET", "flows")
        return list(((body.get("_embedded") or {}).get("flows")) or [])

    def get_flow(self, flow_id):
        return self._get_or_none("flows/%s" % flow_id)

    def export_version(self, flow_id, version, include_subflows=False, include_variable_values=False):
        return self._json("POST", "flows/%s/versions/%s" % (flow_id, version), headers={"Content-Type": CT_EXPORT}, expected=(200, 201),
                          json={"includeSubFlows": bool(include_subflows), "includeVariableValues": bool(include_variable_values)})

    def list_versions(self, flow_id):
        body = self._json("GET", "flows/%s/versions" % flow_id)
        return list(((body.get("_embedded") or {}).get("versions")) or [])

    def create_flow(self, body):
        return self._json("POST", "flows", safe_to_retry=False, json=body, expected=(200, 201))

    def replace_flow(self, flow_id, body):
        # Not re-sent after a lost answer: every replace that lands saves a new version; the engine re-reads instead.
        return self._json("PUT", "flows/%s" % flow_id, safe_to_retry=False, json=body, expected=(200,))

    def revert_version(self, flow_id, version):
        """Make a saved version the current one again (a new current version with its content; not deployed)."""
        return self._json("POST", "flows/%s/versions/%s" % (flow_id, version), json={}, headers={"Content-Type": CT_REVERT},
                          expected=(200, 201))

    def deploy_flow(self, flow_id):
        return self._json("POST", "flows/%s" % flow_id, json={}, headers={"Content-Type": CT_DEPLOY}, expected=(200, 201))

    def set_enabled(self, flow_id, enabled):
        return self._json("PUT", "flows/%s/enabled" % flow_id, json={"enabled": bool(enabled)}, expected=(200,))

    def delete_flow(self, flow_id):
        try:
            self._json("DELETE", "flows/%s" % flow_id, expected=(200, 204))
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    # -- connector instances, variables ------------------------------------------------------------
    def list_connector_instances(self):
        body = self._json("GET", "connectorInstances")
        return list(((body.get("_embedded") or {}).get("connectorInstances")) or [])

    def list_variables(self):
        self._ensure_token()
        out = []
        url = "%s/variables" % self._base
        params = {"limit": 500}
        seen = set()
        while url and url not in seen:
            seen.add(url)
            body = self.api.json("GET", url, safe_to_retry=True, params=params)
            out.extend(((body.get("_embedded") or {}).get("variables")) or [])
            url = (((body.get("_links") or {}).get("next")) or {}).get("href")
            params = None
        return out

    def create_variable(self, body):
        return self._json("POST", "variables", safe_to_retry=False, json=body, expected=(200, 201))

    def replace_variable(self, variable_id, body):
        return self._json("PUT", "variables/%s" % variable_id, json=body, expected=(200,))

    def get_variable(self, variable_id):
        return self._get_or_none("variables/%s" % variable_id)

    def delete_variable(self, variable_id):
        try:
            self._json("DELETE", "variables/%s" % variable_id, expected=(200, 204))
        except ApiError as exc:
            if exc.status != 404:
                raise


def client_from_params(params, http_options, on_secret=None):
    """A ``DaVinciClient`` from the module parameters and ``_options.http_options()``; the access token goes to ``on_secret``."""
    return DaVinciClient(
        params["environment_id"], params["client_id"], params["client_secret"],
        worker_environment_id=params.get("worker_environment_id"), region=params.get("region"),
        api_url=params.get("api_url"), auth_url=params.get("auth_url"),
        token_auth_method=params.get("token_auth_method") or "client_secret_basic",
        on_secret=on_secret, **http_options)


# ---------------------------------------------------------------------------------------------------
# documents: envelope models and loading


@lazy_models
def MODELS(Envelope):  # noqa: N802,N803  pylint: disable=invalid-name  # the envelope models, built on first use
    class NodeData(Envelope):
        id: str

    class GraphNode(Envelope):
        data: NodeData

    class GraphElements(Envelope):
        nodes: t.List[GraphNode] = []
        edges: t.Optional[t.List[t.Dict[str, t.Any]]] = None

    class GraphData(Envelope):
        elements: GraphElements

    class FlowVariable(Envelope):
        name: str

    class FlowDocument(Envelope):
        """The envelope of one flat flow (portable file, or one flow of an API/legacy export)."""

        name: str
        graphData: GraphData  # pylint: disable=invalid-name  # the vendor's key
        settings: t.Optional[t.Dict[str, t.Any]] = None
        variables: t.Optional[t.List[FlowVariable]] = None

    return {"flow": FlowDocument}


class SourceFlow:  # pylint: disable=too-few-public-methods
    """One flat flow read from ``src``."""

    def __init__(self, flat, source_id, path, role):
        self.flat = flat
        self.source_id = source_id
        self.path = path
        self.role = role

    @property
    def name(self):
        return self.flat.get("name")


def _source_files(src):
    if os.path.isdir(src):
        files = sorted(os.path.join(src, f) for f in os.listdir(src) if f.endswith(".json") and not f.startswith("."))
        if not files:
            raise FlowError("%s: no *.json flow files in this directory" % src)
        return files
    if not os.path.exists(src):
        raise FlowError("%s: no such file or directory" % src)
    return [src]


def load_sources(src, values=None):
    """Every flow in ``src`` (a file or a directory of *.json files), placeholders resolved from ``values``
    (before the ``@connection:``/``@flow:`` remapping, which runs later), validated; subflows included."""
    flows = []
    for path in _source_files(src):
        doc = resolve_placeholders(load_file(path), values, path, RESERVED_PLACEHOLDER_NAMES)
        try:
            parts = split_document(doc)
        except RemapError as exc:
            raise FlowError("%s: %s" % (path, exc)) from None
        for index, (flat, source_id, role) in enumerate(parts):
            label = flat.get("name") if isinstance(flat.get("name"), str) else "#%d" % (index + 1)
            validate(MODELS["flow"], flat, "%s (flow '%s')" % (path, label), what="DaVinci flow")
            if not flat["name"].strip() or len(flat["name"]) > 256:
                raise FlowError("%s (flow '%s'): name: must be 1 to 256 characters" % (path, label))
            flows.append(SourceFlow(flat, source_id, path, role))
    by_name = {}
    unique = []
    for flow in flows:
        other = by_name.get(flow.name)
        if other is None:
            by_name[flow.name] = flow
            unique.append(flow)
        elif normalise_flow(other.flat, [other.source_id]) != normalise_flow(flow.flat, [flow.source_id]):
            raise FlowError("two different flows named '%s' in the source: %s and %s" % (flow.name, other.path, flow.path))
    return unique


def mask_flow(doc):
    """A copy with the values of secret variables masked."""
    if not isinstance(doc, dict):
        return doc
    out = copy.deepcopy(doc)
    for var in out.get("variables") or []:
        if isinstance(var, dict):
            fields = var.get("fields")
            if isinstance(fields, dict) and fields.get("type") == "secret" and fields.get("value") not in (None, ""):
                fields["value"] = "********"
            if var.get("dataType") == "secret" and var.get("value") not in (None, ""):
                var["value"] = "********"
    return out


def flow_summary(flow):
    return {"id": flow.get("id"), "name": flow.get("name"), "description": flow.get("description"),
            "current_version": flow.get("currentVersion"), "published_version": flow.get("publishedVersion"),
            "enabled": flow.get("enabled"), "trigger": flow.get("trigger")}


def version_summary(version):
    return {"version": version.get("version"), "alias": version.get("alias"), "created_at": version.get("createdAt"),
            "updated_at": version.get("updatedAt"), "deployed_at": version.get("deployedAt")}


# ---------------------------------------------------------------------------------------------------
# adapters


def _store_key(var):
    base = parse_variable_name(var.get("name", ""))[0]
    return base, var.get("context"), ((var.get("flow") or {}).get("id") if var.get("context") == "flow" else None)


class VariableStore:
    """The target's variables (one paginated listing per run, refreshed after our own writes)."""

    def __init__(self, client):
        self.client = client
        self._lock = threading.Lock()
        self._items = None

    def all(self):
        with self._lock:
            if self._items is None:
                self._items = self.client.list_variables()
            return list(self._items)

    def invalidate(self):
        with self._lock:
            self._items = None

    def find(self, base, context, flow_id=None):
        for var in self.all():
            if _store_key(var) == (base, context, flow_id if context == "flow" else None):
                return var
        return None


def variable_body_from_item(var, flow_id):
    """A POST /variables body from a legacy-shaped flow variable item, or None when the type cannot be created."""
    base, context, _owner = parse_variable_name(var.get("name", ""))
    context = var.get("context") or context
    fields = var.get("fields") or {}
    dtype = fields.get("type") or "string"
    if dtype not in VARIABLE_TYPES or context not in VARIABLE_CONTEXTS:
        return None
    body = {"name": base, "context": context, "dataType": dtype, "mutable": bool(fields.get("mutable", True))}
    for src, dst in (("displayName", "displayName"), ("min", "min"), ("max", "max")):
        if fields.get(src) not in (None, ""):
            body[dst] = fields[src]
    if "value" in fields and fields["value"] is not None:
        body["value"] = fields["value"]
    else:
        body["mutable"] = True   # the API requires a mutable variable when no value is set
    if context == "flow":
        body["flow"] = {"id": flow_id}
    return body


class FlowAdapter(Adapter):
    """Reconciles flat flows (already planned by ``plan_present``/``plan_absent``) with a target environment."""

    provider = PROVIDER

    def __init__(self, client, remapper=None, ignore_layout=False, deploy=True, enabled=None, warn=None, check_mode=False):
        self.client = client
        self.check_mode = check_mode
        self.groups = {}             # flow name -> names of the reference cycle it is part of
        self.items_by_name = {}
        self.placeholders = []       # ids of flows created empty to break a reference cycle
        self.remapper = remapper
        self.ignore_layout = ignore_layout
        self.deploy = deploy
        self.enabled = enabled
        self.warn = warn or (lambda msg: None)
        self.variables = VariableStore(client)
        self._lock = threading.Lock()
        self._variables_lock = threading.Lock()
        self.flow_ids = {}           # target flow name -> id (listing + flows created in this run)
        self.names_by_source_id = {}
        self.target_flows = []       # the target's flow list, read once by the planner
        self.recreated = {}          # old id -> new id of flows this run's rollback created again (pruned, then put back)

    def flow_id_for(self, name):
        with self._lock:
            return self.flow_ids.get(name)

    # -- engine interface ------------------------------------------------------------------------
    def _ensure_placeholders(self, group):
        """Flows that call each other need each other's ids: create the absent ones empty first (by name, once)."""
        with self._lock:
            for name in sorted(group):
                other = self.items_by_name.get(name)
                if other is None or other.data.get("id"):
                    continue
                created = self.client.create_flow({"name": name, "graphData": {"elements": {"nodes": [], "edges": []}}})
                other.data["id"] = created["id"]
                other.data["placeholder"] = True
                self.flow_ids[name] = created["id"]
                self.placeholders.append(created["id"])

    def prepare(self, item):
        if item.desired is None:
            return None
        group = self.groups.get(item.name)
        if group and not self.check_mode:
            self._ensure_placeholders(group)
        prepared = self.remapper.remap(item.desired, item.data.get("source_id"), item.data.get("id"), self.names_by_source_id,
                                       self.flow_id_for, warn=self.warn, pending=set(self.items_by_name))
        item.data["prepared"] = prepared
        if item.data.get("id"):
            # the target's document, to keep its variable values (the engine's read gets this copy): the survey's read
            # while nothing was written since (no placeholder either), else a new read
            if item.survey_holds and not self.placeholders:
                current = unpack(item.survey["current"])
            else:
                current = self.read(item)
            keep_variable_values(prepared, current)
            item.data["cached_current"] = current
        return prepared

    # A flow's desired document holds the target ids of the subflows it calls, and a subflow this run creates
    # only has an id after its write: check mode can only say ``@flow:<name>``. So what a plan records (and
    # ``expect`` compares) is the desired document before any write of the run, with every subflow reference
    # written as ``@flow:<name>``, for the target's documents too; check mode and the real run agree.
    reuse_read = False   # prepare() gets the target's document itself (to keep variable values)

    def survey(self, item):
        if item.desired is None:
            return None, self.read(item)
        prepared = self.remapper.remap(item.desired, item.data.get("source_id"), item.data.get("id"), self.names_by_source_id,
                                       self.flow_id_for, warn=None, pending=set(self.items_by_name))
        current = None
        if item.data.get("id"):
            item.data["prepared"] = prepared
            current = self.read(item)
            keep_variable_values(prepared, current)
        return prepared, current

    def fingerprint_form(self, doc, item):
        names = {f.get("id"): f.get("name") for f in self.target_flows}
        doc = copy.deepcopy(doc)
        for _node, ref in subflow_refs(doc):
            value = ref.get("value")
            if isinstance(value, str) and not value.startswith(FLOW_PREFIX) and value in names:
                ref["value"] = FLOW_PREFIX + str(names[value])
            if isinstance(ref.get("value"), str) and ref["value"].startswith(FLOW_PREFIX):
                ref["label"] = ref["value"][len(FLOW_PREFIX):]
        return self.normalise(doc, item)

    def targets(self):
        """The target's flows that are not in the input, as items for prune. DaVinci has no built-in flows (none is
        documented: reference sections 3 and 5); a flow that a flow of the input calls as a subflow (directly or
        through other flows) is kept. Each is read once here (the engine's read gets this copy) to learn what it
        calls and to order the deletes: callers before their subflows."""
        out = {}
        refs = {}
        for flow in self.target_flows:
            name = flow.get("name")
            if name in self.items_by_name or name in out:
                continue
            current = self.client.get_flow(flow.get("id"))
            if current is None:
                continue   # deleted since the list
            out[name] = Item(name, name=name, data={"id": flow.get("id"), "cached_current": current})
            refs[name] = [n for n in (ref_name(ref, {}) for _node, ref in subflow_refs(current)) if n]
        todo = [name for item in self.items_by_name.values() for name in item.data.get("calls", ())]
        used = set()
        while todo:
            name = todo.pop()
            if name not in used:
                used.add(name)
                todo.extend(refs.get(name, ()))
        stages, _groups = flow_order(refs)
        for name, item in out.items():
            item.stage = stages.get(name, 0)
            if name in used:
                item.data["keep"] = "a flow of the input calls it"
                item.data.pop("cached_current", None)
        return list(out.values())

    def read(self, item):
        if "cached_current" in item.data:
            return item.data.pop("cached_current")
        fid = item.data.get("id")
        if not fid:
            return None
        flow = self.client.get_flow(fid)
        if flow is None:
            return None
        if item.desired is not None:
            flow["variables"] = self._target_variables(item.data.get("prepared") or item.desired, fid)
        return flow

    def normalise(self, doc, item):
        own = [x for x in (item.data.get("id"), item.data.get("source_id")) if x]
        return normalise_flow(doc, own, ignore_layout=self.ignore_layout)

    def _created_by_name(self, name):
        """After a create whose answer was lost: the id of a flow named ``name`` that this run did not know before."""
        with self._lock:
            known = set(self.flow_ids.values())
        found = [f.get("id") for f in self.client.list_flows() if f.get("name") == name and f.get("id") not in known]
        return found[0] if len(found) == 1 else None

    def create(self, item, desired):
        item.data["document_written"] = True   # set before the call: an answer that was lost may still have landed
        try:
            created = self.client.create_flow(write_body(desired))
        except ApiError as exc:
            if not exc.outcome_unknown:
                raise
            # the answer (and the new id) was lost: list the flows to learn whether it landed; never create it again
            try:
                found = self._created_by_name(item.name)
            except Exception:  # pylint: disable=broad-exception-caught
                raise LostAnswer("%s; the flows could not be listed to learn whether flow '%s' was created" % (exc, item.name)) from None
            if found is None:
                raise FlowError("%s; no flow named '%s' was created (checked by listing the flows)" % (exc, item.name)) from None
            created = {"id": found}
        fid = created.get("id")
        if not fid:
            raise FlowError("creating flow '%s' returned no id" % item.name)
        item.data["id"] = fid
        with self._lock:
            self.flow_ids[item.name] = fid
        self._ensure_variables(item, desired, fid)

    def update(self, item, desired, current):
        fid = item.data["id"]
        item.data["document_written"] = True   # set before the call: an answer that was lost may still have landed
        self.client.replace_flow(fid, write_body(desired, keep_settings_from=current))
        if item.data.get("placeholder"):
            item.data["placeholder_filled"] = True   # created empty first to break a subflow reference cycle
        if desired.get("name") and desired["name"] != item.name:
            with self._lock:
                self.flow_ids[desired["name"]] = fid
        self._ensure_variables(item, desired, fid)

    def delete(self, item, current):
        fid = item.data.get("id") or (current or {}).get("id")
        try:
            self.client.delete_flow(fid)
        except ApiError as exc:
            if POLICY_MARKER.lower() in str(exc.message or "").lower():
                raise FlowError("cannot delete flow '%s' (%s): it is used by an application flow policy (%s). Remove it from the "
                                "policy first" % (item.name or fid, fid, exc.message)) from None
            raise

    def restore(self, item, previous):
        if previous is None:
            if item.data.get("id"):
                self.client.delete_flow(item.data["id"])
            return
        current = self.read(item)
        fid = item.data["id"]
        if current is None:
            # deleted by this run (prune): created again, with a new id; flows put back after it call it by that id
            previous = copy.deepcopy(previous)
            for _node, ref in subflow_refs(previous):
                if ref.get("value") in self.recreated:
                    ref["value"] = self.recreated[ref["value"]]
            self.create(item, previous)
            with self._lock:
                self.recreated[fid] = item.data["id"]
            if previous.get("publishedVersion") is not None:
                self.client.deploy_flow(item.data["id"])
            if previous.get("enabled") is False:
                self.client.set_enabled(item.data["id"], False)
            return
        # Restore what is live, not only the draft: when this run deployed (the published version moved), publish the
        # previous live content again, then put the previous draft back.
        live_before = previous.get("publishedVersion")
        live_moved = live_before is not None and current.get("publishedVersion") != live_before
        if live_moved and previous.get("currentVersion") not in (None, live_before):
            # the draft was ahead of the live version: revert to the live version, deploy it, then restore the draft
            self.client.revert_version(fid, live_before)
            self.client.deploy_flow(fid)
            self.client.replace_flow(fid, write_body(previous))
        else:
            self.client.replace_flow(fid, write_body(previous))
            if live_moved:
                self.client.deploy_flow(fid)
        if previous.get("enabled") is not None and bool(current.get("enabled")) != bool(previous.get("enabled")):
            self.client.set_enabled(fid, bool(previous["enabled"]))

    def finalise(self, item, current, check_mode):
        changed = False
        extra = {}
        if item.desired is None:
            return False, extra
        if current is None:   # check mode: the flow would be created, then deployed
            return bool(self.deploy or self.enabled is not None), extra
        fid = item.data["id"]
        if self.deploy:
            published = current.get("publishedVersion")
            latest = current.get("currentVersion")
            if published is None or (latest is not None and published < latest):
                changed = True
                if not check_mode:
                    deployed = self.client.deploy_flow(fid) or {}
                    # The deploy's answer is its verify (the role reads nothing again): it must publish what was written.
                    # An answer without publishedVersion (the field is optional, reference 3.1) proves nothing: read the flow.
                    if not isinstance(deployed.get("publishedVersion"), (int, float)):
                        deployed = self.client.get_flow(fid) or {}
                        if not isinstance(deployed.get("publishedVersion"), (int, float)):
                            raise FlowError("flow %s: deployed, but the flow read back has no published version" % item.label())
                    if latest is not None and deployed["publishedVersion"] < latest:
                        raise FlowError("flow %s: after the deploy the published version is %s, not the version written (%s)"
                                        % (item.label(), deployed["publishedVersion"], latest))
                    extra["published_version"] = deployed.get("publishedVersion", latest)
                    extra["version"] = deployed.get("currentVersion", latest)
                extra["deployed"] = True
        if self.enabled is not None and bool(current.get("enabled")) != self.enabled:
            changed = True
            if not check_mode:
                self.client.set_enabled(fid, self.enabled)
            extra["enabled"] = self.enabled
        if changed and not self._document_changed(item, current):
            # the document was not written: say what this run did instead of "unchanged" with changed=true
            extra["action"] = ("enabled" if self.enabled else "disabled") if "enabled" in extra else "deployed"
        return changed, extra

    def _document_changed(self, item, current):
        """Whether this run wrote (or, in check mode, would write) the flow document itself."""
        if item.data.get("document_written"):
            return True
        prepared = item.data.get("prepared")
        return prepared is not None and self.normalise(current, item) != self.normalise(prepared, item)

    def mask(self, doc):
        return mask_flow(doc)

    def result_fields(self, item, current):
        current = current or {}
        fields = {"version": current.get("currentVersion"), "published_version": current.get("publishedVersion"),
                  "enabled": current.get("enabled"), "source_file": item.source}
        if item.data.get("placeholder_filled"):
            fields["action"] = "created"   # this run created the flow (empty, then filled in)
        return fields

    def backup_name(self, item):
        return safe_name(str(item.name or item.key)) + ".json"

    # -- variables -----------------------------------------------------------------------------
    @staticmethod
    def _wanted_variables(doc, fid):
        """``(item, base name, context, owner flow id)`` for each variable of a (prepared) flow document."""
        for var in doc.get("variables") or []:
            if not isinstance(var, dict):
                continue
            base, context, owner = parse_variable_name(var.get("name", ""))
            context = var.get("context") or context
            if context == "flow":
                if owner in (None, SELF):
                    owner = fid
                elif owner.startswith("@"):
                    continue   # a reference that could not be resolved (reported by the remapper)
            else:
                owner = None
            yield var, base, context, owner

    def _target_variables(self, doc, fid):
        out = []
        for _var, base, context, owner in self._wanted_variables(doc, fid):
            found = self.variables.find(base, context, owner)
            if found is not None:
                out.append({"name": variable_name(base, context, owner), "context": context, "fields": {"type": found.get("dataType")}})
        return out

    def _ensure_variables(self, item, desired, fid):
        with self._variables_lock:   # flows written in parallel share company/flowInstance variables
            self._ensure_variables_locked(item, desired, fid)

    def _ensure_variables_locked(self, item, desired, fid):
        wrote = False
        for var, base, context, owner in self._wanted_variables(desired, fid):
            body = variable_body_from_item(var, owner)
            found = self.variables.find(base, context, owner)
            if body is None:
                if found is None:
                    self.warn("flow '%s': variable '%s' (%s, type %s) cannot be created through the API; create it separately"
                              % (item.name, base, context, (var.get("fields") or {}).get("type")))
                continue
            if found is None:
                self.client.create_variable(body)
                wrote = True
            elif found.get("dataType") != body["dataType"]:
                body.pop("value", None)
                if found.get("value") not in (None, "") and body["dataType"] != "secret":
                    body["value"] = found["value"]
                self.client.replace_variable(found["id"], body)
                wrote = True
        if wrote:
            self.variables.invalidate()


class ExportAdapter(Adapter):
    """Reads a flow version with its subflows for ``state: exported``; writes portable files."""

    provider = PROVIDER

    def __init__(self, client, dest, version="current", include_subflows=True, include_variable_values=False, portable_values=None,
                 flows=None):
        self.client = client
        self.dest = dest
        self.portable_values = portable_values   # a dict: write placeholders for these values
        self.version = version
        self.include_subflows = include_subflows
        self.include_variable_values = include_variable_values
        self._instances = None
        self._flows = {f.get("id"): f.get("name") for f in flows} if flows is not None else None   # the target's listing
        self._listed = {f.get("id"): f for f in flows or []}
        self._lock = threading.Lock()   # several flows are exported in parallel (names)
        self._written = {}              # file -> the flow written there in this run

    def _version_of(self, flow, selector):
        if selector in (None, "", "current"):
            version = flow.get("currentVersion")
        elif selector == "published":
            version = flow.get("publishedVersion")
            if version is None:
                raise FlowError("flow '%s' (%s) has never been deployed: there is no published version" % (flow.get("name"), flow.get("id")))
        else:
            try:
                version = int(selector)
            except (TypeError, ValueError):
                raise FlowError("version must be current, published or a version number, got '%s'" % selector) from None
        if version is None:
            raise FlowError("flow '%s' (%s) has no current version" % (flow.get("name"), flow.get("id")))
        return version

    def _summary(self, flow_id, selector):
        """The flow's versions: from the run's listing when it gives the ones needed (it may leave out ``currentVersion``
        and ``publishedVersion``: reference F1), else a read of the flow."""
        listed = self._listed.get(flow_id)
        if listed is not None and listed.get("currentVersion") is not None and (selector != "published" or listed.get("publishedVersion") is not None):
            return listed
        return self.client.get_flow(flow_id)

    def export_flow(self, flow_id, selector):
        flow = self._summary(flow_id, selector)
        if flow is None:
            return None
        version = self._version_of(flow, selector)
        doc = self.client.export_version(flow_id, version, self.include_subflows, self.include_variable_values)
        doc.setdefault("publishedVersion", flow.get("publishedVersion"))
        doc["currentVersion"] = flow.get("currentVersion")
        return doc

    def read(self, item):
        return self.read_item_id(item.data["id"])

    def read_item_id(self, flow_id):
        """The export of ``flow_id`` at the selected version, with every subflow in ``_embedded``."""
        doc = self.export_flow(flow_id, self.version)
        if doc is None or not self.include_subflows:
            return doc
        # includeSubFlows may not be recursive: export any referenced subflow still missing (current version).
        embedded = list(doc.get("_embedded") or [])
        have = {(doc.get("flow") or {}).get("id")} | {(e.get("flow") or {}).get("id") for e in embedded}
        queue = list(embedded) + [doc]
        while queue:
            part = queue.pop()
            flat = split_document({k: v for k, v in part.items() if k != "_embedded"})[0][0]
            for _node, ref in subflow_refs(flat):
                sub_id = ref.get("value")
                if sub_id and sub_id not in have:
                    have.add(sub_id)
                    sub = self.export_flow(sub_id, "current")
                    if sub is None:
                        raise FlowError("flow '%s' references subflow '%s' (%s), which does not exist" % (flat.get("name"), ref.get("label"), sub_id))
                    sub = {k: v for k, v in sub.items() if k != "_embedded"}
                    embedded.append(sub)
                    queue.append(sub)
        if embedded:
            doc["_embedded"] = embedded
        return doc

    def _names(self):
        with self._lock:   # one listing of each per run, whichever flow asks first
            if self._instances is None:
                self._instances = {i.get("id"): i.get("name") for i in self.client.list_connector_instances()}
            if self._flows is None:
                self._flows = {f.get("id"): f.get("name") for f in self.client.list_flows()}
        return self._instances, self._flows

    def portable(self, doc):
        """``[(flow name, portable document)]`` for the parent and each subflow."""
        instances, flows = self._names()
        parts = split_document(doc)
        names = dict(flows)
        names.update({fid: flat.get("name") for flat, fid, _role in parts if fid})
        return [(flat.get("name"), to_portable(flat, fid, instances, names)) for flat, fid, _role in parts]

    def normalise(self, doc, item):
        return self.portable({k: v for k, v in doc.items() if k != "_embedded"})[0][1]

    def files_for(self, item, current):
        files = []
        seen = {}
        for name, doc in self.portable(current):
            fname = safe_name(str(name)) + ".json"
            if fname in seen:
                raise FlowError("flows '%s' and '%s' would both be written to %s" % (seen[fname], name, fname))
            seen[fname] = name
            path = safe_join(self.dest, fname)
            if self.portable_values is not None:
                doc = make_portable(doc, self.portable_values, path, RESERVED_PLACEHOLDER_NAMES)[0]
            # Two flows of one run (names) that use one subflow write it once when they embed the same version of it;
            # two names for one file, or one subflow at two versions, would leave only the last one written: an error.
            written = (name, fingerprint(doc), item.name)
            with self._lock:
                other = self._written.setdefault(path, written)
            if other[0] != name:
                raise FlowError("flows '%s' and '%s' would both be written to %s" % (other[0], name, fname))
            if other[1] != written[1]:
                raise FlowError("subflow '%s' differs between flows '%s' and '%s' (they use different versions of it): %s can hold "
                                "only one; export them in separate runs or make them use the same version" % (name, other[2], item.name, fname))
            files.append((path, doc))
        return files

    def result_fields(self, item, current):
        current = current or {}
        return {"version": current.get("version"), "published_version": current.get("publishedVersion"),
                "subflows": [(e.get("flow") or {}).get("name") for e in current.get("_embedded") or []]}

    def mask(self, doc):
        return mask_flow(doc)


class VariableAdapter(Adapter):
    """One DaVinci variable identified by (name, context, flow)."""

    provider = PROVIDER

    def __init__(self, client, spec, update_secret="on_create"):
        self.client = client
        self.spec = spec
        self.update_secret = update_secret
        self.store = VariableStore(client)

    def _find(self):
        return self.store.find(self.spec["name"], self.spec["context"], (self.spec.get("flow") or {}).get("id"))

    def read(self, item):
        found = self._find()
        if found is None:
            return None
        item.data["id"] = found.get("id")
        return self.client.get_variable(found["id"]) or found

    def desired_body(self):
        spec = self.spec
        body = {"name": spec["name"], "context": spec["context"], "dataType": spec["dataType"], "mutable": spec["mutable"]}
        for key in ("displayName", "min", "max", "flow"):
            if spec.get(key) is not None:
                body[key] = spec[key]
        if spec.get("value") is not None:
            body["value"] = spec["value"]
        return body

    def prepare(self, item):
        return item.desired

    def normalise(self, doc, item):
        is_desired = doc is item.desired
        dtype = doc.get("dataType")
        out = {"name": doc.get("name"), "context": doc.get("context"), "dataType": dtype, "mutable": bool(doc.get("mutable", True)),
               "displayName": doc.get("displayName") or None, "min": _number(doc.get("min", 0)), "max": _number(doc.get("max", 2000)),
               "flow": (doc.get("flow") or {}).get("id")}
        if self.spec.get("value") is not None:
            if dtype != "secret":
                out["value"] = typed_value(dtype, doc.get("value"))
            elif self.update_secret == "always":
                # a secret reads back masked: with update_secret=always it is always rewritten (and reported changed)
                out["value"] = "(value from the task)" if is_desired or item.data.get("secret_written") else "(stored value, unreadable)"
        return prune_none(out)

    def create(self, item, desired):
        created = self.client.create_variable(desired)
        item.data["id"] = created.get("id")
        item.data["secret_written"] = desired.get("dataType") == "secret"
        self.store.invalidate()

    def update(self, item, desired, current):
        body = dict(desired)
        if "value" not in body and current.get("dataType") != "secret" and current.get("value") is not None:
            body["value"] = current["value"]
        self.client.replace_variable(item.data["id"], body)
        item.data["secret_written"] = body.get("dataType") == "secret"
        self.store.invalidate()

    def delete(self, item, current):
        self.client.delete_variable(item.data.get("id") or current.get("id"))
        self.store.invalidate()

    def mask(self, doc):
        if isinstance(doc, dict) and doc.get("dataType") == "secret" and doc.get("value") not in (None, ""):
            doc = dict(doc)
            doc["value"] = "********"
        return doc

    def result_fields(self, item, current):
        return {"id": item.data.get("id")}


def prune_none(doc):
    return {k: v for k, v in doc.items() if v is not None}


def _number(value):
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if isinstance(value, bool) or value is None:
        return value
    return float(value)


def typed_value(dtype, value):
    """Compare values the way the API stores them (booleans and numbers may come back as strings)."""
    if value is None:
        return None
    if dtype == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if dtype == "number":
        return _number(value)
    return value


# ---------------------------------------------------------------------------------------------------
# plans: one per module state, (client, params, context) -> Plan (or the result dict of an info module)


def _target_index(flows):
    index = {}
    for flow in flows:
        index.setdefault(flow.get("name"), []).append(flow.get("id"))
    return index


def find_flow(client, flow_id=None, name=None, flows=None):
    """``(id, name)`` of one target flow by id or exact name; ``(None, name)`` when absent. Two flows with the name: error."""
    if flow_id:
        flow = client.get_flow(check_id(flow_id, "flow_id"))
        return (flow_id, flow.get("name")) if flow else (None, name)
    flows = client.list_flows() if flows is None else flows
    ids = _target_index(flows).get(name) or []
    if len(ids) > 1:
        raise FlowError("%d flows are named '%s' in environment %s (ids %s); use flow_id to choose one"
                        % (len(ids), name, client.environment_id, ", ".join(sorted(ids))))
    return (ids[0], name) if ids else (None, name)


def plan_present(client, sources, connection_map=None, allow_unmapped=False, substitutions=None, flow_id=None,  # pylint: disable=too-many-locals
                 ignore_layout=False, deploy=True, enabled=None, warn=None, check_mode=False):
    """Check every reference before anything is written; return ``(adapter, items)`` ordered in stages."""
    if flow_id and len(sources) != 1:
        raise FlowError("flow_id can only be used when src holds exactly one flow (it holds %d: %s)"
                        % (len(sources), ", ".join("'%s'" % s.name for s in sources)))
    target_flows = client.list_flows()
    index = _target_index(target_flows)
    instances = client.list_connector_instances()
    remapper = Remapper(instances, connection_map, allow_unmapped, substitutions)
    adapter = FlowAdapter(client, remapper, ignore_layout=ignore_layout, deploy=deploy, enabled=enabled, warn=warn, check_mode=check_mode)
    adapter.names_by_source_id = {s.source_id: s.name for s in sources if s.source_id}
    source_names = {s.name for s in sources}
    problems = []
    refs = {}
    for source in sources:
        label = "'%s' (%s)" % (source.name, source.path)
        wanted = []
        for node, ref in subflow_refs(source.flat):
            name = ref_name(ref, adapter.names_by_source_id)
            wanted.append(name)
            if name not in source_names and not index.get(name):
                problems.append("flow %s, node %s: subflow '%s'%s is missing from the source export and does not exist in the target environment"
                                % (label, (node.get("data") or {}).get("id"), name,
                                   " (id %s)" % ref.get("value") if ref.get("value") and not str(ref.get("value")).startswith("@") else ""))
        refs[source.name] = wanted
        if not allow_unmapped:
            problems.extend(remapper.check_connections(source.flat, label))
        if not flow_id and len(index.get(source.name) or []) > 1:
            problems.append("flow %s: %d flows have this name in the target environment (ids %s); use flow_id"
                            % (label, len(index[source.name]), ", ".join(sorted(index[source.name]))))
    if flow_id:
        if client.get_flow(flow_id) is None:
            problems.append("flow_id %s: no such flow in environment %s" % (flow_id, client.environment_id))
    if problems:
        raise FlowError("%d problem(s) found before writing anything:\n- %s" % (len(problems), "\n- ".join(problems)))
    stages, adapter.groups = flow_order(refs)
    adapter.flow_ids = {name: ids[0] for name, ids in index.items() if len(ids) == 1}
    adapter.target_flows = target_flows
    items = []
    for source in sources:
        target_id = flow_id or adapter.flow_ids.get(source.name)
        data = {"source_id": source.source_id, "id": target_id or None,   # no id: reported as null until created
                "calls": refs[source.name]}
        items.append(Item(source.name, name=source.name, desired=source.flat, stage=stages[source.name], data=data, source=source.path))
    adapter.items_by_name = {item.name: item for item in items}
    return adapter, items


def plan_absent(client, flow_id=None, name=None):
    fid, fname = find_flow(client, flow_id=flow_id, name=name)
    data = {"id": fid} if fid else {}
    return FlowAdapter(client), [Item(fid or fname or flow_id, name=fname or name, data=data)]


def plan_present_flow(client, params, context):
    _exported_only(params)
    if params["flow_id"]:
        check_id(params["flow_id"], "flow_id")
    options = plan_options(params)
    if options["prune"] and (params["flow_id"] or not os.path.isdir(params["src"])):
        raise FlowError("prune: src must be a directory (the whole desired set of flows) and flow_id must not be set; src is %s%s"
                        % (params["src"], " and flow_id is %s" % params["flow_id"] if params["flow_id"] else ""))
    adapter, items = plan_present(
        client, load_sources(params["src"], params.get("values")), connection_map=params["connection_map"], allow_unmapped=params["allow_unmapped_connections"],
        substitutions=params["substitutions"], flow_id=params["flow_id"], ignore_layout=params["ignore_layout"],
        deploy=params["deploy"], enabled=params["enabled"], warn=context.warn, check_mode=context.check_mode)
    return Plan(adapter, items, "present", expect=options["expect"], prune=options["prune"])


def plan_absent_flow(client, params, context):  # pylint: disable=unused-argument
    _exported_only(params)
    adapter, items = plan_absent(client, flow_id=params["flow_id"], name=params["name"])
    return Plan(adapter, items, "absent")


def plan_export_flow(client, params, context):
    values = portable_values(params, RESERVED_PLACEHOLDER_NAMES)   # checked before any call
    if params["include_variable_values"]:
        context.warn("include_variable_values=true writes variable values, which may be secrets, to %s in clear text" % params["dest"])
    exporter = (params["dest"], params["version"], params["include_subflows"], params["include_variable_values"], values)
    if params["names"] is None:
        fid, fname = find_flow(client, flow_id=params["flow_id"], name=params["name"])
        if fid is None:
            raise FlowError("flow %s not found in environment %s" % (params["flow_id"] or "'%s'" % params["name"], params["environment_id"]))
        adapter = ExportAdapter(client, *exporter)
        return Plan(adapter, [Item(fid, name=fname, data={"id": fid})], "exported", files_for=adapter.files_for)
    # several flows in one run: one token, one listing (also the files' id -> name table), exported in parallel
    names = list(dict.fromkeys(params["names"]))
    if not names or not all(names):
        raise FlowError("names: expected a list of flow names (non-empty strings), got %s" % params["names"])
    flows = client.list_flows()
    found = [(find_flow(client, name=name, flows=flows)[0], name) for name in names]
    missing = [name for fid, name in found if fid is None]
    if missing:
        raise FlowError("names: no flow named %s in environment %s; nothing was exported"
                        % (", ".join("'%s'" % name for name in missing), params["environment_id"]))
    adapter = ExportAdapter(client, *exporter, flows=flows)
    return Plan(adapter, [Item(fid, name=name, data={"id": fid}) for fid, name in found], "exported", files_for=adapter.files_for)


def _exported_only(params):
    if params["names"] is not None:
        raise FlowError("names is only used with state=exported (state is %s); use name or flow_id" % params["state"])


def plan_info_flow(client, params, context):  # pylint: disable=unused-argument
    flows = client.list_flows()
    if params["flow_id"] or params["name"]:
        fid, _name = find_flow(client, flow_id=params["flow_id"], name=params["name"], flows=flows)
        selected = [client.get_flow(fid)] if fid else []
    else:
        selected = flows
    result = []
    exporter = ExportAdapter(client, dest=None, include_subflows=True, include_variable_values=False)
    for flow in selected:
        entry = flow_summary(flow)
        entry["backup_file"] = None
        if params["versions"]:
            entry["versions"] = [version_summary(v) for v in client.list_versions(flow["id"])]
        if params["content"]:
            parts = exporter.portable(exporter.read_item_id(flow["id"]))
            entry["content"] = parts[0][1]
            entry["subflows"] = dict(parts[1:])
        result.append(entry)
    return {"flows": result}


def _variable_spec(client, params):
    if params["context"] == "flow" and not params["flow"]:
        raise FlowError("flow is required when context is flow")
    if params["context"] != "flow" and params["flow"]:
        raise FlowError("flow is only allowed when context is flow (context is %s)" % params["context"])
    if params["data_type"] == "secret" and params["context"] != "company":
        raise FlowError("secret variables must use context company")
    if params["value"] is None and not params["mutable"] and params["state"] == "present":
        raise FlowError("mutable must be true when no value is set")
    spec = {"name": params["name"], "context": params["context"], "dataType": params["data_type"], "mutable": params["mutable"],
            "displayName": params["display_name"], "min": params["min"], "max": params["max"], "value": params["value"]}
    if params["flow"]:
        flow = client.get_flow(params["flow"])
        fid = flow.get("id") if flow else find_flow(client, name=params["flow"])[0]
        if not fid:
            raise FlowError("flow '%s' not found in environment %s" % (params["flow"], params["environment_id"]))
        spec["flow"] = {"id": fid}
    return spec


def _variable_result(report, context):
    """``davinci_variable`` reports its one variable as ``variable`` too, with its own message."""
    entry = report["flows"][0]
    msg = "variable '%s' %s" % (entry.get("name"), entry.get("action"))
    return {"variable": entry, "msg": ("check mode: " + msg) if context.check_mode else msg}


def _variable_plan(client, params, context, state):
    if params["data_type"] == "secret" and params["value"] is not None:
        context.add_secret(str(params["value"]))
    spec = _variable_spec(client, params)
    adapter = VariableAdapter(client, spec, update_secret=params["update_secret"])
    item = Item(params["name"], name=params["name"], data={"id": None})   # no id: reported as null when absent
    if state == "present":
        current = adapter.read(item)
        if spec["dataType"] is None:
            if current is None:
                raise FlowError("data_type is required to create variable '%s'" % params["name"])
            spec["dataType"] = current.get("dataType")
        item.desired = adapter.desired_body()
    return Plan(adapter, [item], state, result=_variable_result)


def plan_present_variable(client, params, context):
    return _variable_plan(client, params, context, "present")


def plan_absent_variable(client, params, context):
    return _variable_plan(client, params, context, "absent")


__all__ = [
    "CONNECTION_SPEC", "DaVinciClient", "DocumentError", "ExportAdapter", "FlowAdapter", "FlowError", "VariableAdapter",
    "client_from_params", "find_flow", "flow_summary", "plan_present_flow", "plan_absent_flow", "plan_export_flow", "plan_info_flow",
    "plan_present_variable", "plan_absent_variable", "load_sources", "mask_flow", "parse_pingone_error", "plan_absent", "plan_present",
    "version_summary",
]
