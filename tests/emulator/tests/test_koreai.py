"""Tests of the Kore.ai "AI for Process" provider, driven over real HTTP through the ``emulator`` fixture."""
from __future__ import annotations

import io
import json
import re
import time
import typing as t
import zipfile
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests

from emulator.client import EmulatorClient, EmulatorError

ACCOUNT, KEY = "acct-alpha", "kg-alpha-0000-1111"
OTHER, OTHER_KEY = "acct-beta", "kg-beta-2222-3333"
WF = "a-6f1c2d9e-0b7a-4c1e-9a55-3f0c5b1d2e10"
WF_OTHER = "a-0d3e2c1b-aaaa-4bbb-8ccc-1234567890ab"
FLOW_V1 = "cf-flow-v1"
FLOW_V2 = "cf-flow-v2"
VALIDATION = {"errors": [{"msg": "Validation errors/ Invalid arguments", "code": 412}]}
INVALID_WORKFLOW = {"errors": [{"msg": "Invalid workflowId", "code": 400}]}
INVALID_FILE = {"errors": [{"msg": "Invalid file id", "code": 400}]}
INVALID_REQUEST = {"errors": [{"msg": "Invalid request ID", "code": 400}]}
PACKAGE = {
    "flow_definition": {"nodes": [{"id": "start", "type": "start"}, {"id": "ai", "type": "ai", "temperature": 1.0}], "version": 3},
    "app_definition": {"name": "Loan Desk", "description": "loan triage", "guardrails": []},
    "env_variables": [{"key": "API_BASE", "value": "https://dev.example"}, {"key": "TIMEOUT", "value": "30"}],
}


def _seed() -> dict:
    return {"koreai": {"accounts": [
        {"id": ACCOUNT, "api_keys": [KEY], "job_delay_seconds": 5, "workflows": [{
            "id": WF, "name": "Banking Assistant", "deployed_version": 1,
            "versions": [
                {"version": 1, "flow_id": FLOW_V1, "flow_definition": {"nodes": ["v1"]}, "app_definition": {"name": "Banking Assistant"},
                 "env_variables": [{"key": "API_BASE", "value": "https://prod.example"}, {"key": "REGION", "value": "eu"}]},
                {"version": 2, "flow_id": FLOW_V2, "flow_definition": {"nodes": ["v2"]}, "app_definition": {"name": "Banking Assistant"},
                 "env_variables": [{"key": "API_BASE", "value": "https://prod.example"}]},
            ]}]},
        {"id": OTHER, "api_keys": [OTHER_KEY], "job_delay_seconds": 5,
         "workflows": [{"id": WF_OTHER, "name": "Other", "versions": [{"version": 1, "flow_definition": {"x": 1}}]}]},
    ]}}


