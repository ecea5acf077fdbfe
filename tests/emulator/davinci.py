"""PingOne DaVinci provider of the flowops emulator.

Emulates the PingOne platform API surface that manages DaVinci flows (reference: shared/reference/davinci.md):
the worker-app token endpoint ``POST /{envID}/as/token`` and the admin API under ``/v1/environments/{envID}/...``
(flows, flow versions and exports, variables, connector instances). Requests are routed on
(method, path, Content-Type) because several actions share one URL and differ only by a vendor media type.

JSON bodies are parsed with ``core.loads`` and answered with ``core.RawJSONResponse``, so every number keeps its
literal text (``1E+50`` stays ``1E+50``), and documents are
stored with unknown keys verbatim, so an import followed by an export gives back the same document apart from the
fields the provider owns (ids, environment, versions, timestamps). See README.md, section "PingOne DaVinci".
"""
from __future__ import annotations

import base64
import binascii
import datetime
import math
import re
import secrets
import typing as t
import urllib.parse
import uuid
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator.core import FAULT_SCOPE_KEY, Emulator, RawFloat, RawJSONResponse, loads

# ---------------------------------------------------------------------------------------------------
# Snapshot encoding of number literals
# ---------------------------------------------------------------------------------------------------
RAW_MARKER = "$rawNumber"


def to_plain(obj: t.Any) -> t.Any:
    """Copy for the snapshot: a float literal that a plain JSON client would rewrite (``1E+50``, ``1.50``) becomes
    ``{"$rawNumber": "<literal>"}``, so a snapshot survives any JSON parser and ``seed(snapshot())`` stays exact."""
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_plain(v) for v in obj]
    if isinstance(obj, RawFloat) and obj.raw != repr(float(obj)):
        return {RAW_MARKER: obj.raw}
    return obj


def from_plain(obj: t.Any) -> t.Any:
    """Inverse of :func:`to_plain` (applied to every seed)."""
    if isinstance(obj, dict):
        if len(obj) == 1 and isinstance(obj.get(RAW_MARKER), str):
            return RawFloat(obj[RAW_MARKER])
        return {k: from_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_plain(v) for v in obj]
    return obj


# ---------------------------------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------------------------------
CT_JSON = "application/json"
CT_FORM = "application/x-www-form-urlencoded"
CT_FLOW_IMPORT = "application/vnd.pingidentity.flow.import+json"
CT_FLOW_IMPORT_LEGACY = "application/vnd.pingidentity.flow.import.legacy+json"
CT_FLOW_DEPLOY = "application/vnd.pingidentity.flow.deploy+json"
CT_FLOW_CLONE = "application/vnd.pingidentity.flow.clone+json"
CT_FLOW_VALIDATE = "application/vnd.pingidentity.flow.validate+json"
CT_VERSION_EXPORT = "application/vnd.pingidentity.flowversion.export+json"
CT_VERSION_REVERT = "application/vnd.pingidentity.flowversion.revert+json"
CT_INSTANCE_CLONE = "application/vnd.pingidentity.connectorInstance.clone+json"

DEFAULT_TOKEN_LIFETIME = 3600
SECRET_MASK = "******"
POLICY_IN_USE_MESSAGE = "This Flow is in a Application Flow Policy and cannot be deleted. Remove it from the policy first."
NO_ACCESS_MESSAGE = "The request could not be completed. You do not have access to this resource."
VALIDATION_MESSAGE = "The request could not be completed. One or more validation errors were in the request."

VARIABLE_CONTEXTS = ("company", "flow", "flowInstance", "user")
VARIABLE_CREATE_TYPES = ("boolean", "number", "object", "secret", "string")
TRIGGER_TYPES = ("AUTHENTICATION", "SCHEDULE")
VARIABLE_OPTIONAL = ("displayName", "min", "max", "mutable", "value")
LEGACY_FIELD_KEYS = ("type", "displayName", "mutable", "min", "max", "value")
VARIABLES_PAGE_DEFAULT = 10
VARIABLES_PAGE_MAX = 500

# Keys a client may send on create/replace that the provider owns (ignored on input, computed on output).
READ_ONLY_FLOW_KEYS = frozenset({
    "_links", "_embedded", "id", "environment", "createdAt", "updatedAt", "deployedAt", "currentVersion", "publishedVersion",
    "connectors", "enabled", "dvlinterErrorCount", "dvlinterWarningCount", "variables", "flow", "version", "clonedFrom",
    "alias", "updates",
})
# Legacy export keys the provider owns: replaced by the new id/environment/version/timestamps (or dropped).
LEGACY_OWNED_KEYS = frozenset({
    "flowId", "companyId", "customerId", "currentVersion", "publishedVersion", "versionId", "versionInfo",
    "createdDate", "updatedDate", "deployedDate", "savedDate", "connectorIds", "dvlinterErrorCount", "dvlinterWarningCount",
})
LEGACY_VARIABLE_OWNED = frozenset({"id", "name", "context", "createdDate", "updatedDate", "companyId", "customerId", "flowId", "fields"})
HEAVY_FLOW_KEYS = ("graphData", "settings", "inputSchema", "outputSchema")

# The seven default inputSchema items of an AUTHENTICATION flow (names/required from reference §3.1; item shape inferred).
_DEFAULT_INPUT_SCHEMA = (
    ("loginHint", "string", False), ("maxSecondsSinceLastSignOn", "number", False), ("authorizationRequest", "object", False),
    ("samlRequest", "string", False), ("wsFedRequest", "string", False), ("application", "object", True), ("relayState", "string", True),
)


def default_input_schema() -> list[dict]:
    return [{"propertyName": name, "description": "", "preferredDataType": dtype, "preferredControlType": "textField",
             "isExpanded": True, "required": required} for name, dtype, required in _DEFAULT_INPUT_SCHEMA]


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    stamp = datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def epoch_ms(ts: float) -> int:
    return int(round(ts * 1000))


def _fault_type(request: Request) -> str | None:
    """The type of the mark fault (core.FAULT_SCOPE_KEY) that fired for this request, if any."""
    fault = request.scope.get(FAULT_SCOPE_KEY)
    return fault.get("type") if isinstance(fault, dict) else None


def media_type(header: str | None) -> str | None:
    """``application/json; charset=UTF-8`` -> ``application/json`` (lower case), or None when absent/empty."""
    if not header:
        return None
    value = header.split(";", 1)[0].strip().lower()
    return value or None


