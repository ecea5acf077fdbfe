# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kore.ai client, package handling and adapter, against an in-memory fake of the HTTP API.

``FakeKoreAI`` is a ``requests`` transport adapter: the real ``HttpClient`` (retries, Retry-After,
error parsing, secret scrubbing) runs unchanged; only the socket is replaced. The module tests reuse it.
"""

from __future__ import annotations

import copy
import io
import json
import re
import uuid
import zipfile
from email.parser import BytesParser
from email.policy import default as email_policy
from urllib.parse import urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse

from ansible_collections.flowops.flows.plugins.module_utils import _koreai as K
from ansible_collections.flowops.flows.plugins.module_utils import _koreai_documents as KD
from ansible_collections.flowops.flows.plugins.module_utils._http import ApiError
from ansible_collections.flowops.flows.plugins.module_utils._models import DocumentInvalid
from ansible_collections.flowops.flows.plugins.module_utils._document import DocumentError, fingerprint
from ansible_collections.flowops.flows.plugins.module_utils._sync import Engine, FlowError, Item, SyncError

BASE = "https://koreai.test"
KEY = "kg-unit-test-key-0123456789"

PACKAGE = {
    "flow_definition": {"nodes": [{"id": "start", "type": "start"}, {"id": "api", "type": "api", "url": "{{env.API_URL}}"}]},
    "app_definition": {"name": "Orders", "description": "orders assistant", "guardrails": []},
    "env_variables": [
        {"key": "API_URL", "value": "https://dev.example.com", "isSecured": False},
        {"key": "API_TOKEN", "value": "dev-token-abcdef", "isSecured": True},
    ],
}


def package(**changes):
    docs = copy.deepcopy(PACKAGE)
    docs.update(changes)
    return docs


class FakeKoreAI(BaseAdapter):
    """A tiny AI for Process API: workflows with a deployed and a latest version, jobs, files."""

    def __init__(self, workflows=None):
        super().__init__()
        self.workflows = {}
        for wid, docs in (workflows or {}).items():
            self.workflows[wid] = {"name": wid, "latest": copy.deepcopy(docs), "deployed": copy.deepcopy(docs)}
        self.jobs = {}
        self.files = {}
        self.calls = []
        self.faults = []            # dicts: method, path (regex), status, body, headers, times
        self.outcome = {}           # action -> "FAILED" | "STUCK"
        self.reason = "Incompatible workflow version"
        self.polls_needed = 1       # dock-status polls before a job is terminal
        self.alt_spellings = False
        self.download_status = None
        self.download_times = None  # how many downloads fail with download_status (None = all)

    # -- helpers for tests
    def writes(self):
        return [c for c in self.calls if c[0] == "POST" and not c[1].endswith("/export")]

    def fault(self, method, path, status, body=None, headers=None, times=None):
        self.faults.append({"method": method, "path": path, "status": status, "body": body, "headers": headers or {}, "times": times})

    # -- transport
    def close(self):
        pass

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ,too-many-return-statements,too-many-branches
        parts = urlsplit(request.url)
        path = parts.path
        self.calls.append((request.method, path))
        for rule in self.faults:
            if rule["method"] == request.method and re.search(rule["path"], path) and rule["times"] != 0:
                if rule["times"] is not None:
                    rule["times"] -= 1
                return self._json(request, rule["status"], rule["body"] or {"errors": [{"msg": "injected", "code": rule["status"]}]}, rule["headers"])
        if path.startswith("/download/"):
            if self.download_status and (self.download_times is None or self.download_times > 0):
                if self.download_times is not None:
                    self.download_times -= 1
                return self._json(request, self.download_status, {"errors": [{"msg": "The link has expired", "code": self.download_status}]})
            job = self.jobs[path.rsplit("/", 1)[-1]]
            return self._raw(request, 200, KD.build_zip(job["docs"]), {"Content-Type": "application/zip"})
        if request.headers.get("x-api-key") != KEY:
            return self._json(request, 401, {"errors": [{"msg": "Invalid SDK credentials", "code": 4002}]})
        match = re.fullmatch(r"/api/public/(workflows|workflow|tools)/([^/]+)/(export|import|deploy)", path)
        if match:
            wid, action = match.group(2), match.group(3)
            if wid not in self.workflows:
                return self._json(request, 400, {"errors": [{"msg": "Invalid workflowId", "code": 400}]})
            workflow = self.workflows[wid]
            if action == "export":
                docs = workflow["deployed"] if workflow["deployed"] is not None else workflow["latest"]
                job = self._job("EXPORT", wid, docs=copy.deepcopy(docs))
                body = {("dockStatusId" if self.alt_spellings else "dock-statusId"): job["id"], "workflowId": wid, "jobType": "WORKFLOWS",
                        "action": "EXPORT", "status": "IN_PROGRESS", "exportJobId": "workflow-ej-" + job["id"],
                        "response": {("downloadURL" if self.alt_spellings else "downloadUrl"): " %s/download/%s" % (BASE, job["id"])}}
                return self._json(request, 200, body)
            body = json.loads(request.body or b"{}")
            if action == "import":
                docs = {key: json.loads(self.files[body[field]]) for key, field in
                        (("flow_definition", "flowDataFileId"), ("app_definition", "workflowDataFileId"), ("env_variables", "envVariablesFileId"))}
                job = self._job("IMPORT", wid, docs=docs)
            else:
                job = self._job("DEPLOY", wid)
            return self._json(request, 200, {"dockStatusId": job["id"], "workflowId": wid, "jobType": "WORKFLOWS", "action": job["action"],
                                             "status": "IN_PROGRESS"})
        if path in ("/api/public/workflows/import", "/api/public/tools/import"):
            body = json.loads(request.body)
            wid = "a-" + str(uuid.uuid4())
            docs = {key: json.loads(self.files[body[field]]) for key, field in
                    (("flow_definition", "flowDataFileId"), ("app_definition", "workflowDataFileId"), ("env_variables", "envVariablesFileId"))}
            job = self._job("IMPORT", wid, docs=docs, new=body["workflowName"])
            return self._json(request, 200, {"dockStatusId": job["id"], "workflowId": wid, "jobType": "WORKFLOWS", "action": "IMPORT",
                                             "status": "IN_PROGRESS"})
        if path == "/api/public/files":
            ctype = request.headers["Content-Type"]
            message = BytesParser(policy=email_policy).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + request.body)
            form = {p.get_param("name", header="content-disposition"): p.get_payload(decode=True) for p in message.iter_parts()}
            assert form["fileContext"] == b"bulkImport"
            file_id = uuid.uuid4().hex[:24]
            self.files[file_id] = form["file"]
            return self._json(request, 200, {"url": BASE + "/media/" + file_id, "fileId": file_id})
        match = re.fullmatch(r"/api/public/dock-status/([^/]+)", path)
        if match:
            job = self.jobs.get(match.group(1))
            if job is None:
                return self._json(request, 400, {"errors": [{"msg": "Invalid request ID", "code": 400}]})
            job["polls"] += 1
            if job["status"] == "IN_PROGRESS" and job["polls"] >= self.polls_needed and self.outcome.get(job["action"]) != "STUCK":
                self._finish(job)
            doc = {"_id": job["id"], "workflowId": job["wid"], "jobType": "WORKFLOWS", "action": job["action"], "status": job["status"]}
            if job["status"] == "FAILED":
                doc["statusLogs"] = [{"status": "IN_PROGRESS", "message": "started"}, {"status": "FAILED", "message": self.reason}]
            return self._json(request, 200, doc)
        return self._json(request, 405, {"errors": [{"msg": "Method Not Allowed", "code": 405}]})

    def _job(self, action, wid, docs=None, new=None):
        job_id = "ds-" + str(uuid.uuid4())
        job = {"id": job_id, "action": action, "wid": wid, "docs": docs, "new": new, "status": "IN_PROGRESS", "polls": 0}
        self.jobs[job_id] = job
        return job

    def _finish(self, job):
        if self.outcome.get(job["action"]) == "FAILED":
            job["status"] = "FAILED"
            return
        job["status"] = "SUCCESS"
        if job["action"] == "IMPORT" and job["new"]:
            self.workflows[job["wid"]] = {"name": job["new"], "latest": job["docs"], "deployed": None}
        elif job["action"] == "IMPORT":
            self.workflows[job["wid"]]["latest"] = job["docs"]
        elif job["action"] == "DEPLOY":
            self.workflows[job["wid"]]["deployed"] = copy.deepcopy(self.workflows[job["wid"]]["latest"])

    @staticmethod
    def _raw(request, status, content, headers=None):
        headers = dict(headers or {})
        resp = requests.Response()
        resp.status_code = status
        resp._content = content  # pylint: disable=protected-access
        resp.headers = CaseInsensitiveDict(headers)
        resp.raw = HTTPResponse(body=io.BytesIO(content), status=status, headers=headers, preload_content=False)
        resp.url = request.url
        resp.request = request
        resp.reason = "OK" if status < 400 else "Error"
        resp.encoding = "utf-8"
        return resp

    def _json(self, request, status, body, headers=None):
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "application/json")
        return self._raw(request, status, json.dumps(body).encode(), headers)


class Clock:
    """Fake monotonic clock advanced by the fake sleep."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake(mocker):
    server = FakeKoreAI({"a-1": PACKAGE})
    mocker.patch.object(requests.Session, "get_adapter", lambda self, url: server)
    return server


