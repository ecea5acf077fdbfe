# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every case of the bad-input corpus (corpus.py) fails with a clear message, before any write, writing nothing.

The module cases run as one ansible-playbook (one task each, ``ignore_errors``) against the emulator seeded with
the sandbox estate, through the installed collection (``make install``); the role cases run the collection's
playbooks. For every case: the task failed, its message matches every expected pattern (the file or field, and
what was expected) and is not a traceback; for the whole run: the emulator counted zero write calls, no secret of
the estate appears in any output, and no file outside the destinations changed or appeared.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from corpus import ROLE_CASES, module_cases  # pylint: disable=import-error
from e2e_helpers import EXAMPLES, estate, writes  # pylint: disable=import-error

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.path.join(ROOT, ".build", "collections")
CALLBACKS = os.path.join(ROOT, "tests", "e2e", "callback_plugins")

CONNECTIONS = {
    "descope": {"project_id": estate.DESCOPE["dev"]["project_id"], "management_key": estate.DESCOPE["dev"]["management_key"],
                "base_url": "{{ emulator_url }}"},
    "davinci": {"environment_id": estate.DAVINCI["dev"]["environment_id"], "client_id": estate.DAVINCI["dev"]["client_id"],
                "client_secret": estate.DAVINCI["dev"]["client_secret"], "api_url": "{{ emulator_url }}/v1",
                "auth_url": "{{ emulator_url }}"},
    "koreai": {"api_key": estate.KOREAI["dev"]["api_key"], "base_url": "{{ emulator_url }}", "poll_interval": 0.2},
}


def tree_state(top, skip):
    """``{relative path: sha256}`` of every file under ``top`` (and every directory, as None), outside ``skip``."""
    state = {}
    for base, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if os.path.join(base, d) not in skip]
        for name in dirs:
            state[os.path.relpath(os.path.join(base, name), top)] = None
        for name in files:
            path = os.path.join(base, name)
            if path in skip:
                continue
            with open(path, "rb") as handle:
                state[os.path.relpath(path, top)] = hashlib.sha256(handle.read()).hexdigest()
    return state


def run(tmp_path, playbook, inventory, extra_vars=None, emulator_url=None):
    inv = tmp_path / "inventory.yml"
    inv.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    record = tmp_path / "record.json"
    if record.exists():
        record.unlink()
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook, "-i", str(inv)]
    for key, value in (extra_vars or {}).items():
        cmd += ["-e", json.dumps({key: value})]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
               ANSIBLE_CALLBACKS_ENABLED="e2e_record", E2E_RECORD_FILE=str(record), PWD=str(tmp_path),
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
               FLOWOPS_EMULATOR_URL=emulator_url or "")
    proc = subprocess.run(cmd, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=900, check=False)
    data = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {"tasks": []}
    return proc, data["tasks"]


def message(result):
    return str(result.get("msg", "")) + ("\n" + str(result["module_stderr"]) if result.get("module_stderr") else "")


def assert_no_secret(text):
    for secret in estate.secrets():
        assert secret not in text, "a secret of the estate appears in the output"


def test_module_cases(tmp_path, emulator):  # pylint: disable=redefined-outer-name
    cases = module_cases(str(tmp_path / "corpus"))
    assert len(cases) >= 40
    emulator.seed(estate.build_seed())
    for case in cases:
        if case.setup and case.setup[0] == "descope_behaviour":
            response = emulator.session.put(emulator.url("/_emulator/descope/projects/%s/behaviour" % estate.DESCOPE["dev"]["project_id"]),
                                            json=case.setup[1], timeout=30)
            response.raise_for_status()
    emulator.clear_requests()
    outs = [tmp_path / "corpus" / "out"]
    skip = {str(p) for p in outs} | {str(tmp_path / n) for n in ("record.json", "inventory.yml", "ansible-tmp", "cases.yml")}
    before = tree_state(str(tmp_path), skip)
    parent_before = sorted(os.listdir(str(tmp_path.parent)))

    tasks = []
    for case in cases:
        args = dict(CONNECTIONS[case.conn])
        args.update(case.args)
        tasks.append({"name": "case " + case.id, case.module: args, "ignore_errors": True})
    playbook = tmp_path / "cases.yml"
    playbook.write_text(yaml.safe_dump([{"name": "bad input", "hosts": "localhost", "connection": "local", "gather_facts": False,
                                         "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}",
                                                  "emulator_url": emulator.base_url},
                                         "tasks": tasks}], sort_keys=False), encoding="utf-8")
    proc, recorded = run(tmp_path, str(playbook), {"all": {"hosts": {"localhost": {}}}})
    assert_no_secret(proc.stdout + proc.stderr)
    results = {t["task"]: t for t in recorded}

    problems = []
    for case in cases:
        task = results.get("case " + case.id)
        if task is None:
            problems.append("%s: no result recorded" % case.id)
            continue
        text = message(task["result"])
        if task["status"] != "ignored":   # e2e_record: "ignored" = failed under ignore_errors
            problems.append("%s: accepted (status %s): %s" % (case.id, task["status"], text[:300]))
            continue
        if "Traceback" in text or "MODULE FAILURE" in text:
            problems.append("%s: crashed instead of a clear error: %s" % (case.id, text[:600]))
            continue
        missing = [pattern for pattern in case.expect if not re.search(pattern, text)]
        if missing:
            problems.append("%s: message %r does not match %r" % (case.id, text[:500], missing))
    assert not problems, "\n".join(problems)

    assert writes(emulator) == 0, emulator.requests(write=True)
    assert tree_state(str(tmp_path), skip) == before
    assert sorted(os.listdir(str(tmp_path.parent))) == parent_before
    for out in outs:   # a refused export writes nothing, not even its destination
        assert not out.exists() or not any(out.rglob("*")), sorted(str(p) for p in out.rglob("*"))


@pytest.mark.parametrize("case_id, playbook, extra_vars, change, expect", ROLE_CASES, ids=[c[0] for c in ROLE_CASES])
def test_role_cases(tmp_path, emulator, case_id, playbook, extra_vars, change, expect):
    # pylint: disable=redefined-outer-name,unused-argument,too-many-arguments,too-many-positional-arguments
    emulator.seed(estate.build_seed())
    emulator.clear_requests()
    with open(os.path.join(EXAMPLES, "inventory.yml"), encoding="utf-8") as handle:
        inventory = yaml.safe_load(handle)
    if change:
        host, key, value = change
        for group in inventory["all"]["children"].values():
            if host in group.get("hosts", {}):
                group["hosts"][host][key] = value
    before = tree_state(str(tmp_path), set())
    proc, recorded = run(tmp_path, "flowops.flows." + playbook, inventory, extra_vars, emulator.base_url)
    output = proc.stdout + proc.stderr
    assert_no_secret(output)
    assert proc.returncode != 0, "accepted: rc 0\n" + output[-2000:]
    failed = [message(t["result"]) for t in recorded if t["status"] == "failed"]
    assert failed, output[-2000:]
    text = "\n".join(failed)
    assert "Traceback" not in text
    for pattern in expect:
        assert re.search(pattern, text), (pattern, text[:2000])
    assert writes(emulator) == 0
    after = tree_state(str(tmp_path), set())
    new = sorted(set(after) - set(before) - {"inventory.yml", "record.json"})
    # the other, well-described hosts go on (a backup run writes theirs under flows/); the bad host writes nothing
    bad_host = change[0] if change else None
    allowed = ("ansible-tmp",) + (("flows",) if bad_host else ())
    assert not [p for p in new if not p.startswith(allowed) or (bad_host and bad_host in p)], new
