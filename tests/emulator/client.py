"""Small requests-based helper for driving the emulator's control API, plus subprocess start/stop helpers.

Used by every test suite (emulator self-tests, unit/e2e tests of the collection)::

    proc, url = start_emulator(seed={"descope": {...}})
    emu = EmulatorClient(url)
    emu.add_fault({"path": "/v2/mgmt/flow/import", "nth": 1, "action": {"type": "respond", "status": 503}})
    ...
    stop_emulator(proc)
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import typing as t

import requests

from emulator.core import dumps, loads

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
URL_PREFIX = "FLOWOPS_EMULATOR_URL="


class EmulatorError(RuntimeError):
    """The control API answered with an error."""


class EmulatorClient:
    """Client of the ``/_emulator/`` control API."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def url(self, path: str) -> str:
        """Absolute URL of a provider or control path on this emulator."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def _call(self, method: str, path: str, body: t.Any = None, params: dict | None = None) -> t.Any:
        """Call the control API. Bodies and answers go through core.dumps/loads, so number literals survive a snapshot/restore."""
        kwargs: dict[str, t.Any] = {"params": params, "timeout": self.timeout}
        if body is not None:
            kwargs["data"] = dumps(body).encode("utf-8")
            kwargs["headers"] = {"Content-Type": "application/json"}
        response = self.session.request(method, self.url("/_emulator" + path), **kwargs)
        if response.status_code >= 400:
            raise EmulatorError(f"{method} /_emulator{path} -> {response.status_code}: {response.text}")
        return loads(response.content)

    # state
    def health(self) -> dict:
        return self._call("GET", "/health")

    def reset(self, providers: list[str] | None = None) -> dict:
        return self._call("POST", "/reset", {"providers": providers} if providers is not None else {})

    def reset_all(self) -> None:
        """Provider state, request log, faults, latency and rate limits (back to the defaults)."""
        self.reset()
        self.clear_requests()
        self.clear_faults()
        self.clear_latency()
        self.reset_rate_limits()

    def seed(self, data: dict) -> dict:
        return self._call("POST", "/seed", data)

    def snapshot(self) -> dict:
        return self._call("GET", "/snapshot")

    def restore(self, snapshot: dict) -> dict:
        return self._call("PUT", "/snapshot", snapshot)

    # request log
    def requests(self, provider: str | None = None, tenant: str | None = None, write: bool | None = None, since: int | None = None) -> list[dict]:
        params = {k: v for k, v in {"provider": provider, "tenant": tenant, "since": since}.items() if v is not None}
        if write is not None:
            params["write"] = "true" if write else "false"
        return self._call("GET", "/requests", params=params)["requests"]

    def counts(self) -> dict:
        return self._call("GET", "/requests/counts")

    def clear_requests(self) -> dict:
        return self._call("DELETE", "/requests")

    # faults
    def add_fault(self, rule: dict) -> int:
        return self._call("POST", "/faults", rule)["id"]

    def faults(self) -> list[dict]:
        return self._call("GET", "/faults")["faults"]

    def clear_faults(self, fault_id: int | None = None) -> dict:
        return self._call("DELETE", "/faults" if fault_id is None else f"/faults/{fault_id}")

    # latency / rate limits / clock
    def set_latency(self, config: dict) -> dict:
        return self._call("PUT", "/latency", config)

    def clear_latency(self) -> dict:
        return self._call("DELETE", "/latency")

    def set_rate_limits(self, config: dict) -> dict:
        return self._call("PUT", "/rate_limits", config)

    def reset_rate_limits(self) -> dict:
        return self._call("DELETE", "/rate_limits")

    def advance_clock(self, seconds: float) -> float:
        return self._call("POST", "/clock", {"advance_seconds": seconds})["now"]

    def now(self) -> float:
        return self._call("GET", "/clock")["now"]

    def close(self) -> None:
        self.session.close()


def start_emulator(seed: dict | str | None = None, host: str = "127.0.0.1", port: int = 0,
                   providers: list[str] | None = None, timeout: float = 30.0, python: str | None = None,
                   demo: bool = False, exit_with_parent: bool = True) -> tuple[subprocess.Popen, str]:
    """Run ``python -m emulator`` as a subprocess; return ``(process, base_url)`` once it printed its URL.

    ``seed`` is a dict (written to a temporary file) or a path to a JSON file; ``demo`` loads the sandbox estate first.
    ``exit_with_parent`` makes the emulator stop by itself when this process is gone, so a test worker killed before
    its teardown (pytest-xdist under ansible-test) leaves no emulator behind.
    """
    cmd = [python or sys.executable, "-m", "emulator", "--host", host, "--port", str(port)] + (["--demo"] if demo else [])
    if exit_with_parent:
        cmd.append("--exit-with-parent")
    seed_file = None
    if isinstance(seed, dict):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
            json.dump(seed, handle)
            seed_file = handle.name
        cmd += ["--seed", seed_file]
    elif seed is not None:
        cmd += ["--seed", str(seed)]
    if providers is not None:
        cmd += ["--providers", ",".join(providers)]
    env = dict(os.environ)
    env["PYTHONPATH"] = TESTS_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.Popen(cmd, cwd=TESTS_DIR, env=env, stdout=subprocess.PIPE, text=True)  # pylint: disable=consider-using-with
    found: list[str] = []

    def read_url() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(URL_PREFIX):
                found.append(line[len(URL_PREFIX):].strip())
                break

    reader = threading.Thread(target=read_url, daemon=True)
    reader.start()
    reader.join(timeout)
    if seed_file is not None:
        os.unlink(seed_file)
    if not found:
        stop_emulator(proc)
        raise EmulatorError(f"emulator did not print its URL within {timeout}s (exit code {proc.poll()})")
    return proc, found[0]


def stop_emulator(proc: subprocess.Popen, timeout: float = 10.0) -> int:
    """SIGTERM the emulator and wait; kill it if it does not stop in time. Returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    if proc.stdout is not None:
        proc.stdout.close()
    return proc.returncode


def wait_until(predicate: t.Callable[[], bool], timeout: float = 5.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
