# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Promotion benchmark (issue 16, item 6): the promote playbook against a hand-written uri loop and the API floor.

One run, against the emulator answering every API call after ``--latency-ms`` (no rate limit):
  empty    an empty play on localhost: the fixed cost of starting ansible-playbook
  promote  ``ansible-playbook flowops.flows.promote -e from=dev -e to=prod`` with N changed flows
           (every dev flow differs from its prod copy)
  re-run   the same promote again: nothing differs, zero writes expected
  uri      tests/bench/uri_loop.yml on the same fresh data: list, export each source flow, read each
           target flow, import the ones that differ (one ansible.builtin.uri call per task iteration)
The API floor of a run is computed from the emulator's request log:
  calls / parallel x latency + start-up (the empty play), with the role's ``promote_parallel``.
Ratios: uri / promote (goal >= 20x), promote / floor (goal <= 1.5x), re-run / floor (goal <= 2x).

Run from the repo root after ``make install`` (the installed collection in .build/collections is used, or
``--collections DIR`` for another build, e.g. an older commit's, to compare two builds on the same machine):
``.venv/bin/python tests/bench/bench_promote.py [--provider descope|davinci] [--flows 100] [--latency-ms 50] [--parallel 4]``.
DaVinci: N flows (copies of a sample subflow, ~3 kB) in dev, the same names with other ids and an older description in
prod (N updates and N deploys); the uri loop is Descope only. Kore.ai is a follow-up.
"""
from __future__ import annotations

import argparse
import copy
import glob
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TESTS)
sys.path.insert(0, TESTS)

from emulator.client import EmulatorClient, start_emulator, stop_emulator  # noqa: E402  pylint: disable=wrong-import-position

SAMPLES = sorted(glob.glob(os.path.join(TESTS, "fixtures", "samples", "descope", "*.json")))
DAVINCI_SAMPLE = os.path.join(TESTS, "fixtures", "samples", "davinci", "multiple-flows.json")
URI_LOOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "uri_loop.yml")
DEV = ("P2benchPromoteDEV00000000000", "K2bench-promote-dev-key")
PROD = ("P2benchPromotePRD00000000000", "K2bench-promote-prod-key")
# DaVinci: (environment id, worker client id, client secret) per stage
DV_DEV = ("0d0d0d0d-bbbb-4111-8111-000000000001", "bench-worker-dev", "bench-secret-dev")
DV_PROD = ("0d0d0d0d-bbbb-4222-8222-000000000002", "bench-worker-prod", "bench-secret-prod")
EMPTY_PLAY = """
- name: Empty play
  hosts: localhost
  connection: local
  gather_facts: false
  tasks: []
"""


def grown_flow(sample: dict, flow_id: str, stage: str, target_bytes: int) -> dict:
    """A sample flow with id ``flow_id``, a stage-specific description, and its tasks repeated to ``target_bytes``."""
    doc = copy.deepcopy(sample)
    doc["flowId"] = flow_id
    doc["metadata"] = dict(doc.get("metadata") or {}, name="Bench %s" % flow_id, description="built for %s" % stage)
    tasks = doc.setdefault("contents", {}).setdefault("tasks", {})
    template = list(tasks.items())
    copies = 0
    while template and len(json.dumps(doc)) < target_bytes:
        copies += 1
        for key, task in template:
            clone = copy.deepcopy(task)
            if isinstance(clone, dict):
                clone["id"] = "%s-copy%d" % (key, copies)
            tasks["%s-copy%d" % (key, copies)] = clone
    return doc


def davinci_seed(count: int) -> dict:
    """N copies of a real subflow export (HTTP connector nodes) in dev; in prod the same names, other ids, another
    description (so each is an update and a deploy); both with the connector instances the flows use."""
    with open(DAVINCI_SAMPLE, encoding="utf-8") as handle:
        sample = next(f for f in json.load(handle)["flows"] if f["name"] == "abcd123-subflow-1")
    environments, workers = [], []
    for index, (env_id, client_id, secret) in enumerate((DV_DEV, DV_PROD)):
        stage = ("dev", "prod")[index]
        instances, flows = {}, []
        for node in sample["graphData"]["elements"]["nodes"]:
            data = node["data"]
            if data.get("connectionId"):
                instance_id = data["connectionId"] if stage == "dev" else "%032x" % (0xbe0000 + len(instances))
                instances[data["name"]] = {"id": instance_id, "name": data["name"], "connector": {"id": data["connectorId"]}}
        for number in range(count):
            flow = copy.deepcopy(sample)
            flow["flowId"] = "%08x%024x" % (index + 1, number)
            flow["name"] = "bench-%04d" % number
            flow["description"] = "built for %s" % stage
            flow["publishedVersion"] = flow.get("currentVersion")
            if stage == "prod":   # prod's own connector instance ids
                for node in flow["graphData"]["elements"]["nodes"]:
                    if node["data"].get("connectionId"):
                        node["data"]["connectionId"] = instances[node["data"]["name"]]["id"]
            flows.append(flow)
        environments.append({"id": env_id, "name": "bench-%s" % stage, "connector_instances": list(instances.values()), "flows": flows})
        workers.append({"environment_id": env_id, "client_id": client_id, "client_secret": secret, "environments": [env_id]})
    return {"davinci": {"environments": environments, "workers": workers}}


def seed_data(count: int, flow_kb: float) -> dict:
    samples = []
    for path in SAMPLES:
        with open(path, encoding="utf-8") as handle:
            samples.append(json.load(handle))
    projects = []
    for (pid, key), stage in ((DEV, "dev"), (PROD, "prod")):
        flows = {}
        for index in range(count):
            flow_id = "bench-%04d" % index
            flows[flow_id] = grown_flow(samples[index % len(samples)], flow_id, stage, int(flow_kb * 1000))
        projects.append({"project_id": pid, "management_key": key, "flows": flows})
    return {"descope": {"projects": projects}}


def inventory(url: str, provider: str = "descope") -> dict:
    def host(stage, creds):
        if provider == "davinci":
            creds = DV_DEV if stage == "dev" else DV_PROD
            return {"flow_provider": "davinci", "flow_project": "bench", "flow_stage": stage, "pingone_environment_id": creds[0],
                    "pingone_client_id": creds[1], "pingone_client_secret": creds[2]}
        return {"flow_provider": "descope", "flow_project": "bench", "flow_stage": stage,
                "descope_project_id": creds[0], "descope_management_key": creds[1]}
    return {"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "descope_base_url": url,
                 "pingone_api_url": url + "/v1", "pingone_auth_url": url},
        "children": {"dev": {"hosts": {"bench_dev": host("dev", DEV)}}, "prod": {"hosts": {"bench_prod": host("prod", PROD)}}},
    }}


class Runner:
    def __init__(self, workdir: str, collections: str) -> None:
        self.workdir = workdir
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR="1",
                        ANSIBLE_HOME=os.path.join(workdir, "ansible-home"), ANSIBLE_LOCALHOST_WARNING="false",
                        ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false")
        self.playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

    def run(self, name: str, args: list[str]) -> float:
        """Seconds one ansible-playbook run takes; its output is kept in <workdir>/<name>.log."""
        start = time.monotonic()
        proc = subprocess.run([self.playbook] + args, cwd=self.workdir, env=self.env, capture_output=True, text=True,
                              check=False, timeout=3600)
        seconds = time.monotonic() - start
        with open(os.path.join(self.workdir, name + ".log"), "w", encoding="utf-8") as handle:
            handle.write(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise RuntimeError("%s failed (exit %d):\n%s%s" % (name, proc.returncode, proc.stdout[-4000:], proc.stderr[-2000:]))
        return seconds


def api_calls(emu: EmulatorClient, provider: str = "descope") -> dict:
    """Calls the emulator logged since the last clear: total, reads, writes, failed (status >= 400 or none)."""
    log = emu.requests(provider=provider)
    return {"calls": len(log), "reads": sum(1 for r in log if not r["write"]), "writes": sum(1 for r in log if r["write"]),
            "failed": sum(1 for r in log if r["status"] is None or r["status"] >= 400)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=["descope", "davinci"], default="descope")
    parser.add_argument("--collections", default=os.path.join(ROOT, ".build", "collections"),
                        help="ANSIBLE_COLLECTIONS_PATH of the build to measure (default: make install's)")
    parser.add_argument("--flows", type=int, default=100)
    parser.add_argument("--flow-kb", type=float, default=20.0, help="approximate size of each flow document")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallel", type=int, default=4, help="the role's promote_parallel (also used for the floor)")
    parser.add_argument("--empty-runs", type=int, default=3, help="empty plays to run; the median is the start-up")
    parser.add_argument("--skip-uri", action="store_true", help="do not run the uri loop (it takes about 1 s per API call)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (playbook logs, reports, backups)")
    args = parser.parse_args(argv)
    args.collections = os.path.abspath(args.collections)   # the playbooks run in a work directory of their own
    if not os.path.isdir(os.path.join(args.collections, "ansible_collections", "flowops", "flows")):
        parser.error("run `make install` first: the benchmark uses the collection installed in %s" % args.collections)

    seed = davinci_seed(args.flows) if args.provider == "davinci" else seed_data(args.flows, args.flow_kb)
    if args.provider != "descope":
        args.skip_uri = True   # uri_loop.yml speaks Descope only
    latency = args.latency_ms / 1000.0
    load_before = os.getloadavg()
    workdir = tempfile.mkdtemp(prefix="flowops-bench-promote-")
    results = {}
    proc, url = start_emulator()
    try:
        emu = EmulatorClient(url)
        runner = Runner(workdir, args.collections)
        with open(os.path.join(workdir, "inventory.yml"), "w", encoding="utf-8") as handle:
            json.dump(inventory(url, args.provider), handle, indent=1)  # JSON is YAML
        with open(os.path.join(workdir, "empty.yml"), "w", encoding="utf-8") as handle:
            handle.write(EMPTY_PLAY)
        promote = ["flowops.flows.promote", "-i", "inventory.yml", "-e", "from=dev", "-e", "to=prod",
                   "-e", json.dumps({"promote_parallel": args.parallel, "promote_backup_dir": os.path.join(workdir, "backups"),
                                     "flow_report_dir": os.path.join(workdir, "reports")})]

        def fresh():
            emu.reset_all()
            emu.seed(seed)
            emu.set_rate_limits({args.provider: None})
            emu.set_latency({args.provider: {"fixed_ms": args.latency_ms, "jitter_ms": 0}})
            emu.clear_requests()

        fresh()
        empties = sorted(runner.run("empty", ["empty.yml"]) for dummy in range(max(1, args.empty_runs)))
        results["empty"] = (statistics.median(empties), api_calls(emu, args.provider))
        emu.clear_requests()
        results["promote"] = (runner.run("promote", promote), api_calls(emu, args.provider))
        emu.clear_requests()
        results["re-run"] = (runner.run("rerun", promote), api_calls(emu, args.provider))
        if not args.skip_uri:
            fresh()
            uri_vars = {"descope_url": url, "src_project_id": DEV[0], "src_management_key": DEV[1],
                        "dst_project_id": PROD[0], "dst_management_key": PROD[1]}
            results["uri"] = (runner.run("uri", [URI_LOOP, "-e", json.dumps(uri_vars)]), api_calls(emu))
    finally:
        stop_emulator(proc)
    load_after = os.getloadavg()

    startup = results["empty"][0]
    # list + each source flow + each target flow + each import (DaVinci: + each deploy, and a token per side)
    needed = {"calls": 3 * args.flows + 1} if args.provider == "descope" else {"calls": 4 * args.flows + 3}

    def floor(calls: dict) -> float:
        return calls["calls"] / args.parallel * latency + startup

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: nproc={affinity}  python={platform.python_version()}  {platform.system()} {platform.machine()}  "
          f"(controller and emulator on the same machine)")
    print("load average 1/5/15 min before: %.2f/%.2f/%.2f  after: %.2f/%.2f/%.2f" % (load_before + load_after))
    size = f"~{args.flow_kb:g} kB" if args.provider == "descope" else "~3 kB"
    print(f"{args.provider}: {args.flows} changed flows of {size}, {args.latency_ms:g} ms per API call, "
          f"promote_parallel {args.parallel}; floor = calls / {args.parallel} x {args.latency_ms:g} ms + start-up {startup:.1f} s "
          f"(median of {len(empties)} empty plays: {', '.join('%.1f' % e for e in empties)} s)")
    header = ("run", "time", "API calls (reads/writes, failed)", "floor", "vs floor", "vs promote")
    table = [header]
    for name in ("empty", "promote", "re-run", "uri"):
        if name not in results:
            continue
        seconds, calls = results[name]
        table.append((name, f"{seconds:.1f} s", f"{calls['calls']} ({calls['reads']}/{calls['writes']}, {calls['failed']})",
                      f"{floor(calls):.1f} s", f"{seconds / floor(calls):.2f}x",
                      f"{seconds / results['promote'][0]:.2f}x" if name != "promote" else "1.00x"))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    promote_s = results["promote"][0]
    if "uri" in results:
        print(f"promote is {results['uri'][0] / promote_s:.1f}x faster than the uri loop (goal >= 20x)")
    what = ("1 list, %d source reads, %d target reads, %d imports" % ((args.flows,) * 3) if args.provider == "descope"
            else "2 tokens, 1 list, %d source reads, %d target reads, %d updates, %d deploys" % ((args.flows,) * 4))
    print(f"the job needs {needed['calls']} calls ({what}): "
          f"floor {floor(needed):.1f} s; promote is {promote_s / floor(needed):.2f}x that floor")
    print(f"promote is {promote_s / floor(results['promote'][1]):.2f}x the floor of its own calls (goal <= 1.5x); "
          f"the re-run is {results['re-run'][0] / floor(results['re-run'][1]):.2f}x its floor (goal <= 2x) "
          f"with {results['re-run'][1]['writes']} write(s) (must be 0)")
    if args.keep:
        print("work directory kept: %s" % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    sane = results["re-run"][1]["writes"] == 0 and results["promote"][1]["writes"] >= args.flows
    return 0 if sane else 1


if __name__ == "__main__":
    sys.exit(main())
