# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A promotion under a provider's rate limit (issue 16, item 5): with descope_rate_limit and descope_rate_limit_window,
every module run of the play shares one call window, so the run makes no call the provider refuses."""

from __future__ import annotations

import glob
import math
import os
import pathlib
import shutil
import tempfile
import time

BUDGET, WINDOW = 5, 12.0   # ours: 5 calls in any 12 s; the emulator allows twice that, so a late arrival cannot tip it


def test_promotion_paced_by_a_shared_window_makes_no_refused_call(emulator, inventory, run_playbook, request):
    emulator.set_rate_limits({"descope": {"requests": 2 * BUDGET, "per_seconds": WINDOW}})
    # the window's call log goes to the temporary folder (TMPDIR): a fresh one, short enough for the sockets that
    # ansible-playbook also makes there (a Unix socket path holds at most 107 bytes; tmp_path under xdist can be longer)
    state = pathlib.Path(tempfile.mkdtemp(prefix="fo-rate-", dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(state, ignore_errors=True))
    started = time.time()
    run = run_playbook("flowops.flows.promote", inventory,
                       {"from": "dev", "to": "prod", "descope_rate_limit": BUDGET / WINDOW, "descope_rate_limit_window": WINDOW},
                       limit="portal_descope_dev,portal_descope_prod",
                       env={"FLOWOPS_EMULATOR_URL": emulator.base_url, "TMPDIR": str(state)})
    elapsed = time.time() - started
    assert run.rc == 0, run.text()
    calls = emulator.requests(provider="descope")
    assert calls and all(call["status"] != 429 for call in calls), [c for c in calls if c["status"] == 429]
    # the calls of every module run (two lists, the export, the reconcile) count in one window: 5 per 12 s from the
    # first call to the last, whatever the machine's load (load only makes the run longer)
    assert len(calls) > 2 * BUDGET, len(calls)
    assert elapsed >= (math.ceil(len(calls) / BUDGET) - 1) * WINDOW, (elapsed, len(calls))
    # shared, not per module run: no BUDGET + 1 calls arrive within half a window (a module run that started with a
    # fresh budget would send its first 5 calls at once, right after the previous run's calls; the half window leaves
    # room for a call that reaches the emulator late on a busy machine)
    arrived = sorted(call["time"] for call in calls)
    spans = [arrived[i + BUDGET] - arrived[i] for i in range(len(arrived) - BUDGET)]
    assert min(spans) >= WINDOW / 2, spans
    # the window's log is in the temporary folder of the run's user, one file per API host
    assert len(glob.glob(str(state / ("flowops.flows-rate-%d" % os.getuid()) / "*.calls"))) == 1
