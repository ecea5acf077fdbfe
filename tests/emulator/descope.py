"""Descope management API emulator: flows, theme and license (reference: shared/reference/descope.md).

Tenants are projects, authenticated with ``Authorization: Bearer <projectId>:<managementKey>``.
Flows are stored exactly as imported (number literals, key and list order kept) and exported back verbatim,
unless a per-project server behaviour is switched on (see README.md, "Descope").
"""
from __future__ import annotations

import copy
import hashlib
import re
import typing as t
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator.core import RawJSONResponse, loads

# Built-in flows that the console refuses to delete (https://docs.descope.com/flows/manage-flows; reference §1.1).
BUILTIN_FLOWS = frozenset({"sign-up-or-in", "sign-up", "sign-in", "step-up"})
DEFAULT_COMPONENTS_VERSION = "2.0.463"
FLOW_ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")  # TF MachineIDValidator (reference §5.5)
BEHAVIOURS = ("bump_components_version", "add_server_defaults", "fill_empty_metadata", "missing_flow_400")
SERVER_DEFAULT_KEY = "serverDefault"  # the key newer TF's emulator test injects (reference §5.5)

# Published codes (reference §4) and the emulator's own choice where no public source gives one (documented in README.md).
ERROR_CODES: dict[int, tuple[str, str]] = {
    400: ("E011003", "Request is invalid"),
    401: ("E401000", "Unauthorized"),
    403: ("E403000", "Forbidden"),
    404: ("E404000", "Not found"),
    405: ("E011001", "Bad request"),
    429: ("E130429", "Rate limit exceeded"),
}
WRITE_PATHS = frozenset({
    "/v2/mgmt/flow/import", "/v1/mgmt/flow/import", "/v1/mgmt/flow/delete", "/v2/mgmt/theme/import", "/v1/mgmt/theme/import",
})
# The answer to an export of a missing flow with the missing_flow_400 behaviour: a plain validation error whose
# text says nothing about absence (reference §10 leaves the real status and wording open).
MISSING_FLOW_400_MESSAGE = "Failed to load flow for export"


