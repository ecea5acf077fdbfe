# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Promotion under Descope's published rate limit (issue 16, item 5): 100 requests per 60 s.

The emulator enforces the limit (a fixed window of 100 calls per 60 s per project, its default), answers each call
after ``--latency-ms``, and holds N changed flows in dev. Three promotions of the same fresh data, one per way of
meeting the limit:
  retry   no limit configured: the modules run into HTTP 429 and wait for its Retry-After
  paced   descope_rate_limit 1.6: every call is spaced (a token bucket per module run)
  window  descope_rate_limit 1.67 + descope_rate_limit_window 60: bursts of up to 100 calls in any 60 s, the window
          shared by every module run of the play
Each is reported with its time, its calls and how many the emulator refused (429), against the rate-limit floor of
its own calls: Descope keys the limit by the caller's IP (reference: descope.md, "Published rate limits"), so the
calls of both projects share one budget, and C calls need at least (ceil(C / 100) - 1) x 60 s after the first
burst, plus the start-up of an empty play.

Run from the repo root after ``make install``: ``.venv/bin/python tests/bench/bench_rate_limit.py [--flows 100]``
(each promotion of 100 flows takes about 4 minutes: it is mostly waiting for the window).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)

from bench_promote import ROOT, EmulatorClient, bench_dir, seed_data, start_emulator, stop_emulator  # noqa: E402  pylint: disable=wrong-import-position

LIMIT, WINDOW = 100, 60.0
MODES = {
    "retry": {},
    "paced": {"descope_rate_limit": 1.6},
    "window": {"descope_rate_limit": 1.67, "descope_rate_limit_window": WINDOW},
}


def playbook(workdir: str, collections: str, args: list[str]) -> float:
    """Seconds one ansible-playbook run takes (its output in <workdir>/<mode>.log); fails loudly."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR="1", ANSIBLE_HOME=os.path.join(workdir, "ansible-home"),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false", TMPDIR=os.path.join(workdir, "tmp"))
    os.makedirs(env["TMPDIR"], exist_ok=True)   # the window's call log: a fresh one per run
    start = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook")] + args, cwd=workdir, env=env,
                          capture_output=True, text=True, check=False, timeout=7200)
    seconds = time.monotonic() - start
    with open(os.path.join(workdir, "run.log"), "a", encoding="utf-8") as handle:
        handle.write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (exit %d):\n%s%s" % (args[0], proc.returncode, proc.stdout[-4000:], proc.stderr[-2000:]))
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", default=os.path.join(ROOT, ".build", "collections"))
    parser.add_argument("--flows", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: %s" % ", ".join(MODES))
    args = parser.parse_args(argv)
    collections = os.path.abspath(args.collections)
    if not os.path.isdir(os.path.join(collections, "ansible_collections", "flowops", "flows")):
        parser.error("run `make install` first: the benchmark uses the collection installed in %s" % collections)
    seed = seed_data(args.flows, 20.0)
    load_before = os.getloadavg()
    results = {}
    proc, url = start_emulator()
    try:
        workdir = bench_dir("flowops-bench-rate-", url)
        emu = EmulatorClient(url)
        startup = playbook(workdir, collections, ["empty.yml"])
        for mode in args.modes.split(","):
            emu.reset_all()
            emu.seed(seed)
            emu.set_rate_limits({"descope": {"requests": LIMIT, "per_seconds": WINDOW}})
            emu.set_latency({"descope": {"fixed_ms": args.latency_ms, "jitter_ms": 0}})
            emu.clear_requests()
            extra = dict(MODES[mode], promote_parallel=args.parallel, promote_backup_dir=os.path.join(workdir, mode, "backups"),
                         flow_report_dir=os.path.join(workdir, mode, "reports"))
            seconds = playbook(workdir, collections, ["flowops.flows.promote", "-i", "inventory.yml", "-e", "from=dev", "-e", "to=prod",
                                                      "-e", json.dumps(extra)])
            log = emu.requests(provider="descope")
            results[mode] = {"seconds": seconds, "calls": len(log), "refused": sum(1 for r in log if r["status"] == 429),
                             "writes": sum(1 for r in log if r["write"] and r["status"] == 200)}
    finally:
        stop_emulator(proc)
    load_after = os.getloadavg()

    def floor(calls: int) -> float:
        return (math.ceil(calls / LIMIT) - 1) * WINDOW + startup

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: nproc={affinity}  python={platform.python_version()}  (controller and emulator on the same machine)")
    print("load average 1/5/15 min before: %.2f/%.2f/%.2f  after: %.2f/%.2f/%.2f" % (load_before + load_after))
    print(f"descope: {args.flows} changed flows of ~20 kB, {args.latency_ms:g} ms per call, promote_parallel {args.parallel}, "
          f"limit {LIMIT} calls per {WINDOW:g} s (emulator); floor = (ceil(calls / {LIMIT}) - 1) x {WINDOW:g} s + start-up {startup:.1f} s")
    needed = 3 * args.flows + 1
    for mode, result in results.items():
        print(f"{mode:7s} {result['seconds']:7.1f} s  {result['calls']} calls, {result['refused']} refused (429), "
              f"{result['writes']} writes  floor {floor(result['calls']):.1f} s  {result['seconds'] / floor(result['calls']):.2f}x  "
              f"({result['seconds'] / floor(needed):.2f}x the floor of the {needed} calls the job needs)")
    shutil.rmtree(workdir, ignore_errors=True)
    sane = all(result["writes"] >= args.flows for result in results.values())
    return 0 if sane else 1


if __name__ == "__main__":
    sys.exit(main())
