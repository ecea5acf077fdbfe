"""``python -m emulator`` from the command line: the ready demo sandbox and one-line startup errors (exit code 2)."""
from __future__ import annotations

import importlib.util
import os
import pathlib
import socket
import subprocess
import sys

import pytest
import requests

from emulator.client import TESTS_DIR, start_emulator, stop_emulator, wait_until

ESTATE_PATH = pathlib.Path(TESTS_DIR).parent / "examples" / "estate.py"


def _estate():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("estate_under_test", ESTATE_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": TESTS_DIR}
    return subprocess.run([sys.executable, "-m", "emulator", "--port", "0", *args], cwd=TESTS_DIR, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_demo_starts_with_the_sandbox_estate() -> None:
    estate = _estate()
    proc, url = start_emulator(demo=True)
    try:
        snapshot = requests.get(url + "/_emulator/snapshot", timeout=10).json()
        assert [p["project_id"] for p in snapshot["descope"]["projects"]] == [estate.DESCOPE[s]["project_id"] for s in ("dev", "prod")]
        assert [e["id"] for e in snapshot["davinci"]["environments"]] == [estate.DAVINCI[s]["environment_id"] for s in ("dev", "prod")]
        assert [a["id"] for a in snapshot["koreai"]["accounts"]] == [estate.KOREAI[s]["account"] for s in ("dev", "prod")]
        # the estate's own credentials work against it, as examples/inventory.yml uses them
        dev = estate.DESCOPE["dev"]
        auth = {"Authorization": f"Bearer {dev['project_id']}:{dev['management_key']}"}
        listing = requests.post(url + "/v1/mgmt/flow/list", headers=auth, timeout=10).json()
        assert [f["id"] for f in listing["flows"]] == list(estate.descope_flows("dev"))
        exported = requests.post(url + "/v2/mgmt/flow/export", headers=auth, json={"flowId": "role-flow"}, timeout=10).json()
        assert exported["flow"] == estate.descope_flows("dev")["role-flow"]
        worker = estate.DAVINCI["prod"]
        token = requests.post(f"{url}/{worker['environment_id']}/as/token", data={"grant_type": "client_credentials"},
                              auth=(worker["client_id"], worker["client_secret"]), timeout=10)
        assert token.status_code == 200
        kore = estate.KOREAI["dev"]
        wf = requests.post(f"{url}/api/public/workflows/{kore['workflow_id']}/export", headers={"x-api-key": kore["api_key"]}, timeout=10)
        assert wf.status_code == 200 and wf.json()["status"] == "IN_PROGRESS"
    finally:
        assert stop_emulator(proc) == 0


def test_demo_and_seed_combine(tmp_path: pathlib.Path) -> None:
    seed = tmp_path / "extra.json"
    seed.write_text('{"descope": {"projects": [{"project_id": "P2extraxxxxxxxxxxxxxxxxxxxxx", "management_key": "K2x"}]}}', encoding="utf-8")
    proc, url = start_emulator(seed=str(seed), demo=True, providers=["descope"])
    try:
        snapshot = requests.get(url + "/_emulator/snapshot", timeout=10).json()
        assert set(snapshot) == {"descope"}
        assert len(snapshot["descope"]["projects"]) == 3
    finally:
        stop_emulator(proc)


@pytest.mark.parametrize("content, expected", [
    (None, "cannot read it: No such file or directory"),
    ('{"descope": {"projects": [', "not valid JSON: Expecting value at line 1 column 27"),
    ("", "not valid JSON: Expecting value at line 1 column 1"),
    ('{"descope": {"projects": [{"a": NaN}]}}', "not valid JSON: NaN is not valid JSON"),
    ("[1, 2]", "expected a JSON object {provider: seed data}, got list"),
    ('{"descope": {"projects": "P2"}}', "bad seed for descope: descope.projects must be a list"),
    ('{"salesforce": {}}', "unknown or unavailable provider(s): salesforce"),
])
def test_bad_seed_is_one_line_and_exit_2(tmp_path: pathlib.Path, content: str | None, expected: str) -> None:
    seed = tmp_path / "seed.json"
    if content is not None:
        seed.write_text(content, encoding="utf-8")
    result = _run("--seed", str(seed))
    assert result.returncode == 2
    assert result.stdout == ""  # no URL line: nothing was served
    assert result.stderr == f"python -m emulator: error: --seed {seed}: {expected}\n"


def test_unusable_address_and_provider_are_one_line_errors() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = _run("--port", str(port))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"python -m emulator: error: cannot listen on 127.0.0.1:{port}: ") and result.stderr.count("\n") == 1
    result = _run("--providers", "descope,salesforce")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "python -m emulator: error: --providers: unknown provider 'salesforce'; known: descope, davinci, koreai\n"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its new parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_emulator_stops_when_the_process_that_started_it_dies_without_teardown() -> None:
    # A harness that starts the emulator with start_emulator() and is then killed (an xdist worker under ansible-test)
    # must not leave the emulator running.
    script = ("import os, sys; from emulator.client import start_emulator; "
              "proc, url = start_emulator(); print(proc.pid, flush=True); os._exit(0)")
    env = {**os.environ, "PYTHONPATH": TESTS_DIR}
    # stderr is not captured: the emulator inherits it, and a pipe would stay open for as long as the emulator runs.
    harness = subprocess.run([sys.executable, "-c", script], cwd=TESTS_DIR, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, timeout=120, check=True)
    pid = int(harness.stdout.split()[-1])
    try:
        assert wait_until(lambda: not _alive(pid), timeout=60, interval=0.2), "the orphaned emulator is still running"
    finally:
        if _alive(pid):
            os.kill(pid, 9)
