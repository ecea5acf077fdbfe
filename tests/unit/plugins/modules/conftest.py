# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the module tests that run against the provider emulator (tests/emulator, a subprocess).

``emulator_estate`` (one emulator with the demo estate per test module) and ``emu`` (its control client, with the
estate, faults and request log reset before each test). Tests that use them are skipped when the emulator's server
(uvicorn, starlette) is not installed.
"""

from __future__ import annotations

import os
import sys

import pytest

TESTS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


@pytest.fixture(scope="module")
def emulator_estate():
    pytest.importorskip("uvicorn")
    pytest.importorskip("starlette")
    if TESTS not in sys.path:
        sys.path.insert(0, TESTS)
    from emulator.client import EmulatorClient, start_emulator, stop_emulator  # pylint: disable=import-error,import-outside-toplevel

    proc, url = start_emulator(demo=True)
    client = EmulatorClient(url)
    try:
        yield client, url, client.snapshot()
    finally:
        client.close()
        stop_emulator(proc)


@pytest.fixture()
def emu(emulator_estate):
    client, url, initial = emulator_estate
    client.restore(initial)
    client.clear_faults()
    client.clear_requests()
    client.url_base = url
    return client
