# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Collection benchmark: one descope_flow task importing a directory of N flows, with the emulator answering
every Descope call after a fixed latency (a stand-in for the network to the real API).

For each ``parallel`` value the same run is measured twice, on a freshly reset project:
  import   every flow is new: N exports (absent), N imports, N verifying exports
  re-run   nothing differs: N exports, zero writes
The baseline is ``parallel: 1`` measured in the same run; the report gives each time as a ratio to it.

Run from the repo root: ``make bench`` (it installs the collection first), or
``PYTHONPATH=tests .venv/bin/python tests/bench/bench_bulk.py`` after ``make install``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TESTS)
sys.path.insert(0, TESTS)

from emulator.client import EmulatorClient, start_emulator, stop_emulator  # noqa: E402  pylint: disable=wrong-import-position

PID = "P2benchBulk00000000000000000"
KEY = "K2bench-bulk-key"
SAMPLE = os.path.join(TESTS, "fixtures", "samples", "descope", "basicflow.json")
PLAYBOOK = """
- name: Bulk import
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Import every flow of the directory
      flowops.flows.descope_flow:
        project_id: "{{ pid }}"
        management_key: "{{ key }}"
        base_url: "{{ url }}"
        src: "{{ src }}"
        parallel: "{{ parallel | int }}"
      register: result
    - name: Every flow was imported, or every flow was unchanged
      ansible.builtin.assert:
        that: result.flows | map(attribute='action') | unique | list in [['created'], ['unchanged']]
"""


def write_flows(directory: str, count: int) -> None:
    with open(SAMPLE, encoding="utf-8") as handle:
        sample = json.load(handle)
    for index in range(count):
        doc = dict(sample, flowId="bench-%03d" % index)
        with open(os.path.join(directory, "bench-%03d.json" % index), "w", encoding="utf-8") as handle:
            json.dump(doc, handle)


def run_play(workdir: str, url: str, parallel: int) -> float:
    """Seconds one ansible-playbook run of the bulk import takes."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOME=os.path.join(workdir, "ansible-home"), ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    extra = json.dumps({"pid": PID, "key": KEY, "url": url, "src": os.path.join(workdir, "flows"), "parallel": parallel,
                        "ansible_python_interpreter": sys.executable})
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.path.join(workdir, "play.yml"), "-e", extra]
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=900)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError("ansible-playbook failed:\n" + proc.stdout[-3000:] + proc.stderr[-3000:])
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args(argv)
    if args.parallel[0] != 1:
        parser.error("the first --parallel value is the baseline and must be 1")
    load_before = os.getloadavg()[0]
    rows = []
    proc, url = start_emulator()
    try:
        emu = EmulatorClient(url)
        with tempfile.TemporaryDirectory(prefix="flowops-bench-") as workdir:
            os.mkdir(os.path.join(workdir, "flows"))
            write_flows(os.path.join(workdir, "flows"), args.flows)
            with open(os.path.join(workdir, "play.yml"), "w", encoding="utf-8") as handle:
                handle.write(PLAYBOOK)
            for parallel in args.parallel:
                emu.reset_all()
                emu.seed({"descope": {"projects": [{"project_id": PID, "management_key": KEY}]}})
                emu.set_rate_limits({"descope": None})
                emu.set_latency({"descope": {"fixed_ms": args.latency_ms, "jitter_ms": 0}})
                imported = run_play(workdir, url, parallel)
                counts = emu.counts()["descope"][PID]
                emu.clear_requests()
                rerun = run_play(workdir, url, parallel)
                again = emu.counts()["descope"][PID]
                rows.append((parallel, imported, counts, rerun, again))
    finally:
        stop_emulator(proc)

    print(f"machine: nproc={os.cpu_count()}  python={platform.python_version()}  {platform.system()} {platform.machine()}  "
          f"load average 1 min before/after: {load_before:.2f}/{os.getloadavg()[0]:.2f}  (controller and emulator on the same machine)")
    print(f"one descope_flow task, a directory of {args.flows} new flows, {args.latency_ms:g} ms per API call; "
          "times include ansible-playbook start-up; baseline = parallel 1 in this run")
    base_import, base_rerun = rows[0][1], rows[0][3]
    header = ("parallel", "import", "vs parallel 1", "calls (reads/writes)", "re-run", "vs parallel 1", "re-run calls")
    table = [header]
    for parallel, imported, counts, rerun, again in rows:
        table.append((str(parallel), f"{imported:.1f} s", f"{base_import / imported:.2f}x faster",
                      f"{counts['reads']}/{counts['writes']}", f"{rerun:.1f} s", f"{base_rerun / rerun:.2f}x faster",
                      f"{again['reads']}/{again['writes']}"))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0 if all(again["writes"] == 0 for *_rest, again in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
