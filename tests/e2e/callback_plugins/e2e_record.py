# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: records task results and stats as JSON in $E2E_RECORD_FILE."""

from __future__ import annotations

DOCUMENTATION = r"""
name: e2e_record
type: aggregate
short_description: Record task results and stats for the end-to-end tests
description:
  - Writes every task result (as returned by the module, already masked by no_log handling), the final stats and
    the custom stats (C(set_stats)) to E(E2E_RECORD_FILE).
requirements:
  - enabled with C(ANSIBLE_CALLBACKS_ENABLED=e2e_record)
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Record results for assertions."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "e2e_record"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.tasks = []

    def _record(self, result, status):
        self.tasks.append({
            "task": result._task.get_name(),  # pylint: disable=protected-access
            "host": result._host.get_name(),  # pylint: disable=protected-access
            "status": status,
            "result": self._convert(result._result),  # pylint: disable=protected-access
        })

    @staticmethod
    def _convert(value):
        return json.loads(json.dumps(value, default=str))

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        with open(os.environ["E2E_RECORD_FILE"], "w", encoding="utf-8") as handle:
            json.dump({"tasks": self.tasks, "stats": summary, "custom": self._convert(stats.custom)}, handle)
