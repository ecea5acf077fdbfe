# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply/promote pipeline's derived variables (roles/apply/vars/main.yml), rendered by ansible-core itself from the
installed collection: what a rollback removes, and which backup a report names."""

from __future__ import annotations

import json
import os

import pytest

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


@pytest.fixture()
def render(run_playbook, installed_collection, tmp_path):
    """The values of ``expressions`` with the role's vars and ``variables`` (through a debug task's result)."""
    def run(variables, expressions):
        playbook = tmp_path / "render.yml"
        playbook.write_text(json.dumps([{
            "hosts": "localhost", "gather_facts": False, "vars": variables,
            "tasks": [{"ansible.builtin.include_vars": os.path.join(installed_collection, "roles", "apply", "vars", "main.yml")},
                      {"name": "Render", "ansible.builtin.debug": {"msg": {name: "{{ %s }}" % expr for name, expr in expressions.items()}}}],
        }]), encoding="utf-8")
        outcome = run_playbook(str(playbook), LOCAL)
        assert outcome.rc == 0, outcome.text()
        return outcome.results("Render")[0]["msg"]
    return run


def test_a_rollback_removes_the_flows_the_run_created_also_those_the_preflight_list_had(render):
    # x: listed by the preflight, then created by the reconcile (deleted by someone in between); y: the module's own
    # rollback removed it already; z: the module's rollback of it failed (the role tries again); a: updated
    out = render({
        "provider_spec": {"key": "id"},
        "apply_touched": ["a", "b", "x"],
        "apply_existing": ["a", "x", "y"],
        "apply_plan_flows": [{"id": "x", "name": "X", "action": "created"},
                             {"id": "y", "name": "Y", "action": "created", "rollback": "removed"},
                             {"id": "z", "name": "Z", "action": "created", "rollback": "failed: HTTP 500"},
                             {"id": "a", "name": "A", "action": "updated"}],
    }, {"created": "apply_created"})
    assert out["created"] == ["b", "x", "z"]


def test_a_report_names_the_backup_only_when_it_exists(render, tmp_path):
    backups = tmp_path / "backups"
    (backups / "run1" / "prod").mkdir(parents=True)
    common = {"apply_backup_dir": str(backups), "inventory_hostname": "prod", "provider_files_root": str(tmp_path)}
    out = render(dict(common, apply_run_id="run1"), {"backup": "apply_report.backup"})
    assert out["backup"] == str(backups / "run1" / "prod")
    out = render(dict(common, apply_run_id="run2"), {"backup": "apply_report.backup"})
    assert out["backup"] == ""
