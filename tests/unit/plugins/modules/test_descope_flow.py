# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""descope_flow in-process, with the Descope API faked at the requests boundary."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.flowops.flows.plugins.modules import descope_flow
from ansible_collections.flowops.flows.tests.unit.plugins.module_utils.test_descope import FakeDescope, sample
from ansible_collections.flowops.flows.tests.unit.plugins.modules.utils import run_module

KEY = "K2unitTestSecretKey"
CONN = {"project_id": "P2aAc4T2V93bddihGEx2Ryhc8e5Z", "management_key": KEY, "base_url": "http://descope.test", "retries": 0}


def args(**kwargs):
    out = dict(CONN)
    out.update(kwargs)
    return out


@pytest.fixture(name="fake")
def fixture_fake(mocker):
    fake = FakeDescope()
    fake.install(mocker)
    return fake


def flow_file(tmp_path, doc=None, name="basic-flow.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc or sample()), encoding="utf-8")
    return str(path)


def test_check_apply_reapply_check(fake, capfd, tmp_path):
    src = flow_file(tmp_path)
    rc, result, _out = run_module(descope_flow.main, capfd, args(src=src), check_mode=True, diff=True)
    assert rc == 0 and result["changed"] and result["flows"][0]["action"] == "created"
    assert result["diff"][0]["before"] == "" and '"name": "Basic Flow"' in result["diff"][0]["after"]
    assert fake.writes == []
    rc, result, _out = run_module(descope_flow.main, capfd, args(src=src))
    assert result["changed"] and len(fake.writes) == 1
    fake.bump = "2.0.999"
    fake.flows["basic-flow"]["metadata"]["componentsVersion"] = "2.0.999"   # server-side bump
    rc, result, _out = run_module(descope_flow.main, capfd, args(src=src))
    assert not result["changed"] and result["flows"][0]["action"] == "unchanged" and len(fake.writes) == 1
    rc, result, _out = run_module(descope_flow.main, capfd, args(src=src), check_mode=True, diff=True)
    assert not result["changed"] and "diff" not in result and len(fake.writes) == 1


def test_changed_argument_reimports_with_diff(fake, capfd):
    fake.flows["basic-flow"] = sample()
    rc, result, _out = run_module(descope_flow.main, capfd, args(flow=sample(metadata={"name": "Basic Flow", "description": "new"})), diff=True)
    assert rc == 0 and result["changed"] and result["flows"][0]["action"] == "updated"
    assert '"description": "A flow"' in result["diff"][0]["before"] and '"description": "new"' in result["diff"][0]["after"]
    assert len(fake.writes) == 1


def test_bad_input_makes_no_call(fake, capfd, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"flowId": "x",\n "metadata": {}\n "contents": {}}', encoding="utf-8")
    rc, result, _out = run_module(descope_flow.main, capfd, args(src=str(bad)))
    assert rc == 1 and "bad.json: line 3, column 2" in result["msg"]
    rc, result, _out = run_module(descope_flow.main, capfd, args(src=flow_file(tmp_path), flow_id="../etc"))
    assert rc == 1 and "'../etc' is not a valid Descope flow id" in result["msg"]
    rc, result, _out = run_module(descope_flow.main, capfd, args(state="absent", flow_id=["x", "step-up"]))
    assert rc == 1 and "built-in" in result["msg"]
    rc, result, _out = run_module(descope_flow.main, capfd, args(state="exported", flow_id=["ok", "a/b"], dest=str(tmp_path)))
    assert rc == 1 and "'a/b'" in result["msg"]
    rc, result, _out = run_module(descope_flow.main, capfd, args(src=flow_file(tmp_path), flow_id=["a", "b"]))
    assert rc == 1 and "one flow_id" in result["msg"]
    assert fake.calls == []


def test_secret_never_in_output(fake, capfd, tmp_path):
    fake.key = "K2theRealKey"
    rc, result, raw = run_module(descope_flow.main, capfd, args(src=flow_file(tmp_path)), diff=True)
    assert rc == 1
    assert result["msg"].startswith("management key rejected for project P2aAc4T2V93bddihGEx2Ryhc8e5Z")
    assert KEY not in raw and "P2aAc4T2V93bddihGEx2Ryhc8e5Z:" + KEY not in raw


def test_secret_inside_document_is_masked_in_diff(fake, capfd, tmp_path):
    doc = sample(contents={"startTask": "1", "note": "key is %s" % KEY})
    rc, result, raw = run_module(descope_flow.main, capfd, args(src=flow_file(tmp_path, doc)), check_mode=True, diff=True)
    assert rc == 0 and result["changed"]
    assert KEY not in raw


def test_env_fallbacks(fake, capfd, tmp_path, monkeypatch):
    monkeypatch.setenv("DESCOPE_PROJECT_ID", CONN["project_id"])
    monkeypatch.setenv("DESCOPE_MANAGEMENT_KEY", KEY)
    monkeypatch.setenv("DESCOPE_BASE_URL", "http://descope.test")
    rc, result, _out = run_module(descope_flow.main, capfd, {"src": flow_file(tmp_path)})
    assert rc == 0 and result["changed"] and fake.calls[0][2] == "Bearer %s:%s" % (CONN["project_id"], KEY)


def test_directory_bulk(fake, capfd, tmp_path):
    src = tmp_path / "flows"
    src.mkdir()
    for i in range(12):
        flow_file(src, sample(flowId="f%02d" % i), "f%02d.json" % i)
    rc, result, _out = run_module(descope_flow.main, capfd, args(src=str(src), parallel=4))
    assert rc == 0 and [f["action"] for f in result["flows"]] == ["created"] * 12 and len(fake.writes) == 12
    rc, result, _out = run_module(descope_flow.main, capfd, args(src=str(src), parallel=4))
    assert not result["changed"] and len(fake.writes) == 12


def test_export_one_all_and_unchanged(fake, capfd, tmp_path):
    fake.flows = {"a": sample(flowId="a"), "b": sample(flowId="b")}
    dest = str(tmp_path / "one.json")
    rc, result, _out = run_module(descope_flow.main, capfd, args(state="exported", flow_id="a", dest=dest), check_mode=True, diff=True)
    assert rc == 0 and result["changed"] and not os.path.exists(dest) and result["diff"][0]["before"] == ""
    rc, result, _out = run_module(descope_flow.main, capfd, args(state="exported", flow_id="a", dest=dest))
    assert result["changed"] and result["flows"][0]["files"] == [dest]
    with open(dest, encoding="utf-8") as handle:
        text = handle.read()
    assert text.endswith("}\n") and '"references"' not in text
    stat = os.stat(dest)
    rc, result, _out = run_module(descope_flow.main, capfd, args(state="exported", flow_id="a", dest=dest))
    assert not result["changed"] and os.stat(dest).st_mtime_ns == stat.st_mtime_ns
    out = tmp_path / "all"
    rc, result, _out = run_module(descope_flow.main, capfd, args(state="exported", flow_id="all", dest=str(out)))
    assert rc == 0 and sorted(os.listdir(str(out))) == ["a.json", "b.json"]
    assert fake.writes == []


def test_absent(fake, capfd):
    fake.flows = {"a": sample(flowId="a")}
    rc, result, _out = run_module(descope_flow.main, capfd, args(state="absent", flow_id="a"), check_mode=True)
    assert result["changed"] and fake.writes == []
    rc, result, _out = run_module(descope_flow.main, capfd, args(state="absent", flow_id=["a", "gone"]))
    assert [f["action"] for f in result["flows"]] == ["deleted", "absent"] and len(fake.writes) == 1
    rc, result, _out = run_module(descope_flow.main, capfd, args(state="absent", flow_id="a"))
    assert not result["changed"] and len(fake.writes) == 1


def test_missing_source_option(fake, capfd):
    rc, result, _out = run_module(descope_flow.main, capfd, args())
    assert rc == 1 and "src" in result["msg"] and fake.calls == []
