# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: records when each task started (wall clock) in $FAULT_MATRIX_MARKS_FILE."""

from __future__ import annotations

DOCUMENTATION = r"""
name: fault_matrix_marks
type: aggregate
short_description: Record task start times for the fault matrix test
description:
  - Writes the name and wall-clock start time of every task to E(FAULT_MATRIX_MARKS_FILE), so that the test can tell
    which emulator requests (logged with the same clock) came before a step such as the role's verify.
requirements:
  - enabled with C(ANSIBLE_CALLBACKS_ENABLED=fault_matrix_marks)
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Record task start times."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fault_matrix_marks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.marks = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.marks.append({"task": task.get_name(), "time": time.time()})

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["FAULT_MATRIX_MARKS_FILE"], "w", encoding="utf-8") as handle:
            json.dump(self.marks, handle)