@pytest.fixture
def clock():
    return Clock()


def make_client(clock, key=KEY, **kwargs):
    kwargs.setdefault("poll_interval", 1)
    kwargs.setdefault("wait_timeout", 30)
    client = K.KoreAIClient(BASE, key, sleep=clock.sleep, clock=clock.time, retries=2, **kwargs)
    client.http._sleep = clock.sleep  # pylint: disable=protected-access
    client.http._clock = clock.time  # pylint: disable=protected-access
    return client


# ---------------------------------------------------------------------------------------------------- client


@pytest.mark.parametrize("alt", [False, True])
def test_export_accepts_both_spellings_and_trims_url(fake, clock, alt):
    fake.alt_spellings = alt
    jobs = []
    docs = make_client(clock).export_package("a-1", jobs=jobs)
    assert docs == PACKAGE
    assert jobs[0]["status"] == "SUCCESS" and jobs[0]["dock_status_id"].startswith("ds-") and jobs[0]["polls"] == 1


def test_export_sends_flow_id(fake, clock, mocker):
    spy = mocker.spy(requests.Session, "request")
    make_client(clock).start_export("a-1", "cf-42")
    assert spy.call_args.kwargs["params"] == {"flowId": "cf-42"}


def test_tools_resource_path(fake, clock):
    make_client(clock, resource="tools").start_export("a-1")
    assert fake.calls[-1] == ("POST", "/api/public/tools/a-1/export")


