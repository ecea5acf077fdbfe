# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end fixtures: the provider emulator plus ansible-playbook runs of the collection's playbooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TESTS)
sys.path.insert(0, TESTS)

from emulator.pytest_plugin import emulator, emulator_url  # noqa: E402  pylint: disable=wrong-import-position,unused-import
from e2e_helpers import EXAMPLES, estate  # noqa: E402  pylint: disable=wrong-import-position,import-error

# `make e2e` installs the built collection here; the tests run what a user would install.
COLLECTIONS = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.path.join(ROOT, ".build", "collections")


class PlaybookRun:
    """Outcome of one ansible-playbook run (recorded by callback_plugins/e2e_record.py)."""

    def __init__(self, proc, record_file):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        try:
            with open(record_file, encoding="utf-8") as handle:
                record = json.load(handle)
        except FileNotFoundError:
            record = {"tasks": [], "stats": {}}
        self.tasks = record["tasks"]
        self.stats = record["stats"]
        self.custom = record.get("custom", {})  # set_stats data: {"_run": {...}} (per_host: false) and per host

    def changed(self, host=None):
        if host:
            return self.stats.get(host, {}).get("changed", 0)
        return sum(s.get("changed", 0) for s in self.stats.values())

    def failed_hosts(self):
        return sorted(h for h, s in self.stats.items() if s.get("failures") or s.get("unreachable"))

    def results(self, task_name, host=None):
        """Results of every task whose name contains ``task_name`` (optionally for one host), in run order."""
        return [t["result"] for t in self.tasks if task_name in t["task"] and (host is None or t["host"] == host)]

    def text(self):
        return self.stdout + self.stderr


@pytest.fixture()
def run_playbook(tmp_path):
    """Run ``flowops.flows.<name>`` (or a playbook path) against an inventory dict."""

    def run(playbook, inventory, extra_vars=None, check=False, diff=False, limit=None, verbosity=0, env=None):
        inv_file = tmp_path / "inventory.yml"
        inv_file.write_text(yaml.safe_dump(inventory), encoding="utf-8")
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook, "-i", str(inv_file)]
        for key, value in (extra_vars or {}).items():
            cmd += ["-e", json.dumps({key: value})]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if limit:
            cmd += ["-l", limit]
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        record = tmp_path / "record.json"
        if record.exists():
            record.unlink()
        environ = dict(os.environ)
        environ.update({
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(os.path.dirname(os.path.abspath(__file__)), "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "e2e_record",
            "E2E_RECORD_FILE": str(tmp_path / "record.json"),
            "PWD": str(tmp_path),  # a shell sets it; relative report/backup dirs resolve against it
            "ANSIBLE_HOST_KEY_CHECKING": "false",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORKS": "6",
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        })
        environ.update(env or {})
        proc = subprocess.run(cmd, cwd=str(tmp_path), env=environ, capture_output=True, text=True, timeout=600, check=False)
        return PlaybookRun(proc, str(tmp_path / "record.json"))

    return run


@pytest.fixture()
def installed_collection():
    """The folder of the flowops.flows collection the playbooks run (what `make e2e` installed)."""
    return os.path.join(COLLECTIONS, "ansible_collections", "flowops", "flows")


@pytest.fixture()
def inventory(emulator):  # pylint: disable=redefined-outer-name
    """The sandbox estate of examples/ seeded into a freshly reset emulator, and its inventory."""
    emulator.seed(estate.build_seed())
    emulator.clear_requests()
    with open(os.path.join(EXAMPLES, "inventory.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture()
def play(run_playbook, emulator):  # pylint: disable=redefined-outer-name
    """Run one of the collection's playbooks (``promote``, ``backup``, ...) against the emulator."""
    def run(name, inventory, extra_vars=None, **kwargs):  # pylint: disable=redefined-outer-name
        return run_playbook("flowops.flows." + name, inventory, extra_vars, env={"FLOWOPS_EMULATOR_URL": emulator.base_url}, **kwargs)
    return run


def pytest_configure(config):
    """The fault matrix (test_fault_matrix.py) is long: `-m "not fault_matrix"` or FLOWOPS_SKIP_FAULT_MATRIX=1 skips it."""
    config.addinivalue_line("markers", "fault_matrix: the fault matrix of issue 14 (skip with -m 'not fault_matrix')")