class DescopeError(Exception):
    """An API error answered in Descope's error shape."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


@dataclass
class Project:
    project_id: str
    management_key: str
    flows: dict[str, dict] = field(default_factory=dict)
    theme: dict | None = None
    components_version: str = DEFAULT_COMPONENTS_VERSION
    rate_limit_tier: str = "tier1"
    behaviour: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(BEHAVIOURS, False))
    versions: dict[str, dict] = field(default_factory=dict)  # flowId -> {"version": n, "modifiedTime": epoch}

    def to_seed(self) -> dict:
        data: dict[str, t.Any] = {
            "project_id": self.project_id, "management_key": self.management_key,
            "flows": copy.deepcopy(self.flows), "components_version": self.components_version,
            "rate_limit_tier": self.rate_limit_tier, "behaviour": dict(self.behaviour), "versions": copy.deepcopy(self.versions),
        }
        if self.theme is not None:
            data["theme"] = copy.deepcopy(self.theme)
        return data


def _error_body(status: int, message: str, code: str | None = None) -> dict:
    """Descope's error body (reference §4): ``errorDescription`` is the code's fixed text ("Request is invalid" for
    E011003), ``errorMessage`` the detail of this failure (as for E113007, "whose errorMessage holds the details")."""
    default_code, description = ERROR_CODES.get(status, (f"E{status:03d}000", "Server error" if status >= 500 else "Request failed"))
    return {"errorCode": code or default_code, "errorDescription": description, "errorMessage": message}


class DescopeProvider:
    """The Descope provider of the emulator (see core.Provider)."""

    name = "descope"

    def __init__(self, emulator: t.Any) -> None:
        self.emulator = emulator
        self.projects: dict[str, Project] = {}

    # -- contract ------------------------------------------------------------------------------------
    def owns(self, path: str) -> bool:
        return path.startswith(("/v1/mgmt/", "/v2/mgmt/"))

    def tenant_of(self, request: Request) -> str | None:
        token = _bearer(request)
        if not token or ":" not in token:
            return None
        return token.split(":", 1)[0]

    def is_write(self, method: str, path: str) -> bool:
        return method.upper() == "POST" and path.rstrip("/") in WRITE_PATHS

    def error_response(self, status: int, message: str, retry_after: str | None = None) -> Response:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return RawJSONResponse(_error_body(status, message), status_code=status, headers=headers)

    def reset(self) -> None:
        self.projects = {}

    def snapshot(self) -> dict:
        return {"projects": [project.to_seed() for project in self.projects.values()]}

    def seed(self, data: dict) -> None:
        projects = data.get("projects", [])
        if not isinstance(projects, list):
            raise ValueError("descope.projects must be a list")
        for item in projects:
            self._seed_project(item)

    def _seed_project(self, item: dict) -> None:
        if not isinstance(item, dict) or not isinstance(item.get("project_id"), str) or not item["project_id"]:
            raise ValueError("each project needs a non-empty string project_id")
        pid = item["project_id"]
        project = self.projects.get(pid)
        if project is None:
            if not isinstance(item.get("management_key"), str) or not item["management_key"]:
                raise ValueError(f"project {pid} needs a management_key")
            project = self.projects[pid] = Project(pid, item["management_key"])
        elif "management_key" in item:
            project.management_key = str(item["management_key"])
        for key in ("components_version", "rate_limit_tier"):
            if key in item:
                setattr(project, key, str(item[key]))
        project.behaviour.update(_behaviour(item.get("behaviour", {})))
        flows = item.get("flows", {})
        if isinstance(flows, list):
            flows = {f.get("flowId"): f for f in flows if isinstance(f, dict)}
        if not isinstance(flows, dict):
            raise ValueError("flows must be an object {flowId: flow} or a list of flows")
        versions = item.get("versions", {})
        for flow_id, doc in flows.items():
            flow = _validate_flow(doc, flow_id)
            project.flows[flow_id] = copy.deepcopy(flow)
            project.versions[flow_id] = dict(versions.get(flow_id) or {"version": 1, "modifiedTime": int(self.emulator.now())})
        if "theme" in item:
            if not isinstance(item["theme"], dict):
                raise ValueError("theme must be an object")
            project.theme = copy.deepcopy(item["theme"])

    def control_routes(self) -> list[BaseRoute]:
        return [Route("/_emulator/descope/projects/{pid}/behaviour", self._behaviour_route, methods=["GET", "PUT"])]

    def routes(self) -> list[BaseRoute]:
        handlers: list[tuple[str, t.Callable[[Project, t.Any], t.Any]]] = [
            ("/v2/mgmt/flow/export", self._flow_export),
            ("/v2/mgmt/flow/import", self._flow_import),
            ("/v1/mgmt/flow/list", self._flow_list),
            ("/v1/mgmt/flow/delete", self._flow_delete),
            ("/v1/mgmt/flow/export", self._flow_export_v1),
            ("/v1/mgmt/flow/import", self._flow_import_v1),
            ("/v2/mgmt/theme/export", self._theme_export),
            ("/v2/mgmt/theme/import", self._theme_import),
            ("/v1/mgmt/theme/export", self._theme_export_v1),
            ("/v1/mgmt/theme/import", self._theme_import_v1),
        ]
        routes: list[BaseRoute] = [Route(path, self._endpoint(fn), methods=["POST"]) for path, fn in handlers]
        routes.append(Route("/v1/mgmt/license", self._endpoint(self._license, body=False), methods=["GET"]))
        return routes

    # -- plumbing ------------------------------------------------------------------------------------
    def _endpoint(self, fn: t.Callable[[Project, t.Any], t.Any], body: bool = True) -> t.Callable[[Request], t.Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                project = self._authenticate(request)
                payload = await _json_body(request) if body else None
                result = fn(project, payload)
            except DescopeError as exc:
                return RawJSONResponse(_error_body(exc.status, exc.message, exc.code), status_code=exc.status)
            return RawJSONResponse(result)
        return endpoint

    def _authenticate(self, request: Request) -> Project:
        token = _bearer(request)
        if token is None:
            raise DescopeError(401, "Missing or malformed Authorization header (expected 'Bearer <projectId>:<managementKey>')")
        if ":" not in token:
            raise DescopeError(401, "Authorization must be '<projectId>:<managementKey>'")
        pid, rest = token.split(":", 1)
        key = rest.rsplit(":", 1)[-1]  # Python inserts an optional password segment in between (reference §3)
        project = self.projects.get(pid)
        # An unknown project and a wrong key answer the same 401, so project ids cannot be probed (reference §9.3 leaves it open).
        if project is None or not key or key != project.management_key:
            raise DescopeError(401, "Invalid management key or project id")
        return project

    async def _behaviour_route(self, request: Request) -> Response:
        project = self.projects.get(request.path_params["pid"])
        if project is None:
            return RawJSONResponse({"error": f"no project {request.path_params['pid']}"}, status_code=404)
        if request.method == "PUT":
            try:
                body = loads(await request.body() or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("body must be an object")
                if "components_version" in body:
                    project.components_version = str(body.pop("components_version"))
                project.behaviour.update(_behaviour(body))
            except ValueError as exc:
                return RawJSONResponse({"error": str(exc)}, status_code=400)
        return RawJSONResponse({**project.behaviour, "components_version": project.components_version})

    # -- flows ---------------------------------------------------------------------------------------
    def _flow_export(self, project: Project, body: t.Any) -> dict:
        flow_id = _flow_id_arg(body, "flowId")
        return {"flow": self._exported(project, flow_id)}

    def _exported(self, project: Project, flow_id: str) -> dict:
        stored = project.flows.get(flow_id)
        if stored is None:
            if project.behaviour.get("missing_flow_400"):
                raise DescopeError(400, MISSING_FLOW_400_MESSAGE)
            raise DescopeError(404, f"Flow {flow_id} not found")
        flow = copy.deepcopy(stored)
        if project.behaviour.get("fill_empty_metadata"):
            metadata = flow.setdefault("metadata", {})
            metadata.setdefault("description", "")
            metadata.setdefault("disabled", False)
        if project.behaviour.get("add_server_defaults"):
            flow[SERVER_DEFAULT_KEY] = True
        return flow

    def _flow_import(self, project: Project, body: t.Any) -> dict:
        body = _object(body)
        for key, kind in (("skipRender", bool), ("changelog", str)):
            if key in body and not isinstance(body[key], kind):
                raise DescopeError(400, f"{key} must be a {kind.__name__}")
        flow = body.get("flow")
        if not isinstance(flow, dict):
            raise DescopeError(400, "flow must be an object")
        flow_id = flow.get("flowId")
        if not isinstance(flow_id, str) or not flow_id:
            raise DescopeError(400, "flow.flowId is required")
        self._store(project, flow_id, flow)
        return {}

    def _store(self, project: Project, flow_id: str, flow: dict) -> None:
        try:
            flow = copy.deepcopy(_validate_flow(flow, flow_id))
        except ValueError as exc:
            raise DescopeError(400, str(exc)) from exc
        if project.behaviour.get("bump_components_version"):
            flow["metadata"]["componentsVersion"] = project.components_version
        project.flows[flow_id] = flow
        previous = project.versions.get(flow_id, {}).get("version", 0)
        project.versions[flow_id] = {"version": previous + 1, "modifiedTime": int(self.emulator.now())}

    def _flow_list(self, project: Project, body: t.Any) -> dict:
        body = _object(body) if body is not None else {}
        ids = body.get("ids")
        if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
            raise DescopeError(400, "ids must be a list of strings")
        flows = []
        for flow_id, flow in project.flows.items():
            if ids and flow_id not in ids:
                continue
            metadata = flow.get("metadata", {})
            flows.append({
                "id": flow_id, "name": metadata.get("name", ""), "description": metadata.get("description", ""),
                "disabled": bool(metadata.get("disabled", False)),
            })
        return {"flows": flows, "total": len(flows)}

    def _flow_delete(self, project: Project, body: t.Any) -> dict:
        ids = _object(body).get("ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
            raise DescopeError(400, "ids must be a non-empty list of flow ids")
        builtin = sorted(set(ids) & BUILTIN_FLOWS)
        if builtin:
            raise DescopeError(400, f"Built-in flows cannot be deleted: {', '.join(builtin)}")
        for flow_id in ids:  # unknown ids are ignored: deleting is idempotent (README "Descope", deliberate choice)
            project.flows.pop(flow_id, None)
            project.versions.pop(flow_id, None)
        return {}

    # -- legacy v1 flow format (reference §2.2) --------------------------------------------------------
    def _flow_export_v1(self, project: Project, body: t.Any) -> dict:
        flow_id = _flow_id_arg(body, "flowId")
        flow = self._exported(project, flow_id)
        metadata = flow.get("metadata", {})
        meta = project.versions.get(flow_id, {"version": 1, "modifiedTime": 0})
        v1: dict[str, t.Any] = {
            "id": flow_id, "version": meta["version"], "name": metadata.get("name", ""),
            "description": metadata.get("description", ""), "dsl": flow.get("contents", {}), "modifiedTime": meta["modifiedTime"],
            "etag": hashlib.sha256(f"{flow_id}:{meta['version']}".encode()).hexdigest()[:16],
            "disabled": bool(metadata.get("disabled", False)),
        }
        translation = metadata.get("translation") or {}
        for v1_key, v2_key in (("translate", "enabled"), ("translateConnectorID", "connectorId"),
                               ("translateSourceLang", "sourceLanguage"), ("translateTargetLangs", "targetLanguages")):
            if v2_key in translation:
                v1[v1_key] = translation[v2_key]
        for key in ("fingerprint", "widget", "sharedInteractions"):
            if key in metadata:
                v1[key] = metadata[key]
        screens = [{
            "id": screen.get("screenId"), "version": meta["version"], "flowId": flow_id,
            "interactions": screen.get("interactions", []), "htmlTemplate": screen.get("contents", {}),
            "componentsVersion": metadata.get("componentsVersion", project.components_version),
        } for screen in flow.get("screens", []) if isinstance(screen, dict)]
        return {"flow": v1, "screens": screens}

    def _flow_import_v1(self, project: Project, body: t.Any) -> dict:
        body = _object(body)
        flow_id = _flow_id_arg(body, "flowId")
        v1 = body.get("flow")
        screens = body.get("screens", [])
        if not isinstance(v1, dict) or not isinstance(screens, list) or not all(isinstance(s, dict) for s in screens):
            raise DescopeError(400, "flow must be an object and screens a list of objects")
        # descopecli's console -> v2 conversion (reference §2.2)
        metadata: dict[str, t.Any] = {key: v1[key] for key in ("name", "description", "disabled", "fingerprint", "widget", "sharedInteractions")
                                      if key in v1}
        versions = [s["componentsVersion"] for s in screens if isinstance(s.get("componentsVersion"), str)]
        if versions:
            metadata["componentsVersion"] = versions[0]
        translation = {v2_key: v1[v1_key] for v1_key, v2_key in (("translate", "enabled"), ("translateConnectorID", "connectorId"),
                                                                 ("translateSourceLang", "sourceLanguage"), ("translateTargetLangs", "targetLanguages"))
                       if v1_key in v1}
        if translation:
            metadata["translation"] = translation
        flow = {
            "flowId": flow_id, "metadata": metadata, "contents": v1.get("dsl", {}),
            "screens": [{"screenId": s.get("id"), "interactions": s.get("interactions", []), "contents": s.get("htmlTemplate", {})} for s in screens],
            "references": {},
        }
        self._store(project, flow_id, flow)
        return self._flow_export_v1(project, {"flowId": flow_id})

    # -- theme ---------------------------------------------------------------------------------------
    def _theme_export(self, project: Project, body: t.Any) -> dict:
        if body is not None:
            _object(body)
        theme = project.theme if project.theme is not None else {"componentsVersion": project.components_version, "styles": {}}
        return {"theme": copy.deepcopy(theme)}

    def _theme_import(self, project: Project, body: t.Any) -> dict:
        theme = _object(body).get("theme")
        if not isinstance(theme, dict):
            raise DescopeError(400, "theme must be an object")
        styles = theme.get("styles", {})
        if not isinstance(styles, dict) or not all(isinstance(v, dict) for v in styles.values()):
            raise DescopeError(400, "theme.styles must be an object of style objects")
        stored = project.theme if project.theme is not None else {"styles": {}}
        if not isinstance(stored.get("styles"), dict):
            stored["styles"] = {}
        for key, value in theme.items():
            if key != "styles":
                stored[key] = copy.deepcopy(value)
        for style_id, style in styles.items():  # upsert by style key; styles missing from the payload stay (reference §1.2)
            stored["styles"][style_id] = copy.deepcopy(style)
        if project.behaviour.get("bump_components_version"):
            stored["componentsVersion"] = project.components_version
        project.theme = stored
        return {}

    # -- legacy v1 theme (reference §1.2) ------------------------------------------------------------------
    # The v1 shape is {"theme": {"id", "cssTemplate"}}; how cssTemplate maps to the v2 styles document is not published.
    # Emulator choice: cssTemplate is the whole stored theme document, so a v1 export followed by a v1 import restores
    # the theme exactly (what TF's styles test relies on) and v2 export shows what v1 import stored.
    def _theme_v1(self, project: Project) -> dict:
        theme = project.theme if project.theme is not None else {"componentsVersion": project.components_version, "styles": {}}
        theme_id = "TH" + hashlib.sha256(project.project_id.encode()).hexdigest()[:26]
        return {"theme": {"id": theme_id, "cssTemplate": copy.deepcopy(theme)}}

    def _theme_export_v1(self, project: Project, body: t.Any) -> dict:
        if body is not None:
            _object(body)
        return self._theme_v1(project)

    def _theme_import_v1(self, project: Project, body: t.Any) -> dict:
        theme = _object(body).get("theme")
        if not isinstance(theme, dict):
            raise DescopeError(400, "theme must be an object")
        css = theme.get("cssTemplate")
        if not isinstance(css, dict):
            raise DescopeError(400, "theme.cssTemplate must be an object")
        if "styles" in css and (not isinstance(css["styles"], dict) or not all(isinstance(v, dict) for v in css["styles"].values())):
            raise DescopeError(400, "theme.cssTemplate.styles must be an object of style objects")
        stored = copy.deepcopy(css)  # replaces the whole theme (reference §1.2, §9.6); the id is the project's own
        if project.behaviour.get("bump_components_version"):
            stored["componentsVersion"] = project.components_version
        project.theme = stored
        return self._theme_v1(project)

    # -- license -------------------------------------------------------------------------------------
    def _license(self, project: Project, _body: t.Any) -> dict:
        return {"rateLimitTier": project.rate_limit_tier}


# ---------------------------------------------------------------------------------------------------
def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _json_body(request: Request) -> t.Any:
    """The parsed JSON body, or None for an empty body (Python/Go SDKs send none on list and theme export)."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DescopeError(400, f"Malformed JSON body: {exc}") from exc


