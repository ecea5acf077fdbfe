"""Kore.ai "AI for Process" provider of the flowops emulator.

Emulates the public workflow export / import API (reference: shared/reference/koreai.md, section 10):
file upload (single and chunked), import a new workflow, import into an existing workflow (new version),
export (signed, expiring zip download), Get Dock Status (async job state machine), deploy and undeploy.
Tenants are Kore.ai accounts, authenticated by the ``x-api-key`` header. Errors use the XO envelope
``{"errors": [{"msg": ..., "code": ...}]}`` (reference sections 6 and 7.5).
"""
from __future__ import annotations

import base64
import contextvars
import copy
import hashlib
import hmac
import io
import mimetypes
import re
import secrets
import typing as t
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.core import FAULT_SCOPE_KEY, RawJSONResponse, dumps, loads

NAME = "koreai"
ITEM_RESOURCES = ("workflows", "workflow", "tools")  # /api/public/<res>/{id}/<action>  (reference 3.0, 10.1)
COLLECTION_RESOURCES = ("workflows", "tools")       # /api/public/<res>/import           (reference 3.0, 10.1)
ACTIONS = ("IMPORT", "EXPORT", "DEPLOY", "UNDEPLOY")
IN_PROGRESS, SUCCESS, FAILED = "IN_PROGRESS", "SUCCESS", "FAILED"
MSG_VALIDATION = "Validation errors/ Invalid arguments"
MSG_RATE_LIMIT = "You've exceeded the per-minute rate limit. Please wait for sometime before retrying."
MSG_INVALID_WORKFLOW = "Invalid workflowId"
MSG_INVALID_FILE = "Invalid file id"
MSG_INVALID_REQUEST = "Invalid request ID"
MSG_INVALID_SESSION = "Invalid session id"
PACKAGE_FILES = ("flow_definition.json", "app_definition.json", "env_variables.json")
DOC_KEYS = ("flow_definition", "app_definition", "env_variables")
DEFAULT_AUTH_ERROR: dict[str, t.Any] = {"status": 401, "msg": "Invalid SDK credentials", "code": 4002}

# Per-account behaviour switches; each may be given in an account's seed entry or set with PUT /_emulator/koreai/config.
DEFAULT_CONFIG: dict[str, t.Any] = {
    "job_delay_seconds": 0.2,             # IN_PROGRESS -> terminal after this many seconds of emulator.now()
    "emit_alt_spellings": False,          # dockStatusId / downloadURL instead of dock-statusId / downloadUrl
    "download_url_leading_space": False,  # reproduce the doc sample's " https://..." download URL
    "undeploy_id_key": "toolId",          # key of the workflow id in the undeploy response (doc quirk)
    "env_merge_policy": "keep_existing",  # import into existing: keep_existing | overwrite
    "export_default_version": "deployed",  # export without flowId: deployed (else latest) | latest (open question)
    "import_existing_immediate": False,   # import into existing answers SUCCESS at once (doc sample)
    "require_deployed_for_import": False,  # UI rule: import into existing needs a deployed parent
    "download_before_done_status": 409,   # download of an unfinished export: 404 | 409
    "download_url_ttl_seconds": 3600.0,   # signed download / media URL lifetime
    "upload_session_ttl_seconds": 3600.0,  # chunked upload session lifetime
    "max_upload_bytes": 25 * 1024 * 1024,  # single upload limit (reference 3.1)
}

Handler = t.Callable[[Request, "Account", str], t.Awaitable[Response]]

# The job_fail / job_stuck fault (core.MARK_FAULT_TYPES) that fired for the request being handled: set per request task
# by KoreAIProvider._api, taken by the first dock record that request creates.
_JOB_FAULT: contextvars.ContextVar[dict | None] = contextvars.ContextVar("koreai_job_fault", default=None)


class KoreError(Exception):
    """An API error answered with the XO envelope."""

    def __init__(self, status: int, msg: str, code: int | None = None) -> None:
        super().__init__(msg)
        self.status = status
        self.msg = msg
        self.code = status if code is None else code


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_int(value: t.Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_config(key: str, value: t.Any) -> t.Any:
    """Validate one per-account config value; return it normalised."""
    if key not in DEFAULT_CONFIG:
        raise ValueError(f"unknown koreai setting {key!r}")
    if key in ("emit_alt_spellings", "download_url_leading_space", "import_existing_immediate", "require_deployed_for_import"):
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be a boolean")
        return value
    if key == "undeploy_id_key":
        if value not in ("toolId", "workflowId"):
            raise ValueError("undeploy_id_key must be 'toolId' or 'workflowId'")
        return value
    if key == "export_default_version":
        if value not in ("deployed", "latest"):
            raise ValueError("export_default_version must be 'deployed' or 'latest'")
        return value
    if key == "env_merge_policy":
        if value not in ("keep_existing", "overwrite"):
            raise ValueError("env_merge_policy must be 'keep_existing' or 'overwrite'")
        return value
    if key == "download_before_done_status":
        if value not in (404, 409):
            raise ValueError("download_before_done_status must be 404 or 409")
        return value
    if key == "max_upload_bytes":
        if not _is_int(value) or value < 1:
            raise ValueError("max_upload_bytes must be a positive integer")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{key} must be a number >= 0")
    return float(value)


# ---------------------------------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------------------------------
@dataclass
class Version:
    version: int
    flow_id: str
    flow_definition: t.Any
    app_definition: t.Any
    env_variables: t.Any
    created_on: float

    def documents(self) -> dict[str, t.Any]:
        return {key: copy.deepcopy(getattr(self, key)) for key in DOC_KEYS}


@dataclass
class Workflow:
    id: str
    name: str
    versions: list[Version]
    deployed_version: int | None
    created_on: float
    updated_on: float

    @property
    def latest(self) -> Version:
        return max(self.versions, key=lambda v: v.version)

    def get_version(self, number: int) -> Version | None:
        return next((v for v in self.versions if v.version == number), None)

    @property
    def status(self) -> str:
        return "Deployed" if self.deployed_version == self.latest.version else "In Development"

    def version_status(self, version: Version) -> str:
        if version.version == self.deployed_version:
            return "Deployed"
        return "In Development" if version.version == self.latest.version else "Saved"

    def to_dict(self) -> dict:
        return {
            "id": self.id, "name": self.name, "status": self.status, "deployed_version": self.deployed_version,
            "created_on": self.created_on, "updated_on": self.updated_on,
            "versions": [{"version": v.version, "flow_id": v.flow_id, "status": self.version_status(v), "created_on": v.created_on,
                          **v.documents()} for v in self.versions],
        }


@dataclass
class StoredFile:
    id: str
    stored_name: str
    file_name: str
    context: str
    data: bytes
    created_on: float

    def to_dict(self) -> dict:
        return {"id": self.id, "stored_name": self.stored_name, "file_name": self.file_name, "context": self.context,
                "content_b64": base64.b64encode(self.data).decode("ascii"), "created_on": self.created_on}


@dataclass
class UploadSession:
    id: str
    file_context: str
    total_chunks: int
    file_name: str
    file_extension: str
    file_size: int | None
    expires_at: float
    chunks: dict[int, bytes] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"id": self.id, "file_context": self.file_context, "total_chunks": self.total_chunks, "file_name": self.file_name,
                "file_extension": self.file_extension, "file_size": self.file_size, "expires_at": self.expires_at,
                "chunks": {str(n): base64.b64encode(data).decode("ascii") for n, data in sorted(self.chunks.items())}}