def test_failed_job_names_job_and_reason(fake, clock):
    fake.outcome["EXPORT"] = "FAILED"
    with pytest.raises(K.KoreaiJobError) as exc:
        make_client(clock).export_package("a-1")
    assert exc.value.job_id.startswith("ds-")
    assert exc.value.job_id in str(exc.value)
    assert "FAILED: Incompatible workflow version" in str(exc.value)
    assert not any(c[1].startswith("/download/") for c in fake.calls)


def test_stuck_job_times_out_with_last_status(fake, clock):
    fake.outcome["EXPORT"] = "STUCK"
    with pytest.raises(K.KoreaiJobError) as exc:
        make_client(clock, poll_interval=2, wait_timeout=7).export_package("a-1")
    assert "did not finish within wait_timeout=7" in str(exc.value)
    assert "%s is still IN_PROGRESS" % exc.value.job_id in str(exc.value)
    assert clock.now == pytest.approx(7)
    assert all(s <= 2 for s in clock.sleeps)


def test_wait_records_polls_and_seconds_however_it_ends(fake, clock):
    """The poll loop's progress (the result's ``jobs``) is kept for a job that ends FAILED or times out, too."""
    client = make_client(clock, poll_interval=2, wait_timeout=7)
    fake.outcome["EXPORT"] = "STUCK"
    job = client.start_export("a-1")
    with pytest.raises(K.KoreaiJobError):
        client.wait(job, "export")
    assert job["status"] == "IN_PROGRESS" and job["polls"] == 5 and job["seconds"] == pytest.approx(7)
    fake.outcome["EXPORT"] = "FAILED"
    job = client.start_export("a-1")
    with pytest.raises(K.KoreaiJobError):
        client.wait(job, "export")
    assert job["status"] == "FAILED" and job["polls"] >= 1 and job["seconds"] is not None


def test_expired_download_gets_one_fresh_export(fake, clock):
    fake.download_status = 403
    fake.download_times = 1
    jobs = []
    assert make_client(clock).export_package("a-1", jobs=jobs) == PACKAGE
    assert len(jobs) == 2


@pytest.mark.parametrize("status", [404, 410, 403])
def test_download_missing_or_expired_is_a_clear_error(fake, clock, status):
    fake.download_status = status
    with pytest.raises(FlowError) as exc:
        make_client(clock).export_package("a-1")
    text = str(exc.value)
    assert "missing or expired" in text and "HTTP %d" % status in text and "workflow-ej-" in text


def test_invalid_api_key_is_not_echoed(fake, clock):
    with pytest.raises(ApiError) as exc:
        make_client(clock, key="kg-wrong-key-987654321").start_export("a-1")
    assert exc.value.status == 401
    assert "Invalid SDK credentials" in str(exc.value)
    assert "kg-wrong-key-987654321" not in str(exc.value) and "kg-wrong-key-987654321" not in json.dumps(exc.value.to_dict())


def test_429_retry_after_is_honoured(fake, clock):
    fake.fault("POST", "/export$", 429, headers={"Retry-After": "3"}, times=1)
    job = make_client(clock).start_export("a-1")
    assert job["dock_status_id"].startswith("ds-")
    assert 3 in clock.sleeps
    assert [c for c in fake.calls if c[1].endswith("/export")].__len__() == 2


