# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""flowops.flows.backup (with git commits) and flowops.flows.drift (environment vs environment, environment vs a
backup tree, failing CI on drift) end to end, on the sandbox estate of examples/ against the emulator."""

from __future__ import annotations

import copy
import glob
import json
import os
import subprocess

from e2e_helpers import estate, writes  # pylint: disable=import-error


def tree_files(root):
    """Every file of a tree (outside .git) with its bytes."""
    out = {}
    for base, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            path = os.path.join(base, name)
            with open(path, "rb") as handle:
                out[os.path.relpath(path, root)] = handle.read()
    return out


def commits(root):
    """(subject, body) of every commit of the tree's repository, newest first."""
    log = subprocess.run(["git", "-C", str(root), "log", "--format=%s%x1f%b%x1e"], capture_output=True, text=True, check=True).stdout
    return [tuple(entry.strip("\n").split("\x1f")) for entry in log.split("\x1e") if entry.strip()]


def change_descope_flow(emulator, stage, flow_id, description):
    """Change one flow's description behind the collection's back (as a console edit would)."""
    project = next(p for p in emulator.snapshot()["descope"]["projects"] if p["project_id"] == estate.DESCOPE[stage]["project_id"])
    flow = copy.deepcopy(project["flows"][flow_id])
    flow["metadata"]["description"] = description
    emulator.seed({"descope": {"projects": [dict(estate.DESCOPE[stage], flows={flow_id: flow})]}})


def drift_reports(tmp_path):
    """The newest JSON drift report of each host."""
    reports = {}
    for path in sorted(glob.glob(str(tmp_path / "reports" / "*-drift.json"))):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        reports[data["target"]] = data
    return reports


def changes_of(report):
    return [line for entry in report["changes"] for line in entry["changes"]]


def test_backup_commits_what_changed_and_a_rerun_changes_nothing(emulator, inventory, play, tmp_path):
    tree = tmp_path / "flows"
    extra = {"backup_dir": str(tree), "backup_git_commit": True}

    first = play("backup", inventory, extra, limit="dev")
    assert first.rc == 0, first.text()
    history = commits(tree)
    assert sorted(subject for subject, _body in history) == [
        "flows backup of assist_koreai_dev (koreai)", "flows backup of portal_davinci_dev (davinci)",
        "flows backup of portal_descope_dev (descope)"]
    descope_body = next(body for subject, body in history if "portal_descope_dev" in subject)
    assert "- portal_descope_dev/descope/flows/sign-in-oauth.json" in descope_body.splitlines()
    files = tree_files(tree)
    assert "portal_descope_dev/descope/flows/role-flow.json" in files
    assert writes(emulator) == 0

    again = play("backup", inventory, extra, limit="dev")
    assert again.rc == 0, again.text()
    assert again.changed() == 0
    assert tree_files(tree) == files
    assert commits(tree) == history
    assert writes(emulator) == 0

    change_descope_flow(emulator, "dev", "role-flow", "edited in the console")
    third = play("backup", inventory, extra, limit="dev")
    assert third.rc == 0, third.text()
    assert third.changed("portal_descope_dev") > 0 and third.changed("portal_davinci_dev") == 0 and third.changed("assist_koreai_dev") == 0
    newest = commits(tree)
    assert len(newest) == len(history) + 1
    subject, body = newest[0]
    assert subject == "flows backup of portal_descope_dev (descope)"
    assert body.splitlines() == ["Changed:", "- portal_descope_dev/descope/flows/role-flow.json"]
    changed = {name for name, data in tree_files(tree).items() if files.get(name) != data}
    assert changed == {"portal_descope_dev/descope/flows/role-flow.json"}


