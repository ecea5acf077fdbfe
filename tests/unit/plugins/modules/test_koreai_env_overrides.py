# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kore.ai: a change made only through env_overrides (or values), against the provider emulator under both env merge policies.

The import API's policy for variables that exist in both the package and the target is not published (reference koreai.md
3.3, open question 7): the emulator's ``env_merge_policy`` models ``overwrite`` and ``keep_existing``. Whichever it is, the
diff shows the variable change (masked for a secure variable) and the run leaves the target holding the new value.
"""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.flowops.flows.plugins.modules import koreai_workflow

from .utils import run_module


KOREAI = {"api_key": "kg-demo-assist-dev-0001", "workflow_id": "a-0a0a0a0a-1111-4111-8111-000000000001"}


def workflow(emu):
    return next(w for a in emu.snapshot()["koreai"]["accounts"] for w in a["workflows"] if w["id"] == KOREAI["workflow_id"])


def latest(emu):
    return max(workflow(emu)["versions"], key=lambda v: v["version"])


def env_of(version):
    return {v["key"]: v.get("value") for v in version["env_variables"]}


def package(tmp_path, emu, env=None):
    """The target's own package (as a file tree), with env_variables.json replaced by ``env`` when given."""
    version = latest(emu)
    src = tmp_path / "pkg"
    src.mkdir(exist_ok=True)
    for name, doc in (("flow_definition.json", version["flow_definition"]), ("app_definition.json", version["app_definition"]),
                      ("env_variables.json", env if env is not None else version["env_variables"])):
        (src / name).write_text(json.dumps(doc), encoding="utf-8")
    return str(src)


def args(emu, **extra):
    out = {"base_url": emu.url_base, "api_key": KOREAI["api_key"], "workflow_id": KOREAI["workflow_id"], "poll_interval": 0.05, "deploy": True}
    out.update(extra)
    return out


def writes(emu):
    return emu.requests(provider="koreai", write=True)


def set_policy(emu, policy):
    emu._call("PUT", "/koreai/config", {"env_merge_policy": policy})  # pylint: disable=protected-access


STAGING_URL = "https://orders.staging.example.com/api"
DEV_URL = "https://orders.dev.example.com/api"
NEW_TOKEN = "token-staging-5e4d3c2b"
OLD_TOKEN = "token-dev-9f8e7d6c"


@pytest.mark.parametrize("policy", ["keep_existing", "overwrite"])
def test_env_override_change_is_shown_in_check_mode(emu, capfd, tmp_path, policy):
    set_policy(emu, policy)
    task = args(emu, src=package(tmp_path, emu), env_overrides={"ORDERS_API_URL": STAGING_URL, "ORDERS_API_TOKEN": NEW_TOKEN})
    code, result, raw = run_module(koreai_workflow.main, capfd, task, check_mode=True, diff=True)
    assert code == 0 and result["changed"] is True and result["flows"][0]["action"] == "updated", result["msg"]
    assert writes(emu) == []
    [diff] = result["diff"]
    assert STAGING_URL in diff["after"] and DEV_URL in diff["before"]
    changes = result["flows"][0]["changes"]
    assert any("ORDERS_API_URL" in c and STAGING_URL in c for c in changes), changes
    # the secure variable: its change shows, masked (a tag that differs), never its value
    assert any("ORDERS_API_TOKEN" in c for c in changes), changes
    assert NEW_TOKEN not in raw and OLD_TOKEN not in raw
    token_lines = [line for line in diff["after"].splitlines() + diff["before"].splitlines() if "********" in line]
    assert len(set(token_lines)) == 2, token_lines


def test_env_override_change_lands_when_the_import_overwrites(emu, capfd, tmp_path):
    set_policy(emu, "overwrite")
    task = args(emu, src=package(tmp_path, emu), env_overrides={"ORDERS_API_URL": STAGING_URL, "ORDERS_API_TOKEN": NEW_TOKEN})
    code, result, raw = run_module(koreai_workflow.main, capfd, task)
    assert code == 0 and result["changed"] is True, result["msg"]
    assert env_of(latest(emu)) == {"ORDERS_API_URL": STAGING_URL, "ORDERS_API_TOKEN": NEW_TOKEN}
    assert workflow(emu)["deployed_version"] == latest(emu)["version"]
    assert NEW_TOKEN not in raw and OLD_TOKEN not in raw
    emu.clear_requests()
    code, result, _raw = run_module(koreai_workflow.main, capfd, task)
    assert code == 0 and result["changed"] is False, result["msg"]
    assert writes(emu) == []


def test_env_override_change_kept_by_the_import_fails_clearly_and_rolls_back(emu, capfd, tmp_path):
    """keep_existing: no call of the public API changes the value of a variable the workflow already holds."""
    set_policy(emu, "keep_existing")
    before = latest(emu)
    task = args(emu, src=package(tmp_path, emu), env_overrides={"ORDERS_API_URL": STAGING_URL})
    code, result, _raw = run_module(koreai_workflow.main, capfd, task)
    assert code == 1
    assert "the import API kept the workflow's existing value of ORDERS_API_URL" in result["msg"]
    assert "set it in the Kore.ai UI" in result["msg"]
    assert result["flows"][0]["rollback"] == "restored"
    now = latest(emu)
    assert env_of(now) == env_of(before) and now["flow_definition"] == before["flow_definition"]
    assert workflow(emu)["deployed_version"] == now["version"]


@pytest.mark.parametrize("policy", ["keep_existing", "overwrite"])
def test_values_in_env_variables_resolve_before_env_overrides(emu, capfd, tmp_path, policy):
    """A placeholder in env_variables.json is resolved from values, then env_overrides applies (and wins)."""
    set_policy(emu, policy)
    env = [{"key": "ORDERS_API_URL", "value": "@@ORDERS_API_URL@@", "isSecured": False},
           {"key": "ORDERS_API_TOKEN", "value": "##TOKEN_PREFIX##-9f8e7d6c", "isSecured": True}]
    src = package(tmp_path, emu, env=env)
    task = args(emu, src=src, values={"ORDERS_API_URL": DEV_URL, "TOKEN_PREFIX": "token-dev"})
    code, result, _raw = run_module(koreai_workflow.main, capfd, task)
    assert code == 0 and result["changed"] is False, result["msg"]   # resolved, the package is the target's own
    assert writes(emu) == []
    code, result, _raw = run_module(koreai_workflow.main, capfd, dict(task, env_overrides={"ORDERS_API_URL": DEV_URL}))
    assert code == 0 and result["changed"] is False, result["msg"]
    code, result, _raw = run_module(koreai_workflow.main, capfd, dict(task, values={"ORDERS_API_URL": DEV_URL}))
    assert code == 1 and writes(emu) == []
    assert result["msg"] == ("%s: no value for placeholder ##TOKEN_PREFIX## at $[1].value; names with values: ORDERS_API_URL"
                             % os.path.join(src, "env_variables.json"))