@dataclass
class Job:
    """A dock-status record. ``outcome`` is decided when the job starts; ``status`` moves to it once ``ready_at`` passes."""

    id: str
    seq: int
    action: str
    resource: str
    workflow_id: str
    created_at: float
    ready_at: float
    outcome: str = SUCCESS
    reason: str | None = None
    stuck: bool = False
    status: str = IN_PROGRESS
    finished_at: float | None = None
    export_job_id: str | None = None
    payload: dict = field(default_factory=dict)

    @property
    def job_type(self) -> str:
        return "TOOLS" if self.resource == "tools" else "WORKFLOWS"

    @property
    def id_key(self) -> str:
        return "toolId" if self.resource == "tools" else "workflowId"

    def to_dict(self) -> dict:
        return {"id": self.id, "seq": self.seq, "action": self.action, "resource": self.resource, "workflow_id": self.workflow_id,
                "created_at": self.created_at, "ready_at": self.ready_at, "outcome": self.outcome, "reason": self.reason,
                "stuck": self.stuck, "status": self.status, "finished_at": self.finished_at, "export_job_id": self.export_job_id,
                "payload": copy.deepcopy(self.payload)}


@dataclass
class Account:
    id: str
    api_keys: list[str] = field(default_factory=list)
    config: dict[str, t.Any] = field(default_factory=dict)
    guardrails: list[str] | None = None
    workflows: dict[str, Workflow] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    sessions: dict[str, UploadSession] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    injections: list[dict] = field(default_factory=list)

    def take_injection(self, action: str) -> dict | None:
        for index, item in enumerate(self.injections):
            if item["action"] == action:
                return self.injections.pop(index)
        return None


# ---------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------
@dataclass
class FormPart:
    name: str
    filename: str | None
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def parse_multipart(body: bytes, content_type: str) -> dict[str, FormPart]:
    """Parse a multipart/form-data body. The boundary comes from Content-Type or, when a client declares another type
    (the docs table says application/json), is sniffed from the body's first line (reference 10.3)."""
    match = re.search(r'boundary="?([^";,]+)"?', content_type or "", re.IGNORECASE)
    if match:
        boundary = match.group(1).encode("latin-1")
    elif body.startswith(b"--") and b"\r\n" in body:
        boundary = body[2:body.index(b"\r\n")].strip()
    else:
        raise KoreError(412, MSG_VALIDATION)
    parts: dict[str, FormPart] = {}
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        headers = Message()
        for line in head.decode("utf-8", errors="replace").split("\r\n"):
            key, colon, value = line.partition(":")
            if colon:
                headers[key.strip()] = value.strip()
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        parts.setdefault(name, FormPart(name, headers.get_filename(), data))
    return parts


def _merge_key(item: t.Any) -> t.Any:
    if isinstance(item, dict):
        for key in ("key", "name"):
            if isinstance(item.get(key), str):
                return item[key]
    return None


def merge_env(existing: t.Any, imported: t.Any, policy: str) -> t.Any:
    """Env-var merge on import into an existing workflow (reference 3.3, 10.5).

    ``overwrite``: the imported document wins. ``keep_existing``: variables present in both keep the existing value,
    new variables are added, variables only present in the existing version are kept. Objects merge by key, arrays by
    each element's ``key`` (or ``name``); any other combination takes the imported document."""
    if policy == "overwrite":
        return copy.deepcopy(imported)
    if isinstance(existing, dict) and isinstance(imported, dict):
        merged = {k: copy.deepcopy(existing[k] if k in existing else v) for k, v in imported.items()}
        for key, value in existing.items():
            merged.setdefault(key, copy.deepcopy(value))
        return merged
    if isinstance(existing, list) and isinstance(imported, list):
        by_key = {_merge_key(item): item for item in existing if _merge_key(item) is not None}
        result, seen = [], set()
        for item in imported:
            key = _merge_key(item)
            result.append(copy.deepcopy(by_key.get(key, item) if key is not None else item))
            seen.add(key)
        result.extend(copy.deepcopy(item) for item in existing if _merge_key(item) is not None and _merge_key(item) not in seen)
        return result
    return copy.deepcopy(imported)


