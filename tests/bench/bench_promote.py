# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Promotion benchmark (issue 16, item 6): the promote playbook against a hand-written uri loop and the API floor.

One run, against the emulator answering every API call after ``--latency-ms`` (no rate limit):
  empty    an empty play on localhost: the fixed cost of starting ansible-playbook
  promote  ``ansible-playbook flowops.flows.promote -e from=dev -e to=prod`` with N changed flows
           (every dev flow differs from its prod copy)
  re-run   the same promote again: nothing differs, zero writes expected
  backup   ``ansible-playbook flowops.flows.backup -l bench_prod``: every prod flow (and the theme) exported to a tree
  uri      tests/bench/uri_loop.yml on the same fresh data: list, export each source flow, read each
           target flow, import the ones that differ (one ansible.builtin.uri call per task iteration)
The API floor of a run is computed from the emulator's request log:
  calls / parallel x latency + start-up (the empty play), with the role's ``promote_parallel``.
Ratios: uri / promote (goal >= 20x), promote / floor (goal <= 1.5x), re-run / floor (goal <= 2x).
Memory (issue 16 item 4: 100 flows of ~1 MB, peak RSS < 300 MB for backup and promote; the promote run is given
``promote_backup_dir``; the backup run exports the N promoted flows): while each ansible-playbook runs, a thread
reads /proc every 0.1 s (Linux only), finds the processes descending from ansible-playbook through the ppid of
/proc/<pid>/stat (the controller, its forked workers, the module processes and their shells) and reads
/proc/<pid>/status of each. "peak RSS tree" is the largest sum of their VmRSS seen in one sample (pages shared between
processes, e.g. the workers' copy-on-write pages of the controller, count once per process, so it is an upper bound);
"largest process" is the largest VmHWM (a process's own peak RSS) seen, with its command line. A process living less
than 0.1 s may be missed (getrusage's ru_maxrss is no cross-check here: a child started by vfork+exec inherits this
script's own peak RSS, which holds the seed). The sampler's CPU time is printed too (under 1% of a core so far).

Run from the repo root after ``make install`` (the installed collection in .build/collections is used, or
``--collections DIR`` for another build, e.g. an older commit's, to compare two builds on the same machine):
``.venv/bin/python tests/bench/bench_promote.py [--provider descope|davinci] [--flows 100] [--latency-ms 50] [--parallel 4]``.
DaVinci: N flows (copies of a sample subflow, ~3 kB) in dev, the same names with other ids and an older description in
prod (N updates and N deploys); Kore.ai: N workflows per stage (the shape of examples/estate.py: dev has a step prod
lacks; prod keeps its own variable values through ``flow_mappings.env_overrides``), each an export job, an import and
a deploy, the emulator's jobs taking ``--latency-ms`` too; the uri loop is Descope only.
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
import threading
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
# Kore.ai: (account, API key) per stage; workflow ids are made per number
KO_DEV = ("acct-bench-dev", "kg-bench-promote-dev-0001")
KO_PROD = ("acct-bench-prod", "kg-bench-promote-prod-0002")
LOGS = {"empty": "empty", "promote": "promote", "re-run": "rerun", "backup": "backup", "uri": "uri"}   # result name -> Runner.run name
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
    size = len(json.dumps(doc))   # kept up to date: each new task adds '"key": value, ' to json.dumps(doc)
    while template and size < target_bytes:
        copies += 1
        for key, task in template:
            clone = copy.deepcopy(task)
            if isinstance(clone, dict):
                clone["id"] = "%s-copy%d" % (key, copies)
            tasks["%s-copy%d" % (key, copies)] = clone
            size += len(json.dumps("%s-copy%d" % (key, copies))) + len(json.dumps(clone)) + 4
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


def koreai_workflow_id(stage: str, number: int) -> str:
    return "a-%08x-%04d-4%03d-8%03d-%012d" % (0xbe0c0000 + number, number % 10000, 1 if stage == "dev" else 2, 0, number)


def koreai_seed(count: int, job_delay: float) -> dict:
    """N workflows in each stage (the shape of examples/estate.py): dev has a lookup step prod lacks, so each is an
    import and a deploy; each stage keeps its own URL and secure token. Export and import jobs take ``job_delay``."""
    accounts = []
    for stage, (account, key) in (("dev", KO_DEV), ("prod", KO_PROD)):
        workflows = []
        for number in range(count):
            name = "bench-%04d" % number
            nodes = [{"id": "start", "type": "start", "next": "lookup"},
                     {"id": "lookup", "type": "api", "method": "GET", "url": "{{env.API_URL}}/orders/{{context.orderId}}", "next": "answer"},
                     {"id": "answer", "type": "message", "text": "Order {{context.orderId}}: {{lookup.status}}."}]
            if stage == "prod":
                nodes = [{"id": "start", "type": "start", "next": "answer"}, {"id": "answer", "type": "message", "text": "Please call us."}]
            version = {"flow_definition": {"name": name, "nodes": nodes},
                       "app_definition": {"name": name, "description": "bench workflow %d" % number, "guardrails": []},
                       "env_variables": [{"key": "API_URL", "value": "https://%s.example.com/api" % stage, "isSecured": False},
                                         {"key": "API_TOKEN", "value": "token-%s-%04d" % (stage, number), "isSecured": True}]}
            workflows.append({"id": koreai_workflow_id(stage, number), "name": name, "deployed_version": 1, "versions": [version]})
        accounts.append({"id": account, "api_keys": [key], "job_delay_seconds": job_delay, "workflows": workflows})
    return {"koreai": {"accounts": accounts}}


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


def inventory(url: str, provider: str = "descope", count: int = 0) -> dict:
    def host(stage, creds):
        if provider == "koreai":
            key = KO_DEV[1] if stage == "dev" else KO_PROD[1]
            out = {"flow_provider": "koreai", "flow_project": "bench", "flow_stage": stage, "koreai_api_key": key,
                   "koreai_workflows": {"bench-%04d" % n: koreai_workflow_id(stage, n) for n in range(count)}}
            if stage == "prod":   # each stage keeps its own values (an import into an existing workflow keeps them anyway)
                out["flow_mappings"] = {"env_overrides": {"bench-%04d" % n: {"API_URL": "https://prod.example.com/api",
                                                                             "API_TOKEN": "token-prod-%04d" % n} for n in range(count)}}
            return out
        if provider == "davinci":
            creds = DV_DEV if stage == "dev" else DV_PROD
            return {"flow_provider": "davinci", "flow_project": "bench", "flow_stage": stage, "pingone_environment_id": creds[0],
                    "pingone_client_id": creds[1], "pingone_client_secret": creds[2]}
        return {"flow_provider": "descope", "flow_project": "bench", "flow_stage": stage,
                "descope_project_id": creds[0], "descope_management_key": creds[1]}
    return {"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "descope_base_url": url,
                 "pingone_api_url": url + "/v1", "pingone_auth_url": url, "koreai_base_url": url, "koreai_poll_interval": 0.05},
        "children": {"dev": {"hosts": {"bench_dev": host("dev", DEV)}}, "prod": {"hosts": {"bench_prod": host("prod", PROD)}}},
    }}


def bench_dir(prefix: str, url: str, provider: str = "descope", count: int = 0) -> str:
    """A new work directory holding inventory.yml (the bench stages, against the emulator at ``url``; Kore.ai: ``count``
    workflows) and empty.yml."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    with open(os.path.join(workdir, "inventory.yml"), "w", encoding="utf-8") as handle:
        json.dump(inventory(url, provider, count), handle, indent=1)  # JSON is YAML
    with open(os.path.join(workdir, "empty.yml"), "w", encoding="utf-8") as handle:
        handle.write(EMPTY_PLAY)
    return workdir


class TreeSampler(threading.Thread):
    """Samples, every ``interval`` seconds until stopped, the processes descending from ``root`` (``root`` included)
    from /proc (Linux): the peak of the sum of their VmRSS (``tree_kb``) and the largest VmHWM, a process's own peak
    RSS, of any of them (``largest_kb``, with that process's command line). A process that vanishes between the
    listing and the reading is skipped; one that lives less than ``interval`` may be missed."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.done = threading.Event()
        self.parents: dict[int, int] = {}   # pid -> ppid, read once per pid (pids are not reused within a run)
        self.tree_kb = self.largest_kb = self.samples = 0
        self.tree_detail: list[tuple[int, str]] = []   # (VmRSS kB, role) of each process at the tree's peak
        self.largest_cmd = ""
        self.cpu = 0.0   # CPU seconds this thread spent sampling

    def run(self) -> None:
        start = time.thread_time()
        while True:
            self.sample()
            if self.done.wait(self.interval):
                break
        self.cpu = time.thread_time() - start

    def stop(self) -> None:
        self.done.set()
        self.join()

    def tree(self) -> list[int]:
        pids = {int(entry) for entry in os.listdir("/proc") if entry.isdigit()}
        for pid in set(self.parents) - pids:
            del self.parents[pid]
        for pid in pids - set(self.parents):
            try:
                with open("/proc/%d/stat" % pid, "rb") as handle:
                    stat = handle.read()
            except OSError:   # gone already
                continue
            self.parents[pid] = int(stat[stat.rindex(b")") + 2:].split(None, 2)[1])   # "pid (comm) state ppid ..."
        children: dict[int, list[int]] = {}
        for pid, ppid in self.parents.items():
            children.setdefault(ppid, []).append(pid)
        found, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, ()))
        return found

    @staticmethod
    def command(pid: int) -> str:
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                return handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:
            return "?"

    def role(self, pid: int, command: str) -> str:
        """A short name: controller, worker (a fork of it: same command line), AnsiballZ_<module>.py (a module),
        sh(AnsiballZ_<module>.py) (the shell around one), or the program."""
        if pid == self.root:
            return "controller"
        if command == self.command(self.root):
            return "worker"
        words = command.split() or ["?"]
        program = os.path.basename(words[0])
        for word in words:
            if "AnsiballZ_" in word:   # the module process, or the shell the local connection starts it from
                module = word[word.index("AnsiballZ_"):].split("'")[0].split(";")[0]
                return module if program.startswith("python") else "%s(%s)" % (program, module)
        return program

    def sample(self) -> None:
        seen = []
        for pid in self.tree():
            fields = {}
            try:
                with open("/proc/%d/status" % pid, "rb") as handle:
                    for line in handle:
                        if line.startswith((b"VmRSS:", b"VmHWM:")):
                            fields[line[:5]] = int(line.split()[1])   # kB
            except (OSError, ValueError):   # gone
                continue
            if b"VmRSS" not in fields:   # a zombie has no memory lines
                continue
            seen.append((pid, fields[b"VmRSS"]))
            if fields.get(b"VmHWM", 0) > self.largest_kb:
                command = self.command(pid)
                self.largest_kb, self.largest_cmd = fields[b"VmHWM"], "%s: %s" % (self.role(pid, command), command)
        self.samples += 1
        total = sum(rss for pid, rss in seen)
        if total > self.tree_kb:
            self.tree_kb = total
            self.tree_detail = sorted(((rss, self.role(pid, self.command(pid))) for pid, rss in seen), reverse=True)


class Runner:
    def __init__(self, workdir: str, collections: str) -> None:
        self.workdir = workdir
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR="1",
                        ANSIBLE_HOME=os.path.join(workdir, "ansible-home"), ANSIBLE_LOCALHOST_WARNING="false",
                        ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false")
        self.playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
        self.memory: dict[str, dict] = {}   # run name -> peaks (the largest over runs of the same name)

    def run(self, name: str, args: list[str]) -> float:
        """Seconds one ansible-playbook run takes; its output is kept in <workdir>/<name>.log. Its memory peaks go to
        ``self.memory[name]``: tree and largest (kB, sampled by TreeSampler) and the largest's command line."""
        start = time.monotonic()
        with subprocess.Popen([self.playbook] + args, cwd=self.workdir, env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) as proc:
            sampler = TreeSampler(proc.pid)
            sampler.start()
            try:
                stdout, stderr = proc.communicate(timeout=3600)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
            finally:
                sampler.stop()
        seconds = time.monotonic() - start
        with open(os.path.join(self.workdir, name + ".log"), "w", encoding="utf-8") as handle:
            handle.write(stdout + stderr)
        if proc.returncode != 0:
            raise RuntimeError("%s failed (exit %d):\n%s%s" % (name, proc.returncode, stdout[-4000:], stderr[-2000:]))
        kept = self.memory.setdefault(name, {"runs": 0, "tree_kb": 0, "tree_detail": [], "largest_kb": 0, "largest_cmd": "",
                                             "samples": 0, "sampler_cpu": 0.0})
        if sampler.tree_kb > kept["tree_kb"]:
            kept.update(tree_kb=sampler.tree_kb, tree_detail=sampler.tree_detail)
        if sampler.largest_kb > kept["largest_kb"]:
            kept.update(largest_kb=sampler.largest_kb, largest_cmd=sampler.largest_cmd)
        kept["runs"] += 1
        kept["samples"] += sampler.samples
        kept["sampler_cpu"] += sampler.cpu
        return seconds


def api_calls(emu: EmulatorClient, provider: str = "descope") -> dict:
    """Calls the emulator logged since the last clear: total, reads, writes, failed (status >= 400 or none)."""
    log = emu.requests(provider=provider)
    return {"calls": len(log), "reads": sum(1 for r in log if not r["write"]), "writes": sum(1 for r in log if r["write"]),
            "failed": sum(1 for r in log if r["status"] is None or r["status"] >= 400)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=["descope", "davinci", "koreai"], default="descope")
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

    if args.provider == "davinci":
        seed = davinci_seed(args.flows)
    elif args.provider == "koreai":
        seed = koreai_seed(args.flows, args.latency_ms / 1000.0)
    else:
        seed = seed_data(args.flows, args.flow_kb)
    if args.provider != "descope":
        args.skip_uri = True   # uri_loop.yml speaks Descope only
    latency = args.latency_ms / 1000.0
    load_before = os.getloadavg()
    results = {}
    proc, url = start_emulator()
    try:
        workdir = bench_dir("flowops-bench-promote-", url, args.provider, args.flows)
        emu = EmulatorClient(url, timeout=900)   # seeding 100 flows of ~1 MB takes longer than the default 30 s
        runner = Runner(workdir, args.collections)
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
        emu.clear_requests()
        backup = ["flowops.flows.backup", "-i", "inventory.yml", "-l", "bench_prod",
                  "-e", json.dumps({"backup_dir": os.path.join(workdir, "tree"), "backup_parallel": args.parallel})]
        results["backup"] = (runner.run("backup", backup), api_calls(emu, args.provider))
        if not args.skip_uri:
            fresh()
            uri_vars = {"descope_url": url, "src_project_id": DEV[0], "src_management_key": DEV[1],
                        "dst_project_id": PROD[0], "dst_management_key": PROD[1]}
            results["uri"] = (runner.run("uri", [URI_LOOP, "-e", json.dumps(uri_vars)]), api_calls(emu))
    finally:
        stop_emulator(proc)
    load_after = os.getloadavg()

    startup = results["empty"][0]
    # list + each source flow + each target flow + each import (DaVinci: + each deploy, and a token per side; Kore.ai: no
    # list, each export is a job, its status and a download, each import three uploads, the import, its status and a deploy)
    needed = {"calls": {"descope": 3 * args.flows + 1, "davinci": 4 * args.flows + 3, "koreai": 12 * args.flows}[args.provider]}

    def floor(calls: dict) -> float:
        return calls["calls"] / args.parallel * latency + startup

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: nproc={affinity}  python={platform.python_version()}  {platform.system()} {platform.machine()}  "
          f"(controller and emulator on the same machine)")
    print("load average 1/5/15 min before: %.2f/%.2f/%.2f  after: %.2f/%.2f/%.2f" % (load_before + load_after))
    size = {"descope": f"~{args.flow_kb:g} kB", "davinci": "~3 kB", "koreai": "~1 kB (3 files)"}[args.provider]
    print(f"{args.provider}: {args.flows} changed flows of {size}, {args.latency_ms:g} ms per API call, "
          f"promote_parallel {args.parallel}; floor = calls / {args.parallel} x {args.latency_ms:g} ms + start-up {startup:.1f} s "
          f"(median of {len(empties)} empty plays: {', '.join('%.1f' % e for e in empties)} s)")
    header = ("run", "time", "API calls (reads/writes, failed)", "floor", "vs floor", "vs promote", "peak RSS tree",
              "largest process")
    table = [header]
    for name in ("empty", "promote", "re-run", "backup", "uri"):
        if name not in results:
            continue
        seconds, calls = results[name]
        memory = runner.memory[LOGS[name]]
        table.append((name, f"{seconds:.1f} s", f"{calls['calls']} ({calls['reads']}/{calls['writes']}, {calls['failed']})",
                      f"{floor(calls):.1f} s", f"{seconds / floor(calls):.2f}x",
                      f"{seconds / results['promote'][0]:.2f}x" if name != "promote" else "1.00x",
                      f"{memory['tree_kb'] / 1024:.0f} MiB", f"{memory['largest_kb'] / 1024:.0f} MiB"))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print("memory (peaks of ansible-playbook and its descendants, /proc every 0.1 s; tree = sum of VmRSS, largest = VmHWM):")
    for name in ("empty", "promote", "re-run", "backup", "uri"):
        if name not in results:
            continue
        memory = runner.memory[LOGS[name]]
        command = memory["largest_cmd"] if len(memory["largest_cmd"]) <= 150 else memory["largest_cmd"][:147] + "..."
        detail = ", ".join(f"{role} {rss / 1024:.0f}" for rss, role in memory["tree_detail"])
        print(f"  {name}: tree {memory['tree_kb'] / 1024:.1f} MiB = {len(memory['tree_detail'])} processes ({detail}); "
              f"largest {memory['largest_kb'] / 1024:.1f} MiB; {memory['samples']} samples over "
              f"{memory['runs']} run(s), sampler CPU {memory['sampler_cpu']:.2f} s")
        print(f"    largest: {command}")
    promote_s = results["promote"][0]
    if "uri" in results:
        print(f"promote is {results['uri'][0] / promote_s:.1f}x faster than the uri loop (goal >= 20x)")
    what = {"descope": "1 list, %d source reads, %d target reads, %d imports" % ((args.flows,) * 3),
            "davinci": "2 tokens, 1 list, %d source reads, %d target reads, %d updates, %d deploys" % ((args.flows,) * 4),
            "koreai": "per workflow: 2 exports of 3 calls (job, status, download), 3 uploads, the import, its status, the deploy",
            }[args.provider]
    print(f"the job needs {needed['calls']} calls ({what}): "
          f"floor {floor(needed):.1f} s; promote is {promote_s / floor(needed):.2f}x that floor")
    print(f"promote is {promote_s / floor(results['promote'][1]):.2f}x the floor of its own calls (goal <= 1.5x); "
          f"the re-run is {results['re-run'][0] / floor(results['re-run'][1]):.2f}x its floor (goal <= 2x) "
          f"with {results['re-run'][1]['writes']} write(s) (must be 0)")
    for name in ("promote", "backup"):
        print(f"peak RSS of the {name}'s process tree {runner.memory[name]['tree_kb'] / 1024:.0f} MiB, largest process "
              f"{runner.memory[name]['largest_kb'] / 1024:.0f} MiB (issue 16 item 4: < 300 MB for 100 flows of ~1 MB)")
    if args.keep:
        print("work directory kept: %s" % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    sane = results["re-run"][1]["writes"] == 0 and results["promote"][1]["writes"] >= args.flows
    return 0 if sane else 1


if __name__ == "__main__":
    sys.exit(main())
