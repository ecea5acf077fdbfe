# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""koreai_workflow end to end in-process, against the fake Kore.ai transport of test_koreai."""

from __future__ import annotations

import io
import json
import os
import threading
import zipfile

import pytest
import requests

from ansible_collections.flowops.flows.plugins.modules import koreai_workflow
from ansible_collections.flowops.flows.plugins.module_utils._koreai import KoreAIClient
from ansible_collections.flowops.flows.plugins.module_utils._koreai_documents import FILE_OF, build_zip
from ansible_collections.flowops.flows.tests.unit.plugins.modules.utils import run_module
from ansible_collections.flowops.flows.tests.unit.plugins.module_utils.test_koreai import BASE, KEY, PACKAGE, FakeKoreAI, package


@pytest.fixture
def fake(mocker):
    server = FakeKoreAI({"a-1": PACKAGE})
    mocker.patch.object(requests.Session, "get_adapter", lambda self, url: server)
    return server


def args(**kwargs):
    base = {"base_url": BASE, "api_key": KEY, "poll_interval": 0, "wait_timeout": 5}
    base.update(kwargs)
    return base


def write_dir(path, docs):
    path.mkdir(parents=True, exist_ok=True)
    for key, doc in docs.items():
        (path / FILE_OF[key]).write_text(json.dumps(doc))
    return str(path)


def test_export_files_then_unchanged(fake, capfd, tmp_path):
    dest = tmp_path / "out"
    code, result, _out = run_module(koreai_workflow.main, capfd, args(state="exported", workflow_id="a-1", dest=str(dest)))
    assert code == 0 and result["changed"] is True and result["flows"][0]["action"] == "exported"
    first = {name: (dest / name).read_bytes() for name in FILE_OF.values()}
    assert first["app_definition.json"].endswith(b"}\n")
    mtimes = {name: os.stat(dest / name).st_mtime_ns for name in FILE_OF.values()}
    code, result, _out = run_module(koreai_workflow.main, capfd, args(state="exported", workflow_id="a-1", dest=str(dest)))
    assert result["changed"] is False and result["flows"][0]["action"] == "unchanged"
    assert {name: os.stat(dest / name).st_mtime_ns for name in FILE_OF.values()} == mtimes
    assert fake.writes() == []


def test_export_zip_is_byte_stable(fake, capfd, tmp_path):
    dest = tmp_path / "orders.zip"
    run_module(koreai_workflow.main, capfd, args(state="exported", workflow_id="a-1", dest=str(dest), format="zip"))
    data = dest.read_bytes()
    code, result, _out = run_module(koreai_workflow.main, capfd, args(state="exported", workflow_id="a-1", dest=str(dest), format="zip"))
    assert code == 0 and result["changed"] is False and dest.read_bytes() == data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == sorted(FILE_OF.values())


def test_export_check_mode_writes_nothing(fake, capfd, tmp_path):
    dest = tmp_path / "out"
    code, result, _out = run_module(koreai_workflow.main, capfd, args(state="exported", workflow_id="a-1", dest=str(dest)), check_mode=True)
    assert code == 0 and result["changed"] is True and not dest.exists()


def test_present_contract_check_apply_reapply_check(fake, capfd, tmp_path):
    src = write_dir(tmp_path / "pkg", package(app_definition={"name": "Orders v2"}))
    overrides = {"API_URL": "https://prod.example.com", "API_TOKEN": "prod-token-secret"}
    task = args(workflow_id="a-1", src=src, env_overrides=overrides, deploy=True)
    code, result, raw = run_module(koreai_workflow.main, capfd, task, check_mode=True, diff=True)
    assert code == 0 and result["changed"] is True and fake.writes() == []
    # API_TOKEN is marked secure: masked; API_URL is not: its change shows in the diff (issue 13)
    assert "prod-token-secret" not in raw and "dev-token-abcdef" not in raw
    assert "https://prod.example.com" in "".join(d["after"] for d in result["diff"])
    assert "Orders v2" in raw
    code, result, raw = run_module(koreai_workflow.main, capfd, task)
    assert code == 0 and result["changed"] is True and result["workflow_id"] == "a-1" and result["flows"][0]["deployed"] is True
    assert "prod-token-secret" not in raw
    assert fake.workflows["a-1"]["deployed"]["env_variables"][1]["value"] == "prod-token-secret"
    writes = len(fake.writes())
    code, result, _out = run_module(koreai_workflow.main, capfd, task)
    assert result["changed"] is False and len(fake.writes()) == writes
    code, result, _out = run_module(koreai_workflow.main, capfd, task, check_mode=True)
    assert result["changed"] is False and len(fake.writes()) == writes


