"""Emulator benchmark: concurrency under latency and raw throughput (bounded, loopback only, stops by itself).

Run from the repo root: ``make bench`` (``PYTHONPATH=tests .venv/bin/python -m emulator.bench``) (or ``python tests/emulator/bench.py``).

(a) 64 concurrent keep-alive connections against a 50 ms fixed latency: the total time must be close to
    ceil(requests/64) * 50 ms, far below the serialised baseline requests * 50 ms.
(b) requests/s with no latency from a threaded client, against a single-connection sequential baseline
    measured in the same run.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import math
import os
import platform
import sys
import threading
import time

if __package__ in (None, ""):  # run as a script: make the `emulator` package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import requests  # noqa: E402  pylint: disable=wrong-import-position

from emulator.client import EmulatorClient, start_emulator, stop_emulator  # noqa: E402  pylint: disable=wrong-import-position

PID = "P2benchBench0000000000000000"
KEY = "K2benchKey"
AUTH = {"Authorization": f"Bearer {PID}:{KEY}", "Content-Type": "application/json"}
PATH = "/v1/mgmt/flow/list"
SEED = {"descope": {"projects": [{"project_id": PID, "management_key": KEY,
                                  "flows": {"bench": {"flowId": "bench", "metadata": {"name": "Bench"}, "contents": {}}}}]}}


def run_load(url: str, total: int, workers: int, deadline: float) -> tuple[float, int]:
    """Send ``total`` requests from ``workers`` threads, one keep-alive session each. Returns (seconds, failures)."""
    local = threading.local()
    failures = 0
    lock = threading.Lock()

    def one(_index: int) -> None:
        nonlocal failures
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark deadline passed")
        response = session.post(url + PATH, headers=AUTH, data=b"{}", timeout=10)
        if response.status_code != 200:
            with lock:
                failures += 1

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(one, i) for i in range(total)]:
            future.result()
    return time.monotonic() - start, failures


def warm_up(url: str, workers: int, deadline: float) -> None:
    run_load(url, workers * 2, workers, deadline)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-requests", type=int, default=640, help="requests for (a) (default 640)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections for (a) (default 64)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--throughput-requests", type=int, default=4000, help="requests for (b) (default 4000)")
    parser.add_argument("--throughput-workers", type=int, default=8)
    parser.add_argument("--baseline-requests", type=int, default=500)
    parser.add_argument("--max-seconds", type=float, default=120.0, help="hard bound on the whole run")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.max_seconds
    load_before = os.getloadavg()[0]

    proc, url = start_emulator(seed=SEED)
    rows: list[tuple[str, str, str, str]] = []
    failures = 0
    try:
        emu = EmulatorClient(url)
        emu.set_rate_limits({"descope": None})

        # (a) concurrency under latency
        emu.set_latency({"descope": {"fixed_ms": args.latency_ms, "jitter_ms": 0}})
        warm_up(url, args.connections, deadline)
        seconds, failed = run_load(url, args.latency_requests, args.connections, deadline)
        failures += failed
        serial = args.latency_requests * args.latency_ms / 1000.0
        ideal = math.ceil(args.latency_requests / args.connections) * args.latency_ms / 1000.0
        rows.append((f"(a) {args.latency_requests} req, {args.connections} conns, {args.latency_ms:g} ms latency",
                     f"{seconds:.3f} s", f"serialised n*latency = {serial:.1f} s",
                     f"{serial / seconds:.1f}x faster than serialised; {seconds / ideal:.2f}x the ideal {ideal:.2f} s"))

        # (b) throughput without latency
        emu.clear_latency()
        warm_up(url, args.throughput_workers, deadline)
        base_seconds, failed = run_load(url, args.baseline_requests, 1, deadline)
        failures += failed
        base_rps = args.baseline_requests / base_seconds
        seconds, failed = run_load(url, args.throughput_requests, args.throughput_workers, deadline)
        failures += failed
        rps = args.throughput_requests / seconds
        rows.append((f"(b) {args.throughput_requests} req, {args.throughput_workers} threads, no latency",
                     f"{rps:.0f} req/s", f"1 connection sequential = {base_rps:.0f} req/s",
                     f"{rps / base_rps:.2f}x the sequential baseline; target >= 500 req/s: {'met' if rps >= 500 else 'NOT met'}"))
        logged = len(emu.requests(since=0))
    finally:
        stop_emulator(proc)

    print(f"machine: nproc={os.cpu_count()}  python={platform.python_version()}  {platform.system()} {platform.machine()}  "
          f"load average 1 min before/after: {load_before:.2f}/{os.getloadavg()[0]:.2f}  (client and server on the same machine, loopback)")
    widths = [max(len(r[i]) for r in rows + [("case", "result", "baseline (same run)", "ratio")]) for i in range(4)]
    for row in [("case", "result", "baseline (same run)", "ratio")] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print(f"non-200 responses: {failures}; requests logged by the emulator: {logged}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
