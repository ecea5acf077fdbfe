# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Descope provider: management API client, reconcile adapters, normalisation rules and document models.

Private to this collection: the API may change without notice.

Facts this file relies on (shared/reference/descope.md):

- v2 endpoints (section 1): ``POST /v2/mgmt/flow/export {flowId}`` -> ``{"flow": {...}}``,
  ``POST /v2/mgmt/flow/import {flow}`` (creates or replaces the whole flow), ``POST /v1/mgmt/flow/list``,
  ``POST /v1/mgmt/flow/delete {ids}``, ``POST /v2/mgmt/theme/export`` -> ``{"theme": {...}}`` and
  ``POST /v2/mgmt/theme/import {theme}`` (upserts styles by key, never removes one).
- Authorization ``Bearer <projectId>:<managementKey>``; base URL derived from the project id (section 3).
- The canonical file is what ``descope flow export`` writes (section 5.4): the CLI's empty-value stripping in
  ``metadata``, ``references`` and ``screens[].interactions``, ``references`` dropped when empty, keys sorted,
  2-space indent, trailing newline, Go's HTML escaping.
- Normalisation for the comparison (sections 5.6 and 8): the target flow id wins, the same empty-value
  stripping, ``ignore_paths`` dropped (default ``metadata.componentsVersion``, bumped server-side), ``contents``
  left as it is.
