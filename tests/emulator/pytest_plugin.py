"""pytest fixtures for suites that drive the emulator.

``emulator_url`` (session): one ``python -m emulator`` subprocess for the whole session, or the emulator
already running at ``$FLOWOPS_EMULATOR_URL`` when that is set.
``emulator`` (function): an :class:`EmulatorClient` after resetting provider state, request log, faults,
latency and rate limits (back to the provider defaults).

Use it from a conftest.py with ``from emulator.pytest_plugin import emulator, emulator_url``.
"""
from __future__ import annotations

import os
import typing as t

import pytest

from emulator.client import EmulatorClient, start_emulator, stop_emulator


@pytest.fixture(scope="session")
def emulator_url() -> t.Iterator[str]:
    external = os.environ.get("FLOWOPS_EMULATOR_URL")
    if external:
        yield external.rstrip("/")
        return
    proc, url = start_emulator()
    try:
        yield url
    finally:
        stop_emulator(proc)


@pytest.fixture()
def emulator(emulator_url: str) -> t.Iterator[EmulatorClient]:  # pylint: disable=redefined-outer-name
    client = EmulatorClient(emulator_url)
    client.reset_all()
    try:
        yield client
    finally:
        client.close()
