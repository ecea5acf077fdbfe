# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Micro-benchmark of the document layer: canonical JSON, fingerprint and strip_paths, old vs new path.

Both paths run in the same process, interleaved, on the same documents:
  old  the hand-written pure-Python encoder (``_py_dumps``/``_py_dumps_compact``, the reference the
       new path is tested against byte for byte) and a whole-document ``copy.deepcopy`` before stripping
  new  ``dumps``/``dumps_compact``/``fingerprint``/``strip_paths`` as shipped (stdlib C encoder,
       copy along the changed paths only)
on a real ~20 KB DaVinci flow (tests/fixtures/samples) and a ~1 MB flow grown from it (more nodes).
Times are the median of --repeat runs; the ratio is old / new. CPU-bound: read the load average.

Run from the repo root: ``.venv/bin/python tests/bench/bench_document.py`` (no collection install needed).
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import importlib.util
import os
import platform
import statistics
import sys
import time

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TESTS)
SAMPLE = os.path.join(TESTS, "fixtures", "samples", "davinci", "full-basic-vars.json")
# ignore paths of the kind users set (layout and server-set dates of a DaVinci flow), one with a wildcard
STRIP = ["graphData.elements.nodes.*.position", "createdDate", "updatedDate", "savedDate", "deployedDate", "versionId"]


def load_document_module():
    """plugins/module_utils/_document.py is stdlib-only: load it straight from the working tree."""
    path = os.path.join(ROOT, "plugins", "module_utils", "_document.py")
    spec = importlib.util.spec_from_file_location("flowops_document_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def grow(doc, target_bytes, dumps):
    """A copy of the flow with its graph nodes repeated (fresh ids) until its canonical text reaches ``target_bytes``."""
    big = copy.deepcopy(doc)
    nodes = big["graphData"]["elements"]["nodes"]
    template = list(nodes)
    round_ = 0
    while len(dumps(big).encode("utf-8")) < target_bytes:
        round_ += 1
        for node in template:
            clone = copy.deepcopy(node)
            if isinstance(clone.get("data"), dict) and "id" in clone["data"]:
                clone["data"]["id"] = "%s-%d" % (clone["data"]["id"], round_)
            nodes.append(clone)
    return big


def median_seconds(func, repeat, number):
    runs = []
    for dummy in range(repeat):
        start = time.perf_counter()
        for dummy in range(number):
            func()
        runs.append((time.perf_counter() - start) / number)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per measurement (the median is kept)")
    parser.add_argument("--big-mb", type=float, default=1.0, help="size of the big flow in MB")
    args = parser.parse_args(argv)
    doc_mod = load_document_module()
    small = doc_mod.load_file(SAMPLE)
    big = grow(small, int(args.big_mb * 1_000_000), doc_mod.dumps)

    def old_fingerprint(doc):
        return "sha256:" + hashlib.sha256(doc_mod._py_dumps(doc).encode("utf-8")).hexdigest()

    def old_strip(doc):
        return doc_mod.strip_paths(copy.deepcopy(doc), STRIP)

    load_before = os.getloadavg()
    rows = []
    for label, doc, number in (("20 KB", small, 20), ("1 MB", big, 1)):
        size = len(doc_mod.dumps(doc).encode("utf-8"))
        # the same bytes on both paths, or the comparison means nothing
        if doc_mod.dumps(doc) != doc_mod._py_dumps(doc) or doc_mod.dumps_compact(doc) != doc_mod._py_dumps_compact(doc):
            print("FAIL: the two paths disagree on the %s flow" % label)
            return 1
        if doc_mod.strip_paths(doc, STRIP) != old_strip(doc):
            print("FAIL: strip_paths disagrees with deepcopy + strip on the %s flow" % label)
            return 1
        for op, old, new in (
            ("dumps (canonical)", lambda d=doc: doc_mod._py_dumps(d), lambda d=doc: doc_mod.dumps(d)),
            ("dumps html_escape", lambda d=doc: doc_mod._py_dumps(d, True), lambda d=doc: doc_mod.dumps(d, True)),
            ("dumps_compact (body)", lambda d=doc: doc_mod._py_dumps_compact(d), lambda d=doc: doc_mod.dumps_compact(d)),
            ("fingerprint", lambda d=doc: old_fingerprint(d), lambda d=doc: doc_mod.fingerprint(d)),
            ("strip_paths", lambda d=doc: old_strip(d), lambda d=doc: doc_mod.strip_paths(d, STRIP)),
        ):
            old_s = median_seconds(old, args.repeat, number)
            new_s = median_seconds(new, args.repeat, number)
            rows.append((f"{label} ({size / 1000:.0f} kB)", op, old_s, new_s))
    load_after = os.getloadavg()

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: nproc={affinity} (cpu_count={os.cpu_count()})  python={platform.python_version()} "
          f"({platform.python_implementation()})  {platform.system()} {platform.machine()}  "
          f"C encoder indents itself: {'yes' if doc_mod._C_ENCODER_INDENTS else 'no (indented by _indent)'}")
    print("load average 1/5/15 min before: %.2f/%.2f/%.2f  after: %.2f/%.2f/%.2f" % (load_before + load_after))
    print(f"median of {args.repeat} runs per cell; ratio = old / new (higher is better)")
    header = ("flow", "operation", "old", "new", "ratio")
    table = [header] + [(flow, op, f"{old * 1000:.3f} ms", f"{new * 1000:.3f} ms", f"{old / new:.1f}x") for flow, op, old, new in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
