# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the bad-input corpus test: the emulator (tests/emulator) and the sandbox estate of examples/."""

from __future__ import annotations

import os
import sys

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TESTS)
sys.path.insert(0, os.path.join(TESTS, "e2e"))

from emulator.pytest_plugin import emulator, emulator_url  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