def test_present_from_zip_creates_new_workflow(fake, capfd, tmp_path):
    src = tmp_path / "Orders.zip"
    src.write_bytes(build_zip(PACKAGE))
    code, result, _out = run_module(koreai_workflow.main, capfd, args(name="Orders copy", src=str(src)))
    assert code == 0 and result["changed"] is True and result["flows"][0]["action"] == "created"
    assert result["workflow_id"] in fake.workflows


@pytest.mark.parametrize("breakage, message", [
    ("missing", "missing env_variables.json"),
    ("not_json", "app_definition.json: line 1, column 1"),
    ("descope", "Descope flow export"),
    ("davinci", "DaVinci"),
])
def test_bad_zip_input_fails_with_zero_calls(fake, capfd, tmp_path, breakage, message):
    members = {FILE_OF[k]: json.dumps(v) for k, v in PACKAGE.items()}
    if breakage == "missing":
        del members["env_variables.json"]
    elif breakage == "not_json":
        members["app_definition.json"] = "nope"
    elif breakage == "descope":
        members["flow_definition.json"] = json.dumps({"flowId": "sign-up", "metadata": {}, "contents": {}, "screens": []})
    else:
        members["flow_definition.json"] = json.dumps({"flowId": "1", "companyId": "c", "graphData": {}})
    src = tmp_path / "bad.zip"
    with zipfile.ZipFile(src, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    code, result, _out = run_module(koreai_workflow.main, capfd, args(workflow_id="a-1", src=str(src)))
    assert code == 1 and message in result["msg"] and "bad.zip" in result["msg"]
    assert fake.calls == []


def test_job_failed_fails_task_with_job_id(fake, capfd, tmp_path):
    fake.outcome["IMPORT"] = "FAILED"
    src = write_dir(tmp_path / "pkg", package(app_definition={"name": "Orders v2"}))
    code, result, _out = run_module(koreai_workflow.main, capfd, args(workflow_id="a-1", src=src, deploy=True))
    assert code == 1 and "dock status ds-" in result["msg"] and "Incompatible workflow version" in result["msg"]
    assert result["flows"][0]["action"] == "failed"
    assert not any(c[1].endswith("/deploy") for c in fake.calls)


def test_invalid_key_message_has_no_key(fake, capfd, tmp_path):
    code, result, raw = run_module(koreai_workflow.main, capfd, args(api_key="kg-not-the-key-5555", state="exported", workflow_id="a-1",
                                                                     dest=str(tmp_path / "o")))
    assert code == 1 and "HTTP 401" in result["msg"] and "kg-not-the-key-5555" not in raw


def test_unknown_override_is_rejected_before_any_write(fake, capfd, tmp_path):
    src = write_dir(tmp_path / "pkg", PACKAGE)
    code, result, _out = run_module(koreai_workflow.main, capfd, args(workflow_id="a-1", src=src, env_overrides={"NOPE": "x"}))
    assert code == 1 and "'NOPE' not defined" in result["msg"]
    assert fake.writes() == []


def test_argument_rules(fake, capfd, tmp_path):
    code, result, _out = run_module(koreai_workflow.main, capfd, args(state="exported", workflow_id="a-1"))
    assert code == 1 and "dest" in result["msg"]
    code, result, _out = run_module(koreai_workflow.main, capfd, args(src=str(tmp_path)))
    assert code == 1 and "workflow_id, name" in result["msg"]
    (tmp_path / "f").write_text("x")
    code, result, _out = run_module(koreai_workflow.main, capfd, args(state="exported", workflow_id="a-1", dest=str(tmp_path / "f")))
    assert code == 1 and "not a directory" in result["msg"]


# ---------------------------------------------------------------------------------------------------- secure variables

SECRET = "dev-token-abcdef"   # the value of the secure variable API_TOKEN in PACKAGE


def test_export_leaves_secure_values_out_of_files_and_zip(fake, capfd, tmp_path):
    dest = tmp_path / "out"
    code, result, raw = run_module(koreai_workflow.main, capfd, args(state="exported", workflow_id="a-1", dest=str(dest)))
    assert code == 0 and result["changed"] is True and not result.get("warnings")
    env = json.loads((dest / "env_variables.json").read_text())
    assert {v["key"]: v for v in env}["API_TOKEN"] == {"key": "API_TOKEN", "isSecured": True}
    assert {v["key"]: v for v in env}["API_URL"]["value"] == "https://dev.example.com"
    assert all(SECRET not in (dest / name).read_text() for name in FILE_OF.values()) and SECRET not in raw
    code, result, raw = run_module(koreai_workflow.main, capfd, args(state="exported", workflow_id="a-1", dest=str(tmp_path / "o.zip"), format="zip"))
    assert code == 0
    data = (tmp_path / "o.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert all(SECRET.encode() not in archive.read(name) for name in archive.namelist())
        assert b'"API_TOKEN"' in archive.read("env_variables.json")


@pytest.mark.parametrize("fmt, dest", [("files", "out"), ("zip", "o.zip")])
def test_include_secure_values_writes_them_and_warns(fake, capfd, tmp_path, fmt, dest):
    task = args(state="exported", workflow_id="a-1", dest=str(tmp_path / dest), format=fmt, include_secure_values=True)
    code, result, raw = run_module(koreai_workflow.main, capfd, task)
    assert code == 0 and result["changed"] is True
    assert "written to disk in clear text" in json.dumps(result.get("warnings"))  # str or structured, by ansible-core version
    if fmt == "files":
        text = (tmp_path / dest / "env_variables.json").read_text()
    else:
        with zipfile.ZipFile(tmp_path / dest) as archive:
            text = archive.read("env_variables.json").decode()
    assert {v["key"]: v for v in json.loads(text)}["API_TOKEN"]["value"] == SECRET
    assert SECRET not in raw


def test_backup_file_leaves_secure_values_out(fake, capfd, tmp_path):
    src = write_dir(tmp_path / "pkg", package(app_definition={"name": "Orders v2"}))
    task = args(workflow_id="a-1", src=src, deploy=True, backup_dir=str(tmp_path / "backups"))
    code, result, raw = run_module(koreai_workflow.main, capfd, task)
    assert code == 0 and result["changed"] is True and not result.get("warnings")
    text = open(result["flows"][0]["backup_file"], encoding="utf-8").read()
    assert '"API_TOKEN"' in text and SECRET not in text and SECRET not in raw


def test_dev_to_prod_only_secure_value_differs_is_unchanged(fake, capfd, tmp_path):
    prod = package()
    prod["env_variables"] = [dict(prod["env_variables"][0]), {"key": "API_TOKEN", "value": "prod-token-qwerty", "isSecured": True}]
    fake.workflows["a-1"] = {"name": "prod", "latest": prod, "deployed": prod}
    dest = tmp_path / "dev"
    fake.workflows["a-dev"] = {"name": "dev", "latest": PACKAGE, "deployed": PACKAGE}
    run_module(koreai_workflow.main, capfd, args(state="exported", workflow_id="a-dev", dest=str(dest)))
    code, result, raw = run_module(koreai_workflow.main, capfd, args(workflow_id="a-1", src=str(dest), deploy=True), diff=True)
    assert code == 0 and result["changed"] is False and result["flows"][0]["action"] == "unchanged"
    assert fake.writes() == [] and "prod-token-qwerty" not in raw


def test_secure_override_is_imported_and_masked(fake, capfd, tmp_path):
    src = write_dir(tmp_path / "pkg", package())
    task = args(workflow_id="a-1", src=src, deploy=True, env_overrides={"API_TOKEN": "rotated-secret-4242"})
    code, result, raw = run_module(koreai_workflow.main, capfd, task, diff=True)
    assert code == 0 and result["changed"] is True and result["flows"][0]["action"] == "updated"
    assert "rotated-secret-4242" not in raw and SECRET not in raw
    assert "API_TOKEN" in json.dumps(result["diff"])
    assert {v["key"]: v["value"] for v in fake.workflows["a-1"]["deployed"]["env_variables"]}["API_TOKEN"] == "rotated-secret-4242"
    writes = len(fake.writes())
    code, result, _raw = run_module(koreai_workflow.main, capfd, task)
    assert result["changed"] is False and len(fake.writes()) == writes


# ---------------------------------------------------------------------------------------------------- several workflows

RETURNS = package(app_definition={"name": "Returns", "description": "returns assistant", "guardrails": []})


def tree_bytes(root):
    """``{relative path: bytes}`` of every file under ``root``."""
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("fmt", ["files", "zip"])
def test_export_workflows_writes_what_single_exports_write(fake, capfd, tmp_path, fmt):
    fake.workflows["a-2"] = {"name": "Returns", "latest": RETURNS, "deployed": RETURNS}
    common = {"state": "exported", "format": fmt, "portable": True, "values": {"API_URL": "https://dev.example.com"}}
    for folder, workflow_id in (("orders", "a-1"), ("returns", "a-2")):
        code, result, _out = run_module(koreai_workflow.main, capfd, args(workflow_id=workflow_id, dest=str(tmp_path / "single" / folder), **common))
        assert code == 0 and result["changed"] is True
    fake.calls.clear()
    code, result, _out = run_module(koreai_workflow.main, capfd, args(workflows={"orders": "a-1", "returns": "a-2"}, dest=str(tmp_path / "bulk"),
                                                                      **common))
    assert code == 0 and result["changed"] is True and result["workflow_id"] is None and result["msg"] == "2 exported"
    single, bulk = tree_bytes(tmp_path / "single"), tree_bytes(tmp_path / "bulk")
    assert bulk == single and len(bulk) == (6 if fmt == "files" else 2)
    if fmt == "files":   # portable: the value became a placeholder (in the zips too: they equal the single exports)
        assert b'"@@API_URL@@"' in bulk["orders/env_variables.json"] and b'"@@API_URL@@"' in bulk["returns/env_variables.json"]
    assert [(f["id"], f["name"], f["workflow_id"], f["action"]) for f in result["flows"]] == [
        ("a-1", "orders", "a-1", "exported"), ("a-2", "returns", "a-2", "exported")]
    assert all(path.startswith(str(tmp_path / "bulk" / f["name"])) for f in result["flows"] for path in f["files"])
    assert all(f["fingerprint"].startswith("sha256:") for f in result["flows"])
    assert result["flows"][0]["fingerprint"] != result["flows"][1]["fingerprint"]
    # one export job per workflow, in this one run
    assert sorted(c[1] for c in fake.calls if c[1].endswith("/export")) == ["/api/public/workflows/a-1/export", "/api/public/workflows/a-2/export"]


def test_export_workflows_again_is_unchanged_and_writes_nothing(fake, capfd, tmp_path):
    fake.workflows["a-2"] = {"name": "Returns", "latest": RETURNS, "deployed": RETURNS}
    task = args(state="exported", workflows={"orders": "a-1", "returns": "a-2"}, dest=str(tmp_path / "out"))
    code, result, _out = run_module(koreai_workflow.main, capfd, task)
    assert code == 0 and result["changed"] is True
    mtimes = {path: path.stat().st_mtime_ns for path in (tmp_path / "out").rglob("*") if path.is_file()}
    assert len(mtimes) == 6
    code, result, _out = run_module(koreai_workflow.main, capfd, task)
    assert code == 0 and result["changed"] is False and [f["action"] for f in result["flows"]] == ["unchanged", "unchanged"]
    assert {path: path.stat().st_mtime_ns for path in (tmp_path / "out").rglob("*") if path.is_file()} == mtimes
    assert fake.writes() == []


def test_export_workflows_runs_the_export_jobs_in_parallel(fake, capfd, tmp_path, mocker):
    """Both export jobs are started before either finishes: each start waits (bounded) for the other at a barrier,
    which a one-after-the-other export never passes."""
    fake.workflows["a-2"] = {"name": "Returns", "latest": RETURNS, "deployed": RETURNS}
    barrier = threading.Barrier(2, timeout=30)
    start_export = KoreAIClient.start_export

    def meet(self, workflow_id, flow_id=None):
        barrier.wait()
        return start_export(self, workflow_id, flow_id)

    mocker.patch.object(KoreAIClient, "start_export", meet)
    task = args(state="exported", workflows={"orders": "a-1", "returns": "a-2"}, dest=str(tmp_path / "out"), parallel=2)
    code, result, _out = run_module(koreai_workflow.main, capfd, task)
    assert code == 0 and [f["action"] for f in result["flows"]] == ["exported", "exported"], result["msg"]


@pytest.mark.parametrize("workflows, message", [
    ({"orders": "a-1", "a/b": "a-2"}, "workflows: the folder name 'a/b' cannot be used"),
    ({"..": "a-1"}, "workflows: the folder name '..' cannot be used"),
    ({"": "a-1"}, "workflows: the folder name '' cannot be used"),
    ({"ord\x00ers": "a-1"}, "workflows: the folder name 'ord\\x00ers' cannot be used"),
    ({"orders": "a-1", "returns": "../a-2"}, "workflows['returns'] '../a-2' is not a valid id"),
    ({"orders": "a 1"}, "workflows['orders'] 'a 1' is not a valid id"),
    ({"orders": 12}, "workflows['orders'] 12 is not a valid id"),
    ({}, "workflows is empty"),
])
def test_export_workflows_bad_entry_fails_before_any_call(fake, capfd, tmp_path, workflows, message):
    code, result, _out = run_module(koreai_workflow.main, capfd, args(state="exported", workflows=workflows, dest=str(tmp_path / "out")))
    assert code == 1 and message in result["msg"], result["msg"]
    assert fake.calls == [] and not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra, message", [
    ({"workflow_id": "a-1"}, "mutually exclusive: workflow_id|workflows"),
    ({"flow_id": "cf-1"}, "mutually exclusive: flow_id|workflows"),
    ({"name": "Orders"}, "mutually exclusive: name|workflows"),
])
def test_export_workflows_with_a_single_workflow_option_is_rejected(fake, capfd, tmp_path, extra, message):
    task = args(state="exported", workflows={"orders": "a-1"}, dest=str(tmp_path / "out"), **extra)
    code, result, _out = run_module(koreai_workflow.main, capfd, task)
    assert code == 1 and message in result["msg"], result["msg"]
    assert fake.calls == []


def test_workflows_argument_rules(fake, capfd, tmp_path):
    code, result, _out = run_module(koreai_workflow.main, capfd, args(state="exported", dest=str(tmp_path / "out")))
    assert code == 1 and "workflow_id, workflows" in result["msg"], result["msg"]
    src = write_dir(tmp_path / "pkg", PACKAGE)
    code, result, _out = run_module(koreai_workflow.main, capfd, args(workflows={"orders": "a-1"}, src=src))   # state=present
    assert code == 1 and "state is present but any of the following are missing: workflow_id, name" in result["msg"], result["msg"]
    (tmp_path / "f").write_text("x")
    code, result, _out = run_module(koreai_workflow.main, capfd, args(state="exported", workflows={"orders": "a-1"}, dest=str(tmp_path / "f")))
    assert code == 1 and "not a directory" in result["msg"], result["msg"]
    (tmp_path / "out" / "orders").mkdir(parents=True)
    task = args(state="exported", workflows={"orders": "a-1"}, dest=str(tmp_path / "out"), format="zip")
    code, result, _out = run_module(koreai_workflow.main, capfd, task)
    assert code == 1 and "is a directory; with format=zip" in result["msg"], result["msg"]
    assert fake.calls == []