"""

from __future__ import annotations

import copy
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional

from ansible_collections.flowops.flows.plugins.module_utils._document import (
    DocumentError,
    dumps,
    fingerprint,
    load_file,
    pack,
    mask as mask_document,
    safe_join,
    strip_paths,
)
from ansible_collections.flowops.flows.plugins.module_utils._http import ApiError, HttpClient, error_parser, text_or_none
from ansible_collections.flowops.flows.plugins.module_utils._models import lazy_models, validate
from ansible_collections.flowops.flows.plugins.module_utils._options import env, plan_options
from ansible_collections.flowops.flows.plugins.module_utils._placeholders import make_portable, portable_values
from ansible_collections.flowops.flows.plugins.module_utils._placeholders import resolve as resolve_placeholders
from ansible_collections.flowops.flows.plugins.module_utils._shapes import refuse
from ansible_collections.flowops.flows.plugins.module_utils._sync import Adapter, FlowError, Item, Plan

PROVIDER = "descope"
DEFAULT_BASE_URL = "https://api.descope.com"
REGIONAL_BASE_URL = "https://api.%s.descope.com"
# Built-in flows Descope refuses to delete (https://docs.descope.com/flows/manage-flows; reference section 1.1).
BUILTIN_FLOWS = ("sign-up-or-in", "sign-up", "sign-in", "step-up")
# Flow ids as the Terraform provider validates them (MachineIDValidator, reference section 5.5).
FLOW_ID_RE = re.compile(r"^[A-Za-z0-9_-]+\Z")
DEFAULT_FLOW_IGNORE_PATHS = ("metadata.componentsVersion",)
DEFAULT_THEME_IGNORE_PATHS = ("componentsVersion",)
# Top-level keys of a v2 exported flow (reference section 2.1). Other top-level keys the server adds on read
# are compared only when the desired document has them too.
FLOW_KEYS = ("flowId", "metadata", "contents", "screens", "references")
THEME_ITEM_KEY = "theme"
PATH_FLOW_EXPORT = "/v2/mgmt/flow/export"
PATH_FLOW_IMPORT = "/v2/mgmt/flow/import"
PATH_FLOW_LIST = "/v1/mgmt/flow/list"
PATH_FLOW_DELETE = "/v1/mgmt/flow/delete"
PATH_THEME_EXPORT = "/v2/mgmt/theme/export"
PATH_THEME_IMPORT = "/v2/mgmt/theme/import"
_NOT_FOUND_RE = re.compile(r"\bnot\s+found\b|\bdoes\s+not\s+exist\b|\bno\s+such\b", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------------
# connection: options, error parser, client


# The connection options documented in the ``flowops.flows.descope`` doc fragment.
CONNECTION_SPEC = {
    "project_id": {"type": "str", "required": True, "fallback": env("DESCOPE_PROJECT_ID")},
    "management_key": {"type": "str", "required": True, "no_log": True, "fallback": env("DESCOPE_MANAGEMENT_KEY")},
    "base_url": {"type": "str", "fallback": env("DESCOPE_BASE_URL")},
}


def connection_argspec():
    """A copy of ``CONNECTION_SPEC``."""
    return {name: dict(option) for name, option in CONNECTION_SPEC.items()}


def base_url_for_project_id(project_id):
    """The SDKs' region rule (reference section 3): a 32+ character id carries its region in ``[1:5]``.

    ``P2aAc4T2V93bddihGEx2Ryhc8e5Z`` (28 characters) -> ``https://api.descope.com``;
    ``Puse12aAc4T2V93bddihGEx2Ryhc8e5Z`` (32 characters) -> ``https://api.use1.descope.com``.
    """
    project_id = project_id or ""
    if len(project_id) >= 32:
        return REGIONAL_BASE_URL % project_id[1:5]
    return DEFAULT_BASE_URL


@error_parser
def parse_descope_error(body):
    """Descope: ``{"errorCode", "errorDescription", "errorMessage"}``."""
    if not ("errorCode" in body or "errorDescription" in body or "errorMessage" in body):
        return None
    description = text_or_none(body.get("errorDescription"))
    detail = text_or_none(body.get("errorMessage"))
    if description and detail and detail != description:
        message = "%s: %s" % (description, detail)
    else:
        message = description or detail
    return text_or_none(body.get("errorCode")), message, None


class DescopeAuthError(FlowError):
    """The management key was rejected (HTTP 401/403)."""

    short = "management key rejected"


class DescopeClient:
    """The Descope management endpoints this collection uses, over ``HttpClient``."""

    def __init__(self, project_id, management_key, base_url=None, **http_options):
        if not project_id:
            raise FlowError("project_id is required (or set DESCOPE_PROJECT_ID)")
        if not management_key:
            raise FlowError("management_key is required (or set DESCOPE_MANAGEMENT_KEY)")
        self.project_id = project_id
        self.base_url = (base_url or base_url_for_project_id(project_id)).rstrip("/")
        bearer = "%s:%s" % (project_id, management_key)
        self.secrets = (management_key, bearer)
        self.auth_error = None
        self.http = HttpClient(
            PROVIDER, self.base_url,
            headers={"Authorization": "Bearer %s" % bearer, "x-descope-project-id": project_id},
            error_parser=parse_descope_error, secrets=self.secrets, **http_options
        )

    def close(self):
        self.http.close()

    def _call(self, path, body=None, safe_to_retry=True, not_found_is_none=False):
        if self.auth_error is not None:
            raise self.auth_error
        try:
            return self.http.json("POST", path, safe_to_retry=safe_to_retry, json=body if body is not None else {})
        except ApiError as exc:
            if exc.status in (401, 403):
                self.auth_error = DescopeAuthError(
                    "management key rejected for project %s (HTTP %s%s on %s): check project_id and management_key "
                    "(DESCOPE_PROJECT_ID / DESCOPE_MANAGEMENT_KEY) and that the key has access to this project"
                    % (self.project_id, exc.status, " " + exc.code if exc.code else "", path))
                raise self.auth_error from None
            if not_found_is_none and is_not_found(exc):
                return None
            raise

    def export_flow(self, flow_id, not_found_is_none=True):
        """The v2 exported flow; None on a 404 or a 400 that says "not found" (``is_not_found``) unless
        ``not_found_is_none`` is false. Deciding absence by the wording is a fallback: the adapters use
        ``FlowPresence`` (the flow list) instead."""
        body = self._call(PATH_FLOW_EXPORT, {"flowId": flow_id}, not_found_is_none=not_found_is_none)
        if body is None:
            return None
        flow = body.get("flow") if isinstance(body, dict) else None
        if not isinstance(flow, dict):
            raise FlowError("descope flow %r: the export response has no 'flow' object" % flow_id)
        return flow

    def import_flow(self, flow, safe_to_retry=True):
        self._call(PATH_FLOW_IMPORT, {"flow": flow}, safe_to_retry=safe_to_retry)

    def list_flows(self, ids=None):
        body = self._call(PATH_FLOW_LIST, {"ids": list(ids)} if ids else {})
        flows = body.get("flows") if isinstance(body, dict) else None
        if not isinstance(flows, list):
            raise FlowError("descope: the flow list response has no 'flows' list")
        flows = [f for f in flows if isinstance(f, dict)]
        if ids:
            wanted = set(ids)
            flows = [f for f in flows if f.get("id") in wanted]
        return flows

    def delete_flows(self, ids):
        self._call(PATH_FLOW_DELETE, {"ids": list(ids)})

    def export_theme(self):
        body = self._call(PATH_THEME_EXPORT, {})
        theme = body.get("theme") if isinstance(body, dict) else None
        if not isinstance(theme, dict):
            raise FlowError("descope: the theme export response has no 'theme' object")
        return theme

    def import_theme(self, theme):
        self._call(PATH_THEME_IMPORT, {"theme": theme})


def is_not_found(exc):
    """Whether an export error means "this flow does not exist".

    The emulator answers 404; the real API's status and code are not published (reference section 10), so a
    404, or a 400 whose description says "not found"/"does not exist", counts as absent.
    """
    if exc.status == 404:
        return True
    return exc.status == 400 and bool(_NOT_FOUND_RE.search(exc.message or ""))


def client_from_params(params, http_options, on_secret=None):
    """A ``DescopeClient`` from the module parameters and ``_options.http_options()``; its secrets go to ``on_secret``."""
    client = DescopeClient(params["project_id"], params["management_key"], params.get("base_url"), **http_options)
    for secret in client.secrets:
        if on_secret is not None:
            on_secret(secret)
    return client


# ---------------------------------------------------------------------------------------------------
# documents: envelope models and loading


@lazy_models
def MODELS(Envelope):  # noqa: N802,N803  pylint: disable=invalid-name  # the envelope models, built on first use
    class FlowDocument(Envelope):
        """A v2 exported flow (reference section 2.1)."""

        flowId: Optional[str] = None  # noqa: N815  pylint: disable=invalid-name
        metadata: Dict[str, Any]
        contents: Dict[str, Any]
        screens: Optional[List[Dict[str, Any]]] = None
        references: Optional[Dict[str, Any]] = None

    class ThemeDocument(Envelope):
        """A v2 exported theme (reference section 1.2)."""

        styles: Dict[str, Dict[str, Any]]
        componentsVersion: Optional[str] = None  # noqa: N815  pylint: disable=invalid-name
        references: Optional[Dict[str, Any]] = None

    return {"flow": FlowDocument, "theme": ThemeDocument}


def omit_empty(value):
    """descopecli's ``OmitEmpty`` (reference section 5.4), in place. Returns True when ``value`` is empty.

    Dict keys whose values are ``""``, ``false``, ``0``, ``null``, ``{}`` or ``[]`` (after cleaning) are
    deleted; lists are cleaned item by item but items are never removed.
    """
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return value == ""
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, list):
        for entry in value:
            omit_empty(entry)
        return not value
    if isinstance(value, dict):
        for key in list(value):
            if omit_empty(value[key]):
                del value[key]
        return not value
    return value is None


def _clean_references(doc):
    """In ``doc`` (a shallow copy of a flow or theme): ``references`` cleaned (a copy), or dropped when empty."""
    if "references" in doc:
        references = copy.deepcopy(doc["references"])
        if omit_empty(references):
            del doc["references"]
        else:
            doc["references"] = references


def canonical_flow(doc):
    """What ``descope flow export`` writes for an exported flow; ``doc`` itself is never changed.

    Only the parts that are cleaned (``metadata``, ``references``, each screen's ``interactions``) are copied; the
    rest (``contents``, the screens' HTML: most of a flow) is shared with ``doc``. Copy the result before changing it
    in place.
    """
    doc = dict(doc)
    if "metadata" in doc:
        doc["metadata"] = copy.deepcopy(doc["metadata"])
        omit_empty(doc["metadata"])
    _clean_references(doc)
    screens = doc.get("screens")
    if isinstance(screens, list):
        cleaned = []
        for screen in screens:
            if isinstance(screen, dict) and "interactions" in screen:
                screen = dict(screen)
                screen["interactions"] = copy.deepcopy(screen["interactions"])
                omit_empty(screen["interactions"])
            cleaned.append(screen)
        doc["screens"] = cleaned
    return doc


def canonical_theme(doc):
    """What ``descope theme export`` writes: the theme with empty ``references`` dropped (only they are copied)."""
    doc = dict(doc)
    _clean_references(doc)
    return doc


def normalise_flow(doc, flow_id=None, ignore_paths=DEFAULT_FLOW_IGNORE_PATHS, keep_keys=()):
    """Comparable form of a flow: target id forced, CLI empty-value stripping, ``ignore_paths`` dropped.

    Top-level keys outside the v2 schema (``FLOW_KEYS``) are kept only when listed in ``keep_keys``
    (the keys of the desired document), so a key the server adds on read does not cause a re-import.
    """
    doc = canonical_flow(doc)
    if flow_id is not None:
        doc["flowId"] = flow_id
    for key in list(doc):
        if key not in FLOW_KEYS and key not in keep_keys:
            del doc[key]
    return strip_paths(doc, list(ignore_paths or ()))


def normalise_theme(doc, ignore_paths=DEFAULT_THEME_IGNORE_PATHS, desired=None):
    """Comparable form of a theme. With ``desired`` (a normalised theme), only what it sets is compared.

    The v2 theme import upserts styles by key and never removes one, so styles (and top-level keys)
    missing from the desired document are left out of the comparison.
    """
    doc = strip_paths(canonical_theme(doc), list(ignore_paths or ()))
    if desired is None:
        return doc
    out = {key: value for key, value in doc.items() if key in desired and key != "styles"}
    if "styles" in desired:
        styles = doc.get("styles") if isinstance(doc.get("styles"), dict) else {}
        out["styles"] = {key: value for key, value in styles.items() if key in desired["styles"]}
    return out


def check_flow_id(flow_id, what="flow_id"):
    """Reject ids that are not ``^[A-Za-z0-9_-]+$`` (no path separators, no ``..``)."""
    if not isinstance(flow_id, str) or not FLOW_ID_RE.match(flow_id):
        raise FlowError("%s %r is not a valid Descope flow id: it must match %s (letters, digits, '_' and '-'; no path separators or '..')"
                        % (what, flow_id, FLOW_ID_RE.pattern.replace("\\Z", "$")))
    return flow_id


def _unwrap(doc, key):
    if isinstance(doc, dict) and set(doc) == {key} and isinstance(doc[key], dict):
        return doc[key]
    return doc


def _refuse_other_shape(doc, source, kind):
    """Refuse another provider's file, or a Descope file of another kind, with the file-shape registry's message."""
    refuse(doc, PROVIDER, source, accept=(kind,), what="a Descope %s" % ("v2 flow export" if kind == "flow" else "theme export"), error=FlowError)


def _load_document(doc, source, kind, what, values=None):
    """Refuse a foreign file, resolve its placeholders from ``values`` (``_placeholders.resolve``: connector ids,
    role names, URLs and client ids are all strings of the document), unwrap the ``{"<kind>": {...}}`` export
    envelope, validate (``MODELS[kind]``); return the raw dict."""
    _refuse_other_shape(doc, source, kind)
    doc = resolve_placeholders(doc, values, source)
    doc = _unwrap(doc, kind)
    _refuse_other_shape(doc, source, kind)
    validate(MODELS[kind], doc, source, what)
    return doc


def load_flow_document(doc, source, values=None):
    """Validate a v2 flow document (or a ``{"flow": {...}}`` envelope) with its placeholders resolved; return the raw flow dict."""
    return _load_document(doc, source, "flow", "Descope v2 flow export (expected the keys metadata and contents)", values)


def load_theme_document(doc, source, values=None):
    """Validate a v2 theme document (or a ``{"theme": {...}}`` envelope) with its placeholders resolved; return the raw theme dict."""
    return _load_document(doc, source, "theme", "Descope v2 theme export (expected styles: {styleId: {...}})", values)


def _json_files(directory):
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        raise FlowError("%s: cannot list the directory: %s" % (directory, exc.strerror or exc)) from None
    files = [os.path.join(directory, n) for n in names if n.lower().endswith(".json") and not n.startswith(".")]
    files = [f for f in files if os.path.isfile(f)]
    if not files:
        raise FlowError("%s: the directory has no *.json flow files" % directory)
    return files


def desired_flows(src=None, flow=None, flow_id=None, values=None):
    """Desired flows as ``[(flow_id, document, source)]``, placeholders resolved from ``values``, validated
    before any API call.

    ``src`` is a file (one flow) or a directory (one flow per ``*.json`` file; the id is the document's
    ``flowId`` or else the file name stem); ``flow`` is an inline document. ``flow_id`` overrides the id
    inside a single document (the target id always wins).
    """
    return list(iter_desired_flows(src, flow, flow_id, values))


def iter_desired_flows(src=None, flow=None, flow_id=None, values=None):
    """``desired_flows`` one flow at a time (each document parsed only when the previous one was handed on)."""
    if flow_id is not None:
        check_flow_id(flow_id)
    if flow is not None:
        doc = load_flow_document(flow, "flow (inline)", values)
        yield (_flow_id_of(doc, flow_id, None, "flow (inline)"), doc, "flow (inline)")
    elif src is not None and os.path.isdir(src):
        if flow_id is not None:
            raise FlowError("flow_id cannot be used when src is a directory (%s): each file carries its own flowId" % src)
        seen = {}
        for path in _json_files(src):
            doc = load_flow_document(load_file(path), path, values)
            stem = os.path.splitext(os.path.basename(path))[0]
            fid = _flow_id_of(doc, None, stem, path)
            if fid in seen:
                raise FlowError("%s and %s both define flow %r: one file per flow" % (seen[fid], path, fid))
            seen[fid] = path
            yield (fid, doc, path)
    elif src is not None:
        if not os.path.exists(src):
            raise FlowError("src %s does not exist" % src)
        doc = load_flow_document(load_file(src), src, values)
        stem = os.path.splitext(os.path.basename(src))[0]
        yield (_flow_id_of(doc, flow_id, stem, src), doc, src)
    else:
        raise FlowError("state=present needs src or flow")


def _flow_id_of(doc, override, stem, source):
    if override is not None:
        return override
    inner = doc.get("flowId")
    if inner not in (None, ""):
        return check_flow_id(inner, "%s: flowId" % source)
    if stem is None:
        raise FlowError("%s: the document has no flowId; set flow_id" % source)
    return check_flow_id(stem, "%s: flow id from the file name" % source)


def desired_theme(src=None, theme=None, values=None):
    """The desired theme document (placeholders resolved from ``values``) and its source, validated."""
    if theme is not None:
        return load_theme_document(theme, "theme (inline)", values), "theme (inline)"
    if src is None:
        raise FlowError("state=present needs src or theme")
    if os.path.isdir(src):
        raise FlowError("src %s is a directory; a theme is one file" % src)
    if not os.path.exists(src):
        raise FlowError("src %s does not exist" % src)
    return load_theme_document(load_file(src), src, values), src


def check_deletable(flow_ids):
    """Validate ids for state=absent; built-in flows cannot be deleted (checked before any call)."""
    for flow_id in flow_ids:
        check_flow_id(flow_id)
    builtin = [f for f in flow_ids if f in BUILTIN_FLOWS]
    if builtin:
        raise FlowError("cannot delete the built-in Descope flow(s) %s: Descope does not allow deleting %s"
                        % (", ".join(builtin), ", ".join(BUILTIN_FLOWS)))
    return flow_ids


def flow_items(desired):
    """Engine items from ``desired_flows()`` or ``iter_desired_flows()`` output, each desired document packed
    (``_document.pack``): a run holds its parsed documents only while it works on them."""
    items = []
    for flow_id, doc, source in desired:
        metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        items.append(Item(flow_id, name=metadata.get("name") or None, desired=pack(doc), source=source))
    return items


def export_file_content(doc, kind="flow", portable_values=None, source=None):
    """The bytes ``descope flow|theme export`` writes for ``doc`` (Go's MarshalIndent: HTML-escaped).

    With ``portable_values`` (a dict, even empty), the known values are written back as placeholders
    (``_placeholders.make_portable``, checked to resolve to exactly the exported document).
    """
    doc = canonical_flow(doc) if kind == "flow" else canonical_theme(doc)
    if portable_values is not None:
        doc = make_portable(doc, portable_values, source or kind)[0]
    return dumps(doc, html_escape=True).encode("utf-8")


class ExportFiles:
    """``files_for`` for ``Engine.export``: one file, or ``<dest>/<flowId>.json`` per flow.

    The content is HTML-escaped like Go's ``json.MarshalIndent`` (so it is passed to the engine as bytes;
    the engine makes the file diffs).
    """

    def __init__(self, dest, single_file=False, kind="flow", portable_values=None):
        self.dest = dest
        self.single_file = single_file
        self.kind = kind
        self.portable_values = portable_values   # a dict: write placeholders for these values

    def path_for(self, item):
        if self.single_file:
            return self.dest
        return safe_join(self.dest, check_flow_id(item.key) + ".json", strict=True)

    def __call__(self, item, current):
        path = self.path_for(item)
        return [(path, export_file_content(current, self.kind, self.portable_values, path))]


def resolve_export_ids(client, flow_ids):
    """``['all']`` -> every flow id from the list call (sorted); otherwise the validated ids."""
    if list(flow_ids) == ["all"]:
        ids = sorted(str(f.get("id")) for f in client.list_flows() if f.get("id"))
        for flow_id in ids:
            check_flow_id(flow_id, "flow id from the list")
        return ids
    for flow_id in flow_ids:
        check_flow_id(flow_id)
    return list(dict.fromkeys(flow_ids))


# ---------------------------------------------------------------------------------------------------
# adapters


class _DescopeAdapter(Adapter):
    """What the flow and theme adapters share: the client, the ignored paths, masking of the key."""

    provider = PROVIDER

    def __init__(self, client, ignore_paths):
        self.client = client
        self.ignore_paths = list(ignore_paths or ())

    def mask(self, doc):
        return mask_document(doc, secret_values=self.client.secrets)


class FlowPresence:
    """Which flows exist, decided by the flow list, never by the wording of an export error.

    An export of a missing flow may answer 404 or a 400 that says nothing about absence (the real answer is not
    published: reference section 10). So one list call per task (made on the first read, shared by every item
    and thread) says which ids exist: an id not listed is absent without an export call. An id the task wrote to
    (or one the list named) is exported; when that export fails with a 4xx other than 401/403/429 (the flow may have
    gone since), one ``list`` call for that id decides: not listed means absent, listed means the error stands.
    A 429 that outlasted the retries says nothing about the flow: it fails as it is, with no further call.
    """

    def __init__(self, client, listed=None):
        self.client = client
        self._lock = threading.Lock()
        self._listed = set(listed) if listed is not None else None
        self._written = set()

    def _listed_ids(self):
        with self._lock:
            if self._listed is None:
                self._listed = set(str(f.get("id")) for f in self.client.list_flows() if f.get("id") is not None)
            return self._listed

    def wrote(self, flow_id):
        """A write to ``flow_id`` was sent (it may have landed even when its answer was lost): export it from now on."""
        with self._lock:
            self._written.add(flow_id)

    def read(self, flow_id):
        """The exported flow, or None when the flow list does not name it."""
        if flow_id not in self._listed_ids() and flow_id not in self._written:
            return None
        try:
            return self.client.export_flow(flow_id, not_found_is_none=False)
        except ApiError as exc:
            if exc.status in (401, 403, 429) or not 400 <= (exc.status or 0) < 500:
                raise
            if self.client.list_flows([flow_id]):
                raise
            return None


class DescopeFlowAdapter(_DescopeAdapter):
    """Flows: read = v2 export (absence decided by the flow list), create/update = v2 import, delete = flow/delete."""

    def __init__(self, client, ignore_paths=DEFAULT_FLOW_IGNORE_PATHS, listed=None):
        super().__init__(client, ignore_paths)
        self.presence = FlowPresence(client, listed)

    def read(self, item):
        return self.presence.read(item.key)

    def prepare(self, item):
        doc = dict(item.desired)
        doc["flowId"] = item.key      # the target id always wins (Go SDK ImportFlow)
        return doc

    def normalise(self, doc, item):
        keep = tuple(item.desired) if isinstance(item.desired, dict) else ()
        return normalise_flow(doc, item.key, self.ignore_paths, keep)

    def create(self, item, desired):
        # A new flow: do not resend blindly once the request may have reached the server.
        self.presence.wrote(item.key)
        self.client.import_flow(desired, safe_to_retry=False)

    def update(self, item, desired, current):
        # v2 import replaces the whole flow: resending the same document is harmless.
        self.presence.wrote(item.key)
        self.client.import_flow(desired, safe_to_retry=True)

    def delete(self, item, current):
        self.presence.wrote(item.key)
        self.client.delete_flows([item.key])

    def targets(self):
        """Every flow of the project, as items for prune; the built-in flows (``BUILTIN_FLOWS``, which Descope does not
        let anyone delete) are kept. The list call is the one ``FlowPresence`` would make."""
        listed = self.client.list_flows()
        with self.presence._lock:  # pylint: disable=protected-access
            if self.presence._listed is None:  # pylint: disable=protected-access
                self.presence._listed = set(str(f.get("id")) for f in listed if f.get("id") is not None)  # pylint: disable=protected-access
        out = []
        for flow in listed:
            if flow.get("id") is None:
                continue
            fid = str(flow["id"])
            out.append(Item(fid, name=flow.get("name") or None, data={"keep": "a built-in flow"} if fid in BUILTIN_FLOWS else {}))
        return out

    def result_fields(self, item, current):
        name = None
        for doc in (current, item.desired):
            if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict) and doc["metadata"].get("name"):
                name = doc["metadata"]["name"]
                break
        return {"name": name} if name else {}


class DescopeThemeAdapter(_DescopeAdapter):
    """The project theme: read = v2 theme export, write = v2 theme import (upsert by style key)."""

    def __init__(self, client, ignore_paths=DEFAULT_THEME_IGNORE_PATHS):
        super().__init__(client, ignore_paths)

    def read(self, item):
        return self.client.export_theme()

    def normalise(self, doc, item):
        desired = normalise_theme(item.desired, self.ignore_paths) if isinstance(item.desired, dict) else None
        return normalise_theme(doc, self.ignore_paths, desired)

    def create(self, item, desired):
        self.client.import_theme(desired)

    def update(self, item, desired, current):
        self.client.import_theme(desired)

    def delete(self, item, current):
        raise FlowError("a Descope theme cannot be deleted")


# ---------------------------------------------------------------------------------------------------
# plans: one per module state, (client, params, context) -> Plan (or the result dict of an info module)


def list_flows_info(client, flow_ids=None, include_content=False, parallel=4):
    """``descope_flow_info``: the flow list, optionally with canonical documents and fingerprints."""
    entries = client.list_flows(flow_ids)
    flows = []
    for entry in entries:
        flows.append({
            "id": entry.get("id"),
            "name": entry.get("name"),
            "description": entry.get("description") or "",
            "disabled": bool(entry.get("disabled", False)),
        })
    flows.sort(key=lambda f: str(f["id"]))
    if include_content and flows:
        presence = FlowPresence(client, listed=(str(f["id"]) for f in flows))   # the list just made

        def content(flow):
            doc = presence.read(str(flow["id"]))
            if doc is None:   # deleted between the list and the export
                return None, None
            return canonical_flow(doc), fingerprint(normalise_flow(doc, flow["id"]))
        workers = max(1, min(int(parallel or 1), len(flows)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(content, flows))
        for flow, (doc, digest) in zip(flows, results):
            flow["content"] = doc
            flow["fingerprint"] = digest
    return flows


def _single_file(dest, ids, requested):
    if requested == ["all"] or len(ids) != 1:
        return False
    return not (os.path.isdir(dest) or dest.endswith(os.sep))


def plan_present_flow(client, params, context):  # pylint: disable=unused-argument
    ids = params["flow_id"] or []
    if len(ids) > 1:
        raise FlowError("state=present takes one flow_id (the id to import the flow as), got %d" % len(ids))
    options = plan_options(params)
    if options["prune"] and not (params["src"] and os.path.isdir(params["src"])):
        raise FlowError("prune: src must be a directory (the whole desired set of flows), got %s"
                        % (params["src"] if params["src"] else "an inline flow"))
    items = flow_items(iter_desired_flows(params["src"], params["flow"], ids[0] if ids else None, params.get("values")))
    snapshot = ExportFiles(params["snapshot_dir"]) if params.get("snapshot_dir") else None   # the pre-run backup, as export writes it
    return Plan(DescopeFlowAdapter(client, params["ignore_paths"]), items, "present", expect=options["expect"], prune=options["prune"],
                snapshot=snapshot)


def plan_absent_flow(client, params, context):  # pylint: disable=unused-argument
    items = [Item(flow_id) for flow_id in check_deletable(list(dict.fromkeys(params["flow_id"] or [])))]
    return Plan(DescopeFlowAdapter(client, params["ignore_paths"]), items, "absent")


def plan_export_flow(client, params, context):  # pylint: disable=unused-argument
    portable_values(params)   # checked before any call
    ids = params["flow_id"] or []
    if ids != ["all"]:
        resolve_export_ids(None, ids)   # validate before any call
    export_ids = resolve_export_ids(client, ids)
    files = ExportFiles(params["dest"], _single_file(params["dest"], export_ids, ids), portable_values=portable_values(params))
    listed = export_ids if ids == ["all"] else None   # the list call just made says which flows exist
    return Plan(DescopeFlowAdapter(client, params["ignore_paths"], listed), [Item(i) for i in export_ids], "exported", files_for=files)


def plan_info_flow(client, params, context):  # pylint: disable=unused-argument
    ids = list(dict.fromkeys(params["flow_id"] or []))
    for flow_id in ids:
        check_flow_id(flow_id)
    return {"flows": list_flows_info(client, ids or None, params["include_content"], params["parallel"])}


def plan_present_theme(client, params, context):  # pylint: disable=unused-argument
    doc, source = desired_theme(params["src"], params["theme"], params.get("values"))
    item = Item(THEME_ITEM_KEY, name=THEME_ITEM_KEY, desired=doc, source=source)
    return Plan(DescopeThemeAdapter(client, params["ignore_paths"]), [item], "present")


def plan_export_theme(client, params, context):  # pylint: disable=unused-argument
    files = ExportFiles(params["dest"], single_file=True, kind="theme", portable_values=portable_values(params))
    return Plan(DescopeThemeAdapter(client, params["ignore_paths"]), [Item(THEME_ITEM_KEY, name=THEME_ITEM_KEY)], "exported", files_for=files)


__all__ = [
    "FlowPresence",
    "BUILTIN_FLOWS", "CONNECTION_SPEC", "DEFAULT_BASE_URL", "DEFAULT_FLOW_IGNORE_PATHS", "DEFAULT_THEME_IGNORE_PATHS", "FLOW_ID_RE", "THEME_ITEM_KEY",
    "DescopeAuthError", "DescopeClient", "DescopeFlowAdapter", "DescopeThemeAdapter", "MODELS",
    "base_url_for_project_id", "canonical_flow", "canonical_theme", "check_deletable", "check_flow_id", "client_from_params",
    "connection_argspec", "desired_flows", "desired_theme", "export_file_content", "ExportFiles", "flow_items", "is_not_found", "iter_desired_flows",
    "list_flows_info", "load_flow_document", "load_theme_document", "normalise_flow", "normalise_theme", "omit_empty", "parse_descope_error",
    "resolve_export_ids", "DocumentError", "plan_present_flow", "plan_absent_flow", "plan_export_flow", "plan_info_flow",
    "plan_present_theme", "plan_export_theme",
]