def _object(body: t.Any) -> dict:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise DescopeError(400, "Request body must be a JSON object")
    return body


def _flow_id_arg(body: t.Any, key: str) -> str:
    flow_id = _object(body).get(key)
    if not isinstance(flow_id, str) or not flow_id:
        raise DescopeError(400, f"{key} is required")
    return flow_id


def _validate_flow(doc: t.Any, flow_id: t.Any) -> dict:
    """Check a v2 exported flow; force its flowId to ``flow_id`` (the target id wins, reference §1.1). Raises ValueError."""
    if not isinstance(flow_id, str) or not FLOW_ID_RE.match(flow_id):
        raise ValueError(f"flowId {flow_id!r} must match {FLOW_ID_RE.pattern}")
    if not isinstance(doc, dict):
        raise ValueError("flow must be an object")
    if not isinstance(doc.get("metadata"), dict) or not isinstance(doc.get("contents"), dict):
        raise ValueError("flow must have 'metadata' and 'contents' objects")
    if "screens" in doc and not isinstance(doc["screens"], list):
        raise ValueError("flow.screens must be a list")
    if "references" in doc and not isinstance(doc["references"], dict):
        raise ValueError("flow.references must be an object")
    if doc.get("flowId") != flow_id:
        doc = {**doc, "flowId": flow_id}
    return doc


def _behaviour(data: t.Any) -> dict[str, bool]:
    if not isinstance(data, dict):
        raise ValueError("behaviour must be an object")
    unknown = set(data) - set(BEHAVIOURS)
    if unknown:
        raise ValueError(f"unknown behaviour(s) {sorted(unknown)}; known: {', '.join(BEHAVIOURS)}")
    if not all(isinstance(v, bool) for v in data.values()):
        raise ValueError("behaviour values must be booleans")
    return dict(data)
