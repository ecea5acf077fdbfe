# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the end-to-end tests: the sandbox estate of examples/ and the emulator's write counts."""

from __future__ import annotations

import os
import sys

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")
sys.path.insert(0, EXAMPLES)

import estate  # noqa: E402  pylint: disable=wrong-import-position,import-error,unused-import


def writes(emulator, tenant=None, ok_only=False):
    """Write calls the emulator received since its request log was last cleared (of one tenant, or all)."""
    key = "writes_ok" if ok_only else "writes"
    return sum(counts[key] for tenants in emulator.counts().values() for name, counts in tenants.items() if tenant in (None, name))
