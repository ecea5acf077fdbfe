# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of this collection's action plugins. Private to this collection."""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ControllerAction(ActionBase):
    """An action that runs on the controller: it checks its options against ``ARGUMENT_SPEC`` and returns
    ``act(params, task_vars)``."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    ARGUMENT_SPEC: dict = {}

    def run(self, tmp=None, task_vars=None):
        super().run(tmp, task_vars)
        del tmp  # not used: nothing is copied to a target
        _validation, params = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        return self.act(params, task_vars)

    def act(self, params, task_vars):
        raise NotImplementedError
