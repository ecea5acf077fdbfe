# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""koreai_workflow_info in-process, against the fake Kore.ai transport of test_koreai."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.flowops.flows.plugins.modules import koreai_workflow_info
from ansible_collections.flowops.flows.plugins.module_utils._document import fingerprint
from ansible_collections.flowops.flows.plugins.module_utils._koreai_documents import normalise_package
from ansible_collections.flowops.flows.tests.unit.plugins.modules.utils import run_module
from ansible_collections.flowops.flows.tests.unit.plugins.module_utils.test_koreai import BASE, KEY, PACKAGE, FakeKoreAI


@pytest.fixture
def fake(mocker):
    server = FakeKoreAI({"a-1": PACKAGE, "a-2": PACKAGE})
    mocker.patch.object(requests.Session, "get_adapter", lambda self, url: server)
    return server


def args(**kwargs):
    base = {"base_url": BASE, "api_key": KEY, "poll_interval": 0, "wait_timeout": 5}
    base.update(kwargs)
    return base


def test_fingerprints_and_content(fake, capfd):
    code, result, raw = run_module(koreai_workflow_info.main, capfd, args(workflow_ids=["a-1", "a-2"], include_content=True))
    assert code == 0 and result["changed"] is False
    assert [w["workflow_id"] for w in result["flows"]] == ["a-1", "a-2"]
    assert result["flows"][0]["fingerprint"] == fingerprint(normalise_package(PACKAGE))
    assert result["flows"][0]["content"]["app_definition.json"] == PACKAGE["app_definition"]
    assert result["flows"][0]["jobs"][0]["action"] == "EXPORT"
    assert "dev-token-abcdef" not in raw
    assert fake.writes() == []


def test_without_content(fake, capfd):
    code, result, _out = run_module(koreai_workflow_info.main, capfd, args(workflow_ids=["a-1"]))
    assert code == 0 and "content" not in result["flows"][0]


def test_dock_status_lookup(fake, capfd):
    fake.outcome["EXPORT"] = "FAILED"
    code, result, _out = run_module(koreai_workflow_info.main, capfd, args(workflow_ids=["a-1"]))
    assert code == 1 and "FAILED" in result["msg"]
    job_id = next(iter(fake.jobs))
    code, result, _out = run_module(koreai_workflow_info.main, capfd, args(dock_status_id=job_id))
    assert code == 0 and result["dock_status"]["status"] == "FAILED" and result["dock_status"]["reason"] == "Incompatible workflow version"
    assert result["flows"] == []


def test_unknown_dock_status(fake, capfd):
    code, result, _out = run_module(koreai_workflow_info.main, capfd, args(dock_status_id="ds-nope"))
    assert code == 1 and "Invalid request ID" in result["msg"]


def test_needs_ids_or_dock_status(fake, capfd):
    code, result, _out = run_module(koreai_workflow_info.main, capfd, args())
    assert code == 1 and "one of the following is required" in result["msg"]