def _is_number(value: t.Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: t.Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    return False


# ---------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------
_STATUS_CODES = {
    400: "INVALID_DATA", 401: "ACCESS_FAILED", 403: "ACCESS_FAILED", 404: "NOT_FOUND", 405: "INVALID_REQUEST",
    409: "INVALID_DATA", 413: "INVALID_REQUEST", 415: "INVALID_REQUEST", 429: "REQUEST_LIMITED",
}


class ApiError(Exception):
    """An error answered in the PingOne shape ``{id, code, message, details?}``."""

    def __init__(self, status: int, code: str, message: str, details: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def _detail(code: str, target: str, message: str) -> dict:
    return {"code": code, "target": target, "message": message}


def invalid(details: list[dict], message: str = VALIDATION_MESSAGE) -> ApiError:
    return ApiError(400, "INVALID_DATA", message, details)


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", f"Unable to find {what} with ID: '{ident}'.")


def error_body(code: str, message: str, details: list[dict] | None = None) -> dict:
    body: dict[str, t.Any] = {"id": str(uuid.uuid4()), "code": code, "message": message}
    if details:
        body["details"] = details
    return body


class OAuthError(Exception):
    """An error of the token endpoint, answered in the OAuth 2.0 shape."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


# ---------------------------------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------------------------------
@dataclass
class FlowVersion:
    number: int
    doc: dict  # name, description, color, graphData, settings, trigger, inputSchema, outputSchema + unknown keys (verbatim)
    created_at: float
    updated_at: float
    variable_refs: list[tuple[str, str, str | None]] = field(default_factory=list)  # (name, context, flow id)
    deployed_at: float | None = None
    alias: str | None = None


@dataclass
class Flow:
    id: str
    env_id: str
    created_at: float
    updated_at: float
    current_version: int
    enabled: bool = True
    published_version: int | None = None
    deployed_at: float | None = None
    versions: dict[int, FlowVersion] = field(default_factory=dict)

    @property
    def current(self) -> FlowVersion:
        return self.versions[self.current_version]

    @property
    def name(self) -> str:
        return str(self.current.doc.get("name", ""))


@dataclass
class Variable:
    id: str
    env_id: str
    name: str
    context: str
    data_type: str
    flow_id: str | None
    attrs: dict  # displayName, min, max, mutable, value (only those set)
    created_at: float
    updated_at: float
    legacy: dict = field(default_factory=dict)  # unknown keys of the legacy export item (type, visibility, ...)
    legacy_fields: dict = field(default_factory=dict)  # unknown keys of the legacy item's ``fields``

    def key(self) -> tuple[str, str, str | None]:
        return (self.name, self.context, self.flow_id)


@dataclass
class ConnectorInstance:
    id: str
    env_id: str
    name: str
    connector_id: str
    properties: dict | None
    created_at: float
    updated_at: float
    extra: dict = field(default_factory=dict)


@dataclass
class Environment:
    id: str
    name: str | None = None
    available_at: float = 0.0
    flows: dict[str, Flow] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    instances: dict[str, ConnectorInstance] = field(default_factory=dict)
    flow_policies: list[dict] = field(default_factory=list)


@dataclass
class Worker:
    environment_id: str
    client_id: str
    client_secret: str
    environments: list[str]
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME


@dataclass
class Token:
    client_id: str
    environments: frozenset[str]
    expires_at: float


@dataclass
class Incoming:
    """One flow of an import/seed payload, normalised to the PingOne document shape."""

    source_id: str | None
    doc: dict
    enabled: bool
    variables: list
    is_main: bool = False


# ---------------------------------------------------------------------------------------------------
# Graph helpers
# ---------------------------------------------------------------------------------------------------
def _nodes(doc: dict) -> list[dict]:
    graph = doc.get("graphData")
    if not isinstance(graph, dict):
        return []
    elements = graph.get("elements")
    if not isinstance(elements, dict):
        return []
    nodes = elements.get("nodes")
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []


def _edges(doc: dict) -> list[dict]:
    graph = doc.get("graphData")
    elements = graph.get("elements") if isinstance(graph, dict) else None
    edges = elements.get("edges") if isinstance(elements, dict) else None
    return [e for e in edges if isinstance(e, dict)] if isinstance(edges, list) else []


def _node_data(node: dict) -> dict:
    data = node.get("data")
    return data if isinstance(data, dict) else {}


def connector_ids(doc: dict) -> list[str]:
    """The connector types used by the flow's nodes (``connectors[]`` is derived, never stored)."""
    seen: dict[str, None] = {}
    for node in _nodes(doc):
        cid = _node_data(node).get("connectorId")
        if isinstance(cid, str) and cid:
            seen.setdefault(cid, None)
    return list(seen)


def _subflow_ref(node: dict) -> dict | None:
    """``properties.subFlowId.value`` of a flowConnector node ({value: <flowId>, label: <name>}), if any."""
    data = _node_data(node)
    if data.get("connectorId") != "flowConnector":
        return None
    props = data.get("properties")
    sub = props.get("subFlowId") if isinstance(props, dict) else None
    value = sub.get("value") if isinstance(sub, dict) else None
    return value if isinstance(value, dict) else None


def subflow_ids(doc: dict) -> list[str]:
    found: dict[str, None] = {}
    for node in _nodes(doc):
        ref = _subflow_ref(node)
        if ref is not None and isinstance(ref.get("value"), str):
            found.setdefault(ref["value"], None)
    return list(found)


def _strip_linter(doc: dict) -> None:
    """Drop read-only linter output a client sent (graphData.allLinterErrors, node data.linterError)."""
    graph = doc.get("graphData")
    if isinstance(graph, dict):
        graph.pop("allLinterErrors", None)
    for node in _nodes(doc):
        _node_data(node).pop("linterError", None)


def _without_variable_values(graph: t.Any) -> t.Any:
    """Copy-on-write copy of graphData without the ``value`` of saveFlowVariables/saveVariables items."""
    if not isinstance(graph, dict) or not isinstance(graph.get("elements"), dict):
        return graph
    nodes = graph["elements"].get("nodes")
    if not isinstance(nodes, list):
        return graph
    new_nodes = []
    changed = False
    for node in nodes:
        data = node.get("data") if isinstance(node, dict) else None
        props = data.get("properties") if isinstance(data, dict) else None
        if not isinstance(props, dict) or not any(k in props for k in ("saveFlowVariables", "saveVariables")):
            new_nodes.append(node)
            continue
        new_props = dict(props)
        for key in ("saveFlowVariables", "saveVariables"):
            holder = props.get(key)
            if isinstance(holder, dict) and isinstance(holder.get("value"), list):
                items = [{k: v for k, v in item.items() if k != "value"} if isinstance(item, dict) else item for item in holder["value"]]
                new_props[key] = {**holder, "value": items}
        new_nodes.append({**node, "data": {**data, "properties": new_props}})
        changed = True
    if not changed:
        return graph
    return {**graph, "elements": {**graph["elements"], "nodes": new_nodes}}


def lint(doc: dict, env: Environment) -> tuple[int, int]:
    """A tiny linter: errors = edges whose ends are not nodes; warnings = subflow references to unknown flows."""
    node_ids = {_node_data(n).get("id") for n in _nodes(doc)}
    errors = 0
    for edge in _edges(doc):
        data = _node_data(edge)
        if data.get("source") not in node_ids or data.get("target") not in node_ids:
            errors += 1
    warnings = sum(1 for fid in subflow_ids(doc) if fid not in env.flows)
    return errors, warnings


# ---------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------
def _check_string(value: t.Any, target: str, details: list[dict], *, required: bool, max_len: int) -> None:
    if value is None:
        if required:
            details.append(_detail("REQUIRED_VALUE", target, f"{target} is required"))
        return
    if not isinstance(value, str):
        details.append(_detail("INVALID_VALUE", target, f"{target} must be a string"))
        return
    if required and not value:
        details.append(_detail("REQUIRED_VALUE", target, f"{target} must not be empty"))
    elif len(value) > max_len:
        details.append(_detail("INVALID_VALUE", target, f"{target} must be at most {max_len} characters"))
    elif "<" in value or "${" in value:
        details.append(_detail("INVALID_VALUE", target, f"{target} must not contain '<' or '${{'"))


def validate_flow_doc(doc: dict, prefix: str = "") -> list[dict]:
    """Validation of a create/replace/import document (reference §3.2, §3.3, §8.13)."""
    details: list[dict] = []
    _check_string(doc.get("name"), prefix + "name", details, required=True, max_len=256)
    _check_string(doc.get("description"), prefix + "description", details, required=False, max_len=1024)
    if "color" in doc and doc["color"] is not None and not isinstance(doc["color"], str):
        details.append(_detail("INVALID_VALUE", prefix + "color", "color must be a string"))
    details.extend(_validate_settings_and_trigger(doc, prefix))
    if "inputSchema" in doc and not isinstance(doc["inputSchema"], list):
        details.append(_detail("INVALID_VALUE", prefix + "inputSchema", "inputSchema must be an array"))
    if "outputSchema" in doc and doc["outputSchema"] is not None and not isinstance(doc["outputSchema"], dict):
        details.append(_detail("INVALID_VALUE", prefix + "outputSchema", "outputSchema must be an object"))
    graph = doc.get("graphData")
    if graph is not None:
        if not isinstance(graph, dict):
            details.append(_detail("INVALID_VALUE", prefix + "graphData", "graphData must be an object"))
        else:
            details.extend(_validate_graph(graph, prefix + "graphData"))
    return details


def _validate_settings_and_trigger(doc: dict, prefix: str) -> list[dict]:
    details: list[dict] = []
    settings = doc.get("settings")
    if settings is not None:
        if not isinstance(settings, dict):
            details.append(_detail("INVALID_VALUE", prefix + "settings", "settings must be an object"))
        elif "logLevel" in settings:
            level = settings["logLevel"]
            if not _is_int(level) or not 1 <= float(level) <= 4:
                details.append(_detail("INVALID_VALUE", prefix + "settings.logLevel", "logLevel must be an integer from 1 to 4"))
    trigger = doc.get("trigger")
    if trigger is not None:
        if not isinstance(trigger, dict):
            details.append(_detail("INVALID_VALUE", prefix + "trigger", "trigger must be an object"))
        elif trigger.get("type") not in TRIGGER_TYPES:
            details.append(_detail("INVALID_VALUE", prefix + "trigger.type", f"trigger.type must be one of {', '.join(TRIGGER_TYPES)}"))
    return details


def _validate_graph(graph: dict, target: str) -> list[dict]:
    details: list[dict] = []
    elements = graph.get("elements")
    if elements is None:
        return details
    if not isinstance(elements, dict):
        return [_detail("INVALID_VALUE", target + ".elements", "elements must be an object")]
    for kind in ("nodes", "edges"):
        items = elements.get(kind)
        if items is None:
            continue
        if not isinstance(items, list):
            details.append(_detail("INVALID_VALUE", f"{target}.elements.{kind}", f"{kind} must be an array"))
            continue
        for index, item in enumerate(items):
            where = f"{target}.elements.{kind}[{index}]"
            data = item.get("data") if isinstance(item, dict) else None
            if not isinstance(data, dict):
                details.append(_detail("INVALID_VALUE", where, f"each of {kind} must be an object with a data object"))
                continue
            required = ("id", "nodeType") if kind == "nodes" else ("id", "source", "target")
            for key in required:
                if not isinstance(data.get(key), str) or not data[key]:
                    details.append(_detail("REQUIRED_VALUE", f"{where}.data.{key}", f"{key} is required"))
    return details


# ---------------------------------------------------------------------------------------------------
# The provider
# ---------------------------------------------------------------------------------------------------
Handler = t.Callable[["Ctx"], t.Awaitable[Response]]


@dataclass
class Ctx:
    """One API call: the request, its environment and the path parameters."""

    request: Request
    env: Environment
    params: dict[str, str]
    body_text: bytes

    def json(self, *, required: bool = True) -> t.Any:
        raw = self.body_text
        if not raw.strip():
            if required:
                raise invalid([_detail("REQUIRED_VALUE", "body", "A request body is required")], "The request body is missing.")
            return None
        try:
            return loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise invalid([_detail("INVALID_VALUE", "body", f"The request body is not valid JSON: {exc}")],
                          "The request could not be parsed as JSON.") from exc

    def json_object(self, *, required: bool = True) -> dict | None:
        body = self.json(required=required)
        if body is None:
            return None
        if not isinstance(body, dict):
            raise invalid([_detail("INVALID_VALUE", "body", "The request body must be a JSON object")])
        return body


# (path regex relative to /v1/environments/{env}, {method: {content type or None: (handler name, is_write)}})
_ANY = "*"
ROUTE_TABLE: list[tuple[str, dict[str, dict[str, tuple[str, bool]]]]] = [
    (r"", {"GET": {_ANY: ("get_environment", False)}}),
    (r"/flows", {
        "GET": {_ANY: ("list_flows", False)},
        "POST": {CT_JSON: ("create_flow", True), CT_FLOW_IMPORT: ("import_flow", True), CT_FLOW_IMPORT_LEGACY: ("import_flow_legacy", True)},
    }),
    (r"/flows/(?P<flow_id>[^/]+)", {
        "GET": {_ANY: ("get_flow", False)},
        "PUT": {CT_JSON: ("replace_flow", True)},
        "DELETE": {_ANY: ("delete_flow", True)},
        "POST": {CT_FLOW_DEPLOY: ("deploy_flow", True), CT_FLOW_CLONE: ("clone_flow", True), CT_FLOW_VALIDATE: ("validate_flow", False)},
    }),
    (r"/flows/(?P<flow_id>[^/]+)/enabled", {"PUT": {CT_JSON: ("enable_flow", True)}}),
    (r"/flows/(?P<flow_id>[^/]+)/versions", {"GET": {_ANY: ("list_versions", False)}}),
    (r"/flows/(?P<flow_id>[^/]+)/versions/(?P<version>[^/]+)", {
        "GET": {_ANY: ("get_version", False)},
        "DELETE": {_ANY: ("delete_version", True)},
        "POST": {CT_VERSION_EXPORT: ("export_version", False), CT_VERSION_REVERT: ("revert_version", True)},
    }),
    (r"/flows/(?P<flow_id>[^/]+)/versions/(?P<version>[^/]+)/details", {"GET": {_ANY: ("get_version_details", False)}}),
    (r"/flows/(?P<flow_id>[^/]+)/versions/(?P<version>[^/]+)/alias", {"PUT": {CT_JSON: ("set_version_alias", True)}}),
    (r"/variables", {"GET": {_ANY: ("list_variables", False)}, "POST": {CT_JSON: ("create_variable", True)}}),
    (r"/variables/(?P<variable_id>[^/]+)", {
        "GET": {_ANY: ("get_variable", False)}, "PUT": {CT_JSON: ("replace_variable", True)}, "DELETE": {_ANY: ("delete_variable", True)},
    }),
    (r"/connectorInstances", {"GET": {_ANY: ("list_instances", False)}, "POST": {CT_JSON: ("create_instance", True)}}),
    (r"/connectorInstances/(?P<instance_id>[^/]+)", {
        "GET": {_ANY: ("get_instance", False)}, "PUT": {CT_JSON: ("replace_instance", True)}, "DELETE": {_ANY: ("delete_instance", True)},
        "POST": {CT_INSTANCE_CLONE: ("clone_instance", True)},
    }),
    (r"/connectors", {"GET": {_ANY: ("list_connectors", False)}}),
    (r"/connectors/(?P<connector_id>[^/]+)", {"GET": {_ANY: ("get_connector", False)}}),
]
# Media types are case-insensitive (RFC 9110 8.3.1) and media_type() lower-cases the request's, so the table's keys are
# lower-cased too (CT_INSTANCE_CLONE has a capital I: without this its route answered 415).
_COMPILED_ROUTES = [
    (re.compile(r"^/v1/environments/(?P<env_id>[^/]+)" + pattern + r"/?$"),
     {method: {ctype.lower(): action for ctype, action in actions.items()} for method, actions in methods.items()})
    for pattern, methods in ROUTE_TABLE
]
_TOKEN_PATH_RE = re.compile(r"^/(?P<env_id>[^/]+)/as/token/?$")
_ENV_PATH_RE = re.compile(r"^/v1/environments/(?P<env_id>[^/]+)")


def match_route(path: str) -> tuple[dict[str, dict[str, tuple[str, bool]]], dict[str, str]] | None:
    for regex, methods in _COMPILED_ROUTES:
        found = regex.match(path)
        if found:
            return methods, found.groupdict()
    return None


class DaVinciProvider:  # pylint: disable=too-many-public-methods  # one method per emulated operation
    """PingOne DaVinci flow-management API emulation (see module docstring and README.md)."""

    name = "davinci"
    # Fault rules of type expire_token (core.MARK_FAULT_TYPES): on an API call the presented token expires before the
    # call is checked (401 now and for every later use of it); on a token request the issued token is dead on arrival.
    scope_faults = ("expire_token",)

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.environments: dict[str, Environment] = {}
        self.workers: dict[str, Worker] = {}
        self.tokens: dict[str, Token] = {}
        self._pending_ct: tuple[str, str, str | None] | None = None

    # -- contract -------------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        return [
            Route("/{env_id}/as/token", self._token_endpoint, methods=methods),
            Route("/v1/environments/{env_id}", self._api_endpoint, methods=methods),
            Route("/v1/environments/{env_id}/{rest:path}", self._api_endpoint, methods=methods),
        ]

    def control_routes(self) -> list[BaseRoute]:
        return [Route("/_emulator/davinci/tokens/expire", self._expire_tokens, methods=["POST"])]

    def owns(self, path: str) -> bool:
        return path.startswith("/v1/environments/") or _TOKEN_PATH_RE.match(path) is not None

    def tenant_of(self, request: Request) -> str | None:
        path = request.url.path
        # is_write() only gets (method, path); remember the Content-Type of the call being logged (the core calls
        # tenant_of and then is_write synchronously for the same request) so export/validate count as reads.
        self._pending_ct = (request.method, path, media_type(request.headers.get("content-type")))
        found = _ENV_PATH_RE.match(path) or _TOKEN_PATH_RE.match(path)
        return found.group("env_id") if found else None

    def is_write(self, method: str, path: str) -> bool:
        pending, self._pending_ct = self._pending_ct, None
        if method.upper() in ("GET", "HEAD", "OPTIONS") or _TOKEN_PATH_RE.match(path):
            return False
        matched = match_route(path)
        if matched is None:
            return method.upper() != "GET"
        actions = matched[0].get(method.upper())
        if not actions:
            return True
        ctype = pending[2] if pending is not None and pending[:2] == (method, path) else None
        if ctype is not None and ctype in actions:
            return actions[ctype][1]
        if _ANY in actions:
            return actions[_ANY][1]
        # Unknown/absent Content-Type: classify by the usual action of this URL.
        return any(is_write for _name, is_write in actions.values()) and CT_VERSION_EXPORT not in actions

    def error_response(self, status: int, message: str, retry_after: str | None = None) -> Response:
        code = _STATUS_CODES.get(status, "UNEXPECTED_ERROR" if status >= 500 else "INVALID_REQUEST")
        details = None
        if status == 429:
            details = [{"code": "LIMIT_EXCEEDED", "message": message}]
        elif status in (401,):
            details = [{"code": "INVALID_TOKEN", "message": message}]
        headers = {"Retry-After": retry_after} if retry_after is not None else None
        return RawJSONResponse(error_body(code, message, details), status_code=status, headers=headers)

    def reset(self) -> None:
        self.environments.clear()
        self.workers.clear()
        self.tokens.clear()

    # -- seed / snapshot ------------------------------------------------------------------------------
    def seed(self, data: dict) -> None:
        if not isinstance(data, dict):
            raise ValueError("davinci seed must be an object")
        data = from_plain(data)
        for env_data in data.get("environments", []) or []:
            self._seed_environment(env_data)
        for worker in data.get("workers", []) or []:
            if not isinstance(worker, dict):
                raise ValueError("each worker must be an object")
            envs = worker.get("environments", [])
            if not isinstance(envs, list) or not all(isinstance(e, str) for e in envs):
                raise ValueError("worker.environments must be a list of environment ids")
            lifetime = int(worker.get("token_lifetime", DEFAULT_TOKEN_LIFETIME))
            if lifetime <= 0:
                raise ValueError("worker.token_lifetime must be positive")
            self.workers[str(worker["client_id"])] = Worker(
                environment_id=str(worker["environment_id"]), client_id=str(worker["client_id"]),
                client_secret=str(worker["client_secret"]), environments=list(envs), token_lifetime=lifetime)
        for token in data.get("tokens", []) or []:  # issued tokens (snapshot form)
            self.tokens[str(token["access_token"])] = Token(str(token["client_id"]), frozenset(token.get("environments", [])),
                                                            float(token["expires_at"]))

    def _seed_environment(self, env_data: t.Any) -> None:
        if not isinstance(env_data, dict) or not isinstance(env_data.get("id"), str) or not env_data["id"]:
            raise ValueError("each environment needs a string id")
        env = self.environments.get(env_data["id"])
        now = self.emulator.now()
        if env is None:
            env = Environment(id=env_data["id"])
            self.environments[env.id] = env
        if env_data.get("name") is not None:
            env.name = str(env_data["name"])
        if "available_at" in env_data:
            env.available_at = float(env_data["available_at"])
        if env_data.get("propagation_seconds"):
            env.available_at = now + float(env_data["propagation_seconds"])
        for inst in env_data.get("connector_instances", []) or []:
            if not isinstance(inst, dict) or not isinstance(inst.get("connector"), dict) or "id" not in inst["connector"]:
                raise ValueError("each connector instance needs connector.id")
            iid = str(inst.get("id") or secrets.token_hex(16))
            extra = {k: v for k, v in inst.items() if k not in ("id", "name", "connector", "properties", "createdAt", "updatedAt")}
            env.instances[iid] = ConnectorInstance(
                id=iid, env_id=env.id, name=str(inst.get("name", iid)), connector_id=str(inst["connector"]["id"]),
                properties=inst.get("properties"), created_at=float(inst.get("createdAt", now)), updated_at=float(inst.get("updatedAt", now)),
                extra=extra)
        for var in env_data.get("variables", []) or []:
            self._seed_variable(env, var, now)
        for flow_data in env_data.get("flows", []) or []:
            self._seed_flow(env, flow_data, now)
        for policy in env_data.get("flow_policies", []) or []:
            if not isinstance(policy, dict) or not isinstance(policy.get("flowDistributions", []), list):
                raise ValueError("each flow policy must be an object with a flowDistributions list")
            env.flow_policies.append({"id": policy.get("id") or str(uuid.uuid4()), **{k: v for k, v in policy.items() if k != "id"}})

    def _seed_variable(self, env: Environment, var: t.Any, now: float) -> None:
        if not isinstance(var, dict):
            raise ValueError("each variable must be an object")
        if "fields" in var:  # a legacy export item
            self._upsert_legacy_variable(env, var, {}, now, keep_id=True)
            return
        for key in ("name", "context", "dataType"):
            if not isinstance(var.get(key), str):
                raise ValueError(f"variable.{key} is required")
        flow = var.get("flow")
        variable = Variable(
            id=str(var.get("id") or uuid.uuid4()), env_id=env.id, name=var["name"], context=var["context"], data_type=var["dataType"],
            flow_id=str(flow["id"]) if isinstance(flow, dict) and flow.get("id") else None,
            attrs={k: var[k] for k in VARIABLE_OPTIONAL if k in var},
            created_at=float(var.get("createdAt", now)), updated_at=float(var.get("updatedAt", var.get("createdAt", now))),
            legacy=dict(var.get("legacy", {})), legacy_fields=dict(var.get("legacy_fields", {})))
        env.variables[variable.id] = variable

    def _seed_flow(self, env: Environment, flow_data: t.Any, now: float) -> None:
        if not isinstance(flow_data, dict):
            raise ValueError("each flow must be an object")
        if isinstance(flow_data.get("versions"), list):  # snapshot form: exact restore
            flow = Flow(
                id=str(flow_data["id"]), env_id=env.id, created_at=float(flow_data["createdAt"]), updated_at=float(flow_data["updatedAt"]),
                current_version=int(flow_data["currentVersion"]), enabled=bool(flow_data.get("enabled", True)),
                published_version=flow_data.get("publishedVersion"), deployed_at=flow_data.get("deployedAt"))
            for ver in flow_data["versions"]:
                flow.versions[int(ver["version"])] = FlowVersion(
                    number=int(ver["version"]), doc=ver["doc"], created_at=float(ver["createdAt"]), updated_at=float(ver["updatedAt"]),
                    variable_refs=[(r[0], r[1], r[2]) for r in ver.get("variableRefs", [])], deployed_at=ver.get("deployedAt"),
                    alias=ver.get("alias"))
            if flow.current_version not in flow.versions:
                raise ValueError(f"flow {flow.id}: currentVersion {flow.current_version} is not among its versions")
            env.flows[flow.id] = flow
            return
        if "flowId" in flow_data or "flowStatus" in flow_data:  # a legacy export object
            incoming = self._from_legacy(flow_data)
            flow_id = str(flow_data.get("flowId") or secrets.token_hex(16))
            version = int(flow_data.get("currentVersion") or 1)
            published = flow_data.get("publishedVersion")
        else:  # PingOne create shape, plus optional id / enabled / currentVersion / publishedVersion
            doc = {k: v for k, v in flow_data.items() if k not in READ_ONLY_FLOW_KEYS}
            incoming = Incoming(None, doc, bool(flow_data.get("enabled", True)), list(flow_data.get("variables", []) or []))
            flow_id = str(flow_data.get("id") or secrets.token_hex(16))
            version = int(flow_data.get("currentVersion") or 1)
            published = flow_data.get("publishedVersion")
        details = validate_flow_doc(incoming.doc)
        if details:
            raise ValueError(f"flow {flow_id}: {details[0]['target']}: {details[0]['message']}")
        self._apply_defaults(incoming.doc)
        refs = self._import_variables(env, incoming.variables, {}, now) if incoming.variables else []
        flow = Flow(id=flow_id, env_id=env.id, created_at=now, updated_at=now, current_version=version, enabled=incoming.enabled)
        flow.versions[version] = FlowVersion(version, incoming.doc, now, now, refs)
        if published is not None and _is_int(published) and int(float(published)) == version:
            self._mark_deployed(flow, now)
        env.flows[flow.id] = flow

    def snapshot(self) -> dict:
        environments = []
        for env in self.environments.values():
            flows = []
            for flow in env.flows.values():
                flows.append({
                    "id": flow.id, "enabled": flow.enabled, "currentVersion": flow.current_version, "publishedVersion": flow.published_version,
                    "createdAt": flow.created_at, "updatedAt": flow.updated_at, "deployedAt": flow.deployed_at,
                    "versions": [{"version": v.number, "createdAt": v.created_at, "updatedAt": v.updated_at, "deployedAt": v.deployed_at,
                                  "alias": v.alias, "variableRefs": [list(r) for r in v.variable_refs], "doc": to_plain(v.doc)}
                                 for v in flow.versions.values()],
                })
            variables = []
            for var in env.variables.values():
                item: dict[str, t.Any] = {"id": var.id, "name": var.name, "context": var.context, "dataType": var.data_type,
                                          **to_plain(var.attrs), "createdAt": var.created_at, "updatedAt": var.updated_at}
                if var.flow_id is not None:
                    item["flow"] = {"id": var.flow_id}
                if var.legacy:
                    item["legacy"] = to_plain(var.legacy)
                if var.legacy_fields:
                    item["legacy_fields"] = to_plain(var.legacy_fields)
                variables.append(item)
            instances = [{"id": i.id, "name": i.name, "connector": {"id": i.connector_id}, "properties": to_plain(i.properties),
                          "createdAt": i.created_at, "updatedAt": i.updated_at, **to_plain(i.extra)} for i in env.instances.values()]
            environments.append({"id": env.id, "name": env.name, "available_at": env.available_at, "flows": flows, "variables": variables,
                                 "connector_instances": instances, "flow_policies": to_plain(env.flow_policies)})
        workers = [{"environment_id": w.environment_id, "client_id": w.client_id, "client_secret": w.client_secret,
                    "environments": list(w.environments), "token_lifetime": w.token_lifetime} for w in self.workers.values()]
        tokens = [{"access_token": value, "client_id": tok.client_id, "environments": sorted(tok.environments), "expires_at": tok.expires_at}
                  for value, tok in self.tokens.items()]
        return {"environments": environments, "workers": workers, "tokens": tokens}

    # -- control --------------------------------------------------------------------------------------
    async def _expire_tokens(self, _request: Request) -> Response:
        now = self.emulator.now()
        count = 0
        for token in self.tokens.values():
            if token.expires_at > now:
                token.expires_at = now - 1
                count += 1
        return RawJSONResponse({"expired": count})

    # -- token endpoint -------------------------------------------------------------------------------
    async def _token_endpoint(self, request: Request) -> Response:
        try:
            body = await self._issue_token(request)
        except OAuthError as exc:
            headers = {"WWW-Authenticate": 'Basic realm="PingOne"'} if exc.status == 401 else None
            return RawJSONResponse({"error": exc.error, "error_description": exc.description}, status_code=exc.status, headers=headers)
        return RawJSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def _issue_token(self, request: Request) -> dict:
        if request.method != "POST":
            raise OAuthError(405, "invalid_request", "The token endpoint only accepts POST.")
        if media_type(request.headers.get("content-type")) != CT_FORM:
            raise OAuthError(400, "invalid_request", f"The token request must use Content-Type {CT_FORM}.")
        try:
            form = {k: v[-1] for k, v in urllib.parse.parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True).items()}
        except UnicodeDecodeError as exc:
            raise OAuthError(400, "invalid_request", "The token request body is not valid UTF-8.") from exc
        env_id = request.path_params["env_id"]
        basic = self._basic_credentials(request.headers.get("authorization"))
        form_id, form_secret = form.get("client_id"), form.get("client_secret")
        if basic is not None and (form_secret is not None or (form_id is not None and form_id != basic[0])):
            raise OAuthError(400, "invalid_request", "Client credentials must be sent either in the Authorization header or in the body, not both.")
        client_id, client_secret = basic if basic is not None else (form_id, form_secret)
        if not isinstance(client_id, str) or not client_id or not isinstance(client_secret, str):
            raise OAuthError(401, "invalid_client", "Client authentication failed: no client credentials were sent.")
        worker = self.workers.get(client_id)
        if worker is None or worker.environment_id != env_id or not secrets.compare_digest(worker.client_secret, client_secret):
            raise OAuthError(401, "invalid_client", "Client authentication failed.")
        grant = form.get("grant_type")
        if grant is None:
            raise OAuthError(400, "invalid_request", "grant_type is required.")
        if grant != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "Only the client_credentials grant is supported for this application.")
        token = secrets.token_urlsafe(32)
        expires_at = self.emulator.now() + worker.token_lifetime
        if _fault_type(request) == "expire_token":
            expires_at = self.emulator.now()  # issued with the usual expires_in, but already dead (token revoked at once)
        self.tokens[token] = Token(client_id, frozenset(worker.environments), expires_at)
        return {"access_token": token, "token_type": "Bearer", "expires_in": worker.token_lifetime}

    @staticmethod
    def _basic_credentials(header: str | None) -> tuple[str, str] | None:
        if not header or not header.lower().startswith("basic "):
            return None
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError(401, "invalid_client", "Malformed HTTP Basic client credentials.") from exc
        if ":" not in decoded:
            raise OAuthError(401, "invalid_client", "Malformed HTTP Basic client credentials.")
        client_id, client_secret = decoded.split(":", 1)
        return client_id, client_secret

    # -- API dispatch ---------------------------------------------------------------------------------
    async def _api_endpoint(self, request: Request) -> Response:
        try:
            return await self._dispatch(request)
        except ApiError as exc:
            return RawJSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status)

    def _authorize(self, request: Request, env_id: str) -> Environment:
        header = request.headers.get("authorization") or ""
        scheme, _sep, value = header.partition(" ")
        token = self.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is not None and _fault_type(request) == "expire_token":
            token.expires_at = min(token.expires_at, self.emulator.now())
        if token is None or token.expires_at <= self.emulator.now():
            reason = "The access token is missing." if not header else "The access token is invalid or expired."
            raise ApiError(401, "ACCESS_FAILED", "The request could not be completed. " + reason,
                           [{"code": "INVALID_TOKEN", "message": reason}])
        env = self.environments.get(env_id)
        if env is None or env_id not in token.environments or env.available_at > self.emulator.now():
            raise ApiError(403, "ACCESS_FAILED", NO_ACCESS_MESSAGE,
                           [{"code": "INSUFFICIENT_PERMISSIONS", "message": "The actor does not have access to this environment."}])
        return env

    async def _dispatch(self, request: Request) -> Response:
        path = request.url.path
        env_id = _ENV_PATH_RE.match(path).group("env_id")  # type: ignore[union-attr]  # the route guarantees the prefix
        env = self._authorize(request, env_id)
        matched = match_route(path)
        if matched is None:
            raise ApiError(404, "NOT_FOUND", f"The requested resource was not found: {path}")
        methods, params = matched
        actions = methods.get(request.method)
        if actions is None:
            raise ApiError(405, "INVALID_REQUEST", f"Method {request.method} is not supported on this resource.")
        ctype = media_type(request.headers.get("content-type"))
        body = await request.body()
        if _ANY in actions:
            handler_name = actions[_ANY][0]
        elif ctype in actions:
            handler_name = actions[ctype][0]
        else:
            raise ApiError(415, "INVALID_REQUEST", f"Content-Type {ctype or '(none)'} is not supported for {request.method} on this resource. "
                           f"Supported: {', '.join(sorted(actions))}.")
        handler: Handler = getattr(self, "_op_" + handler_name)
        return await handler(Ctx(request, env, params, body))

    # -- rendering helpers ----------------------------------------------------------------------------
    def _env_url(self, env_id: str) -> str:
        return f"{self.emulator.base_url.rstrip('/')}/v1/environments/{env_id}"

    def _flow_url(self, flow: Flow) -> str:
        return f"{self._env_url(flow.env_id)}/flows/{flow.id}"

    def _flow_links(self, flow: Flow) -> dict:
        base = self._flow_url(flow)
        env_url = self._env_url(flow.env_id)
        return {
            "self": {"href": base}, "environment": {"href": env_url},
            "connectorInstances": {"href": env_url + "/connectorInstances"}, "connectors": {"href": env_url + "/connectors"},
            "flow.deploy": {"href": base}, "flow.clone": {"href": base}, "flow.enabled": {"href": base + "/enabled"},
            "flow.validate": {"href": base}, "version": {"href": f"{base}/versions/{flow.current_version}"},
        }

    def render_flow(self, flow: Flow, env: Environment, *, doc: dict | None = None, heavy: bool = True) -> dict:
        doc = flow.current.doc if doc is None else doc
        errors, warnings = lint(doc, env)
        out: dict[str, t.Any] = {"_links": self._flow_links(flow), "environment": {"id": flow.env_id}, "id": flow.id}
        for key, value in doc.items():
            if heavy or key not in HEAVY_FLOW_KEYS:
                out[key] = value
        out.update({
            "connectors": [{"id": c} for c in connector_ids(doc)], "enabled": flow.enabled, "currentVersion": flow.current_version,
            "createdAt": iso(flow.created_at), "updatedAt": iso(flow.updated_at), "dvlinterErrorCount": errors, "dvlinterWarningCount": warnings,
        })
        if flow.published_version is not None:
            out["publishedVersion"] = flow.published_version
            out["deployedAt"] = iso(flow.deployed_at)
        return out

    @staticmethod
    def _select_attributes(item: dict, attributes: list[str] | None) -> dict:
        if not attributes:
            return item
        return {k: v for k, v in item.items() if k == "_links" or k in attributes}

    @staticmethod
    def _attributes(request: Request) -> list[str] | None:
        raw = request.query_params.get("attributes")
        if raw is None:
            return None
        return [a.strip() for a in raw.split(",") if a.strip()]

    def _version_links(self, flow: Flow, number: int) -> dict:
        base = f"{self._flow_url(flow)}/versions/{number}"
        return {"self": {"href": base}, "environment": {"href": self._env_url(flow.env_id)}, "flow": {"href": self._flow_url(flow)},
                "details": {"href": base + "/details"}, "flow.export": {"href": base}, "flow.revert": {"href": base}}

    def render_version(self, flow: Flow, version: FlowVersion) -> dict:
        out: dict[str, t.Any] = {"_links": self._version_links(flow, version.number), "environment": {"id": flow.env_id},
                                 "flow": {"id": flow.id, "name": version.doc.get("name")}, "version": version.number,
                                 "createdAt": iso(version.created_at), "updatedAt": iso(version.updated_at)}
        if version.alias is not None:
            out["alias"] = version.alias
        if version.deployed_at is not None:
            out["deployedAt"] = iso(version.deployed_at)
        return out

    def render_variable(self, var: Variable) -> dict:
        base = f"{self._env_url(var.env_id)}/variables/{var.id}"
        links: dict[str, t.Any] = {"self": {"href": base}, "environment": {"href": self._env_url(var.env_id)}}
        out: dict[str, t.Any] = {"_links": links, "id": var.id, "name": var.name, "context": var.context, "dataType": var.data_type}
        if var.flow_id is not None:
            out["flow"] = {"id": var.flow_id}
            links["flow"] = {"href": f"{self._env_url(var.env_id)}/flows/{var.flow_id}"}
        for key in VARIABLE_OPTIONAL:
            if key in var.attrs:
                out[key] = SECRET_MASK if key == "value" and var.data_type == "secret" else var.attrs[key]
        out.update({"environment": {"id": var.env_id}, "createdAt": iso(var.created_at), "updatedAt": iso(var.updated_at)})
        return out

    @staticmethod
    def legacy_variable_name(var: Variable) -> str:
        name = f"{var.name}##SK##{var.context}"
        return f"{name}##SK##{var.flow_id}" if var.context == "flow" and var.flow_id else name

    def render_legacy_variable(self, var: Variable, include_values: bool) -> dict:
        fields = dict(var.legacy_fields)
        fields["type"] = var.data_type
        for key in ("displayName", "mutable", "min", "max"):
            if key in var.attrs:
                fields[key] = var.attrs[key]
        if include_values and "value" in var.attrs:
            fields["value"] = SECRET_MASK if var.data_type == "secret" else var.attrs["value"]
        item: dict[str, t.Any] = {"type": "property", "visibility": "private", **var.legacy}
        item.update({"context": var.context, "createdDate": epoch_ms(var.created_at), "fields": fields, "id": var.id,
                     "name": self.legacy_variable_name(var), "companyId": var.env_id})
        if var.flow_id is not None:
            item["flowId"] = var.flow_id
        if var.updated_at != var.created_at:
            item["updatedDate"] = epoch_ms(var.updated_at)
        return item

    def _find_variable(self, env: Environment, key: tuple[str, str, str | None]) -> Variable | None:
        for var in env.variables.values():
            if var.key() == key:
                return var
        return None

    def export_variables(self, env: Environment, flow: Flow, version: FlowVersion, include_values: bool) -> list[dict]:
        seen: dict[str, Variable] = {}
        for ref in version.variable_refs:
            var = self._find_variable(env, ref)
            if var is not None:
                seen.setdefault(var.id, var)
        for var in env.variables.values():
            if var.context == "flow" and var.flow_id == flow.id:
                seen.setdefault(var.id, var)
        return [self.render_legacy_variable(var, include_values) for var in seen.values()]

    def render_export(self, env: Environment, flow: Flow, version: FlowVersion, include_values: bool) -> dict:
        """A DaVinciExportFlowVersionResponse (reference §3.5) of one version."""
        doc = version.doc
        out: dict[str, t.Any] = {
            "_links": {"self": {"href": f"{self._flow_url(flow)}/versions/{version.number}"}, "environment": {"href": self._env_url(env.id)}},
            "flow": {"id": flow.id, "name": doc.get("name")}, "environment": {"id": env.id},
        }
        for key, value in doc.items():
            if key == "name":
                continue
            out[key] = _without_variable_values(value) if key == "graphData" and not include_values else value
        out.update({
            "version": version.number, "publishedVersion": flow.published_version, "enabled": flow.enabled,
            "connectors": [{"id": c} for c in connector_ids(doc)], "variables": self.export_variables(env, flow, version, include_values),
            "createdAt": iso(flow.created_at), "updatedAt": iso(version.updated_at),
        })
        if version.deployed_at is not None:
            out["deployedAt"] = iso(version.deployed_at)
        return out

    def _subflow_exports(self, env: Environment, flow: Flow, version: FlowVersion, include_values: bool) -> list[dict]:
        """Transitive subflows (flowConnector nodes' properties.subFlowId.value.value), flattened, in discovery order."""
        exports: list[dict] = []
        visited = {flow.id}
        pending = [subflow_ids(version.doc)]
        while pending:
            ids = pending.pop(0)
            for sub_id in ids:
                sub = env.flows.get(sub_id)
                if sub is None or sub_id in visited:
                    continue
                visited.add(sub_id)
                sub_version = sub.current
                exports.append(self.render_export(env, sub, sub_version, include_values))
                pending.append(subflow_ids(sub_version.doc))
        return exports

    # -- shared flow logic ----------------------------------------------------------------------------
    @staticmethod
    def _apply_defaults(doc: dict) -> None:
        _strip_linter(doc)
        trigger = doc.get("trigger")
        if isinstance(trigger, dict) and trigger.get("type") == "AUTHENTICATION" and "inputSchema" not in doc:
            doc["inputSchema"] = default_input_schema()

    def _mark_deployed(self, flow: Flow, now: float) -> None:
        flow.published_version = flow.current_version
        flow.deployed_at = now
        flow.current.deployed_at = now

    def _get_flow(self, ctx: Ctx) -> Flow:
        flow = ctx.env.flows.get(ctx.params["flow_id"])
        if flow is None:
            raise not_found("flow", ctx.params["flow_id"])
        return flow

    @staticmethod
    def _get_version(flow: Flow, raw: str) -> FlowVersion:
        try:
            number = int(raw)
        except ValueError as exc:
            raise not_found("flow version", raw) from exc
        version = flow.versions.get(number)
        if version is None:
            raise not_found("flow version", raw)
        return version

    @staticmethod
    def _flow_doc_from_body(body: dict) -> dict:
        if "flows" in body and isinstance(body["flows"], list):
            raise invalid([_detail("INVALID_VALUE", "flows", "A multi-flow export ({flows: [...]}) cannot be created with this request; "
                                   f"import it with Content-Type {CT_FLOW_IMPORT_LEGACY}")])
        doc = {k: v for k, v in body.items() if k not in READ_ONLY_FLOW_KEYS}
        details = validate_flow_doc(doc)
        if details:
            raise invalid(details)
        return doc

    # -- flows ----------------------------------------------------------------------------------------
    async def _op_get_environment(self, ctx: Ctx) -> Response:
        env = ctx.env
        body = {"_links": {"self": {"href": self._env_url(env.id)}}, "id": env.id, "name": env.name or env.id,
                "billOfMaterials": {"products": [{"type": "PING_ONE_DAVINCI"}]}}
        return RawJSONResponse(body)

    async def _op_list_flows(self, ctx: Ctx) -> Response:
        attributes = self._attributes(ctx.request)
        items = []
        for flow in ctx.env.flows.values():
            item = self.render_flow(flow, ctx.env, heavy=bool(attributes))
            items.append(self._select_attributes(item, attributes))
        env_url = self._env_url(ctx.env.id)
        body = {"_links": {"self": {"href": env_url + "/flows"}, "environment": {"href": env_url}}, "_embedded": {"flows": items}, "count": len(items)}
        return RawJSONResponse(body)

    async def _op_get_flow(self, ctx: Ctx) -> Response:
        flow = self._get_flow(ctx)
        return RawJSONResponse(self._select_attributes(self.render_flow(flow, ctx.env), self._attributes(ctx.request)))

    async def _op_create_flow(self, ctx: Ctx) -> Response:
        body = ctx.json_object()
        assert body is not None
        doc = self._flow_doc_from_body(body)
        self._apply_defaults(doc)
        now = self.emulator.now()
        flow = Flow(id=secrets.token_hex(16), env_id=ctx.env.id, created_at=now, updated_at=now, current_version=1)
        flow.versions[1] = FlowVersion(1, doc, now, now)
        ctx.env.flows[flow.id] = flow
        return RawJSONResponse(self.render_flow(flow, ctx.env), status_code=201)

    async def _op_replace_flow(self, ctx: Ctx) -> Response:
        flow = self._get_flow(ctx)
        body = ctx.json_object()
        assert body is not None
        doc = self._flow_doc_from_body(body)
        self._apply_defaults(doc)
        now = self.emulator.now()
        number = max(flow.versions) + 1
        flow.versions[number] = FlowVersion(number, doc, now, now, list(flow.current.variable_refs))
        flow.current_version = number
        flow.updated_at = now
        return RawJSONResponse(self.render_flow(flow, ctx.env))

    async def _op_delete_flow(self, ctx: Ctx) -> Response:
        flow = self._get_flow(ctx)
        for policy in ctx.env.flow_policies:
            for dist in policy.get("flowDistributions", []) or []:
                if isinstance(dist, dict) and dist.get("id") == flow.id:
                    raise ApiError(400, "INVALID_DATA", VALIDATION_MESSAGE, [
                        {"code": "CONSTRAINT_VIOLATION", "target": "id",
                         "message": f"{POLICY_IN_USE_MESSAGE} (flow policy {policy.get('id')})"}])
        del ctx.env.flows[flow.id]
        for var_id in [v.id for v in ctx.env.variables.values() if v.context == "flow" and v.flow_id == flow.id]:
            del ctx.env.variables[var_id]
        return Response(status_code=204)

    async def _op_deploy_flow(self, ctx: Ctx) -> Response:
        flow = self._get_flow(ctx)
        ctx.json(required=False)  # optional body; must be JSON when present
        now = self.emulator.now()
        self._mark_deployed(flow, now)
        return RawJSONResponse(self.render_flow(flow, ctx.env), status_code=201)

    async def _op_clone_flow(self, ctx: Ctx) -> Response:
        source = self._get_flow(ctx)
        ctx.json_object(required=False)
        now = self.emulator.now()
        names = {f.name for f in ctx.env.flows.values()}
        base = f"{source.name} - Copy"
        name, counter = base, 2
        while name in names:
            name, counter = f"{base} {counter}", counter + 1
        doc = {**source.current.doc, "name": name}
        clone = Flow(id=secrets.token_hex(16), env_id=ctx.env.id, created_at=now, updated_at=now, current_version=1, enabled=source.enabled)
        clone.versions[1] = FlowVersion(1, doc, now, now, list(source.current.variable_refs))
        ctx.env.flows[clone.id] = clone
        return RawJSONResponse(self.render_flow(clone, ctx.env), status_code=201)

    async def _op_validate_flow(self, ctx: Ctx) -> Response:
        flow = self._get_flow(ctx)
        body = ctx.json_object(required=False) or {}
        doc = dict(flow.current.doc)
        if "graphData" in body:
            doc["graphData"] = body["graphData"]
        details = validate_flow_doc(doc)
        if details:
            raise invalid(details)
        return RawJSONResponse(self.render_flow(flow, ctx.env, doc=doc))

    async def _op_enable_flow(self, ctx: Ctx) -> Response:
        flow = self._get_flow(ctx)
        body = ctx.json_object()
        assert body is not None
        if "enabled" not in body:
            raise invalid([_detail("REQUIRED_VALUE", "enabled", "enabled is required")])
        if not isinstance(body["enabled"], bool):
            raise invalid([_detail("INVALID_VALUE", "enabled", "enabled must be a boolean")])
        flow.enabled = body["enabled"]
        return RawJSONResponse({"_links": {"self": {"href": self._flow_url(flow) + "/enabled"}}, "enabled": flow.enabled})

    # -- import ---------------------------------------------------------------------------------------
    @staticmethod
    def _from_legacy(legacy: dict) -> Incoming:
        """Legacy export object -> PingOne document (reference §6): owned keys dropped, renamed keys mapped, the rest verbatim."""
        doc: dict[str, t.Any] = {}
        enabled = True
        variables: list = []
        for key, value in legacy.items():
            if key in LEGACY_OWNED_KEYS:
                continue
            if key == "flowStatus":
                enabled = value == "enabled"
            elif key == "variables":
                variables = value if isinstance(value, list) else []
            elif key == "flowColor" and "color" not in legacy:
                doc["color"] = value
            elif key == "outputSchemaCompiled" and "outputSchema" not in legacy:
                doc["outputSchema"] = value
            else:
                doc[key] = value
        source = legacy.get("flowId")
        return Incoming(source if isinstance(source, str) else None, doc, enabled, variables)

    @staticmethod
    def _from_export(export: dict) -> Incoming:
        """PingOne export object (flow{id,name}, version, ...) -> document."""
        doc = {k: v for k, v in export.items() if k not in READ_ONLY_FLOW_KEYS}
        flow = export.get("flow") if isinstance(export.get("flow"), dict) else {}
        if "name" not in doc and "name" in flow:
            doc["name"] = flow["name"]
        variables = export.get("variables") if isinstance(export.get("variables"), list) else []
        source = flow.get("id")
        return Incoming(source if isinstance(source, str) else None, doc, bool(export.get("enabled", True)), variables)

    def _incoming_flows(self, flow_info: t.Any, legacy_only: bool) -> list[Incoming]:
        if not isinstance(flow_info, dict):
            raise invalid([_detail("INVALID_VALUE", "flowInfo", "flowInfo must be an object")])
        if "flows" in flow_info:  # legacy multi-flow export {flows: [...], companyId, customerId}
            flows = flow_info["flows"]
            if not isinstance(flows, list) or not flows or not all(isinstance(f, dict) for f in flows):
                raise invalid([_detail("INVALID_VALUE", "flowInfo.flows", "flows must be a non-empty array of flow objects")])
            incoming = [self._from_legacy(f) for f in flows]
            main_index = next((i for i, f in enumerate(flows) if f.get("parentFlowId") and f.get("parentFlowId") == f.get("flowId")), 0)
            incoming[main_index].is_main = True
            return incoming
        if not legacy_only and isinstance(flow_info.get("flow"), dict):  # PingOne export, optionally with _embedded subflows
            main = self._from_export(flow_info)
            main.is_main = True
            embedded = flow_info.get("_embedded") or []
            if not isinstance(embedded, list) or not all(isinstance(e, dict) for e in embedded):
                raise invalid([_detail("INVALID_VALUE", "flowInfo._embedded", "_embedded must be an array of flow exports")])
            return [main] + [self._from_export(e) for e in embedded]
        main = self._from_legacy(flow_info)
        main.is_main = True
        return [main]

    async def _op_import_flow(self, ctx: Ctx) -> Response:
        return await self._import(ctx, legacy_only=False)

    async def _op_import_flow_legacy(self, ctx: Ctx) -> Response:
        return await self._import(ctx, legacy_only=True)

    async def _import(self, ctx: Ctx, legacy_only: bool) -> Response:  # pylint: disable=too-many-locals
        body = ctx.json_object()
        assert body is not None
        details: list[dict] = []
        _check_string(body.get("name"), "name", details, required=True, max_len=256)
        _check_string(body.get("description"), "description", details, required=False, max_len=1024)
        if "flowInfo" not in body:
            details.append(_detail("REQUIRED_VALUE", "flowInfo", "flowInfo is required"))
        mapping = body.get("flowNameMapping")
        if mapping is None:
            details.append(_detail("REQUIRED_VALUE", "flowNameMapping", "flowNameMapping is required"))
        elif not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            details.append(_detail("INVALID_VALUE", "flowNameMapping", "flowNameMapping must map source flow IDs to names"))
        if details:
            raise invalid(details)
        incoming = self._incoming_flows(body["flowInfo"], legacy_only)
        for item in incoming:
            mapped = mapping.get(item.source_id) if item.source_id is not None else None
            if mapped is not None:
                item.doc["name"] = mapped
            elif item.is_main:
                item.doc["name"] = body["name"]
            if item.is_main and body.get("description") is not None:
                item.doc["description"] = body["description"]
        for index, item in enumerate(incoming):
            details.extend(validate_flow_doc(item.doc, "" if len(incoming) == 1 else f"flowInfo.flows[{index}]."))
        if details:
            raise invalid(details)
        now = self.emulator.now()
        id_map = {item.source_id: secrets.token_hex(16) for item in incoming if item.source_id is not None}
        created: list[Flow] = []
        for item in incoming:
            new_id = id_map.get(item.source_id) if item.source_id is not None else secrets.token_hex(16)
            assert new_id is not None
            self._remap_flow_refs(item.doc, id_map)
            self._apply_defaults(item.doc)
            refs = self._import_variables(ctx.env, item.variables, id_map, now)
            flow = Flow(id=new_id, env_id=ctx.env.id, created_at=now, updated_at=now, current_version=1, enabled=item.enabled)
            flow.versions[1] = FlowVersion(1, item.doc, now, now, refs)
            self._mark_deployed(flow, now)  # import deploys (the seed export shows version 1 / publishedVersion 1 after import)
            ctx.env.flows[flow.id] = flow
            created.append(flow)
        main_index = next(i for i, item in enumerate(incoming) if item.is_main)
        main = created[main_index]
        result = self.render_export(ctx.env, main, main.current, include_values=True)
        result["_links"] = {**self._flow_links(main), "flow.export": {"href": f"{self._flow_url(main)}/versions/{main.current_version}"}}
        subflows = [f for i, f in enumerate(created) if i != main_index]
        if subflows:
            result["_embedded"] = [self.render_export(ctx.env, f, f.current, include_values=True) for f in subflows]
        return RawJSONResponse(result, status_code=201)

    @staticmethod
    def _remap_flow_refs(doc: dict, id_map: dict[str, str]) -> None:
        """Point subflow references and parentFlowId at the new IDs of flows imported in the same request."""
        if not id_map:
            return
        parent = doc.get("parentFlowId")
        if isinstance(parent, str) and parent in id_map:
            doc["parentFlowId"] = id_map[parent]
        for node in _nodes(doc):
            ref = _subflow_ref(node)
            if ref is not None and isinstance(ref.get("value"), str) and ref["value"] in id_map:
                ref["value"] = id_map[ref["value"]]

    def _import_variables(self, env: Environment, items: list, id_map: dict[str, str], now: float) -> list[tuple[str, str, str | None]]:
        refs: list[tuple[str, str, str | None]] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise invalid([_detail("INVALID_VALUE", f"variables[{index}]", "each variable must be an object")])
            var = self._upsert_legacy_variable(env, item, id_map, now, keep_id=False)
            if var.key() not in refs:
                refs.append(var.key())
        return refs

    def _upsert_legacy_variable(self, env: Environment, item: dict, id_map: dict[str, str], now: float, *, keep_id: bool) -> Variable:
        raw_name = item.get("name")
        if not isinstance(raw_name, str) or not raw_name:
            raise invalid([_detail("REQUIRED_VALUE", "variables.name", "each variable needs a name")])
        parts = raw_name.split("##SK##")
        context = item.get("context") or (parts[1] if len(parts) > 1 else None)
        if context not in VARIABLE_CONTEXTS:
            raise invalid([_detail("INVALID_VALUE", "variables.context", f"variable {raw_name}: context must be one of {', '.join(VARIABLE_CONTEXTS)}")])
        flow_id = item.get("flowId") or (parts[2] if len(parts) > 2 else None)
        flow_id = id_map.get(flow_id, flow_id) if context == "flow" and isinstance(flow_id, str) else None
        key = (parts[0], context, flow_id)
        existing = self._find_variable(env, key)
        if existing is not None:
            return existing
        fields = item.get("fields") if isinstance(item.get("fields"), dict) else {}
        data_type = fields.get("type") if isinstance(fields.get("type"), str) else "string"
        var = Variable(
            id=str(item["id"]) if keep_id and item.get("id") else str(uuid.uuid4()), env_id=env.id, name=parts[0], context=context,
            data_type=data_type, flow_id=flow_id,
            attrs={k: fields[k] for k in ("displayName", "mutable", "min", "max", "value") if k in fields},
            created_at=now, updated_at=now,
            legacy={k: v for k, v in item.items() if k not in LEGACY_VARIABLE_OWNED},
            legacy_fields={k: v for k, v in fields.items() if k not in LEGACY_FIELD_KEYS})
        env.variables[var.id] = var
        return var

    # -- versions -------------------------------------------------------------------------------------
    async def _op_list_versions(self, ctx: Ctx) -> Response:
        flow = self._get_flow(ctx)
        items = [self.render_version(flow, v) for _n, v in sorted(flow.versions.items())]
        body = {"_links": {"self": {"href": self._flow_url(flow) + "/versions"}, "environment": {"href": self._env_url(flow.env_id)}},
                "_embedded": {"versions": items}}
        return RawJSONResponse(body)

    async def _op_get_version(self, ctx: Ctx) -> Response:
        flow = self._get_flow(ctx)
        return RawJSONResponse(self.render_version(flow, self._get_version(flow, ctx.params["version"])))

    async def _op_get_version_details(self, ctx: Ctx) -> Response:
        flow = self._get_flow(ctx)
        version = self._get_version(flow, ctx.params["version"])
        out = self.render_version(flow, version)
        out["_links"] = {"self": {"href": out["_links"]["details"]["href"]}, "environment": out["_links"]["environment"],
                         "flowVersion": out["_links"]["self"]}
        env_url = self._env_url(flow.env_id)
        for node in _nodes(version.doc):
            data = _node_data(node)
            if isinstance(data.get("connectionId"), str) and data["connectionId"] in ctx.env.instances:
                out["_links"][f"connectorInstances.{data.get('id')}"] = {"href": f"{env_url}/connectorInstances/{data['connectionId']}"}
        for key, value in version.doc.items():
            out.setdefault(key, value)
        out["connectors"] = [{"id": c} for c in connector_ids(version.doc)]
        out["enabled"] = flow.enabled
        return RawJSONResponse(out)

    async def _op_export_version(self, ctx: Ctx) -> Response:
        flow = self._get_flow(ctx)
        version = self._get_version(flow, ctx.params["version"])
        body = ctx.json_object(required=False) or {}
        details = [_detail("INVALID_VALUE", key, f"{key} must be a boolean")
                   for key in ("includeSubFlows", "includeVariableValues", "includeForms") if key in body and not isinstance(body[key], bool)]
        if details:
            raise invalid(details)
        include_values = bool(body.get("includeVariableValues", False))
        out = self.render_export(ctx.env, flow, version, include_values)
        if body.get("includeSubFlows", False):
            out["_embedded"] = self._subflow_exports(ctx.env, flow, version, include_values)
        return RawJSONResponse(out)

    async def _op_revert_version(self, ctx: Ctx) -> Response:
        flow = self._get_flow(ctx)
        version = self._get_version(flow, ctx.params["version"])
        ctx.json(required=False)
        now = self.emulator.now()
        number = max(flow.versions) + 1
        flow.versions[number] = FlowVersion(number, version.doc, now, now, list(version.variable_refs))
        flow.current_version = number
        flow.updated_at = now
        return RawJSONResponse(self.render_flow(flow, ctx.env))

    async def _op_set_version_alias(self, ctx: Ctx) -> Response:
        flow = self._get_flow(ctx)
        version = self._get_version(flow, ctx.params["version"])
        body = ctx.json_object()
        assert body is not None
        details: list[dict] = []
        _check_string(body.get("alias"), "alias", details, required=True, max_len=256)
        if details:
            raise invalid(details)
        version.alias = body["alias"]
        links = self._version_links(flow, version.number)
        body = {"_links": {"self": {"href": links["self"]["href"] + "/alias"}, "environment": links["environment"], "flowVersion": links["self"]},
                "alias": version.alias}
        return RawJSONResponse(body)

    async def _op_delete_version(self, ctx: Ctx) -> Response:
        flow = self._get_flow(ctx)
        version = self._get_version(flow, ctx.params["version"])
        if version.number in (flow.current_version, flow.published_version):
            raise ApiError(400, "INVALID_DATA", VALIDATION_MESSAGE, [
                {"code": "CONSTRAINT_VIOLATION", "target": "version", "message": "The current or the deployed version of a flow cannot be deleted."}])
        del flow.versions[version.number]
        return Response(status_code=204)

    # -- variables ------------------------------------------------------------------------------------
    def _variable_from_body(self, env: Environment, body: dict, existing: Variable | None) -> Variable:  # pylint: disable=too-many-branches
        details: list[dict] = []
        _check_string(body.get("name"), "name", details, required=True, max_len=256)
        context, data_type = body.get("context"), body.get("dataType")
        if context is None:
            details.append(_detail("REQUIRED_VALUE", "context", "context is required"))
        elif context not in VARIABLE_CONTEXTS:
            details.append(_detail("INVALID_VALUE", "context", f"context must be one of {', '.join(VARIABLE_CONTEXTS)}"))
        if data_type is None:
            details.append(_detail("REQUIRED_VALUE", "dataType", "dataType is required"))
        elif data_type not in VARIABLE_CREATE_TYPES:
            details.append(_detail("INVALID_VALUE", "dataType", f"dataType must be one of {', '.join(VARIABLE_CREATE_TYPES)}"))
        if "mutable" not in body:
            details.append(_detail("REQUIRED_VALUE", "mutable", "mutable is required"))
        elif not isinstance(body["mutable"], bool):
            details.append(_detail("INVALID_VALUE", "mutable", "mutable must be a boolean"))
        _check_string(body.get("displayName"), "displayName", details, required=False, max_len=256)
        flow = body.get("flow")
        flow_id = flow.get("id") if isinstance(flow, dict) else None
        if context == "flow":
            if not isinstance(flow_id, str) or not flow_id:
                details.append(_detail("REQUIRED_VALUE", "flow.id", "flow.id is required when context is flow"))
            elif flow_id not in env.flows:
                details.append(_detail("INVALID_VALUE", "flow.id", f"No flow with ID '{flow_id}' exists in this environment"))
        elif flow is not None:
            details.append(_detail("INVALID_VALUE", "flow", "flow may only be set when context is flow"))
        if data_type == "secret" and context is not None and context != "company":
            details.append(_detail("INVALID_VALUE", "dataType", "secret variables must use the company context"))
        for key in ("min", "max"):
            if key in body and not _is_int(body[key]):
                details.append(_detail("INVALID_VALUE", key, f"{key} must be an integer"))
        if _is_int(body.get("min", 0)) and _is_int(body.get("max", 2000)) and float(body.get("min", 0)) > float(body.get("max", 2000)):
            details.append(_detail("INVALID_VALUE", "min", "min must not be greater than max"))
        if "value" in body:
            details.extend(self._check_variable_value(body["value"], data_type))
        elif body.get("mutable") is False:
            details.append(_detail("INVALID_VALUE", "mutable", "mutable must be true when no value is set"))
        if details:
            raise invalid(details)
        key = (body["name"], context, flow_id if context == "flow" else None)
        clash = self._find_variable(env, key)
        if clash is not None and (existing is None or clash.id != existing.id):
            raise invalid([_detail("UNIQUENESS_VIOLATION", "name", f"A variable named '{body['name']}' already exists in context {context}")])
        now = self.emulator.now()
        return Variable(
            id=existing.id if existing else str(uuid.uuid4()), env_id=env.id, name=body["name"], context=context, data_type=data_type,
            flow_id=key[2], attrs={k: body[k] for k in VARIABLE_OPTIONAL if k in body},
            created_at=existing.created_at if existing else now, updated_at=now,
            legacy=existing.legacy if existing else {}, legacy_fields=existing.legacy_fields if existing else {})

    @staticmethod
    def _check_variable_value(value: t.Any, data_type: t.Any) -> list[dict]:
        """Typed values, or their string forms (the service stores UI-created values as strings)."""
        if isinstance(value, str):
            ok = True
            if data_type == "boolean":
                ok = value in ("true", "false")
            elif data_type == "number":
                try:
                    ok = math.isfinite(float(value))
                except ValueError:
                    ok = False
        elif data_type == "boolean":
            ok = isinstance(value, bool)
        elif data_type == "number":
            ok = _is_number(value)
        elif data_type == "object":
            ok = isinstance(value, dict)
        else:
            ok = False
        return [] if ok else [_detail("INVALID_VALUE", "value", f"value does not match dataType {data_type}")]

    def _get_variable(self, ctx: Ctx) -> Variable:
        var = ctx.env.variables.get(ctx.params["variable_id"])
        if var is None:
            raise not_found("variable", ctx.params["variable_id"])
        return var

    async def _op_list_variables(self, ctx: Ctx) -> Response:
        query = ctx.request.query_params
        limit_raw = query.get("limit")
        limit = VARIABLES_PAGE_DEFAULT
        if limit_raw is not None:
            if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= VARIABLES_PAGE_MAX:
                raise ApiError(400, "INVALID_DATA", VALIDATION_MESSAGE,
                               [_detail("INVALID_VALUE", "limit", f"limit must be an integer from 1 to {VARIABLES_PAGE_MAX}")])
            limit = int(limit_raw)
        offset = self._decode_cursor(query.get("cursor"))
        matches = self._variable_filter(query.get("filter"))
        variables = sorted((v for v in ctx.env.variables.values() if matches(v)), key=lambda v: (v.created_at, v.id))
        page = variables[offset:offset + limit]
        env_url = self._env_url(ctx.env.id)
        links: dict[str, t.Any] = {"self": {"href": self._self_href(ctx)}, "environment": {"href": env_url}}
        if offset + limit < len(variables):
            params = {"limit": str(limit), "cursor": self._encode_cursor(offset + limit)}
            if query.get("filter"):
                params["filter"] = query["filter"]
            links["next"] = {"href": f"{env_url}/variables?" + "&".join(f"{k}={_quote(v)}" for k, v in params.items())}
        body = {"_links": links, "_embedded": {"variables": [self.render_variable(v) for v in page]}, "size": len(page), "count": len(variables)}
        return RawJSONResponse(body)

    def _self_href(self, ctx: Ctx) -> str:
        query = ctx.request.url.query
        return f"{self._env_url(ctx.env.id)}/variables" + (f"?{query}" if query else "")

    @staticmethod
    def _encode_cursor(offset: int) -> str:
        return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")

    @staticmethod
    def _decode_cursor(cursor: str | None) -> int:
        if cursor is None:
            return 0
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            if not text.startswith("offset:"):
                raise ValueError(text)
            offset = int(text[len("offset:"):])
            if offset < 0:
                raise ValueError(text)
            return offset
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise ApiError(400, "INVALID_DATA", VALIDATION_MESSAGE, [_detail("INVALID_VALUE", "cursor", "The cursor is not valid")]) from exc

    @staticmethod
    def _variable_filter(expression: str | None) -> t.Callable[[Variable], bool]:
        """A small SCIM-style filter: ``attr eq "value"`` clauses joined with ``and`` (name, context, dataType, flow.id)."""
        if not expression:
            return lambda _v: True
        getters: dict[str, t.Callable[[Variable], t.Any]] = {
            "name": lambda v: v.name, "context": lambda v: v.context, "dataType": lambda v: v.data_type, "flow.id": lambda v: v.flow_id}
        clauses = []
        for clause in re.split(r"\s+and\s+", expression.strip(), flags=re.IGNORECASE):
            found = re.fullmatch(r'\s*([A-Za-z.]+)\s+eq\s+"([^"]*)"\s*', clause)
            if not found or found.group(1) not in getters:
                raise ApiError(400, "INVALID_DATA", VALIDATION_MESSAGE,
                               [_detail("INVALID_FILTER", "filter", f"Unsupported filter expression: {clause.strip()}")])
            clauses.append((getters[found.group(1)], found.group(2)))
        return lambda v: all(getter(v) == value for getter, value in clauses)

    async def _op_create_variable(self, ctx: Ctx) -> Response:
        body = ctx.json_object()
        assert body is not None
        var = self._variable_from_body(ctx.env, body, None)
        ctx.env.variables[var.id] = var
        return RawJSONResponse(self.render_variable(var), status_code=201)

    async def _op_get_variable(self, ctx: Ctx) -> Response:
        return RawJSONResponse(self.render_variable(self._get_variable(ctx)))

    async def _op_replace_variable(self, ctx: Ctx) -> Response:
        existing = self._get_variable(ctx)
        body = ctx.json_object()
        assert body is not None
        var = self._variable_from_body(ctx.env, body, existing)
        ctx.env.variables[var.id] = var
        return RawJSONResponse(self.render_variable(var))

    async def _op_delete_variable(self, ctx: Ctx) -> Response:
        var = self._get_variable(ctx)
        del ctx.env.variables[var.id]
        return Response(status_code=204)

    # -- connector instances / connectors -------------------------------------------------------------
    def render_instance(self, inst: ConnectorInstance) -> dict:
        base = f"{self._env_url(inst.env_id)}/connectorInstances/{inst.id}"
        out: dict[str, t.Any] = {"_links": {"self": {"href": base}, "environment": {"href": self._env_url(inst.env_id)},
                                            "connectorInstance.clone": {"href": base},
                                            "connector": {"href": f"{self._env_url(inst.env_id)}/connectors/{inst.connector_id}"}},
                                 **inst.extra, "id": inst.id, "name": inst.name, "connector": {"id": inst.connector_id},
                                 "environment": {"id": inst.env_id}}
        if inst.properties is not None:
            out["properties"] = inst.properties
        out.update({"createdAt": iso(inst.created_at), "updatedAt": iso(inst.updated_at)})
        return out

    def _get_instance(self, ctx: Ctx) -> ConnectorInstance:
        inst = ctx.env.instances.get(ctx.params["instance_id"])
        if inst is None:
            raise not_found("connector instance", ctx.params["instance_id"])
        return inst

    @staticmethod
    def _instance_fields(body: dict) -> tuple[str, str, dict | None]:
        details: list[dict] = []
        _check_string(body.get("name"), "name", details, required=True, max_len=256)
        connector = body.get("connector")
        if not isinstance(connector, dict) or not isinstance(connector.get("id"), str) or not connector["id"]:
            details.append(_detail("REQUIRED_VALUE", "connector.id", "connector.id is required"))
        properties = body.get("properties")
        if properties is not None and not isinstance(properties, dict):
            details.append(_detail("INVALID_VALUE", "properties", "properties must be an object"))
        if details:
            raise invalid(details)
        return body["name"], connector["id"], properties

    async def _op_list_instances(self, ctx: Ctx) -> Response:
        env_url = self._env_url(ctx.env.id)
        items = [self.render_instance(i) for i in ctx.env.instances.values()]
        return RawJSONResponse({"_links": {"self": {"href": env_url + "/connectorInstances"}, "environment": {"href": env_url}},
                                "_embedded": {"connectorInstances": items}})

    async def _op_get_instance(self, ctx: Ctx) -> Response:
        return RawJSONResponse(self.render_instance(self._get_instance(ctx)))

    async def _op_create_instance(self, ctx: Ctx) -> Response:
        body = ctx.json_object()
        assert body is not None
        name, connector_id, properties = self._instance_fields(body)
        now = self.emulator.now()
        inst = ConnectorInstance(secrets.token_hex(16), ctx.env.id, name, connector_id, properties, now, now)
        ctx.env.instances[inst.id] = inst
        return RawJSONResponse(self.render_instance(inst), status_code=201)

    async def _op_replace_instance(self, ctx: Ctx) -> Response:
        inst = self._get_instance(ctx)
        body = ctx.json_object()
        assert body is not None
        inst.name, inst.connector_id, inst.properties = self._instance_fields(body)
        inst.updated_at = self.emulator.now()
        return RawJSONResponse(self.render_instance(inst))

    async def _op_delete_instance(self, ctx: Ctx) -> Response:
        inst = self._get_instance(ctx)
        del ctx.env.instances[inst.id]
        return Response(status_code=204)

    async def _op_clone_instance(self, ctx: Ctx) -> Response:
        source = self._get_instance(ctx)
        ctx.json_object(required=False)
        now = self.emulator.now()
        inst = ConnectorInstance(secrets.token_hex(16), ctx.env.id, f"{source.name} - Copy", source.connector_id,
                                 source.properties, now, now, dict(source.extra))
        ctx.env.instances[inst.id] = inst
        return RawJSONResponse(self.render_instance(inst), status_code=201)

    def _connector_ids(self, env: Environment) -> list[str]:
        seen: dict[str, None] = {}
        for inst in env.instances.values():
            seen.setdefault(inst.connector_id, None)
        for flow in env.flows.values():
            for cid in connector_ids(flow.current.doc):
                seen.setdefault(cid, None)
        return list(seen)

    def _render_connector(self, env: Environment, cid: str) -> dict:
        return {"_links": {"self": {"href": f"{self._env_url(env.id)}/connectors/{cid}"}, "environment": {"href": self._env_url(env.id)}},
                "id": cid, "name": cid}

    async def _op_list_connectors(self, ctx: Ctx) -> Response:
        env_url = self._env_url(ctx.env.id)
        items = [self._render_connector(ctx.env, cid) for cid in self._connector_ids(ctx.env)]
        return RawJSONResponse({"_links": {"self": {"href": env_url + "/connectors"}, "environment": {"href": env_url}},
                                "_embedded": {"connectors": items}})

    async def _op_get_connector(self, ctx: Ctx) -> Response:
        cid = ctx.params["connector_id"]
        if cid not in self._connector_ids(ctx.env):
            raise not_found("connector", cid)
        return RawJSONResponse(self._render_connector(ctx.env, cid))


def _quote(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.~-]", lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), value)