def build_package(documents: dict[str, t.Any]) -> bytes:
    """The export zip: exactly the three JSON members, deterministic bytes (fixed timestamps and order)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, key in zip(PACKAGE_FILES, DOC_KEYS):
            info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, dumps(documents[key]).encode("utf-8"))
    return buffer.getvalue()


def _guardrail_names(app_definition: t.Any) -> list[str]:
    items = app_definition.get("guardrails") if isinstance(app_definition, dict) else None
    if not isinstance(items, list):
        return []
    names = [item if isinstance(item, str) else item.get("name") if isinstance(item, dict) else None for item in items]
    return [name for name in names if isinstance(name, str)]


# ---------------------------------------------------------------------------------------------------
# Provider
# ---------------------------------------------------------------------------------------------------
class KoreAIProvider:  # pylint: disable=too-many-public-methods
    """Kore.ai AI for Process public API (workflows / tools, files, dock status)."""

    name = NAME
    # Fault rules of type job_fail / job_stuck (core.MARK_FAULT_TYPES): the dock record the matched request starts
    # (import, export, deploy, undeploy) FAILs with the rule's reason, or stays IN_PROGRESS for ever.
    scope_faults = ("job_fail", "job_stuck")

    def __init__(self, emulator: t.Any) -> None:
        self.emulator = emulator
        self.accounts: dict[str, Account] = {}
        self.keys: dict[str, str] = {}
        self.defaults: dict[str, t.Any] = dict(DEFAULT_CONFIG)
        self.auth_error: dict[str, t.Any] = dict(DEFAULT_AUTH_ERROR)
        self.signing_secret = secrets.token_hex(32)
        self.job_seq = 0

    # -- contract -----------------------------------------------------------------------------------
    def owns(self, path: str) -> bool:
        return path.startswith(("/api/public/", "/api/v1/account/", "/api/getMediaStream/"))

    def tenant_of(self, request: Request) -> str | None:
        key = request.headers.get("x-api-key")
        if key and key in self.keys:
            return self.keys[key]
        path = request.url.path
        match = re.match(r"^/api/v1/account/([^/]+)/", path)
        if match and match.group(1) in self.accounts:
            return match.group(1)
        match = re.match(r"^/api/getMediaStream/orgFiles/([^/]+)$", path)
        if match:
            found = self._find_file(match.group(1))
            return found[0].id if found else None
        return None

    def is_write(self, method: str, path: str) -> bool:
        if method.upper() != "POST":
            return False
        if path == "/api/public/files" or path.startswith("/api/public/files/session/"):
            return True
        if re.fullmatch(r"/api/public/(workflows|tools)/import", path):
            return True
        return re.fullmatch(r"/api/public/(workflows|workflow|tools)/[^/]+/(import|deploy|undeploy)", path) is not None

    def error_response(self, status: int, message: str, retry_after: str | None = None) -> Response:
        msg = MSG_RATE_LIMIT if status == 429 else message
        headers = {"Retry-After": retry_after} if retry_after else None
        return JSONResponse({"errors": [{"msg": msg, "code": status}]}, status_code=status, headers=headers)

    def reset(self) -> None:
        self.accounts = {}
        self.keys = {}
        self.defaults = dict(DEFAULT_CONFIG)
        self.auth_error = dict(DEFAULT_AUTH_ERROR)
        self.signing_secret = secrets.token_hex(32)
        self.job_seq = 0

    def snapshot(self) -> dict:
        accounts = []
        for account in self.accounts.values():
            self._settle(account)
            accounts.append({
                "id": account.id, "api_keys": list(account.api_keys), **account.config, "guardrails": account.guardrails,
                "workflows": [wf.to_dict() for wf in account.workflows.values()],
                "files": [f.to_dict() for f in account.files.values()],
                "upload_sessions": [s.to_dict() for s in account.sessions.values()],
                "jobs": [j.to_dict() for j in account.jobs.values()],
                "injections": copy.deepcopy(account.injections),
            })
        return {"signing_secret": self.signing_secret, "defaults": dict(self.defaults), "auth_error": dict(self.auth_error),
                "accounts": accounts}

    def seed(self, data: dict) -> None:
        unknown = set(data) - {"signing_secret", "defaults", "auth_error", "accounts"}
        if unknown:
            raise ValueError(f"unknown koreai seed keys: {', '.join(sorted(unknown))}")
        if "signing_secret" in data:
            if not isinstance(data["signing_secret"], str) or not data["signing_secret"]:
                raise ValueError("signing_secret must be a non-empty string")
            self.signing_secret = data["signing_secret"]
        for key, value in (data.get("defaults") or {}).items():
            self.defaults[key] = _check_config(key, value)
        if "auth_error" in data:
            self.auth_error = self._check_auth_error(data["auth_error"])
        accounts = data.get("accounts", [])
        if not isinstance(accounts, list):
            raise ValueError("accounts must be a list")
        for entry in accounts:
            self._seed_account(entry)

    # -- seeding ------------------------------------------------------------------------------------
    @staticmethod
    def _check_auth_error(value: t.Any) -> dict:
        if not isinstance(value, dict) or set(value) - {"status", "msg", "code"}:
            raise ValueError("auth_error must be an object with status, msg, code")
        merged = {**DEFAULT_AUTH_ERROR, **value}
        if not _is_int(merged["status"]) or not 400 <= merged["status"] <= 599 or not isinstance(merged["msg"], str):
            raise ValueError("auth_error.status must be a 4xx/5xx integer and msg a string")
        return merged

    def _seed_account(self, entry: t.Any) -> None:  # pylint: disable=too-many-branches
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            raise ValueError("each account needs a non-empty string id")
        allowed = {"id", "api_keys", "guardrails", "workflows", "files", "upload_sessions", "jobs", "injections", *DEFAULT_CONFIG}
        unknown = set(entry) - allowed
        if unknown:
            raise ValueError(f"unknown keys in account {entry['id']}: {', '.join(sorted(unknown))}")
        account = self.accounts.get(entry["id"])
        if account is None:
            account = Account(id=entry["id"], config=dict(self.defaults))
            self.accounts[account.id] = account
        for key in DEFAULT_CONFIG:
            if key in entry:
                account.config[key] = _check_config(key, entry[key])
        for key in entry.get("api_keys", []):
            if not isinstance(key, str) or not key:
                raise ValueError("api_keys must be non-empty strings")
            if self.keys.get(key, account.id) != account.id:
                raise ValueError("an API key is already used by another account")
            self.keys[key] = account.id
            if key not in account.api_keys:
                account.api_keys.append(key)
        if "guardrails" in entry:
            guardrails = entry["guardrails"]
            if guardrails is not None and (not isinstance(guardrails, list) or not all(isinstance(g, str) for g in guardrails)):
                raise ValueError("guardrails must be null or a list of names")
            account.guardrails = guardrails
        now = self._now()
        for item in entry.get("workflows", []):
            workflow = self._seed_workflow(item, now)
            account.workflows[workflow.id] = workflow
        for item in entry.get("files", []):
            stored = StoredFile(id=item["id"], stored_name=item["stored_name"], file_name=item["file_name"], context=item["context"],
                                data=base64.b64decode(item["content_b64"]), created_on=float(item.get("created_on", now)))
            account.files[stored.id] = stored
        for item in entry.get("upload_sessions", []):
            session = UploadSession(id=item["id"], file_context=item["file_context"], total_chunks=int(item["total_chunks"]),
                                    file_name=item["file_name"], file_extension=item["file_extension"], file_size=item.get("file_size"),
                                    expires_at=float(item["expires_at"]),
                                    chunks={int(n): base64.b64decode(d) for n, d in item.get("chunks", {}).items()})
            account.sessions[session.id] = session
        for item in entry.get("jobs", []):
            job = Job(**{k: item[k] for k in ("id", "seq", "action", "resource", "workflow_id", "created_at", "ready_at")},
                      **{k: item[k] for k in ("outcome", "reason", "stuck", "status", "finished_at", "export_job_id", "payload") if k in item})
            if job.action not in ACTIONS or job.status not in (IN_PROGRESS, SUCCESS, FAILED):
                raise ValueError(f"bad job {job.id}")
            account.jobs[job.id] = job
            self.job_seq = max(self.job_seq, job.seq)
        for item in entry.get("injections", []):
            account.injections.append(self._check_injection(item))

    @staticmethod
    def _seed_workflow(item: t.Any, now: float) -> Workflow:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise ValueError("each workflow needs a non-empty name")
        versions = []
        for index, raw in enumerate(item.get("versions") or [{}]):
            number = raw.get("version", index + 1)
            if not _is_int(number) or number < 1:
                raise ValueError("version numbers must be positive integers")
            versions.append(Version(
                version=number, flow_id=raw.get("flow_id") or f"cf-{uuid.uuid4()}",
                flow_definition=copy.deepcopy(raw.get("flow_definition", {})), app_definition=copy.deepcopy(raw.get("app_definition", {})),
                env_variables=copy.deepcopy(raw.get("env_variables", [])), created_on=float(raw.get("created_on", now))))
        if len({v.version for v in versions}) != len(versions):
            raise ValueError(f"duplicate version numbers in workflow {item['name']}")
        workflow = Workflow(id=item.get("id") or f"a-{uuid.uuid4()}", name=item["name"], versions=versions,
                            deployed_version=item.get("deployed_version"), created_on=float(item.get("created_on", now)),
                            updated_on=float(item.get("updated_on", now)))
        if workflow.deployed_version is not None and (not _is_int(workflow.deployed_version) or workflow.get_version(workflow.deployed_version) is None):
            raise ValueError(f"deployed_version of {workflow.name} is not one of its versions")
        return workflow

    @staticmethod
    def _check_injection(item: t.Any) -> dict:
        if not isinstance(item, dict) or item.get("action") not in ACTIONS or item.get("outcome") not in (FAILED, "STUCK"):
            raise ValueError(f"injection needs action in {ACTIONS} and outcome FAILED or STUCK")
        reason = item.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise ValueError("reason must be a string")
        return {"action": item["action"], "outcome": item["outcome"], "reason": reason}

    # -- plumbing -----------------------------------------------------------------------------------
    def _now(self) -> float:
        value = self.emulator.now()
        return value.timestamp() if isinstance(value, datetime) else float(value)

    def _base_url(self, request: Request) -> str:
        base = getattr(self.emulator, "base_url", None)
        if not base or base.endswith(":0"):
            base = str(request.base_url)
        return base.rstrip("/")

    def _find_file(self, stored_name: str) -> tuple[Account, StoredFile] | None:
        for account in self.accounts.values():
            for stored in account.files.values():
                if stored.stored_name == stored_name:
                    return account, stored
        return None

    def _authenticate(self, request: Request) -> Account:
        key = request.headers.get("x-api-key", "").strip()
        account_id = self.keys.get(key) if key else None
        if account_id is None:
            raise KoreError(int(self.auth_error["status"]), str(self.auth_error["msg"]), self.auth_error.get("code"))
        return self.accounts[account_id]

    def _api(self, handler: Handler, resource: str = "") -> t.Callable[[Request], t.Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                account = self._authenticate(request)
                self._settle(account)
                fault = request.scope.get(FAULT_SCOPE_KEY)
                _JOB_FAULT.set(fault if isinstance(fault, dict) and fault.get("type") in ("job_fail", "job_stuck") else None)
                return await handler(request, account, resource)
            except KoreError as exc:
                return JSONResponse({"errors": [{"msg": exc.msg, "code": exc.code}]}, status_code=exc.status)
        return endpoint

    def _public(self, handler: t.Callable[[Request], t.Awaitable[Response]]) -> t.Callable[[Request], t.Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except KoreError as exc:
                return JSONResponse({"errors": [{"msg": exc.msg, "code": exc.code}]}, status_code=exc.status)
        return endpoint

    @staticmethod
    async def _json_body(request: Request) -> dict:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            body = loads(raw)
        except ValueError as exc:
            raise KoreError(412, MSG_VALIDATION) from exc
        if not isinstance(body, dict):
            raise KoreError(412, MSG_VALIDATION)
        return body

    @staticmethod
    def _workflow(account: Account, workflow_id: str) -> Workflow:
        workflow = account.workflows.get(workflow_id)
        if workflow is None:
            raise KoreError(400, MSG_INVALID_WORKFLOW)
        return workflow

    # -- signed URLs --------------------------------------------------------------------------------
    def _signature(self, path: str, params: dict[str, str]) -> str:
        canonical = path + "?" + "&".join(f"{k}={params[k]}" for k in sorted(params))
        return hmac.new(self.signing_secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()

    def _signed_url(self, request: Request, account: Account, path: str, extra: dict[str, str], file_name: str) -> str:
        """``<base><path>?e=<expiry>&n=<nonce>&<extra>&s=<signature>&fileName=<name>`` (the documented media-URL layout, 3.1)."""
        expires = int(self._now() + account.config["download_url_ttl_seconds"])
        params = {"e": str(expires), "n": str(secrets.randbelow(10 ** 9)), **extra}
        signature = self._signature(path, {**params, "fileName": file_name})
        query = urlencode({**params, "s": signature, "fileName": file_name}, quote_via=quote)
        return self._base_url(request) + quote(path) + "?" + query

    def _verify_signature(self, request: Request) -> None:
        params = dict(request.query_params)
        signature = params.pop("s", "")
        if not params.get("e", "").isdigit() or not hmac.compare_digest(signature, self._signature(request.url.path, params)):
            raise KoreError(403, "Invalid or tampered link signature")
        if self._now() > int(params["e"]):
            raise KoreError(403, "The link has expired")

    def _download_url(self, request: Request, account: Account, job: Job) -> str:
        url = self._signed_url(request, account, f"/api/v1/account/{account.id}/exports/{job.export_job_id}", {},
                               f"{job.payload.get('workflow_name', job.workflow_id)}.zip")
        return " " + url if account.config["download_url_leading_space"] else url

    # -- jobs ---------------------------------------------------------------------------------------
    def _new_job(self, account: Account, action: str, resource: str, workflow_id: str, *, reason: str | None = None,
                 payload: dict | None = None, immediate: bool = False) -> Job:
        """Create a dock record. ``reason`` makes it FAILED; an injected fault may make it FAILED or stuck."""
        now = self._now()
        self.job_seq += 1
        job = Job(id=f"ds-{uuid.uuid4()}", seq=self.job_seq, action=action, resource=resource, workflow_id=workflow_id,
                  created_at=now, ready_at=now if immediate else now + account.config["job_delay_seconds"],
                  outcome=FAILED if reason else SUCCESS, reason=reason, payload=payload or {})
        fault = _JOB_FAULT.get()
        if fault is not None:  # a job fault rule that fired for this request; a pending fail-next/stuck-next stays pending
            _JOB_FAULT.set(None)
            injection: dict | None = {"outcome": "STUCK" if fault["type"] == "job_stuck" else FAILED, "reason": fault.get("reason")}
        else:
            injection = account.take_injection(action)
        if injection is not None and injection["outcome"] == "STUCK":
            job.stuck = True
        elif injection is not None and job.outcome == SUCCESS:
            job.outcome, job.reason = FAILED, injection["reason"] or f"{action.capitalize()} failed"
        if action == "EXPORT":
            job.export_job_id = f"{'agent' if resource == 'tools' else 'workflow'}-ej-{uuid.uuid4()}"
        account.jobs[job.id] = job
        if immediate and not job.stuck:
            self._finish(account, job, now)
        return job

    def _settle(self, account: Account) -> None:
        """Move every due job to its terminal state, in the order the jobs became due."""
        now = self._now()
        due = [j for j in account.jobs.values() if j.status == IN_PROGRESS and not j.stuck and j.ready_at <= now]
        for job in sorted(due, key=lambda j: (j.ready_at, j.seq)):
            self._finish(account, job, job.ready_at)

    def _finish(self, account: Account, job: Job, when: float) -> None:
        if job.outcome == SUCCESS:
            try:
                self._apply(account, job, when)
            except KoreError as exc:
                job.outcome, job.reason = FAILED, exc.msg
        job.status = job.outcome
        job.finished_at = when

    @staticmethod
    def _apply(account: Account, job: Job, when: float) -> None:
        """The effect of a successful job on the account's workflows."""
        payload = job.payload
        if job.action == "IMPORT" and payload.get("new"):
            name = payload["workflow_name"]
            if any(wf.name.casefold() == name.casefold() for wf in account.workflows.values()):
                raise KoreError(409, f"A workflow named '{name}' already exists")
            docs = payload["documents"]
            account.workflows[job.workflow_id] = Workflow(
                id=job.workflow_id, name=name, deployed_version=None, created_on=when, updated_on=when,
                versions=[Version(1, f"cf-{uuid.uuid4()}", docs["flow_definition"], docs["app_definition"], docs["env_variables"], when)])
            return
        workflow = account.workflows.get(job.workflow_id)
        if workflow is None:
            raise KoreError(400, MSG_INVALID_WORKFLOW)
        if job.action == "IMPORT":
            docs = payload["documents"]
            env = merge_env(workflow.latest.env_variables, docs["env_variables"], account.config["env_merge_policy"])
            workflow.versions.append(Version(workflow.latest.version + 1, f"cf-{uuid.uuid4()}", docs["flow_definition"],
                                             docs["app_definition"], env, when))
            workflow.updated_on = when
        elif job.action == "DEPLOY":
            workflow.deployed_version = payload["version"]
            workflow.updated_on = when
        elif job.action == "UNDEPLOY":
            workflow.deployed_version = None
            workflow.updated_on = when

    @staticmethod
    def _job_response(job: Job, dock_key: str, id_key: str | None = None) -> dict:
        return {dock_key: job.id, id_key or job.id_key: job.workflow_id, "jobType": job.job_type, "action": job.action, "status": job.status}

    def _dock_key(self, account: Account) -> str:
        return "dockStatusId" if account.config["emit_alt_spellings"] else "dock-statusId"

    def _url_key(self, account: Account) -> str:
        return "downloadURL" if account.config["emit_alt_spellings"] else "downloadUrl"

    # -- package validation -------------------------------------------------------------------------
    @staticmethod
    def _file(account: Account, file_id: t.Any) -> StoredFile:
        stored = account.files.get(file_id) if isinstance(file_id, str) else None
        if stored is None:
            raise KoreError(400, MSG_INVALID_FILE)
        return stored

    @staticmethod
    def _read_documents(account: Account, files: dict[str, StoredFile | None]) -> tuple[dict[str, t.Any], str | None]:
        """Parse the uploaded package files; return (documents, failure reason or None)."""
        documents: dict[str, t.Any] = {}
        for key, member in zip(DOC_KEYS, PACKAGE_FILES):
            stored = files[key]
            if stored is None:
                documents[key] = []
                continue
            try:
                documents[key] = loads(stored.data.decode("utf-8-sig"))
            except (UnicodeDecodeError, ValueError):
                return documents, f"Corrupt file: {member} is not valid JSON"
            wanted = (dict, list) if key == "env_variables" else (dict,)
            if not isinstance(documents[key], wanted):
                return documents, f"Incompatible workflow file: {member} must be a JSON {'object or array' if len(wanted) == 2 else 'object'}"
        if account.guardrails is not None:
            missing = [g for g in _guardrail_names(documents["app_definition"]) if g not in account.guardrails]
            if missing:
                return documents, f"Guardrails not found in the target account: {', '.join(missing)}"
        return documents, None

    # -- routes: files ------------------------------------------------------------------------------
    def _store_file(self, account: Account, file_name: str, extension: str, context: str, data: bytes) -> StoredFile:
        extension = extension.lower().lstrip(".")
        if not re.fullmatch(r"[a-z0-9]{1,10}", extension):
            extension = "bin"
        stored = StoredFile(id=secrets.token_hex(12), stored_name=f"f-{uuid.uuid4()}.{extension}", file_name=file_name or "file",
                            context=context, data=data, created_on=self._now())
        account.files[stored.id] = stored
        return stored

    def _file_response(self, request: Request, account: Account, stored: StoredFile) -> Response:
        url = self._signed_url(request, account, f"/api/getMediaStream/orgFiles/{stored.stored_name}",
                               {"del": "false"}, stored.file_name)
        return JSONResponse({"url": url, "fileId": stored.id})

    async def upload_file(self, request: Request, account: Account, _resource: str) -> Response:
        form = parse_multipart(await request.body(), request.headers.get("content-type", ""))
        part, context = form.get("file"), form.get("fileContext")
        if part is None or context is None or not context.text.strip():
            raise KoreError(412, MSG_VALIDATION)
        if len(part.data) > account.config["max_upload_bytes"]:
            raise KoreError(413, "File size exceeds the limit for a single upload; use the chunked upload API")
        file_name = part.filename or "file"
        stored = self._store_file(account, file_name, file_name.rpartition(".")[2] if "." in file_name else "", context.text.strip(), part.data)
        return self._file_response(request, account, stored)

    async def start_session(self, request: Request, account: Account, _resource: str) -> Response:
        body = await self._json_body(request)
        context, total, file_name = body.get("fileContext"), body.get("totalChunks"), body.get("fileName")
        extension, size = body.get("fileExtension"), body.get("fileSize")
        if (not isinstance(context, str) or not context.strip() or not _is_int(total) or total < 1 or not isinstance(file_name, str)
                or not file_name or (extension is not None and not isinstance(extension, str)) or (size is not None and (not _is_int(size) or size < 0))):
            raise KoreError(412, MSG_VALIDATION)
        if extension is None:
            extension = file_name.rpartition(".")[2] if "." in file_name else ""
        session = UploadSession(id=str(uuid.uuid4()), file_context=context.strip(), total_chunks=total, file_name=file_name,
                                file_extension=extension, file_size=size, expires_at=self._now() + account.config["upload_session_ttl_seconds"])
        account.sessions[session.id] = session
        return JSONResponse({"sessionId": session.id, "expirationDate": _iso(session.expires_at)})

    def _session(self, account: Account, session_id: str) -> UploadSession:
        session = account.sessions.get(session_id)
        if session is None:
            raise KoreError(400, MSG_INVALID_SESSION)
        if self._now() > session.expires_at:
            del account.sessions[session_id]
            raise KoreError(400, "Upload session has expired")
        return session

    async def upload_chunk(self, request: Request, account: Account, _resource: str) -> Response:
        session = self._session(account, request.path_params["session_id"])
        form = parse_multipart(await request.body(), request.headers.get("content-type", ""))
        part, number = form.get("file"), form.get("chunkNumber")
        if part is None or number is None or not number.text.strip().isdigit():
            raise KoreError(412, MSG_VALIDATION)
        index = int(number.text.strip())
        if index >= session.total_chunks:
            raise KoreError(400, f"Invalid chunkNumber {index}: the session has {session.total_chunks} chunks (0-based)")
        session.chunks[index] = part.data
        return JSONResponse({"chunkNumber": str(index), "sessionId": session.id})

    async def complete_session(self, request: Request, account: Account, _resource: str) -> Response:
        session = self._session(account, request.path_params["session_id"])
        missing = [str(n) for n in range(session.total_chunks) if n not in session.chunks]
        if missing:
            raise KoreError(400, f"Missing chunk numbers: {', '.join(missing)}")
        data = b"".join(session.chunks[n] for n in range(session.total_chunks))
        if session.file_size is not None and session.file_size != len(data):
            raise KoreError(400, f"Merged file size {len(data)} does not match fileSize {session.file_size}")
        del account.sessions[session.id]
        stored = self._store_file(account, session.file_name, session.file_extension, session.file_context, data)
        return self._file_response(request, account, stored)

    # -- routes: workflows --------------------------------------------------------------------------
    async def import_new(self, request: Request, account: Account, resource: str) -> Response:
        body = await self._json_body(request)
        tools = resource == "tools"
        data_id = body.get("toolDataFileId", body.get("workflowDataFileId")) if tools else body.get("workflowDataFileId")
        name = body.get("toolName", body.get("workflowName")) if tools else body.get("workflowName")
        flow_id, env_id = body.get("flowDataFileId"), body.get("envVariablesFileId")
        if (not isinstance(data_id, str) or not isinstance(flow_id, str) or not isinstance(name, str) or not name.strip()
                or (env_id is not None and not isinstance(env_id, str))):
            raise KoreError(412, MSG_VALIDATION)
        name = name.strip()
        files = {"flow_definition": self._file(account, flow_id), "app_definition": self._file(account, data_id),
                 "env_variables": self._file(account, env_id) if env_id else None}
        pending = [j.payload.get("workflow_name", "") for j in account.jobs.values()
                   if j.action == "IMPORT" and j.payload.get("new") and j.status == IN_PROGRESS and j.outcome == SUCCESS]
        if any(n.casefold() == name.casefold() for n in [wf.name for wf in account.workflows.values()] + pending):
            raise KoreError(409, f"A workflow named '{name}' already exists")
        documents, reason = self._read_documents(account, files)
        job = self._new_job(account, "IMPORT", resource, f"a-{uuid.uuid4()}", reason=reason,
                            payload={"new": True, "workflow_name": name, "documents": documents})
        return JSONResponse(self._job_response(job, "dockStatusId"))

    async def import_existing(self, request: Request, account: Account, resource: str) -> Response:
        workflow = self._workflow(account, request.path_params["workflow_id"])
        body = await self._json_body(request)
        tools = resource == "tools"
        data_id = body.get("toolDataFileId", body.get("workflowDataFileId")) if tools else body.get("workflowDataFileId")
        ids = (data_id, body.get("flowDataFileId"), body.get("envVariablesFileId"))
        if not all(isinstance(i, str) and i for i in ids):
            raise KoreError(412, MSG_VALIDATION)
        files = {"app_definition": self._file(account, ids[0]), "flow_definition": self._file(account, ids[1]),
                 "env_variables": self._file(account, ids[2])}
        documents, reason = self._read_documents(account, files)
        if reason is None and account.config["require_deployed_for_import"] and workflow.deployed_version is None:
            reason = "The parent workflow must be deployed before a version can be imported"
        job = self._new_job(account, "IMPORT", resource, workflow.id, reason=reason, payload={"new": False, "documents": documents},
                            immediate=account.config["import_existing_immediate"])
        return JSONResponse(self._job_response(job, "dockStatusId"))

    async def export(self, request: Request, account: Account, resource: str) -> Response:
        workflow = self._workflow(account, request.path_params["workflow_id"])
        flow_id = request.query_params.get("flowId", "").strip()
        if flow_id:
            version = next((v for v in workflow.versions if v.flow_id == flow_id), None)
            if version is None:
                raise KoreError(400, "Invalid flowId")
        else:
            deployed = workflow.get_version(workflow.deployed_version) if workflow.deployed_version is not None else None
            version = workflow.latest if account.config["export_default_version"] == "latest" else deployed or workflow.latest
        job = self._new_job(account, "EXPORT", resource, workflow.id,
                            payload={"workflow_name": workflow.name, "version": version.version, "documents": version.documents()})
        response = self._job_response(job, self._dock_key(account))
        response["exportJobId"] = job.export_job_id
        response["response"] = {self._url_key(account): self._download_url(request, account, job)}
        return JSONResponse(response)

    async def deploy(self, request: Request, account: Account, resource: str) -> Response:
        workflow = self._workflow(account, request.path_params["workflow_id"])
        body = await self._json_body(request)
        if not isinstance(body.get("isAsync"), bool):
            raise KoreError(412, MSG_VALIDATION)
        job = self._new_job(account, "DEPLOY", resource, workflow.id, payload={"version": workflow.latest.version},
                            immediate=not body["isAsync"])
        return JSONResponse(self._job_response(job, self._dock_key(account)))

    async def undeploy(self, request: Request, account: Account, resource: str) -> Response:
        workflow = self._workflow(account, request.path_params["workflow_id"])
        pending_deploy = any(j.action == "DEPLOY" and j.status == IN_PROGRESS and j.workflow_id == workflow.id for j in account.jobs.values())
        if workflow.deployed_version is None and not pending_deploy:
            raise KoreError(400, "Workflow is not deployed")
        job = self._new_job(account, "UNDEPLOY", resource, workflow.id, immediate=True)
        id_key = "toolId" if resource == "tools" else account.config["undeploy_id_key"]
        return JSONResponse(self._job_response(job, "dockStatusId", id_key))

    async def dock_status(self, request: Request, account: Account, _resource: str) -> Response:
        job = account.jobs.get(request.path_params["dock_status_id"])
        if job is None:
            raise KoreError(400, MSG_INVALID_REQUEST)
        return JSONResponse(self._dock_document(request, account, job))

    def _dock_document(self, request: Request, account: Account, job: Job) -> dict:
        now = self._now()
        if job.status == IN_PROGRESS:
            span = job.ready_at - job.created_at
            percent = 0 if job.stuck or span <= 0 else min(99, int(100 * (now - job.created_at) / span))
        else:
            percent = 100
        logs = [{"status": IN_PROGRESS, "message": f"{job.action.capitalize()} started", "time": _iso(job.created_at)}]
        document: dict[str, t.Any] = {"_id": job.id, job.id_key: job.workflow_id, "jobType": job.job_type, "action": job.action,
                                      "status": job.status, "percentageComplete": percent, "createdOn": _iso(job.created_at),
                                      "lMod": _iso(job.finished_at if job.finished_at is not None else job.created_at)}
        if job.export_job_id:
            document["exportJobId"] = job.export_job_id
        if job.status == SUCCESS:
            logs.append({"status": SUCCESS, "message": f"{job.action.capitalize()} completed", "time": _iso(t.cast(float, job.finished_at))})
            if job.action == "EXPORT":
                document[self._url_key(account)] = self._download_url(request, account, job)
        elif job.status == FAILED:
            logs.append({"status": FAILED, "message": job.reason, "time": _iso(t.cast(float, job.finished_at))})
            document["message"] = job.reason
        document["statusLogs"] = logs
        return document

    # -- routes: signed downloads (no API key) -------------------------------------------------------
    async def download_export(self, request: Request) -> Response:
        self._verify_signature(request)
        account = self.accounts.get(request.path_params["account_id"])
        job = None
        if account is not None:
            self._settle(account)
            job = next((j for j in account.jobs.values() if j.export_job_id == request.path_params["export_job_id"]), None)
        if account is None or job is None:
            raise KoreError(404, "Export not found")
        if job.status == IN_PROGRESS:
            raise KoreError(account.config["download_before_done_status"], "The export is still in progress")
        if job.status == FAILED:
            raise KoreError(404, "Export file not available: the export job failed")
        name = request.query_params.get("fileName") or f"{job.workflow_id}.zip"
        return Response(build_package(job.payload["documents"]), media_type="application/zip",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})

    async def media_stream(self, request: Request) -> Response:
        self._verify_signature(request)
        found = self._find_file(request.path_params["stored_name"])
        if found is None:
            raise KoreError(404, "File not found")
        stored = found[1]
        media_type = mimetypes.guess_type(stored.file_name)[0] or "application/octet-stream"
        return Response(stored.data, media_type=media_type,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.file_name)}"})

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route("/api/public/files", self._api(self.upload_file), methods=["POST"]),
            Route("/api/public/files/session/start", self._api(self.start_session), methods=["POST"]),
            Route("/api/public/files/session/{session_id}", self._api(self.upload_chunk), methods=["POST"]),
            Route("/api/public/files/session/{session_id}/complete", self._api(self.complete_session), methods=["POST"]),
            Route("/api/public/dock-status/{dock_status_id}", self._api(self.dock_status), methods=["GET"]),
            Route("/api/v1/account/{account_id}/exports/{export_job_id}", self._public(self.download_export), methods=["GET"]),
            Route("/api/getMediaStream/orgFiles/{stored_name}", self._public(self.media_stream), methods=["GET"]),
        ]
        for resource in COLLECTION_RESOURCES:
            routes.append(Route(f"/api/public/{resource}/import", self._api(self.import_new, resource), methods=["POST"]))
        handlers: dict[str, Handler] = {"import": self.import_existing, "export": self.export, "deploy": self.deploy, "undeploy": self.undeploy}
        for resource in ITEM_RESOURCES:
            for action, handler in handlers.items():
                routes.append(Route(f"/api/public/{resource}/{{workflow_id}}/{action}", self._api(handler, resource), methods=["POST"]))
        return routes

    # -- control API ----------------------------------------------------------------------------------
    def _control_accounts(self, body: dict) -> list[Account]:
        account_id = body.get("account")
        if account_id is None:
            return list(self.accounts.values())
        if account_id not in self.accounts:
            raise KoreError(404, f"unknown account {account_id!r}")
        return [self.accounts[account_id]]

    def _find_job(self, job_id: str) -> tuple[Account, Job]:
        for account in self.accounts.values():
            if job_id in account.jobs:
                return account, account.jobs[job_id]
        raise KoreError(404, f"unknown job {job_id!r}")

    @staticmethod
    def _control(handler: t.Callable[[Request, dict], dict]) -> t.Callable[[Request], t.Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            try:
                body = loads(raw) if raw.strip() else {}
                if not isinstance(body, dict):
                    raise ValueError("body must be a JSON object")
                return RawJSONResponse(handler(request, body))
            except KoreError as exc:
                return JSONResponse({"error": exc.msg}, status_code=exc.status)
            except (KeyError, TypeError, ValueError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return endpoint

    def control_config(self, request: Request, body: dict) -> dict:
        if request.method == "PUT":
            settings = {k: v for k, v in body.items() if k != "account"}
            if "auth_error" in settings:
                if "account" in body:
                    raise ValueError("auth_error is provider-wide; do not combine it with account")
                self.auth_error = self._check_auth_error(settings.pop("auth_error"))
            checked = {k: _check_config(k, v) for k, v in settings.items()}
            targets = self._control_accounts(body)
            if "account" not in body:
                self.defaults.update(checked)
            for account in targets:
                account.config.update(checked)
        return {"defaults": dict(self.defaults), "auth_error": dict(self.auth_error),
                "accounts": {a.id: dict(a.config) for a in self.accounts.values()}}

    def _inject(self, body: dict, outcome: str) -> dict:
        times = body.get("times", 1)
        if not _is_int(times) or times < 1:
            raise ValueError("times must be a positive integer")
        item = self._check_injection({"action": str(body.get("action", "")).upper(), "outcome": outcome, "reason": body.get("reason")})
        targets = self._control_accounts(body)
        for account in targets:
            account.injections.extend(dict(item) for _count in range(times))
        return {"accounts": {a.id: a.injections for a in targets}}

    def control_fail_next(self, _request: Request, body: dict) -> dict:
        return self._inject(body, FAILED)

    def control_stuck_next(self, _request: Request, body: dict) -> dict:
        return self._inject(body, "STUCK")

    def control_job(self, request: Request, body: dict) -> dict:
        account, job = self._find_job(request.path_params["job_id"])
        self._settle(account)
        if request.method == "PUT":
            if "stuck" in body:
                if not isinstance(body["stuck"], bool):
                    raise ValueError("stuck must be a boolean")
                if job.status == IN_PROGRESS:
                    job.stuck = body["stuck"]
            status = body.get("status")
            if status is not None:
                if status not in (SUCCESS, FAILED) or job.status != IN_PROGRESS:
                    raise ValueError("status may only move an IN_PROGRESS job to SUCCESS or FAILED")
                if status == FAILED:
                    job.outcome, job.reason = FAILED, str(body.get("reason") or f"{job.action.capitalize()} failed")
                job.stuck = False
                self._finish(account, job, self._now())
            self._settle(account)
        return {"account": account.id, **job.to_dict()}

    def control_workflows(self, request: Request, _body: dict) -> dict:
        account = self.accounts.get(request.path_params["account_id"])
        if account is None:
            raise KoreError(404, "unknown account")
        self._settle(account)
        return {"workflows": [wf.to_dict() for wf in account.workflows.values()]}

    def control_routes(self) -> list[BaseRoute]:
        return [
            Route("/_emulator/koreai/config", self._control(self.control_config), methods=["GET", "PUT"]),
            Route("/_emulator/koreai/fail-next", self._control(self.control_fail_next), methods=["POST"]),
            Route("/_emulator/koreai/stuck-next", self._control(self.control_stuck_next), methods=["POST"]),
            Route("/_emulator/koreai/jobs/{job_id}", self._control(self.control_job), methods=["GET", "PUT"]),
            Route("/_emulator/koreai/accounts/{account_id}/workflows", self._control(self.control_workflows), methods=["GET"]),
        ]
