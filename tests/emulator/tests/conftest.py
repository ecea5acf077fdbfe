"""Fixtures for the emulator's own tests: makes ``emulator`` importable and exposes its pytest fixtures."""
from __future__ import annotations

import os
import sys

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from emulator.pytest_plugin import emulator, emulator_url  # noqa: E402  pylint: disable=wrong-import-position

__all__ = ["emulator", "emulator_url"]
