# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' behaviour around the pipeline: stage errors, honest failure messages, where files go, the job
summary (set_stats) and credentials from the environment."""

from __future__ import annotations

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
