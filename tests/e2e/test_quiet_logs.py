# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quiet logs and the job summary: a real promote of the demo estate prints diffs only with --diff, one summary table
for the play, and its set_stats; the report still says what changed (from the modules' per-flow ``changes``)."""

from __future__ import annotations

import glob
import json
import os
import re

# A line of a unified diff as the default callback prints it (--- / +++ headers, @@ hunks, +/- content lines).
DIFF_LINE = re.compile(r"^(--- |\+\+\+ |@@ |[+-][ \t]*[\"{}\[\]])")
# What the real promote of the demo estate printed before the roles stopped forcing diff: true (1,563 lines); 331
# with a second check-mode pass to verify and a loop of export runs per DaVinci/Kore.ai flow, 309 without them; 148
# once every provider step is one task (the provider_step action) and the skeleton's bookkeeping tasks were folded.
# The goal: under 150.
MAX_LINES = 150


def diff_lines(text):
    return [line for line in text.splitlines() if DIFF_LINE.match(line)]


def test_promote_without_diff_is_quiet_and_ends_with_one_summary_table(inventory, play, tmp_path):
    run = play("promote", inventory, {"from": "dev", "to": "prod"})
    assert run.rc == 0, run.text()[-3000:]
    lines = run.stdout.splitlines()
    assert len(lines) < MAX_LINES, len(lines)
    assert diff_lines(run.stdout) == []
    # one table for the play: a header and a row per target host, printed once
    assert run.stdout.count('"promote summary"') == 1
    rows = [line for line in lines if re.match(r'^\s+"(assist_koreai_prod|portal_davinci_prod|portal_descope_prod)\s+promoted\s', line)]
    assert len(rows) == 3, rows
    descope_row = next(r for r in rows if "portal_descope_prod" in r).split()
    assert descope_row[2:7] == ["2", "1", "0", "0", "0"]   # created updated unchanged deleted failed
    # set_stats: the same counts in the job's custom stats
    stats = run.custom["_run"]["flowops"]["promote"]
    assert stats["portal_descope_prod"]["created"] == 2 and stats["portal_descope_prod"]["updated"] == 1
    # the modules returned their changes without diff mode, and the report lists them
    descope = [t for t in run.results("Reconcile | import every flow that differs", host="portal_descope_prod") if t.get("flows")]
    assert descope and all("changes" in f for r in descope for f in r["flows"])
    assert all(not r.get("diff") for r in descope)
    report = json.load(open(glob.glob(os.path.join(str(tmp_path), "reports", "*-portal_descope_prod-promote.json"))[0], encoding="utf-8"))
    assert report["changes"] and all(entry["changes"] for entry in report["changes"])
    assert {f["action"] for f in report["flows"]} == {"created", "updated"}
    assert len(report["changes"]) == 3


def test_promote_with_diff_shows_the_diffs(inventory, play):
    run = play("promote", inventory, {"from": "dev", "to": "prod"}, check=True, diff=True)
    assert run.rc == 0, run.text()[-3000:]
    assert len(diff_lines(run.stdout)) > 50
    assert run.stdout.count('"promote summary"') == 1
