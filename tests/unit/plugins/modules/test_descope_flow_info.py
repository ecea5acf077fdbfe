# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""descope_flow_info in-process, with the Descope API faked at the requests boundary."""

from __future__ import annotations

from ansible_collections.flowops.flows.plugins.modules import descope_flow_info
from ansible_collections.flowops.flows.tests.unit.plugins.module_utils.test_descope import FakeDescope, sample
from ansible_collections.flowops.flows.tests.unit.plugins.modules.utils import run_module

KEY = "K2unitTestSecretKey"
CONN = {"project_id": "P2aAc4T2V93bddihGEx2Ryhc8e5Z", "management_key": KEY, "base_url": "http://descope.test", "retries": 0}


def test_list_filter_and_content(mocker, capfd):
    fake = FakeDescope(flows={"b": sample(flowId="b"), "a": sample(flowId="a", metadata={"name": "A", "description": "", "disabled": True})})
    fake.install(mocker)
    rc, result, _out = run_module(descope_flow_info.main, capfd, dict(CONN), check_mode=True)
    assert rc == 0 and not result["changed"]
    assert result["flows"] == [{"id": "a", "name": "A", "description": "", "disabled": True},
                               {"id": "b", "name": "Basic Flow", "description": "A flow", "disabled": False}]
    rc, result, _out = run_module(descope_flow_info.main, capfd, dict(CONN, flow_id="b", include_content=True))
    assert [f["id"] for f in result["flows"]] == ["b"]
    assert result["flows"][0]["content"]["flowId"] == "b" and "references" not in result["flows"][0]["content"]
    assert result["flows"][0]["fingerprint"].startswith("sha256:")
    assert fake.writes == []


def test_bad_id_and_bad_key(mocker, capfd):
    fake = FakeDescope(key="K2other")
    fake.install(mocker)
    rc, result, _out = run_module(descope_flow_info.main, capfd, dict(CONN, flow_id="../x"))
    assert rc == 1 and "not a valid Descope flow id" in result["msg"] and fake.calls == []
    rc, result, raw = run_module(descope_flow_info.main, capfd, dict(CONN))
    assert rc == 1 and result["msg"].startswith("management key rejected for project P2aAc4T2V93bddihGEx2Ryhc8e5Z")
    assert KEY not in raw