def test_drift_fails_ci_until_the_promotion_lands(emulator, inventory, play, tmp_path):
    extra = {"from": "dev", "to": "prod", "drift_fail_on_change": True}
    drifted = play("drift", inventory, extra)
    assert drifted.rc != 0
    assert drifted.failed_hosts() == ["assist_koreai_prod", "portal_davinci_prod", "portal_descope_prod"]
    failures = [t["result"]["msg"] for t in drifted.tasks if t["status"] == "failed" and "Fail on drift" in t["task"]]
    assert any(msg.startswith("portal_descope_prod differs from portal_descope_dev (dev): see ") and msg.endswith("-drift.md")
               for msg in failures), failures
    reports = drift_reports(tmp_path)
    assert not any(report["in_sync"] for report in reports.values())
    assert writes(emulator) == 0

    promoted = play("promote", inventory, {"from": "dev", "to": "prod"})
    assert promoted.rc == 0, promoted.text()

    emulator.clear_requests()
    in_sync = play("drift", inventory, extra)
    assert in_sync.rc == 0, in_sync.text()
    reports = drift_reports(tmp_path)
    assert sorted(reports) == ["assist_koreai_prod", "portal_davinci_prod", "portal_descope_prod"]
    assert all(report["in_sync"] for report in reports.values()), {h: changes_of(r) for h, r in reports.items()}
    assert writes(emulator) == 0


def test_drift_against_a_backup_tree_names_what_changed_since(emulator, inventory, play, tmp_path):
    tree = tmp_path / "flows"
    backup = play("backup", inventory, {"backup_dir": str(tree)}, limit="prod")
    assert backup.rc == 0, backup.text()
    extra = {"drift_dir": str(tree), "drift_fail_on_change": True}

    clean = play("drift", inventory, extra, limit="prod")
    assert clean.rc == 0, clean.text()
    assert all(report["in_sync"] for report in drift_reports(tmp_path).values())

    change_descope_flow(emulator, "prod", "sign-in-oauth", "hotfix made in prod")
    emulator.clear_requests()
    drifted = play("drift", inventory, extra, limit="prod")
    assert drifted.rc != 0
    assert drifted.failed_hosts() == ["portal_descope_prod"]
    reports = drift_reports(tmp_path)
    assert reports["portal_davinci_prod"]["in_sync"] and reports["assist_koreai_prod"]["in_sync"]
    descope = reports["portal_descope_prod"]
    assert not descope["in_sync"]
    assert [f["id"] for f in descope["flows"] if f["action"] != "unchanged"] == ["sign-in-oauth"]
    assert changes_of(descope) == ["metadata: description changed from 'hotfix made in prod' to 'previous release'"]
    assert writes(emulator) == 0


def test_drift_between_environments_with_a_one_flow_descope_selection(emulator, inventory, play, tmp_path):
    """One selected Descope flow is exported into the staging folder (not into a file named after it) and compared."""
    extra = {"from": "dev", "to": "prod", "drift_selection": ["sign-in-oauth"]}
    drifted = play("drift", inventory, extra, limit="portal_descope_prod,portal_descope_dev")
    assert drifted.rc == 0, drifted.text()
    report = drift_reports(tmp_path)["portal_descope_prod"]
    assert not report["in_sync"]
    assert [(f["id"], f["action"]) for f in report["flows"]] == [("sign-in-oauth", "updated")]
    assert "task 1 'Sign Up or In / OAuth' (oauth-start): arguments.defaultProvider.value changed from 'google' to 'apple'" in changes_of(report)
    assert writes(emulator) == 0

    promoted = play("promote", inventory, {"from": "dev", "to": "prod", "promote_selection": ["sign-in-oauth"]},
                    limit="portal_descope_prod,portal_descope_dev")
    assert promoted.rc == 0, promoted.text()
    emulator.clear_requests()
    in_sync = play("drift", inventory, extra, limit="portal_descope_prod,portal_descope_dev")
    assert in_sync.rc == 0, in_sync.text()
    report = drift_reports(tmp_path)["portal_descope_prod"]
    assert report["in_sync"], changes_of(report)
    assert [(f["id"], f["action"]) for f in report["flows"]] == [("sign-in-oauth", "unchanged")]
    assert writes(emulator) == 0