class Kore:
    """Small test client of the emulated Kore.ai API."""

    def __init__(self, base_url: str, control: EmulatorClient) -> None:
        self.base = base_url
        self.control = control
        self.http = requests.Session()

    def call(self, method: str, path: str, key: str | None = KEY, **kwargs: t.Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers.setdefault("x-api-key", key)
        return self.http.request(method, self.base + path, headers=headers, timeout=10, **kwargs)

    def post(self, path: str, key: str | None = KEY, **kwargs: t.Any) -> requests.Response:
        return self.call("POST", path, key, **kwargs)

    def upload(self, name: str, data: bytes | str | dict | list, key: str = KEY, context: str = "bulkImport") -> str:
        if isinstance(data, (dict, list)):
            data = json.dumps(data)
        if isinstance(data, str):
            data = data.encode()
        response = self.post("/api/public/files", key, files={"file": (name, data, "application/json")}, data={"fileContext": context})
        assert response.status_code == 200, response.text
        return response.json()["fileId"]

    def upload_package(self, package: dict, key: str = KEY) -> dict:
        return {
            "flowDataFileId": self.upload("flow_definition.json", package["flow_definition"], key),
            "workflowDataFileId": self.upload("app_definition.json", package["app_definition"], key),
            "envVariablesFileId": self.upload("env_variables.json", package["env_variables"], key),
        }

    def dock(self, dock_id: str, key: str = KEY) -> dict:
        response = self.call("GET", f"/api/public/dock-status/{dock_id}", key)
        assert response.status_code == 200, response.text
        return response.json()

    def finish(self, dock_id: str, key: str = KEY) -> dict:
        """Advance the emulator clock past the job delay and return the terminal dock status."""
        self.control.advance_clock(10)
        return self.dock(dock_id, key)

    def control_call(self, method: str, path: str, body: dict | None = None) -> requests.Response:
        return self.http.request(method, self.base + "/_emulator/koreai" + path, json=body, timeout=10)

    def workflows(self, account: str = ACCOUNT) -> dict[str, dict]:
        response = self.control_call("GET", f"/accounts/{account}/workflows")
        assert response.status_code == 200, response.text
        return {wf["id"]: wf for wf in response.json()["workflows"]}

    def download(self, url: str) -> requests.Response:
        return self.http.get(url.strip(), timeout=10)


def _zip_docs(content: bytes) -> dict[str, t.Any]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def _tamper(url: str, **changes: str) -> str:
    parts = urlsplit(url.strip())
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


@pytest.fixture(name="kore")
def kore_fixture(emulator: EmulatorClient, emulator_url: str) -> t.Iterator[Kore]:
    emulator.seed(_seed())
    emulator.set_rate_limits({"koreai": None})
    client = Kore(emulator_url, emulator)
    yield client
    client.http.close()


# ---------------------------------------------------------------------------------------------------
# auth, routing, generic errors
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", [None, "kg-wrong", ""])
def test_missing_or_invalid_key_is_401_xo_envelope(kore: Kore, key: str | None) -> None:
    response = kore.call("GET", "/api/public/dock-status/ds-x", key=key)
    assert response.status_code == 401
    assert response.json() == {"errors": [{"msg": "Invalid SDK credentials", "code": 4002}]}
    assert "kg-wrong" not in response.text


def test_header_name_is_case_insensitive(kore: Kore) -> None:
    response = kore.call("GET", "/api/public/dock-status/ds-missing", key=None, headers={"X-API-KEY": KEY})
    assert response.status_code == 400
    assert response.json() == INVALID_REQUEST


def test_auth_error_is_configurable(kore: Kore) -> None:
    assert kore.control_call("PUT", "/config", {"auth_error": {"status": 403, "msg": "Invalid API key", "code": 403}}).status_code == 200
    response = kore.post(f"/api/public/workflows/{WF}/export", key="kg-nope")
    assert (response.status_code, response.json()) == (403, {"errors": [{"msg": "Invalid API key", "code": 403}]})


@pytest.mark.parametrize("method,path", [
    ("GET", f"/api/public/workflows/{WF}/import"),
    ("GET", f"/api/public/workflows/{WF}/export"),
    ("PUT", f"/api/public/workflows/{WF}/deploy"),
    ("DELETE", f"/api/public/workflow/{WF}/undeploy"),
    ("GET", "/api/public/workflows/import"),
    ("GET", "/api/public/files"),
    ("GET", "/api/public/files/session/start"),
    ("POST", "/api/public/dock-status/ds-1"),
])
def test_wrong_verb_is_405(kore: Kore, method: str, path: str) -> None:
    response = kore.call(method, path)
    assert response.status_code == 405
    assert response.json() == {"errors": [{"msg": "Method Not Allowed", "code": 405}]}


def test_unknown_path_is_404_envelope(kore: Kore) -> None:
    response = kore.call("GET", "/api/public/workflows")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == 404


def test_leading_colon_is_not_tolerated(kore: Kore) -> None:
    response = kore.post(f"/api/public/workflows/:{WF}/export")
    assert (response.status_code, response.json()) == (400, INVALID_WORKFLOW)


def test_rate_limit_uses_xo_message(kore: Kore) -> None:
    kore.control.set_rate_limits({"koreai": {"requests": 2, "per_seconds": 60}})
    statuses = [kore.call("GET", "/api/public/dock-status/ds-1").status_code for _count in range(3)]
    assert statuses == [400, 400, 429]
    response = kore.call("GET", "/api/public/dock-status/ds-1")
    assert response.json() == {"errors": [{"msg": "You've exceeded the per-minute rate limit. Please wait for sometime before retrying.",
                                           "code": 429}]}
    assert int(response.headers["Retry-After"]) >= 1
    other = kore.call("GET", "/api/public/dock-status/ds-1", key=OTHER_KEY)
    assert other.status_code == 400  # limits are per account


def test_request_log_tenant_and_write_flags(kore: Kore) -> None:
    ids = kore.upload_package(PACKAGE)
    imported = kore.post("/api/public/workflows/import", json={**ids, "workflowName": "Logged"}).json()
    kore.dock(imported["dockStatusId"])
    exported = kore.post(f"/api/public/workflows/{WF}/export").json()
    kore.control.advance_clock(10)
    assert kore.download(exported["response"]["downloadUrl"]).status_code == 200
    kore.post(f"/api/public/workflows/{WF}/deploy", json={"isAsync": False})
    kore.post(f"/api/public/workflows/{WF}/undeploy")
    log = [(e["method"], e["path"].split("/")[-1], e["write"], e["tenant"]) for e in kore.control.requests(provider="koreai")]
    assert log == [
        ("POST", "files", True, ACCOUNT), ("POST", "files", True, ACCOUNT), ("POST", "files", True, ACCOUNT),
        ("POST", "import", True, ACCOUNT), ("GET", imported["dockStatusId"], False, ACCOUNT),
        ("POST", "export", False, ACCOUNT), ("GET", exported["exportJobId"], False, ACCOUNT),
        ("POST", "deploy", True, ACCOUNT), ("POST", "undeploy", True, ACCOUNT),
    ]
    counts = kore.control.counts()["koreai"][ACCOUNT]
    assert counts == {"reads": 3, "writes": 6, "writes_ok": 6}


# ---------------------------------------------------------------------------------------------------
# file upload
# ---------------------------------------------------------------------------------------------------
def test_upload_returns_signed_media_url_and_keeps_bytes(kore: Kore) -> None:
    response = kore.post("/api/public/files", files={"file": ("photo.PNG", b"\x89PNG\r\n\x00binary\r\n--x", "image/png")},
                         data={"fileContext": "bulkImport"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"url", "fileId"}
    assert re.fullmatch(r"[0-9a-f]{24}", body["fileId"])
    parts = urlsplit(body["url"])
    assert parts.scheme + "://" + parts.netloc == kore.base
    assert re.fullmatch(r"/api/getMediaStream/orgFiles/f-[0-9a-f-]{36}\.png", parts.path)
    query = parse_qs(parts.query)
    assert set(query) == {"e", "n", "del", "s", "fileName"} and query["fileName"] == ["photo.PNG"] and query["del"] == ["false"]
    fetched = kore.download(body["url"])
    assert fetched.status_code == 200 and fetched.content == b"\x89PNG\r\n\x00binary\r\n--x"
    assert kore.download(_tamper(body["url"], fileName="other.png")).status_code == 403
    kore.control.advance_clock(3601)
    assert kore.download(body["url"]).json() == {"errors": [{"msg": "The link has expired", "code": 403}]}


def test_upload_accepts_multipart_declared_as_json(kore: Kore) -> None:
    prepared = requests.Request("POST", kore.base + "/api/public/files", files={"file": ("a.json", b'{"a": 1}')},
                                data={"fileContext": "bulkImport"}).prepare()
    prepared.headers["Content-Type"] = "application/json"
    prepared.headers["x-api-key"] = KEY
    response = kore.http.send(prepared, timeout=10)
    assert response.status_code == 200, response.text
    assert re.fullmatch(r"[0-9a-f]{24}", response.json()["fileId"])


@pytest.mark.parametrize("files,data", [
    ({"file": ("a.json", b"{}")}, {}),
    ({"file": ("a.json", b"{}")}, {"fileContext": "  "}),
    (None, {"fileContext": "bulkImport"}),
])
def test_upload_missing_fields_is_412(kore: Kore, files: dict | None, data: dict) -> None:
    response = kore.post("/api/public/files", files=files, data=data) if files else kore.post("/api/public/files", data=data)
    assert (response.status_code, response.json()) == (412, VALIDATION)


def test_upload_not_multipart_is_412(kore: Kore) -> None:
    response = kore.post("/api/public/files", json={"file": "x", "fileContext": "bulkImport"})
    assert (response.status_code, response.json()) == (412, VALIDATION)


def test_upload_over_the_size_limit_is_413(kore: Kore) -> None:
    kore.control_call("PUT", "/config", {"account": ACCOUNT, "max_upload_bytes": 10})
    response = kore.post("/api/public/files", files={"file": ("big.json", b"x" * 11)}, data={"fileContext": "bulkImport"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == 413


def test_chunked_upload_merges_in_chunk_order(kore: Kore) -> None:
    start = kore.post("/api/public/files/session/start",
                      json={"fileContext": "bulkImport", "totalChunks": 3, "fileExtension": "json", "fileName": "big.json", "fileSize": 9})
    assert start.status_code == 200
    session = start.json()
    assert re.fullmatch(r"[0-9a-f-]{36}", session["sessionId"]) and session["expirationDate"].endswith("Z")
    sid = session["sessionId"]
    for number, data in ((2, b"ccc"), (0, b"aaa")):
        chunk = kore.post(f"/api/public/files/session/{sid}", files={"file": ("blob", data)}, data={"chunkNumber": str(number)})
        assert chunk.json() == {"chunkNumber": str(number), "sessionId": sid}
    missing = kore.post(f"/api/public/files/session/{sid}/complete")
    assert (missing.status_code, missing.json()) == (400, {"errors": [{"msg": "Missing chunk numbers: 1", "code": 400}]})
    kore.post(f"/api/public/files/session/{sid}", files={"file": ("blob", b"bbb")}, data={"chunkNumber": "1"})
    done = kore.post(f"/api/public/files/session/{sid}/complete")
    assert done.status_code == 200 and set(done.json()) == {"url", "fileId"}
    assert kore.download(done.json()["url"]).content == b"aaabbbccc"
    again = kore.post(f"/api/public/files/session/{sid}/complete")
    assert again.json() == {"errors": [{"msg": "Invalid session id", "code": 400}]}


def test_chunked_upload_errors(kore: Kore) -> None:
    bad_start = kore.post("/api/public/files/session/start", json={"fileContext": "bulkImport", "totalChunks": 0, "fileName": "x.json"})
    assert (bad_start.status_code, bad_start.json()) == (412, VALIDATION)
    assert kore.post("/api/public/files/session/start", data="not json").status_code == 412
    unknown = kore.post("/api/public/files/session/0b1c/complete")
    assert unknown.json() == {"errors": [{"msg": "Invalid session id", "code": 400}]}
    sid = kore.post("/api/public/files/session/start",
                    json={"fileContext": "bulkImport", "totalChunks": 1, "fileName": "x.json", "fileSize": 5}).json()["sessionId"]
    out_of_range = kore.post(f"/api/public/files/session/{sid}", files={"file": ("blob", b"x")}, data={"chunkNumber": "1"})
    assert out_of_range.status_code == 400
    no_number = kore.post(f"/api/public/files/session/{sid}", files={"file": ("blob", b"x")})
    assert (no_number.status_code, no_number.json()) == (412, VALIDATION)
    kore.post(f"/api/public/files/session/{sid}", files={"file": ("blob", b"abc")}, data={"chunkNumber": "0"})
    assert "does not match fileSize" in kore.post(f"/api/public/files/session/{sid}/complete").json()["errors"][0]["msg"]
    other = kore.post(f"/api/public/files/session/{sid}/complete", key=OTHER_KEY)
    assert other.json() == {"errors": [{"msg": "Invalid session id", "code": 400}]}
    kore.control.advance_clock(3601)
    expired = kore.post(f"/api/public/files/session/{sid}", files={"file": ("blob", b"x")}, data={"chunkNumber": "0"})
    assert expired.json() == {"errors": [{"msg": "Upload session has expired", "code": 400}]}


# ---------------------------------------------------------------------------------------------------
# import new / into existing
# ---------------------------------------------------------------------------------------------------
def test_import_new_job_lifecycle(kore: Kore) -> None:
    ids = kore.upload_package(PACKAGE)
    response = kore.post("/api/public/workflows/import", json={**ids, "workflowName": "Loan Desk"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"dockStatusId", "workflowId", "jobType", "action", "status"}
    assert re.fullmatch(r"ds-[0-9a-f-]{36}", body["dockStatusId"]) and re.fullmatch(r"a-[0-9a-f-]{36}", body["workflowId"])
    assert (body["jobType"], body["action"], body["status"]) == ("WORKFLOWS", "IMPORT", "IN_PROGRESS")
    pending = kore.dock(body["dockStatusId"])
    assert pending["status"] == "IN_PROGRESS" and pending["_id"] == body["dockStatusId"] and pending["workflowId"] == body["workflowId"]
    assert 0 <= pending["percentageComplete"] < 100
    assert body["workflowId"] not in kore.workflows()
    assert kore.post(f"/api/public/workflows/{body['workflowId']}/export").json() == INVALID_WORKFLOW
    done = kore.finish(body["dockStatusId"])
    assert done["status"] == "SUCCESS" and done["percentageComplete"] == 100 and done["statusLogs"][-1]["status"] == "SUCCESS"
    created = kore.workflows()[body["workflowId"]]
    assert created["name"] == "Loan Desk" and created["status"] == "In Development" and created["deployed_version"] is None
    assert [v["version"] for v in created["versions"]] == [1]
    assert created["versions"][0]["flow_definition"] == PACKAGE["flow_definition"]


def test_job_completes_on_wall_clock_delay(kore: Kore) -> None:
    kore.control_call("PUT", "/config", {"account": ACCOUNT, "job_delay_seconds": 0.2})
    ids = kore.upload_package(PACKAGE)
    dock_id = kore.post("/api/public/workflows/import", json={**ids, "workflowName": "Timed"}).json()["dockStatusId"]
    assert kore.dock(dock_id)["status"] == "IN_PROGRESS"
    time.sleep(0.35)
    assert kore.dock(dock_id)["status"] == "SUCCESS"


@pytest.mark.parametrize("drop", ["workflowDataFileId", "flowDataFileId", "workflowName"])
def test_import_new_missing_required_field_is_412(kore: Kore, drop: str) -> None:
    ids = kore.upload_package(PACKAGE)
    body = {**ids, "workflowName": "X"}
    del body[drop]
    response = kore.post("/api/public/workflows/import", json=body)
    assert (response.status_code, response.json()) == (412, VALIDATION)


def test_import_new_bad_bodies(kore: Kore) -> None:
    assert kore.post("/api/public/workflows/import", data="{oops").json() == VALIDATION
    assert kore.post("/api/public/workflows/import", json=["a"]).json() == VALIDATION
    ids = kore.upload_package(PACKAGE)
    assert kore.post("/api/public/workflows/import", json={**ids, "workflowName": "   "}).status_code == 412


def test_import_new_env_file_is_optional(kore: Kore) -> None:
    ids = kore.upload_package(PACKAGE)
    del ids["envVariablesFileId"]
    body = kore.post("/api/public/workflows/import", json={**ids, "workflowName": "No Env"}).json()
    assert kore.finish(body["dockStatusId"])["status"] == "SUCCESS"
    assert kore.workflows()[body["workflowId"]]["versions"][0]["env_variables"] == []


def test_import_unknown_or_foreign_file_id_is_400(kore: Kore) -> None:
    ids = kore.upload_package(PACKAGE)
    foreign = kore.upload("flow_definition.json", {"x": 1}, key=OTHER_KEY)
    for bad in ("0123456789abcdef01234567", foreign):
        response = kore.post("/api/public/workflows/import", json={**ids, "flowDataFileId": bad, "workflowName": "Y"})
        assert (response.status_code, response.json()) == (400, INVALID_FILE)
        existing = kore.post(f"/api/public/workflows/{WF}/import", json={**ids, "envVariablesFileId": bad})
        assert (existing.status_code, existing.json()) == (400, INVALID_FILE)


def test_import_new_duplicate_name_is_409(kore: Kore) -> None:
    ids = kore.upload_package(PACKAGE)
    clash = kore.post("/api/public/workflows/import", json={**ids, "workflowName": "banking assistant"})
    assert clash.status_code == 409
    assert clash.json() == {"errors": [{"msg": "A workflow named 'banking assistant' already exists", "code": 409}]}
    assert kore.post("/api/public/workflows/import", json={**ids, "workflowName": "Fresh"}).status_code == 200
    assert kore.post("/api/public/workflows/import", json={**ids, "workflowName": "Fresh"}).status_code == 409  # pending import
    other = kore.upload_package(PACKAGE, key=OTHER_KEY)
    assert kore.post("/api/public/workflows/import", key=OTHER_KEY, json={**other, "workflowName": "Banking Assistant"}).status_code == 200


@pytest.mark.parametrize("member,content,reason", [
    ("flow_definition", "{not json", "Corrupt file: flow_definition.json is not valid JSON"),
    ("app_definition", "[1, 2]", "Incompatible workflow file: app_definition.json must be a JSON object"),
    ("env_variables", '"text"', "Incompatible workflow file: env_variables.json must be a JSON object or array"),
    ("app_definition", b"\xff\xfe\x00", "Corrupt file: app_definition.json is not valid JSON"),
])
def test_import_of_a_corrupt_package_fails_the_job(kore: Kore, member: str, content: str | bytes, reason: str) -> None:
    ids = kore.upload_package(PACKAGE)
    field_name = {"flow_definition": "flowDataFileId", "app_definition": "workflowDataFileId", "env_variables": "envVariablesFileId"}[member]
    ids[field_name] = kore.upload(f"{member}.json", content)
    body = kore.post("/api/public/workflows/import", json={**ids, "workflowName": "Broken"}).json()
    assert body["status"] == "IN_PROGRESS"
    failed = kore.finish(body["dockStatusId"])
    assert failed["status"] == "FAILED" and failed["message"] == reason and failed["statusLogs"][-1]["message"] == reason
    assert body["workflowId"] not in kore.workflows()
    existing = kore.post(f"/api/public/workflows/{WF}/import", json=ids).json()
    assert kore.finish(existing["dockStatusId"])["message"] == reason
    assert len(kore.workflows()[WF]["versions"]) == 2


def test_import_fails_on_missing_guardrails(kore: Kore) -> None:
    kore.control.seed({"koreai": {"accounts": [{"id": ACCOUNT, "guardrails": ["pii-filter"]}]}})
    package = {**PACKAGE, "app_definition": {"guardrails": ["pii-filter", {"name": "toxicity"}]}}
    ids = kore.upload_package(package)
    body = kore.post("/api/public/workflows/import", json={**ids, "workflowName": "Guarded"}).json()
    assert kore.finish(body["dockStatusId"])["message"] == "Guardrails not found in the target account: toxicity"


def test_import_new_via_tools_route(kore: Kore) -> None:
    ids = kore.upload_package(PACKAGE)
    body = {"toolDataFileId": ids["workflowDataFileId"], "flowDataFileId": ids["flowDataFileId"], "toolName": "Legacy Tool"}
    response = kore.post("/api/public/tools/import", json=body).json()
    assert set(response) == {"dockStatusId", "toolId", "jobType", "action", "status"} and response["jobType"] == "TOOLS"
    done = kore.finish(response["dockStatusId"])
    assert done["toolId"] == response["toolId"] and done["jobType"] == "TOOLS" and done["status"] == "SUCCESS"


def test_import_existing_creates_in_development_version(kore: Kore) -> None:
    ids = kore.upload_package(PACKAGE)
    response = kore.post(f"/api/public/workflows/{WF}/import", json=ids)
    body = response.json()
    assert response.status_code == 200 and body["workflowId"] == WF and body["action"] == "IMPORT" and body["status"] == "IN_PROGRESS"
    assert len(kore.workflows()[WF]["versions"]) == 2
    assert kore.finish(body["dockStatusId"])["status"] == "SUCCESS"
    workflow = kore.workflows()[WF]
    assert [(v["version"], v["status"]) for v in workflow["versions"]] == [(1, "Deployed"), (2, "Saved"), (3, "In Development")]
    assert workflow["deployed_version"] == 1 and workflow["status"] == "In Development"
    assert workflow["versions"][2]["flow_definition"] == PACKAGE["flow_definition"]
    # default policy keep_existing: API_BASE keeps the existing value, TIMEOUT is new
    assert workflow["versions"][2]["env_variables"] == [{"key": "API_BASE", "value": "https://prod.example"}, {"key": "TIMEOUT", "value": "30"}]
    # export still serves the deployed version until a deploy
    exported = kore.post(f"/api/public/workflows/{WF}/export").json()
    kore.control.advance_clock(10)
    assert _zip_docs(kore.download(exported["response"]["downloadUrl"]).content)["flow_definition.json"] == {"nodes": ["v1"]}
    assert kore.post(f"/api/public/workflows/{WF}/deploy", json={"isAsync": False}).json()["status"] == "SUCCESS"
    assert kore.workflows()[WF]["deployed_version"] == 3 and kore.workflows()[WF]["status"] == "Deployed"


def test_import_existing_overwrite_policy_and_immediate_mode(kore: Kore) -> None:
    kore.control_call("PUT", "/config", {"account": ACCOUNT, "env_merge_policy": "overwrite", "import_existing_immediate": True})
    ids = kore.upload_package(PACKAGE)
    body = kore.post(f"/api/public/workflow/{WF}/import", json=ids).json()
    assert body["status"] == "SUCCESS"
    assert kore.workflows()[WF]["versions"][-1]["env_variables"] == PACKAGE["env_variables"]


def test_import_existing_can_require_a_deployed_parent(kore: Kore) -> None:
    kore.control_call("PUT", "/config", {"account": OTHER, "require_deployed_for_import": True})
    ids = kore.upload_package(PACKAGE, key=OTHER_KEY)
    body = kore.post(f"/api/public/workflows/{WF_OTHER}/import", key=OTHER_KEY, json=ids).json()
    assert kore.finish(body["dockStatusId"], key=OTHER_KEY)["message"] == "The parent workflow must be deployed before a version can be imported"


@pytest.mark.parametrize("drop", ["workflowDataFileId", "flowDataFileId", "envVariablesFileId"])
def test_import_existing_needs_all_three_files(kore: Kore, drop: str) -> None:
    ids = kore.upload_package(PACKAGE)
    del ids[drop]
    response = kore.post(f"/api/public/workflows/{WF}/import", json=ids)
    assert (response.status_code, response.json()) == (412, VALIDATION)


@pytest.mark.parametrize("action,body", [("import", None), ("export", None), ("deploy", {"isAsync": True}), ("undeploy", None)])
def test_foreign_and_unknown_workflows_look_the_same(kore: Kore, action: str, body: dict | None) -> None:
    payload = kore.upload_package(PACKAGE) if action == "import" else body
    unknown = kore.post(f"/api/public/workflows/a-00000000-0000-0000-0000-000000000000/{action}", json=payload)
    foreign = kore.post(f"/api/public/workflows/{WF_OTHER}/{action}", json=payload)
    assert (unknown.status_code, unknown.json()) == (foreign.status_code, foreign.json()) == (400, INVALID_WORKFLOW)


# ---------------------------------------------------------------------------------------------------
# export, download, dock status
# ---------------------------------------------------------------------------------------------------
def test_export_documented_shape_and_download(kore: Kore) -> None:
    response = kore.post(f"/api/public/workflows/{WF}/export")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["dock-statusId", "workflowId", "jobType", "action", "status", "exportJobId", "response"]
    assert (body["workflowId"], body["jobType"], body["action"], body["status"]) == (WF, "WORKFLOWS", "EXPORT", "IN_PROGRESS")
    assert re.fullmatch(r"workflow-ej-[0-9a-f-]{36}", body["exportJobId"])
    url = body["response"]["downloadUrl"]
    assert url.startswith(kore.base + f"/api/v1/account/{ACCOUNT}/exports/{body['exportJobId']}?")
    early = kore.download(url)
    assert (early.status_code, early.json()) == (409, {"errors": [{"msg": "The export is still in progress", "code": 409}]})
    done = kore.finish(body["dock-statusId"])
    assert done["status"] == "SUCCESS" and done["exportJobId"] == body["exportJobId"] and "downloadUrl" in done
    archive = kore.download(url)
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    assert "Banking%20Assistant.zip" in archive.headers["content-disposition"]
    docs = _zip_docs(archive.content)
    assert sorted(docs) == ["app_definition.json", "env_variables.json", "flow_definition.json"]
    assert docs["flow_definition.json"] == {"nodes": ["v1"]}  # the deployed version by default
    assert kore.download(done["downloadUrl"]).content == archive.content


def test_export_selects_version_by_flow_id(kore: Kore) -> None:
    body = kore.post(f"/api/public/workflow/{WF}/export", params={"flowId": FLOW_V2}).json()
    kore.finish(body["dock-statusId"])
    assert _zip_docs(kore.download(body["response"]["downloadUrl"]).content)["flow_definition.json"] == {"nodes": ["v2"]}
    bad = kore.post(f"/api/public/workflows/{WF}/export", params={"flowId": "cf-nope"})
    assert (bad.status_code, bad.json()) == (400, {"errors": [{"msg": "Invalid flowId", "code": 400}]})


def test_export_of_undeployed_workflow_uses_latest_version(kore: Kore) -> None:
    body = kore.post(f"/api/public/workflows/{WF_OTHER}/export", key=OTHER_KEY).json()
    kore.finish(body["dock-statusId"], key=OTHER_KEY)
    assert _zip_docs(kore.download(body["response"]["downloadUrl"]).content) == {
        "flow_definition.json": {"x": 1}, "app_definition.json": {}, "env_variables.json": []}


def test_export_is_deterministic(kore: Kore) -> None:
    first = kore.post(f"/api/public/workflows/{WF}/export").json()
    second = kore.post(f"/api/public/workflows/{WF}/export").json()
    kore.control.advance_clock(10)
    assert first["dock-statusId"] != second["dock-statusId"]
    assert kore.download(first["response"]["downloadUrl"]).content == kore.download(second["response"]["downloadUrl"]).content


def test_alternative_spellings_and_quirks(kore: Kore) -> None:
    kore.control_call("PUT", "/config", {"account": ACCOUNT, "emit_alt_spellings": True, "download_url_leading_space": True,
                                         "download_before_done_status": 404})
    body = kore.post(f"/api/public/workflows/{WF}/export").json()
    assert "dockStatusId" in body and "dock-statusId" not in body
    url = body["response"]["downloadURL"]
    assert url.startswith(" http") and "downloadUrl" not in body["response"]
    assert kore.download(url).status_code == 404
    done = kore.finish(body["dockStatusId"])
    assert "downloadURL" in done
    assert kore.download(url).status_code == 200
    deploy = kore.post(f"/api/public/workflows/{WF}/deploy", json={"isAsync": False}).json()
    assert "dockStatusId" in deploy and "dock-statusId" not in deploy


def test_export_via_tools_route(kore: Kore) -> None:
    body = kore.post(f"/api/public/tools/{WF}/export").json()
    assert body["toolId"] == WF and body["jobType"] == "TOOLS" and body["exportJobId"].startswith("agent-ej-")


def test_download_url_expiry_and_tampering(kore: Kore) -> None:
    body = kore.post(f"/api/public/workflows/{WF}/export").json()
    url = body["response"]["downloadUrl"]
    kore.control.advance_clock(10)
    assert kore.download(url).status_code == 200
    tampered_sig = _tamper(url, s="0" * 64)
    tampered_expiry = _tamper(url, e=str(int(parse_qs(urlsplit(url).query)["e"][0]) + 86400))
    other_job = url.replace(body["exportJobId"], "workflow-ej-00000000-0000-0000-0000-000000000000")
    unsigned = url.split("?")[0]
    for bad in (tampered_sig, tampered_expiry, other_job, unsigned):
        response = kore.download(bad)
        assert (response.status_code, response.json()) == (403, {"errors": [{"msg": "Invalid or tampered link signature", "code": 403}]})
    kore.control.advance_clock(3600)
    expired = kore.download(url)
    assert (expired.status_code, expired.json()) == (403, {"errors": [{"msg": "The link has expired", "code": 403}]})
    fresh = kore.dock(body["dock-statusId"])["downloadUrl"]  # the dock status re-issues a fresh link
    assert kore.download(fresh).status_code == 200


def test_dock_status_unknown_or_foreign_is_invalid_request(kore: Kore) -> None:
    body = kore.post(f"/api/public/workflows/{WF}/export").json()
    for key, dock_id in ((KEY, "ds-00000000-0000-0000-0000-000000000000"), (OTHER_KEY, body["dock-statusId"])):
        response = kore.call("GET", f"/api/public/dock-status/{dock_id}", key=key)
        assert (response.status_code, response.json()) == (400, INVALID_REQUEST)
    document = kore.dock(body["dock-statusId"])
    assert {"_id", "workflowId", "jobType", "action", "status", "percentageComplete", "createdOn", "statusLogs"} <= set(document)


def test_import_export_round_trip(kore: Kore) -> None:
    raw_flow = '{"nodes": [{"id": "ai", "temperature": 1.0, "tiny": 1e-50}], "name": "caf\\u00e9"}'
    ids = kore.upload_package(PACKAGE)
    ids["flowDataFileId"] = kore.upload("flow_definition.json", raw_flow)
    imported = kore.post("/api/public/workflows/import", json={**ids, "workflowName": "Round Trip"}).json()
    assert kore.finish(imported["dockStatusId"])["status"] == "SUCCESS"
    exported = kore.post(f"/api/public/workflows/{imported['workflowId']}/export").json()
    assert kore.finish(exported["dock-statusId"])["status"] == "SUCCESS"
    content = kore.download(exported["response"]["downloadUrl"]).content
    docs = _zip_docs(content)
    assert docs == {"flow_definition.json": json.loads(raw_flow), "app_definition.json": PACKAGE["app_definition"],
                    "env_variables.json": PACKAGE["env_variables"]}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        flow_text = archive.read("flow_definition.json").decode()
    assert "1.0" in flow_text and "1e-50" in flow_text  # number literals survive
    # and the exported files import again into the same workflow (new version, identical documents)
    again = {"flowDataFileId": kore.upload("flow_definition.json", flow_text),
             "workflowDataFileId": kore.upload("app_definition.json", docs["app_definition.json"]),
             "envVariablesFileId": kore.upload("env_variables.json", docs["env_variables.json"])}
    body = kore.post(f"/api/public/workflows/{imported['workflowId']}/import", json=again).json()
    assert kore.finish(body["dockStatusId"])["status"] == "SUCCESS"
    versions = kore.workflows()[imported["workflowId"]]["versions"]
    assert len(versions) == 2 and {k: versions[0][k] for k in PACKAGE} == {k: versions[1][k] for k in PACKAGE}


# ---------------------------------------------------------------------------------------------------
# deploy / undeploy
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [None, {}, {"isAsync": "true"}, {"isAsync": 1}])
def test_deploy_needs_boolean_is_async(kore: Kore, body: dict | None) -> None:
    response = kore.post(f"/api/public/workflows/{WF}/deploy", json=body)
    assert (response.status_code, response.json()) == (412, VALIDATION)


def test_deploy_sync_and_async(kore: Kore) -> None:
    sync = kore.post(f"/api/public/workflows/{WF}/deploy", json={"isAsync": False}).json()
    assert list(sync) == ["dock-statusId", "workflowId", "jobType", "action", "status"]
    assert (sync["action"], sync["status"]) == ("DEPLOY", "SUCCESS")
    assert kore.dock(sync["dock-statusId"])["status"] == "SUCCESS"
    assert kore.workflows()[WF]["deployed_version"] == 2
    asynchronous = kore.post(f"/api/public/workflows/{WF_OTHER}/deploy", key=OTHER_KEY, json={"isAsync": True}).json()
    assert asynchronous["status"] == "IN_PROGRESS"
    assert kore.workflows(OTHER)[WF_OTHER]["deployed_version"] is None
    assert kore.finish(asynchronous["dock-statusId"], key=OTHER_KEY)["status"] == "SUCCESS"
    assert kore.workflows(OTHER)[WF_OTHER]["deployed_version"] == 1


def test_undeploy(kore: Kore) -> None:
    response = kore.post(f"/api/public/workflow/{WF}/undeploy")
    body = response.json()
    assert response.status_code == 200
    assert list(body) == ["dockStatusId", "toolId", "jobType", "action", "status"]
    assert (body["toolId"], body["action"], body["status"]) == (WF, "UNDEPLOY", "SUCCESS")
    assert kore.workflows()[WF]["deployed_version"] is None
    again = kore.post(f"/api/public/workflows/{WF}/undeploy")
    assert (again.status_code, again.json()) == (400, {"errors": [{"msg": "Workflow is not deployed", "code": 400}]})
    kore.control_call("PUT", "/config", {"account": ACCOUNT, "undeploy_id_key": "workflowId"})
    kore.post(f"/api/public/workflows/{WF}/deploy", json={"isAsync": False})
    assert "workflowId" in kore.post(f"/api/public/workflows/{WF}/undeploy").json()


# ---------------------------------------------------------------------------------------------------
# failure injection and control routes
# ---------------------------------------------------------------------------------------------------
def test_fail_next_import_and_export(kore: Kore) -> None:
    assert kore.control_call("POST", "/fail-next", {"account": ACCOUNT, "action": "import", "reason": "Incompatible workflow version"}).ok
    assert kore.control_call("POST", "/fail-next", {"account": ACCOUNT, "action": "EXPORT", "reason": "Internal error"}).ok
    ids = kore.upload_package(PACKAGE)
    imported = kore.post("/api/public/workflows/import", json={**ids, "workflowName": "Doomed"}).json()
    failed = kore.finish(imported["dockStatusId"])
    assert (failed["status"], failed["message"]) == ("FAILED", "Incompatible workflow version")
    exported = kore.post(f"/api/public/workflows/{WF}/export").json()
    assert kore.finish(exported["dock-statusId"])["message"] == "Internal error"
    assert kore.download(exported["response"]["downloadUrl"]).status_code == 404
    # only the next job fails
    retry = kore.post("/api/public/workflows/import", json={**ids, "workflowName": "Doomed"}).json()
    assert kore.finish(retry["dockStatusId"])["status"] == "SUCCESS"


def test_fail_next_sync_deploy_and_undeploy(kore: Kore) -> None:
    kore.control_call("POST", "/fail-next", {"action": "DEPLOY", "reason": "Missing model"})
    kore.control_call("POST", "/fail-next", {"action": "UNDEPLOY"})
    deploy = kore.post(f"/api/public/workflows/{WF}/deploy", json={"isAsync": False}).json()
    assert deploy["status"] == "FAILED" and kore.workflows()[WF]["deployed_version"] == 1
    assert kore.post(f"/api/public/workflows/{WF}/undeploy").json()["status"] == "FAILED"
    assert kore.workflows()[WF]["deployed_version"] == 1


def test_stuck_job_and_job_control(kore: Kore) -> None:
    kore.control_call("POST", "/stuck-next", {"account": ACCOUNT, "action": "EXPORT"})
    body = kore.post(f"/api/public/workflows/{WF}/export").json()
    kore.control.advance_clock(10 ** 6)
    stuck = kore.dock(body["dock-statusId"])
    assert stuck["status"] == "IN_PROGRESS" and stuck["percentageComplete"] == 0
    released = kore.control_call("PUT", f"/jobs/{body['dock-statusId']}", {"stuck": False}).json()
    assert released["status"] == "SUCCESS"
    second = kore.post(f"/api/public/workflows/{WF}/export").json()
    forced = kore.control_call("PUT", f"/jobs/{second['dock-statusId']}", {"status": "FAILED", "reason": "Disk full"}).json()
    assert forced["status"] == "FAILED" and kore.dock(second["dock-statusId"])["message"] == "Disk full"
    assert kore.control_call("GET", f"/jobs/{second['dock-statusId']}").json()["account"] == ACCOUNT
    assert kore.control_call("PUT", f"/jobs/{second['dock-statusId']}", {"status": "SUCCESS"}).status_code == 400
    assert kore.control_call("GET", "/jobs/ds-none").status_code == 404


def test_control_validation(kore: Kore) -> None:
    assert kore.control_call("PUT", "/config", {"job_delay_seconds": -1}).status_code == 400
    assert kore.control_call("PUT", "/config", {"no_such": 1}).status_code == 400
    assert kore.control_call("PUT", "/config", {"account": "nobody", "job_delay_seconds": 1}).status_code == 404
    assert kore.control_call("POST", "/fail-next", {"action": "DELETE"}).status_code == 400
    assert kore.control_call("GET", "/accounts/nobody/workflows").status_code == 404
    config = kore.control_call("PUT", "/config", {"job_delay_seconds": 0}).json()
    assert config["defaults"]["job_delay_seconds"] == 0 and config["accounts"][ACCOUNT]["job_delay_seconds"] == 0
    assert kore.control_call("GET", "/config").json()["accounts"][OTHER]["job_delay_seconds"] == 0


def test_bad_seed_is_rejected(emulator: EmulatorClient) -> None:
    for bad in ({"accounts": [{"api_keys": ["k"]}]}, {"accounts": [{"id": "x", "typo": 1}]}, {"nope": 1},
                {"accounts": [{"id": "x", "workflows": [{"name": "w", "deployed_version": 7}]}]}):
        with pytest.raises(Exception, match="400"):
            emulator.seed({"koreai": bad})
    emulator.seed({"koreai": {"accounts": [{"id": "x", "api_keys": ["shared"]}]}})
    with pytest.raises(Exception, match="already used"):
        emulator.seed({"koreai": {"accounts": [{"id": "y", "api_keys": ["shared"]}]}})


def test_snapshot_restore_round_trip(kore: Kore) -> None:
    kore.control_call("POST", "/stuck-next", {"account": ACCOUNT, "action": "IMPORT"})
    kore.control_call("POST", "/fail-next", {"account": OTHER, "action": "EXPORT", "reason": "later"})
    ids = kore.upload_package(PACKAGE)
    imported = kore.post("/api/public/workflows/import", json={**ids, "workflowName": "Snap"}).json()
    exported = kore.post(f"/api/public/workflows/{WF}/export").json()
    kore.control.advance_clock(10)
    kore.post("/api/public/files/session/start", json={"fileContext": "bulkImport", "totalChunks": 2, "fileName": "s.json"})
    snapshot = kore.control.snapshot()
    kore.control.restore(snapshot)
    assert kore.control.snapshot() == snapshot
    assert kore.dock(imported["dockStatusId"])["status"] == "IN_PROGRESS"
    assert kore.download(exported["response"]["downloadUrl"]).status_code == 200  # signing secret survives a restore
    failed = kore.post(f"/api/public/workflows/{WF_OTHER}/export", key=OTHER_KEY).json()
    assert kore.finish(failed["dock-statusId"], key=OTHER_KEY)["message"] == "later"
    kore.control.reset(["koreai"])
    assert kore.control.snapshot()["koreai"]["accounts"] == []


# ---------------------------------------------------------------------------------------------------
# switches for open questions, and job faults through the core fault API
# ---------------------------------------------------------------------------------------------------
def _exported_flow(kore: Kore, params: dict | None = None) -> t.Any:
    body = kore.post(f"/api/public/workflows/{WF}/export", params=params).json()
    kore.finish(body["dock-statusId"])
    return _zip_docs(kore.download(body["response"]["downloadUrl"]).content)["flow_definition.json"]


def test_export_default_version_switch(kore: Kore) -> None:
    """Export without flowId: the deployed version (default) or the latest one (the reference leaves it open)."""
    assert _exported_flow(kore) == {"nodes": ["v1"]}  # v1 deployed, v2 latest
    config = kore.control_call("PUT", "/config", {"account": ACCOUNT, "export_default_version": "latest"})
    assert config.status_code == 200 and config.json()["accounts"][ACCOUNT]["export_default_version"] == "latest"
    assert _exported_flow(kore) == {"nodes": ["v2"]}
    assert _exported_flow(kore, {"flowId": FLOW_V1}) == {"nodes": ["v1"]}  # an explicit flowId always wins
    kore.control_call("PUT", "/config", {"account": ACCOUNT, "export_default_version": "deployed"})
    assert _exported_flow(kore) == {"nodes": ["v1"]}
    assert kore.control_call("PUT", "/config", {"export_default_version": "newest"}).status_code == 400


@pytest.mark.parametrize("policy, expected", [
    ("keep_existing", [{"key": "API_BASE", "value": "https://prod.example"}, {"key": "TIMEOUT", "value": "30"}]),
    ("overwrite", PACKAGE["env_variables"]),
])
def test_import_existing_env_policy_switch(kore: Kore, policy: str, expected: list) -> None:
    """Import into an existing workflow keeps or overwrites the env values there (the reference leaves it open)."""
    assert kore.control_call("PUT", "/config", {"account": ACCOUNT, "env_merge_policy": policy}).status_code == 200
    body = kore.post(f"/api/public/workflows/{WF}/import", json=kore.upload_package(PACKAGE)).json()
    assert kore.finish(body["dockStatusId"])["status"] == "SUCCESS"
    assert kore.workflows()[WF]["versions"][-1]["env_variables"] == expected


@pytest.mark.parametrize("action, path, body", [
    ("DEPLOY", "/deploy", {"isAsync": True}),
    ("EXPORT", "/export", None),
    ("IMPORT", "/import", "package"),
])
def test_job_fail_fault_per_action_is_persistent(kore: Kore, action: str, path: str, body: t.Any) -> None:
    """A job_fail rule fails every job of the matched action (no times: persistent) and leaves other actions alone."""
    ids = kore.upload_package(PACKAGE)
    rule = kore.control.add_fault({"provider": "koreai", "method": "POST", "path": re.escape(path) + "$",
                                   "action": {"type": "job_fail", "reason": "Internal error"}})
    versions_before = len(kore.workflows()[WF]["versions"])
    for _attempt in range(2):
        payload = ids if body == "package" else body
        response = kore.post(f"/api/public/workflows/{WF}{path}", json=payload)
        assert response.status_code == 200, response.text
        answer = response.json()
        dock_id = answer.get("dock-statusId") or answer["dockStatusId"]
        assert answer["action"] == action
        final = kore.finish(dock_id)
        assert (final["status"], final["message"]) == ("FAILED", "Internal error")
    workflow = kore.workflows()[WF]
    assert len(workflow["versions"]) == versions_before and workflow["deployed_version"] == 1  # nothing took effect
    other = "/export" if action != "EXPORT" else "/deploy"
    other_answer = kore.post(f"/api/public/workflows/{WF}{other}", json={"isAsync": True} if other == "/deploy" else None).json()
    assert kore.finish(other_answer.get("dock-statusId") or other_answer["dockStatusId"])["status"] == "SUCCESS"
    (entry,) = [r for r in kore.control.faults() if r["id"] == rule]
    assert entry["fired"] == 2
    log = [e["fault"] for e in kore.control.requests(provider="koreai") if e["path"].endswith(path)]
    assert log == [f"job_fail:{rule}"] * 2


def test_job_stuck_fault_and_fault_api_validation(kore: Kore) -> None:
    rule = kore.control.add_fault({"provider": "koreai", "path": "/export$", "times": 1, "action": {"type": "job_stuck"}})
    stuck = kore.post(f"/api/public/workflows/{WF}/export").json()["dock-statusId"]
    kore.control.advance_clock(10 ** 6)
    assert kore.dock(stuck)["status"] == "IN_PROGRESS"
    sync_deploy = kore.post(f"/api/public/workflows/{WF}/deploy", json={"isAsync": False}).json()
    assert sync_deploy["status"] == "SUCCESS"  # other actions are not matched
    again = kore.post(f"/api/public/workflows/{WF}/export").json()["dock-statusId"]
    assert kore.finish(again)["status"] == "SUCCESS"  # times: 1
    assert kore.control_call("PUT", f"/jobs/{stuck}", {"stuck": False}).json()["status"] == "SUCCESS"
    # a pending fail-next is not used up by a job that a fault rule already decided
    kore.control.add_fault({"provider": "koreai", "path": "/deploy$", "times": 1, "action": {"type": "job_stuck"}})
    kore.control_call("POST", "/fail-next", {"account": ACCOUNT, "action": "DEPLOY", "reason": "Missing model"})
    first = kore.post(f"/api/public/workflows/{WF}/deploy", json={"isAsync": False}).json()
    assert first["status"] == "IN_PROGRESS"
    second = kore.post(f"/api/public/workflows/{WF}/deploy", json={"isAsync": False}).json()
    assert second["status"] == "FAILED" and kore.dock(second["dock-statusId"])["message"] == "Missing model"
    assert [r["fired"] for r in kore.control.faults() if r["id"] == rule] == [1]
    for bad in ({"path": "/export", "action": {"type": "job_fail"}},
                {"provider": "descope", "path": "/export", "action": {"type": "job_stuck"}},
                {"provider": "koreai", "path": "/export", "action": {"type": "job_fail", "reason": 5}}):
        with pytest.raises(EmulatorError):
            kore.control.add_fault(bad)
