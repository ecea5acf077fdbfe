# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' behaviour around the pipeline: stage errors, honest failure messages, where files go, the job
summary (set_stats) and credentials from the environment."""

from __future__ import annotations

import copy
import glob
import os

import pytest

from e2e_helpers import writes  # pylint: disable=import-error


def failures(run, task_part):
    """Messages of the failed task results whose task name contains ``task_part``."""
    return [t["result"].get("msg", "") for t in run.tasks if t["status"] == "failed" and task_part in t["task"]]


@pytest.mark.parametrize("playbook, extra, unknown", [
    ("promote", {"from": "dev", "to": "staging"}, "staging"),
    ("promote", {"from": "qa", "to": "prod"}, "qa"),
    ("drift", {"from": "dev", "to": "staging"}, "staging"),
])
def test_an_unknown_stage_fails_the_play_once_and_lists_the_stages(emulator, inventory, play, playbook, extra, unknown):
    run = play(playbook, inventory, extra)
    assert run.rc != 0, run.text()
    failed = [t for t in run.tasks if t["status"] == "failed"]
    assert len(failed) == 1, [(t["host"], t["task"]) for t in failed]
    msg = failed[0]["result"]["msg"]
    assert "'%s'" % unknown in msg and "dev, prod" in msg, msg
    assert writes(emulator) == 0


@pytest.mark.parametrize("check", [True, False])
def test_a_preflight_failure_says_nothing_was_written(emulator, inventory, play, check):
    run = play("promote", inventory, {"from": "dev", "to": "prod", "promote_selection": ["no-such-flow"]},
               check=check, limit="portal_descope_prod")
    assert run.rc != 0
    msgs = failures(run, "Fail when the promotion failed")
    assert msgs, run.text()
    assert "no-such-flow" in msgs[0] and "Nothing was written to the target" in msgs[0], msgs[0]
    assert "restored" not in msgs[0] and "verified" not in msgs[0], msgs[0]
    assert writes(emulator) == 0


def test_files_go_under_the_inventory_directory_or_flow_files_root_never_pwd(emulator, inventory, run_playbook, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"FLOWOPS_EMULATOR_URL": emulator.base_url, "PWD": str(elsewhere)}
    run = run_playbook("flowops.flows.promote", inventory, {"from": "dev", "to": "prod"}, limit="portal_descope_prod", env=env)
    assert run.rc == 0, run.text()
    assert glob.glob(str(tmp_path / "reports" / "*-portal_descope_prod-promote.json"))
    assert glob.glob(str(tmp_path / "backups" / "*" / "portal_descope_prod" / "*.json"))
    assert not os.listdir(elsewhere)

    root = tmp_path / "root"
    run = run_playbook("flowops.flows.promote", inventory, {"from": "dev", "to": "prod", "flow_files_root": str(root)},
                       limit="portal_descope_prod", env=env)
    assert run.rc == 0, run.text()
    assert glob.glob(str(root / "reports" / "*-portal_descope_prod-promote.md"))
    assert glob.glob(str(root / "backups" / "*" / "portal_descope_prod.source-portal_descope_dev" / "*.json"))
    assert not os.listdir(elsewhere)


def test_each_role_ends_with_a_job_summary_in_set_stats(emulator, inventory, play, tmp_path):
    run = play("promote", inventory, {"from": "dev", "to": "prod"})
    assert run.rc == 0, run.text()
    summary = run.custom["_run"]["flowops"]["promote"]
    assert sorted(summary) == ["assist_koreai_prod", "portal_davinci_prod", "portal_descope_prod"]
    descope = summary["portal_descope_prod"]
    assert {k: descope[k] for k in ("status", "created", "updated", "unchanged", "deleted", "failed")} == {
        "status": "promoted", "created": 2, "updated": 1, "unchanged": 0, "deleted": 0, "failed": 0}
    assert summary["portal_davinci_prod"]["created"] == 3 and summary["assist_koreai_prod"]["updated"] == 1
    assert all(os.path.isfile(path) for path in descope["reports"]) and len(descope["reports"]) == 2
    (table,) = run.results("Summary of the play")  # one table for the play, whichever host printed it
    assert sorted(line.split()[0] for line in table["msg"][2:]) == ["assist_koreai_prod", "portal_davinci_prod", "portal_descope_prod"]

    again = play("promote", inventory, {"from": "dev", "to": "prod"})
    assert all(s["unchanged"] > 0 and s["created"] + s["updated"] == 0 for s in again.custom["_run"]["flowops"]["promote"].values())

    backup = play("backup", inventory, {"backup_dir": str(tmp_path / "flows")}, limit="dev")
    assert backup.rc == 0, backup.text()
    backed_up = backup.custom["_run"]["flowops"]["backup"]
    assert backed_up["portal_descope_dev"]["status"] == "backed up" and backed_up["portal_descope_dev"]["exported"] == 3
    assert backed_up["portal_davinci_dev"]["exported"] > 0 and backed_up["assist_koreai_dev"]["exported"] == 1

    drift = play("drift", inventory, {"from": "dev", "to": "prod"})
    assert drift.rc == 0, drift.text()
    assert {h: s["status"] for h, s in drift.custom["_run"]["flowops"]["drift"].items()} == {
        "assist_koreai_prod": "in sync", "portal_davinci_prod": "in sync", "portal_descope_prod": "in sync"}

    restore = play("restore", inventory, {"restore_dir": str(tmp_path / "flows")}, limit="dev")
    assert restore.rc == 0, restore.text()
    assert restore.custom["_run"]["flowops"]["restore"]["portal_descope_dev"]["unchanged"] == 3
    assert writes(emulator, ok_only=True) > 0  # the promotion wrote; nothing else did (checked by the other tests)


def test_connection_variables_fall_back_to_the_modules_environment_variables(emulator, inventory, run_playbook, tmp_path):
    inv = copy.deepcopy(inventory)
    host = inv["all"]["children"]["dev"]["hosts"]["portal_descope_dev"]
    project_id, key = host.pop("descope_project_id"), host.pop("descope_management_key")
    tree = tmp_path / "flows"

    env = {"FLOWOPS_EMULATOR_URL": emulator.base_url}
    missing = run_playbook("flowops.flows.backup", inv, {"backup_dir": str(tree)}, limit="portal_descope_dev", env=env)
    assert missing.rc != 0
    assert any("management_key" in m or "DESCOPE_MANAGEMENT_KEY" in m for m in failures(missing, "")), missing.text()

    found = run_playbook("flowops.flows.backup", inv, {"backup_dir": str(tree)}, limit="portal_descope_dev",
                         env=dict(env, DESCOPE_PROJECT_ID=project_id, DESCOPE_MANAGEMENT_KEY=key))
    assert found.rc == 0, found.text()
    assert sorted(os.listdir(tree / "portal_descope_dev" / "descope" / "flows")) == [
        "connector-flow.json", "role-flow.json", "sign-in-oauth.json"]
    assert key not in found.text()
