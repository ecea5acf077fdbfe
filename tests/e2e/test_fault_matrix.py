# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault matrix of issue 14 (item 5): every fault at every promotion step ends in success or a clean failure.

{429 Retry-After seconds, 429 Retry-After HTTP-date, 500, 502, 503, 504, reset, timeout, truncated-after-apply,
token expiry (PingOne only)} x {source read, target read, write/create, deploy (DaVinci, Kore.ai), verify} x
{once, persistent}, for Descope, DaVinci and Kore.ai, through the promote role (what users run): 262 cells.
By default it runs the 106 of them whose code path no other cell takes (fault_matrix/cells.py says which cells are
left out and why: 502/503/504 are 500, a 429 HTTP-date is a 429 after the header is parsed, and at the read steps
other than the target read a once fault is retried inside the HTTP client and a persistent one ends like a 500 or a
reset); FLOWOPS_FAULT_MATRIX_FULL=1 runs all 262.

Each cell has its own source and target tenant in one emulator, seeded like the sandbox estate of examples/, and
its fault rules are scoped to its tenant, so all cells run in one ansible-playbook run. A fault-free run of one cell
per provider first gives the desired target state and where the verify step's reads start. After the run, every
cell is classified from the emulator's snapshot of its target (before / after), its request log and the role's
JSON report (see fault_matrix/classify.py) as ok, clean-fail or unclean; the test prints
"N cells: A ok, B clean-fail, C unclean" per provider and overall, lists every unclean cell and asserts C == 0.

Run it alone:   .venv/bin/python -m pytest -q -s -p no:cacheprovider tests/e2e/test_fault_matrix.py   (after make install)
Skip it:        FLOWOPS_SKIP_FAULT_MATRIX=1 make e2e    or    pytest -m "not fault_matrix" tests/e2e
One provider:   FLOWOPS_FAULT_MATRIX_PROVIDERS=davinci (comma-separated; the default is all three)
Some cells:     FLOWOPS_FAULT_MATRIX_CELLS=<regex> on "provider/fault/step/persistence", e.g. 'davinci/reset/write/'
Every cell:     FLOWOPS_FAULT_MATRIX_FULL=1 (the issue's whole matrix, with the cells the default leaves out)
Tuning:         FLOWOPS_FAULT_MATRIX_FORKS (default 8), FLOWOPS_FAULT_MATRIX_TIMEOUT (ansible-playbook limit, default 3600 s)
Each run prints the summary and leaves it, with one line per cell, in <tmp_path>/fault-matrix-summary.txt.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
import time

import pytest
import yaml

from fault_matrix import cells as fm  # pylint: disable=import-error
from fault_matrix.classify import classify, target_state  # pylint: disable=import-error

pytestmark = [
    pytest.mark.fault_matrix,
    pytest.mark.skipif(os.environ.get("FLOWOPS_SKIP_FAULT_MATRIX", "") not in ("", "0"), reason="FLOWOPS_SKIP_FAULT_MATRIX is set"),
]

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# `make e2e` installs the built collection here (as conftest.py): the test runs what a user would install.
COLLECTIONS = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.path.join(ROOT, ".build", "collections")
FORKS = os.environ.get("FLOWOPS_FAULT_MATRIX_FORKS", "8")


def _providers():
    wanted = [p.strip() for p in os.environ.get("FLOWOPS_FAULT_MATRIX_PROVIDERS", ",".join(fm.PROVIDERS)).split(",") if p.strip()]
    unknown = sorted(set(wanted) - set(fm.PROVIDERS))
    if unknown:
        raise ValueError("FLOWOPS_FAULT_MATRIX_PROVIDERS: unknown provider(s) %s" % ", ".join(unknown))
    return wanted


def _run(emulator, tmp_path, cells, name):
    """ansible-playbook flowops.flows.promote over the cells' hosts (like conftest's run_playbook, whose 600 s
    limit a whole matrix on a busy machine can exceed: here FLOWOPS_FAULT_MATRIX_TIMEOUT, default 3600 s)."""
    url = emulator.base_url
    common = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
              "descope_base_url": url, "pingone_api_url": url + "/v1", "pingone_auth_url": url, "koreai_base_url": url,
              "koreai_poll_interval": 0.2}
    inv_file = tmp_path / ("%s-inventory.yml" % name)
    inv_file.write_text(yaml.safe_dump(fm.inventory(cells, common)), encoding="utf-8")
    extra = {"from": "dev", "to": "prod", "promote_retries": fm.CLIENT_RETRIES, "promote_timeout": fm.CLIENT_TIMEOUT}
    # Only the targets play (-l prod): a source host would only run the role's first checks and end (the role reads
    # the source through the target's tasks, from the inventory), and every host of the play costs CPU on every task.
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "flowops.flows.promote", "-i", str(inv_file),
           "-e", json.dumps(extra), "-l", "prod"]
    environ = dict(os.environ)
    environ.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "PWD": str(tmp_path),
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORKS": FORKS,
        "ANSIBLE_PIPELINING": "true",  # local connection: modules run without temporary files (less work per task)
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
    })
    return subprocess.run(cmd, cwd=str(tmp_path), env=environ, capture_output=True, text=True, check=False,
                          timeout=float(os.environ.get("FLOWOPS_FAULT_MATRIX_TIMEOUT", "3600")))


def _report(tmp_path, host):
    found = sorted(glob.glob(str(tmp_path / "reports" / ("*-%s-promote.json" % host))))
    if not found:
        return None
    with open(found[-1], encoding="utf-8") as handle:
        return json.load(handle)


def _matches(rule, entry):
    """Whether a logged request matches a read rule of cells.VERIFY_READS (method and path: they use no content type)."""
    if rule.get("method") and rule["method"].upper() != entry["method"].upper():
        return False
    return re.search(rule["path"], entry["path"]) is not None