def test_429_beyond_retries_is_an_error(fake, clock):
    fake.fault("POST", "/export$", 429, headers={"Retry-After": "1"})
    with pytest.raises(ApiError) as exc:
        make_client(clock).start_export("a-1")
    assert exc.value.status == 429


def test_import_new_is_not_resent_after_a_5xx(fake, clock):
    fake.fault("POST", "^/api/public/workflows/import$", 503)
    client = make_client(clock)
    adapter = K.KoreAIAdapter(client)
    item = Item("Orders", name="Orders", desired=package())
    with pytest.raises(FlowError) as exc:
        adapter.create(item, package())
    assert "was not resent" in str(exc.value)
    assert len([c for c in fake.calls if c[1] == "/api/public/workflows/import"]) == 1


# ---------------------------------------------------------------------------------------------------- package


def zip_of(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def members_of(docs):
    return {KD.FILE_OF[k]: json.dumps(v) for k, v in docs.items()}


def test_zip_round_trip_and_nested_folder():
    members = {"Orders/" + name: data for name, data in members_of(PACKAGE).items()}
    assert K.read_zip(zip_of(members), "orders.zip") == PACKAGE


def test_zip_missing_member():
    members = members_of(PACKAGE)
    del members["env_variables.json"]
    with pytest.raises(KD.PackageError, match=r"orders\.zip: missing env_variables\.json"):
        K.read_zip(zip_of(members), "orders.zip")


def test_zip_member_not_json():
    members = members_of(PACKAGE)
    members["app_definition.json"] = "{not json"
    with pytest.raises(DocumentError, match=r"orders\.zip!app_definition\.json: line 1, column 2"):
        K.read_zip(zip_of(members), "orders.zip")


def test_not_a_zip(tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(b"PK junk")
    with pytest.raises(KD.PackageError, match="expected a directory"):
        K.load_package(str(path))


@pytest.mark.parametrize("foreign, what", [
    ({"flowId": "sign-up", "metadata": {}, "contents": {}, "screens": []}, "Descope"),
    ({"name": "x", "graphData": {"elements": {}}, "flowId": "1", "companyId": "c"}, "DaVinci"),
    ({"flows": [{"flowId": "1", "graphData": {}}]}, "DaVinci"),
])
def test_foreign_files_are_refused(tmp_path, foreign, what):
    for key, doc in package(flow_definition=foreign).items():
        (tmp_path / KD.FILE_OF[key]).write_text(json.dumps(doc))
    with pytest.raises(KD.PackageError) as exc:
        K.load_package(str(tmp_path))
    assert what in str(exc.value) and "flow_definition.json" in str(exc.value)


def test_directory_missing_file(tmp_path):
    (tmp_path / "flow_definition.json").write_text("{}")
    with pytest.raises(KD.PackageError, match="missing app_definition.json, env_variables.json"):
        K.load_package(str(tmp_path))


def test_app_definition_must_be_an_object(tmp_path):
    for key, doc in package(app_definition=[1, 2]).items():
        (tmp_path / KD.FILE_OF[key]).write_text(json.dumps(doc))
    with pytest.raises(DocumentInvalid, match="app_definition.json: expected a JSON object"):
        K.load_package(str(tmp_path))


def test_env_variables_shape_errors():
    with pytest.raises(KD.PackageError, match=r"variable \[0\]"):
        K.validate_package(package(env_variables=[{"value": "x"}]), {k: KD.FILE_OF[k] for k in KD.DOC_KEYS})
    with pytest.raises(KD.PackageError, match="duplicate variables: A"):
        K.validate_package(package(env_variables=[{"key": "A"}, {"key": "A"}]), {k: KD.FILE_OF[k] for k in KD.DOC_KEYS})


@pytest.mark.parametrize("env, got", [
    ({"API_URL": {"value": "https://x"}}, "an object"),
    ({"envVariables": [{"key": "A"}]}, "an object"),
    (None, "null"),
    ("A=1", "a string"),
])
def test_env_variables_must_be_the_documented_array(tmp_path, env, got):
    for key, doc in package(env_variables=env).items():
        (tmp_path / KD.FILE_OF[key]).write_text(json.dumps(doc))
    with pytest.raises(KD.PackageError, match=r"env_variables\.json: expected a JSON array of variables .*, got %s$" % got):
        K.load_package(str(tmp_path))


@pytest.mark.parametrize("entry", ["../flow_definition.json", "/flow_definition.json", "a/../../flow_definition.json", "C:/flow_definition.json"])
def test_zip_entries_that_leave_the_archive_are_refused(entry):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key, doc in package().items():
            archive.writestr(entry if KD.FILE_OF[key] == "flow_definition.json" else KD.FILE_OF[key], json.dumps(doc))
    with pytest.raises(KD.PackageError, match=r"^w\.zip: entry '%s' leaves the archive" % re.escape(entry)):
        KD.read_zip_documents(buffer.getvalue(), "w.zip")


def test_duplicate_key_in_a_package_member_names_the_member(tmp_path):
    for key, doc in package().items():
        (tmp_path / KD.FILE_OF[key]).write_text(json.dumps(doc))
    (tmp_path / "app_definition.json").write_text('{"name": "a", "guardrails": [], "name": "b"}')
    with pytest.raises(DocumentError, match=r'app_definition\.json: duplicate key "name" in the object at \$ '):
        K.load_package(str(tmp_path))


def test_build_zip_is_deterministic_and_canonical():
    first = KD.build_zip(PACKAGE)
    again = KD.build_zip(json.loads(json.dumps(PACKAGE)))
    assert first == again
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist() == sorted(KD.PACKAGE_FILES)
        assert {i.date_time for i in archive.infolist()} == {KD.ZIP_DATE_TIME}
        assert archive.read("app_definition.json").decode().endswith("}\n")
    assert K.read_zip(first, "x") == PACKAGE


def test_normalise_drops_server_metadata_and_sorts_variables():
    raw = package(app_definition={"name": "Orders", "_id": "x", "workflowId": "a-9", "updatedOn": "2025"},
                  env_variables=list(reversed(PACKAGE["env_variables"])) + [])
    raw["env_variables"][0] = dict(raw["env_variables"][0], _id="e1")
    assert KD.normalise_package(raw) == KD.normalise_package(package(app_definition={"name": "Orders"}))
    assert [v["key"] for v in KD.normalise_package(raw)["env_variables"]] == ["API_TOKEN", "API_URL"]


# ---------------------------------------------------------------------------------------------------- env overrides / masking


def test_env_overrides_list_and_mapping_shapes():
    out = KD.apply_env_overrides(PACKAGE["env_variables"], {"API_URL": "https://prod", "API_TOKEN": 1234})
    assert {v["key"]: v["value"] for v in out} == {"API_URL": "https://prod", "API_TOKEN": "1234"}
    assert PACKAGE["env_variables"][0]["value"] == "https://dev.example.com"
    assert KD.apply_env_overrides({"A": {"value": "1"}, "B": "2"}, {"A": True, "B": "x"}) == {"A": {"value": "true"}, "B": "x"}
    assert KD.apply_env_overrides({"envVariables": [{"name": "A", "value": "1"}]}, {"A": "z"}) == {"envVariables": [{"name": "A", "value": "z"}]}


def test_env_override_unknown_key():
    with pytest.raises(KD.PackageError, match=r"'API_URLL' not defined in env_variables.json \(defined: API_TOKEN, API_URL\)"):
        KD.apply_env_overrides(PACKAGE["env_variables"], {"API_URLL": "x"})


def test_adapter_masks_secure_values_only(clock, fake):
    """A variable marked secure is masked (also when set by env_overrides); any other variable's value shows."""
    secrets = []
    adapter = K.KoreAIAdapter(make_client(clock), env_overrides={"API_URL": "https://prod.example.com", "API_TOKEN": "prod-token-zyxwvu"},
                              add_secret=secrets.append)
    item = Item("a-1", desired=package(), data={"id": "a-1"})
    desired = adapter.prepare(item)
    masked = adapter.mask(adapter.normalise(desired, item))
    text = json.dumps(masked)
    assert "https://prod.example.com" in text and "dev-token-abcdef" not in text and "prod-token-zyxwvu" not in text
    assert "{{env.API_URL}}" in text
    assert "prod-token-zyxwvu" in secrets and "https://prod.example.com" not in secrets
    # a secret's mask carries a tag that differs when the value differs, within one run only
    token = [v["value"] for v in masked["env_variables"] if v["key"] == "API_TOKEN"][0]
    other = adapter.mask({"env_variables": [{"key": "API_TOKEN", "value": "dev-token-abcdef", "isSecured": True}]})["env_variables"][0]["value"]
    again = adapter.mask(adapter.normalise(desired, item))["env_variables"]
    assert token.startswith("******** (") and token != other and token in json.dumps(again)
    fresh = K.KoreAIAdapter(make_client(clock), env_overrides={"API_TOKEN": "prod-token-zyxwvu"})
    fresh.learn_secrets(desired)
    assert json.dumps(fresh.mask(fresh.normalise(desired, item))).count(token) == 0


# ---------------------------------------------------------------------------------------------------- adapter through the engine


def run_present(fake, clock, desired, deploy=False, check=False, overrides=None, workflow_id="a-1", name=None):
    warnings = []
    adapter = K.KoreAIAdapter(make_client(clock), env_overrides=overrides, deploy=deploy, warn=warnings.append)
    data = {"id": workflow_id} if workflow_id else {}
    item = Item(workflow_id or name, name=name, desired=desired, data=data)
    report = Engine(adapter, check_mode=check, diff_mode=True, verify=False).apply([item], "present")
    return report, warnings


def test_unchanged_makes_no_write(fake, clock):
    report, _warnings = run_present(fake, clock, package())
    assert report["changed"] is False and report["flows"][0]["action"] == "unchanged"
    assert fake.writes() == []


def test_check_mode_reports_update_without_writing(fake, clock):
    report, _warnings = run_present(fake, clock, package(app_definition={"name": "Orders v2"}), check=True)
    assert report["changed"] is True and report["flows"][0]["action"] == "updated"
    assert "Orders v2" in report["diff"][0]["after"] and "dev-token-abcdef" not in json.dumps(report)
    assert fake.writes() == []


def test_update_and_deploy_then_unchanged(fake, clock):
    desired = package(app_definition={"name": "Orders v2"})
    report, warnings = run_present(fake, clock, desired, deploy=True, overrides={"API_URL": "https://prod.example.com"})
    flow = report["flows"][0]
    assert flow["action"] == "updated" and flow["deployed"] is True and not warnings
    assert [j["action"] for j in flow["jobs"]] == ["EXPORT", "IMPORT", "DEPLOY", "EXPORT"]
    assert fake.workflows["a-1"]["deployed"]["env_variables"][0]["value"] == "https://prod.example.com"
    calls = len(fake.calls)
    report, _warnings = run_present(fake, clock, desired, deploy=True, overrides={"API_URL": "https://prod.example.com"})
    assert report["changed"] is False
    assert [c for c in fake.calls[calls:] if c[0] == "POST" and not c[1].endswith("/export")] == []


def test_update_without_deploy_on_deployed_workflow_warns(fake, clock):
    report, warnings = run_present(fake, clock, package(app_definition={"name": "Orders v2"}))
    assert report["flows"][0]["action"] == "updated" and report["flows"][0]["deployed"] is False
    assert "cannot be verified" in warnings[0]


def test_import_failed_is_an_error_without_deploy(fake, clock):
    fake.outcome["IMPORT"] = "FAILED"
    with pytest.raises(SyncError) as exc:
        run_present(fake, clock, package(app_definition={"name": "Orders v2"}), deploy=True)
    assert "import into workflow a-1 failed" in str(exc.value) and "Incompatible workflow version" in str(exc.value)
    assert not any(c[1].endswith("/deploy") for c in fake.calls)


def test_stuck_export_imports_nothing(fake, clock):
    fake.outcome["EXPORT"] = "STUCK"
    with pytest.raises(SyncError) as exc:
        run_present(fake, clock, package(app_definition={"name": "Orders v2"}))
    assert "still IN_PROGRESS" in str(exc.value)
    assert fake.writes() == []


def test_upload_rejected_412_imports_nothing(fake, clock):
    fake.fault("POST", "^/api/public/files$", 412, body={"errors": [{"msg": "Validation errors/ Invalid arguments", "code": 412}]})
    with pytest.raises(SyncError) as exc:
        run_present(fake, clock, package(app_definition={"name": "Orders v2"}))
    assert "HTTP 412" in str(exc.value) and "Validation errors" in str(exc.value)
    assert not any(c[1].endswith("/import") for c in fake.calls)


def test_create_new_returns_id_and_verifies(fake, clock):
    report, _warnings = run_present(fake, clock, package(), workflow_id=None, name="Orders copy")
    flow = report["flows"][0]
    assert flow["action"] == "created" and flow["workflow_id"].startswith("a-") and flow["id"] == flow["workflow_id"]
    assert fake.workflows[flow["workflow_id"]]["name"] == "Orders copy"


def test_verify_failure_names_kept_variables(fake, clock, mocker):
    original = fake._finish  # pylint: disable=protected-access

    def keep_existing(job):
        if job["action"] == "IMPORT":
            job["docs"]["env_variables"] = copy.deepcopy(fake.workflows["a-1"]["latest"]["env_variables"])
        original(job)
    mocker.patch.object(fake, "_finish", keep_existing)
    with pytest.raises(SyncError) as exc:
        run_present(fake, clock, package(), deploy=True, overrides={"API_URL": "https://prod.example.com"})
    assert "differs from the package in env_variables.json" in str(exc.value) and "API_URL" in str(exc.value)
    assert "https://prod.example.com" not in str(exc.value)


def test_workflow_info_and_dock_status(fake, clock):
    client = make_client(clock)
    adapter = K.KoreAIAdapter(client)
    [entry] = K.workflow_info(client, adapter, ["a-1"], include_content=True)
    assert entry["fingerprint"] == fingerprint(KD.normalise_package(PACKAGE))
    assert entry["secure_variables"] == ["API_TOKEN"]
    assert "dev-token-abcdef" not in json.dumps(entry)
    status = K.dock_status_info(client, entry["jobs"][0]["dock_status_id"])
    assert status["status"] == "SUCCESS" and status["action"] == "EXPORT"
    fake.outcome["EXPORT"] = "FAILED"
    job = client.start_export("a-1")
    client.dock_status(job["dock_status_id"])
    assert K.dock_status_info(client, job["dock_status_id"])["reason"] == "Incompatible workflow version"


# ---------------------------------------------------------------------------------------------------- secure variables

PROD_TOKEN = "prod-token-zyxwvu"


def prod_package(**changes):
    """The target's package: same definition as PACKAGE, its own URL and secret."""
    docs = package(**changes)
    docs["env_variables"] = [{"key": "API_URL", "value": "https://prod.example.com", "isSecured": False},
                             {"key": "API_TOKEN", "value": PROD_TOKEN, "isSecured": True}]
    return docs


def uploaded_text(fake):
    return " ".join(data.decode() if isinstance(data, bytes) else str(data) for data in fake.files.values())


def test_secure_values_are_left_out_of_the_normal_form_but_overrides_stay():
    normal = KD.normalise_package(PACKAGE)
    assert normal["env_variables"] == [{"key": "API_TOKEN", "isSecured": True},
                                       {"key": "API_URL", "value": "https://dev.example.com", "isSecured": False}]
    assert KD.normalise_package(PACKAGE, secure_values=True)["env_variables"][0]["value"] == "dev-token-abcdef"
    assert KD.normalise_package(PACKAGE, keep=["API_TOKEN"])["env_variables"][0]["value"] == "dev-token-abcdef"
    same_url = prod_package()
    same_url["env_variables"][0]["value"] = "https://dev.example.com"
    assert KD.normalise_package(PACKAGE) == KD.normalise_package(same_url)  # only the secure value differs
    assert KD.normalise_package(PACKAGE, keep=["API_TOKEN"]) != KD.normalise_package(same_url, keep=["API_TOKEN"])
    assert KD.normalise_package(PACKAGE) != KD.normalise_package(prod_package())  # API_URL (not secure) still compared
    mapping = {"A": {"value": "s3cret-value", "secure": True}, "B": {"value": "plain"}, "C": "text"}
    assert KD.strip_secure_values(mapping) == {"A": {"secure": True}, "B": {"value": "plain"}, "C": "text"}
    assert mapping["A"]["value"] == "s3cret-value"
    assert KD.strip_secure_values({"envVariables": [{"name": "A", "value": "x", "isSecret": "true"}]}) == {"envVariables": [{"name": "A", "isSecret": "true"}]}


def test_keep_target_secure_values():
    desired = PACKAGE["env_variables"]
    target = prod_package()["env_variables"]
    out = KD.keep_target_secure_values(desired, target)
    assert {v["key"]: v.get("value") for v in out} == {"API_URL": "https://dev.example.com", "API_TOKEN": PROD_TOKEN}
    assert all(v["isSecured"] is (v["key"] == "API_TOKEN") for v in out)
    # the target has no such variable (or no value): sent without a value, never the package's
    out = KD.keep_target_secure_values(desired, [{"key": "API_URL", "value": "u"}])
    assert "value" not in next(v for v in out if v["key"] == "API_TOKEN")
    # set by env_overrides: the desired value is sent
    out = KD.keep_target_secure_values(desired, target, keep=["API_TOKEN"])
    assert next(v for v in out if v["key"] == "API_TOKEN")["value"] == "dev-token-abcdef"
    mapping = KD.keep_target_secure_values({"A": {"value": "dev", "secure": True}}, {"A": {"value": "prod", "secure": True}})
    assert mapping == {"A": {"value": "prod", "secure": True}}


def test_only_the_secure_value_differs_is_unchanged_without_write(fake, clock):
    fake.workflows["a-1"] = {"name": "prod", "latest": prod_package(), "deployed": prod_package()}
    report, warnings = run_present(fake, clock, package(), deploy=True, overrides={"API_URL": "https://prod.example.com"})
    assert report["changed"] is False and report["flows"][0]["action"] == "unchanged" and not warnings
    assert fake.writes() == []
    assert PROD_TOKEN not in json.dumps(report) and "dev-token-abcdef" not in json.dumps(report)


def test_update_keeps_the_target_secret_whatever_the_import_policy(fake, clock):
    # the fake's import overwrites the whole env_variables document: a variable without a value would be blanked
    fake.workflows["a-1"] = {"name": "prod", "latest": prod_package(), "deployed": prod_package()}
    desired = package(app_definition={"name": "Orders v2"})
    report, _warnings = run_present(fake, clock, desired, deploy=True, overrides={"API_URL": "https://prod.example.com"})
    assert report["flows"][0]["action"] == "updated"
    assert fake.workflows["a-1"]["deployed"]["app_definition"]["name"] == "Orders v2"
    assert {v["key"]: v["value"] for v in fake.workflows["a-1"]["deployed"]["env_variables"]}["API_TOKEN"] == PROD_TOKEN
    assert "dev-token-abcdef" not in uploaded_text(fake)
    assert PROD_TOKEN not in json.dumps(report)


def test_update_sends_no_value_when_target_has_none(fake, clock):
    target = prod_package()
    del target["env_variables"][1]["value"]
    fake.workflows["a-1"] = {"name": "prod", "latest": target, "deployed": copy.deepcopy(target)}
    report, _warnings = run_present(fake, clock, package(app_definition={"name": "Orders v2"}), deploy=True,
                                    overrides={"API_URL": "https://prod.example.com"})
    assert report["flows"][0]["action"] == "updated"
    token = next(v for v in fake.workflows["a-1"]["deployed"]["env_variables"] if v["key"] == "API_TOKEN")
    assert "value" not in token and token["isSecured"] is True
    assert "dev-token-abcdef" not in uploaded_text(fake)


def test_secure_override_is_compared_imported_and_masked(fake, clock):
    fake.workflows["a-1"] = {"name": "prod", "latest": prod_package(), "deployed": prod_package()}
    overrides = {"API_URL": "https://prod.example.com", "API_TOKEN": "rotated-token-55555"}
    report, _warnings = run_present(fake, clock, package(), deploy=True, overrides=overrides)
    assert report["flows"][0]["action"] == "updated"
    assert {v["key"]: v["value"] for v in fake.workflows["a-1"]["deployed"]["env_variables"]}["API_TOKEN"] == "rotated-token-55555"
    text = json.dumps(report)
    assert "API_TOKEN" in report["diff"][0]["after"] and KD.MASK in report["diff"][0]["after"]
    assert "rotated-token-55555" not in text and PROD_TOKEN not in text and "dev-token-abcdef" not in text
    writes = len(fake.writes())
    report, _warnings = run_present(fake, clock, package(), deploy=True, overrides=overrides)
    assert report["changed"] is False and len(fake.writes()) == writes


def test_create_without_secure_value_warns_and_with_override_does_not(fake, clock):
    bare = package(env_variables=KD.strip_secure_values(PACKAGE["env_variables"]))
    report, warnings = run_present(fake, clock, bare, workflow_id=None, name="Orders new")
    assert report["flows"][0]["action"] == "created"
    assert len(warnings) == 1 and "secure variables API_TOKEN have no value" in warnings[0] and "env_overrides" in warnings[0]
    report, warnings = run_present(fake, clock, bare, workflow_id=None, name="Orders newer", overrides={"API_TOKEN": "new-token-77777"})
    assert report["flows"][0]["action"] == "created" and warnings == []
    created = fake.workflows[report["flows"][0]["workflow_id"]]["latest"]["env_variables"]
    assert {v["key"]: v.get("value") for v in created}["API_TOKEN"] == "new-token-77777"


def test_backup_leaves_secure_values_out(fake, clock, tmp_path):
    fake.workflows["a-1"] = {"name": "prod", "latest": prod_package(), "deployed": prod_package()}
    for include in (False, True):
        adapter = K.KoreAIAdapter(make_client(clock), deploy=True, include_secure_values=include)
        item = Item("a-1", desired=package(app_definition={"name": "v%s" % include}), data={"id": "a-1"})
        report = Engine(adapter, backup_dir=str(tmp_path / str(include)), verify=False).apply([item], "present")
        path = report["flows"][0]["backup_file"]
        text = open(path, encoding="utf-8").read()
        backup = json.loads(text)
        token = next(v for v in backup["env_variables"] if v["key"] == "API_TOKEN")
        assert token["isSecured"] is True
        if include:
            assert token["value"] == PROD_TOKEN
        else:
            assert "value" not in token and PROD_TOKEN not in text
            assert "https://prod.example.com" in text  # not secure: kept


def test_export_document_and_rollback_restore(fake, clock):
    adapter = K.KoreAIAdapter(make_client(clock))
    assert "value" not in adapter.export_document(PACKAGE)["env_variables"][0]
    assert K.KoreAIAdapter(make_client(clock), include_secure_values=True).export_document(PACKAGE)["env_variables"][0]["value"] == "dev-token-abcdef"
    # a rollback puts back the target's own package as read, secret included
    adapter = K.KoreAIAdapter(make_client(clock), deploy=True)
    item = Item("a-1", desired=package(), data={"id": "a-1"})
    previous = prod_package()
    adapter.restore(item, previous)
    assert fake.workflows["a-1"]["deployed"]["env_variables"] == previous["env_variables"]
