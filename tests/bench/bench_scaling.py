# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Promotion time by number of flows (issue 16, item 6: "time grows linearly from 100 to 1,000 flows").

For each N of ``--series`` (default 10, 100, 300, 1000), on fresh emulator data (N changed Descope flows of
``--flow-kb``, ``--latency-ms`` per call, no rate limit): ``flowops.flows.promote`` dev -> prod, then its no-op
re-run. Each run is reported with its calls, its API floor (calls / parallel x latency + the start-up of an empty
play, measured in the same run) and its peak memory (bench_promote's /proc sampler).

Linearity: a least-squares line ``time = fixed + per_flow x N`` through the points, with the largest relative
distance of a point from it, and the cost per added flow between neighbouring points (seconds per flow). A run that
grows faster than linearly shows a rising cost per added flow.

Run from the repo root after ``make install``:
``.venv/bin/python tests/bench/bench_scaling.py [--series 10,100,300,1000] [--flow-kb 20] [--collections DIR]``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)

from bench_promote import ROOT, EmulatorClient, Runner, api_calls, bench_dir, seed_data, start_emulator, stop_emulator  # noqa: E402  pylint: disable=wrong-import-position


def line(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares ``(fixed, per_flow)`` of ``time = fixed + per_flow x N``."""
    n = len(points)
    mean_x = sum(x for x, _y in points) / n
    mean_y = sum(y for _x, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _y in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0
    return mean_y - slope * mean_x, slope


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", default=os.path.join(ROOT, ".build", "collections"))
    parser.add_argument("--series", default="10,100,300,1000", help="comma-separated numbers of flows")
    parser.add_argument("--flow-kb", type=float, default=20.0)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args(argv)
    collections = os.path.abspath(args.collections)
    if not os.path.isdir(os.path.join(collections, "ansible_collections", "flowops", "flows")):
        parser.error("run `make install` first: the benchmark uses the collection installed in %s" % collections)
    series = sorted({int(n) for n in args.series.split(",") if n.strip()})
    if len(series) < 2 or series[0] < 1:
        parser.error("--series needs at least two positive numbers of flows")
    latency = args.latency_ms / 1000.0
    load_before = os.getloadavg()
    rows = []
    proc, url = start_emulator()
    try:
        workdir = bench_dir("flowops-bench-scaling-", url)
        emu = EmulatorClient(url, timeout=900)
        runner = Runner(workdir, collections)
        startup = min(runner.run("empty", ["empty.yml"]) for _run in range(3))
        for count in series:
            emu.reset_all()
            emu.seed(seed_data(count, args.flow_kb))
            emu.set_rate_limits({"descope": None})
            emu.set_latency({"descope": {"fixed_ms": args.latency_ms, "jitter_ms": 0}})
            promote = ["flowops.flows.promote", "-i", "inventory.yml", "-e", "from=dev", "-e", "to=prod",
                       "-e", json.dumps({"promote_parallel": args.parallel, "promote_backup_dir": os.path.join(workdir, "b%d" % count),
                                         "flow_report_dir": os.path.join(workdir, "r%d" % count)})]
            for kind in ("promote", "re-run"):
                emu.clear_requests()
                name = "%s-%d" % (kind, count)
                seconds = runner.run(name, promote)
                calls = api_calls(emu)
                rows.append({"kind": kind, "flows": count, "seconds": seconds, "calls": calls,
                             "floor": calls["calls"] / args.parallel * latency + startup, "memory": runner.memory[name]})
    finally:
        stop_emulator(proc)
    load_after = os.getloadavg()

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: nproc={affinity}  python={platform.python_version()}  (controller and emulator on the same machine)")
    print("load average 1/5/15 min before: %.2f/%.2f/%.2f  after: %.2f/%.2f/%.2f" % (load_before + load_after))
    print(f"descope: changed flows of ~{args.flow_kb:g} kB, {args.latency_ms:g} ms per call, promote_parallel {args.parallel}; "
          f"floor = calls / {args.parallel} x {args.latency_ms:g} ms + start-up {startup:.1f} s (fastest of 3 empty plays)")
    table = [("run", "flows", "time", "calls (reads/writes, failed)", "floor", "vs floor", "s per flow", "peak RSS tree",
              "largest process")]
    for row in rows:
        calls = row["calls"]
        table.append((row["kind"], str(row["flows"]), f"{row['seconds']:.1f} s",
                      f"{calls['calls']} ({calls['reads']}/{calls['writes']}, {calls['failed']})", f"{row['floor']:.1f} s",
                      f"{row['seconds'] / row['floor']:.2f}x", f"{row['seconds'] / row['flows']:.3f}",
                      f"{row['memory']['tree_kb'] / 1024:.0f} MiB", f"{row['memory']['largest_kb'] / 1024:.0f} MiB"))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for cells in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip())
    sane = True
    for kind in ("promote", "re-run"):
        points = [(row["flows"], row["seconds"]) for row in rows if row["kind"] == kind]
        fixed, per_flow = line(points)
        worst = max(abs(y - (fixed + per_flow * x)) / y for x, y in points)
        steps = ", ".join(f"{a}->{b}: {(tb - ta) / (b - a):.3f} s" for (a, ta), (b, tb) in zip(points, points[1:]))
        largest = max((row for row in rows if row["kind"] == kind), key=lambda row: row["flows"])
        calls_per_flow = largest["calls"]["calls"] / largest["flows"]
        print(f"{kind}: time = {fixed:.1f} s + {per_flow:.3f} s x flows (the API floor per flow is "
              f"{calls_per_flow * latency / args.parallel:.3f} s: {calls_per_flow:.1f} calls); largest distance of a point "
              f"from the line {worst * 100:.0f}%; cost per added flow {steps}")
        if kind == "re-run":
            sane = sane and all(row["calls"]["writes"] == 0 for row in rows if row["kind"] == kind)
        else:
            sane = sane and all(row["calls"]["writes"] >= row["flows"] for row in rows if row["kind"] == kind)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if sane else 1


if __name__ == "__main__":
    sys.exit(main())
