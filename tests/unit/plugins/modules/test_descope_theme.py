# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""descope_theme in-process, with the Descope API faked at the requests boundary."""

from __future__ import annotations

import json
import os

from ansible_collections.flowops.flows.plugins.modules import descope_theme
from ansible_collections.flowops.flows.tests.unit.plugins.module_utils.test_descope import FakeDescope
from ansible_collections.flowops.flows.tests.unit.plugins.modules.utils import run_module

KEY = "K2unitTestSecretKey"
CONN = {"project_id": "P2aAc4T2V93bddihGEx2Ryhc8e5Z", "management_key": KEY, "base_url": "http://descope.test", "retries": 0}
THEME = {"componentsVersion": "2.0.463", "references": {}, "styles": {"light": {"button": {"color": "#fff"}}}}


def test_present_check_apply_reapply(mocker, capfd, tmp_path):
    fake = FakeDescope(theme={"componentsVersion": "2.0.600", "styles": {"light": {"button": {"color": "#000"}}, "legacy": {"x": 1}}})
    fake.install(mocker)
    src = tmp_path / "theme.json"
    src.write_text(json.dumps({"theme": THEME}), encoding="utf-8")
    rc, result, _out = run_module(descope_theme.main, capfd, dict(CONN, src=str(src)), check_mode=True, diff=True)
    assert rc == 0 and result["changed"] and fake.writes == []
    assert "#000" in result["diff"][0]["before"] and "legacy" not in result["diff"][0]["before"]
    rc, result, _out = run_module(descope_theme.main, capfd, dict(CONN, src=str(src)))
    assert result["changed"] and len(fake.writes) == 1 and fake.theme["styles"]["legacy"] == {"x": 1}
    fake.theme["componentsVersion"] = "2.0.700"
    rc, result, _out = run_module(descope_theme.main, capfd, dict(CONN, src=str(src)))
    assert not result["changed"] and len(fake.writes) == 1


def test_exported(mocker, capfd, tmp_path):
    fake = FakeDescope(theme=THEME)
    fake.install(mocker)
    dest = str(tmp_path / "theme.json")
    rc, result, _out = run_module(descope_theme.main, capfd, dict(CONN, state="exported", dest=dest))
    assert rc == 0 and result["changed"]
    with open(dest, encoding="utf-8") as handle:
        assert json.load(handle) == {"componentsVersion": "2.0.463", "styles": {"light": {"button": {"color": "#fff"}}}}
    mtime = os.stat(dest).st_mtime_ns
    rc, result, _out = run_module(descope_theme.main, capfd, dict(CONN, state="exported", dest=dest))
    assert not result["changed"] and os.stat(dest).st_mtime_ns == mtime and fake.writes == []


def test_bad_theme(mocker, capfd):
    fake = FakeDescope()
    fake.install(mocker)
    rc, result, _out = run_module(descope_theme.main, capfd, dict(CONN, theme={"styles": {"light": "red"}}))
    assert rc == 1 and "styles" in result["msg"] and fake.calls == []