def test_fault_matrix(emulator, tmp_path):
    providers = _providers()
    started = time.monotonic()
    emulator.set_rate_limits({p: None for p in fm.PROVIDERS})  # each cell sees its own fault, not a shared window

    # 1. One fault-free cell per provider: the desired target state, and the number of target reads before verify
    #    (the reads before the cell's first write: the modules verify what they write by reading it again).
    baseline = {p: fm.Cell(900 + i, p, "none", "none", "once") for i, p in enumerate(providers)}
    for cell in baseline.values():
        emulator.seed(cell.seed())
    run = _run(emulator, tmp_path, list(baseline.values()), "baseline")
    assert run.returncode == 0, (run.stdout + run.stderr)[-5000:]
    snapshot = emulator.snapshot()
    desired, verify_offset = {}, {}
    for provider, cell in baseline.items():
        assert _report(tmp_path, cell.target_host)["status"] == "promoted"
        desired[provider] = target_state(snapshot, cell)
        requests = emulator.requests(provider=provider, tenant=cell.target_tenant)
        first_write = min(e["seq"] for e in requests if e["write"])
        reads = [e for e in requests if _matches(fm.VERIFY_READS[provider], e)]
        verify_offset[provider] = len([e for e in reads if e["seq"] < first_write]) + 1
        assert any(e["seq"] > first_write for e in reads), "%s: no read after the first write to fault" % provider

    # 2. Every cell, in one run: seed, snapshot, inject, promote.
    only = re.compile(os.environ.get("FLOWOPS_FAULT_MATRIX_CELLS", ""))
    full = os.environ.get("FLOWOPS_FAULT_MATRIX_FULL", "") not in ("", "0")
    cells = [c for c in fm.all_cells(full=full) if c.provider in providers and only.search(c.name)]
    for cell in cells:
        emulator.seed(cell.seed())
    before = emulator.snapshot()
    rule_ids = {}
    for cell in cells:
        rule_ids[cell.name] = [emulator.add_fault(rule) for rule in cell.rules(verify_offset.get(cell.provider))]
    run = _run(emulator, tmp_path, cells, "matrix")
    fired = {f["id"]: f["fired"] for f in emulator.faults()}
    emulator.clear_faults()  # the stalls of "timeout" cells must not hold the snapshot
    after = emulator.snapshot()
    # A cell whose fault never fired tests nothing; a cell without a report means the run itself broke.
    idle = [c.name for c in cells if not any(fired.get(i) for i in rule_ids[c.name])]
    unreported = [c.target_host for c in cells if _report(tmp_path, c.target_host) is None]

    # 3. Classify.
    outcomes = []
    for cell in cells:
        requests = emulator.requests(provider=cell.provider, tenant=cell.target_tenant)
        outcomes.append(classify(cell, before, after, desired[cell.provider], _report(tmp_path, cell.target_host), requests))

    def line(items):
        counts = {v: sum(1 for o in items if o.verdict == v) for v in ("ok", "clean-fail", "unclean")}
        return "%d cells: %d ok, %d clean-fail, %d unclean" % (len(items), counts["ok"], counts["clean-fail"], counts["unclean"])

    lines = ["fault matrix (%.0f s, %s forks):" % (time.monotonic() - started, FORKS)]
    for provider in providers:
        lines.append("  %-8s %s" % (provider, line([o for o in outcomes if o.cell.provider == provider])))
    lines.append("  %-8s %s" % ("overall", line(outcomes)))
    unclean = [o for o in outcomes if o.verdict == "unclean"]
    for outcome in unclean:
        lines.append("  UNCLEAN %s (%s): %s" % (outcome.cell.name, outcome.cell.target_host, outcome.why))
    for name in idle:
        lines.append("  NOT EXERCISED %s: its fault never fired" % name)
    for host in unreported:
        lines.append("  NO REPORT %s: the promote role wrote no report (rc %s)" % (host, run.returncode))
    summary = "\n".join(lines)
    print(summary)
    with open(tmp_path / "fault-matrix-summary.txt", "w", encoding="utf-8") as handle:
        handle.write(summary + "\n")
        for outcome in outcomes:
            handle.write("%s %s %s\n" % (outcome.cell.name, outcome.verdict, outcome.why))
    assert not unreported, summary + "\n" + (run.stdout + run.stderr)[-5000:]
    assert not idle, summary
    assert not unclean, summary


def test_verify_rules_fire_from_the_nth_read_on(emulator):
    """The rules of a verify cell hit the nth read and, when persistent, every later one (no ansible run: fast)."""
    import requests  # pylint: disable=import-outside-toplevel

    cell = fm.Cell(899, "descope", "500", "verify", "persistent")
    emulator.seed(cell.seed())
    for rule in cell.rules(verify_offset=2)[:3]:
        emulator.add_fault(rule)
    headers = {"Authorization": "Bearer %s:%s" % (cell.target["project_id"], cell.target["management_key"])}
    statuses = [requests.post(emulator.base_url + "/v1/mgmt/flow/list", json={}, headers=headers, timeout=30).status_code for _i in range(5)]
    assert statuses == [200, 500, 500, 500, 200]
    once = fm.Cell(898, "descope", "500", "verify", "once")
    emulator.seed(once.seed())
    for rule in once.rules(verify_offset=2):
        emulator.add_fault(rule)
    headers = {"Authorization": "Bearer %s:%s" % (once.target["project_id"], once.target["management_key"])}
    statuses = [requests.post(emulator.base_url + "/v1/mgmt/flow/list", json={}, headers=headers, timeout=30).status_code for _i in range(3)]
    assert statuses == [200, 500, 200]
