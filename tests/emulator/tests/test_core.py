"""Core emulator behaviour over real HTTP: control API, request log, latency, rate limits, faults, clock, shutdown."""
from __future__ import annotations

import http.client
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

import pytest
import requests

from emulator.client import TESTS_DIR, EmulatorClient, EmulatorError, start_emulator, stop_emulator

PID = "P2coreTest000000000000000000"
KEY = "K2coreTestKey"
AUTH = {"Authorization": f"Bearer {PID}:{KEY}"}
FLOW = {"flowId": "core-flow", "metadata": {"name": "Core"}, "contents": {"startTask": "0"}}


def seed(emu: EmulatorClient, **extra: object) -> None:
    emu.seed({"descope": {"projects": [{"project_id": PID, "management_key": KEY, "flows": {"core-flow": FLOW}, **extra}]}})


def list_flows(emu: EmulatorClient, **kwargs: object) -> requests.Response:
    return requests.post(emu.url("/v1/mgmt/flow/list"), headers=AUTH, timeout=kwargs.pop("timeout", 10), **kwargs)


def test_health_lists_providers(emulator: EmulatorClient) -> None:
    health = emulator.health()
    assert health["status"] == "ok"
    assert "descope" in health["providers"]
    assert health["base_url"] == emulator.base_url


def test_unknown_path_is_plain_404(emulator: EmulatorClient) -> None:
    response = requests.get(emulator.url("/nothing/here"), timeout=10)
    assert response.status_code == 404
    assert "error" in response.json()
    assert emulator.requests() == []


def test_seed_snapshot_reset_restore(emulator: EmulatorClient) -> None:
    seed(emulator)
    snap = emulator.snapshot()
    assert list(snap["descope"]["projects"][0]["flows"]) == ["core-flow"]
    emulator.reset(["descope"])
    assert emulator.snapshot()["descope"] == {"projects": []}
    emulator.restore(snap)
    assert emulator.snapshot() == snap
    assert list_flows(emulator).json()["total"] == 1
    emulator.reset()
    assert list_flows(emulator).status_code == 401


def test_control_api_rejects_bad_input(emulator: EmulatorClient) -> None:
    with pytest.raises(EmulatorError, match="400"):
        emulator.seed({"nope": {}})
    with pytest.raises(EmulatorError, match="400"):
        emulator.add_fault({"path": "x", "action": {"type": "explode"}})
    with pytest.raises(EmulatorError, match="400"):
        emulator.add_fault({"path": "(", "action": {"type": "reset"}})
    with pytest.raises(EmulatorError, match="400"):
        emulator.set_latency({"descope": {"fixed_ms": -1}})
    with pytest.raises(EmulatorError, match="400"):
        emulator.advance_clock(-5)
    response = requests.post(emulator.url("/_emulator/seed"), data="{not json", timeout=10)
    assert response.status_code == 400


def test_request_log_filters_and_counts(emulator: EmulatorClient) -> None:
    seed(emulator)
    assert list_flows(emulator).status_code == 200
    doc = {"flow": {**FLOW, "flowId": "second"}}
    assert requests.post(emulator.url("/v2/mgmt/flow/import"), headers=AUTH, json=doc, timeout=10).status_code == 200
    bad = requests.post(emulator.url("/v2/mgmt/flow/import"), headers=AUTH, json={"flow": {"flowId": "x"}}, timeout=10)
    assert bad.status_code == 400
    requests.post(emulator.url("/v1/mgmt/flow/list"), headers={"Authorization": "Bearer P2other:K"}, timeout=10)

    log = emulator.requests()
    assert [(e["method"], e["path"], e["status"], e["write"]) for e in log] == [
        ("POST", "/v1/mgmt/flow/list", 200, False),
        ("POST", "/v2/mgmt/flow/import", 200, True),
        ("POST", "/v2/mgmt/flow/import", 400, True),
        ("POST", "/v1/mgmt/flow/list", 401, False),
    ]
    assert all(e["provider"] == "descope" for e in log)
    assert [e["seq"] for e in log] == sorted(e["seq"] for e in log)
    assert len(emulator.requests(write=True)) == 2
    assert len(emulator.requests(write=False)) == 2
    assert len(emulator.requests(tenant=PID)) == 3
    assert emulator.requests(tenant="P2other")[0]["status"] == 401
    assert len(emulator.requests(since=log[1]["seq"])) == 2
    assert emulator.requests(provider="davinci") == []
    assert emulator.counts() == {"descope": {PID: {"reads": 1, "writes": 2, "writes_ok": 1},
                                             "P2other": {"reads": 1, "writes": 0, "writes_ok": 0}}}
    emulator.clear_requests()
    assert emulator.requests() == [] and emulator.counts() == {}


def test_latency_fixed_and_cleared(emulator: EmulatorClient) -> None:
    seed(emulator)
    assert emulator.set_latency({"descope": {"fixed_ms": 300, "jitter_ms": 0}}) == {"descope": {"fixed_ms": 300.0, "jitter_ms": 0.0}}
    start = time.monotonic()
    assert list_flows(emulator).status_code == 200
    assert time.monotonic() - start >= 0.3
    emulator.clear_latency()
    start = time.monotonic()
    list_flows(emulator)
    assert time.monotonic() - start < 0.3


def test_rate_limit_per_tenant_with_retry_after_and_clock(emulator: EmulatorClient) -> None:
    seed(emulator)
    emulator.seed({"descope": {"projects": [{"project_id": "P2second", "management_key": "K2"}]}})
    emulator.set_rate_limits({"descope": {"requests": 3, "per_seconds": 30}})
    assert [list_flows(emulator).status_code for _attempt in range(3)] == [200, 200, 200]
    limited = list_flows(emulator)
    assert limited.status_code == 429
    assert limited.json()["errorCode"] == "E130429"
    assert set(limited.json()) == {"errorCode", "errorDescription", "errorMessage"}
    assert 1 <= int(limited.headers["Retry-After"]) <= 30
    # another tenant has its own window
    other = requests.post(emulator.url("/v1/mgmt/flow/list"), headers={"Authorization": "Bearer P2second:K2"}, timeout=10)
    assert other.status_code == 200
    # the window is measured on the emulator clock
    emulator.advance_clock(31)
    assert list_flows(emulator).status_code == 200
    emulator.set_rate_limits({"descope": None})
    assert all(list_flows(emulator).status_code == 200 for _attempt in range(5))
    assert emulator.reset_rate_limits()["descope"] == {"requests": 100, "per_seconds": 60.0}


def test_default_descope_rate_limit_is_100_per_minute(emulator: EmulatorClient) -> None:
    seed(emulator)
    session = requests.Session()
    statuses = [session.post(emulator.url("/v1/mgmt/flow/list"), headers=AUTH, timeout=10).status_code for _attempt in range(101)]
    assert statuses[:100] == [200] * 100
    assert statuses[100] == 429


def test_fault_respond_with_provider_shape_nth_and_times(emulator: EmulatorClient) -> None:
    seed(emulator)
    fault_id = emulator.add_fault({"provider": "descope", "method": "POST", "path": r"/flow/list$", "nth": 2,
                                   "action": {"type": "respond", "status": 503}})
    assert [list_flows(emulator).status_code for _attempt in range(3)] == [200, 503, 200]
    rule = emulator.faults()[0]
    assert rule["id"] == fault_id and rule["matched"] == 3 and rule["fired"] == 1
    emulator.clear_faults(fault_id)
    assert emulator.faults() == []

    emulator.add_fault({"path": "/flow/list", "times": 2, "action": {"type": "respond", "status": 429, "headers": {"Retry-After": "7"}}})
    first = list_flows(emulator)
    assert first.status_code == 429 and first.headers["Retry-After"] == "7" and first.json()["errorCode"] == "E130429"
    assert [list_flows(emulator).status_code for _attempt in range(2)] == [429, 200]
    assert emulator.requests()[-2]["fault"].startswith("respond:")


def test_fault_respond_custom_body_every_nth_tenant_and_probability(emulator: EmulatorClient) -> None:
    seed(emulator)
    emulator.add_fault({"tenant": PID, "path": "/flow/list", "nth": 2, "every": True,
                        "action": {"type": "respond", "status": 520, "body": {"custom": True}}})
    statuses = [list_flows(emulator) for _attempt in range(4)]
    assert [r.status_code for r in statuses] == [200, 520, 200, 520]
    assert statuses[1].json() == {"custom": True}
    emulator.clear_faults()
    emulator.add_fault({"tenant": "someone-else", "path": "/flow/list", "action": {"type": "respond", "status": 500}})
    emulator.add_fault({"path": "/flow/list", "probability": 0, "action": {"type": "respond", "status": 500}})
    assert list_flows(emulator).status_code == 200
    emulator.add_fault({"path": "/flow/list", "probability": 1, "action": {"type": "respond", "status": 502}})
    assert list_flows(emulator).status_code == 502


def test_fault_reset_drops_connection(emulator: EmulatorClient) -> None:
    seed(emulator)
    emulator.add_fault({"path": "/flow/list", "nth": 1, "action": {"type": "reset"}})
    with pytest.raises(requests.ConnectionError):
        list_flows(emulator)
    assert list_flows(emulator).status_code == 200
    log = emulator.requests()  # in completion order
    assert len(log) == 2
    (entry,) = [e for e in log if e["fault"]]
    assert entry["status"] is None and entry["fault"].startswith("reset:")


def test_fault_stall_delays_then_answers(emulator: EmulatorClient) -> None:
    seed(emulator)
    emulator.add_fault({"path": "/flow/list", "nth": 1, "action": {"type": "stall", "seconds": 0.5}})
    start = time.monotonic()
    assert list_flows(emulator).status_code == 200
    assert time.monotonic() - start >= 0.5
    stall = emulator.add_fault({"path": "/flow/list", "nth": 1, "action": {"type": "stall", "seconds": 1.5}})
    with pytest.raises(requests.Timeout):
        list_flows(emulator, timeout=0.5)
    # The server finishes the abandoned request once the stall is over; wait for it so that its log
    # entry cannot land in the next test's request log.
    deadline = time.monotonic() + 10
    while not [e for e in emulator.requests() if e["fault"] == "stall:%s" % stall]:
        assert time.monotonic() < deadline, [(e["fault"], e["status"], e["path"]) for e in emulator.requests()]
        time.sleep(0.1)


def test_fault_truncate_sends_half_the_body(emulator: EmulatorClient) -> None:
    seed(emulator)
    emulator.add_fault({"path": "/flow/export", "nth": 1, "action": {"type": "truncate"}})
    url = urllib.parse.urlsplit(emulator.base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("POST", "/v2/mgmt/flow/export", body=json.dumps({"flowId": "core-flow"}), headers=AUTH)
    response = conn.getresponse()
    assert response.status == 200
    length = int(response.getheader("Content-Length"))
    with pytest.raises(http.client.IncompleteRead) as err:
        response.read()
    assert len(err.value.partial) == length // 2
    conn.close()
    full = requests.post(emulator.url("/v2/mgmt/flow/export"), headers=AUTH, json={"flowId": "core-flow"}, timeout=10)
    assert len(full.content) == length and full.json()["flow"] == FLOW
    # The truncated read is logged once the server has finished with it: wait, so that it cannot land in the
    # next test's request log and counts.
    _wait_for_log(emulator, 2)


def _wait_for_log(emu: EmulatorClient, count: int = 1, **filters: object) -> list[dict]:
    """The request log once it holds ``count`` matching entries (a dropped connection is logged when the server is done)."""
    deadline = time.monotonic() + 30
    while len(entries := emu.requests(**filters)) < count:  # type: ignore[arg-type]
        assert time.monotonic() < deadline, entries
        time.sleep(0.05)
    return entries


def _import(emu: EmulatorClient, flow_id: str, name: str) -> requests.Response:
    flow = {"flowId": flow_id, "metadata": {"name": name}, "contents": {}}
    return requests.post(emu.url("/v2/mgmt/flow/import"), headers=AUTH, json={"flow": flow}, timeout=10)


def _stored_names(emu: EmulatorClient) -> dict:
    (project,) = emu.snapshot()["descope"]["projects"]
    return {flow_id: flow["metadata"]["name"] for flow_id, flow in project["flows"].items()}


@pytest.mark.parametrize("graceful", [False, True])
def test_fault_reset_after_apply_loses_the_answer_of_a_write_that_landed(emulator: EmulatorClient, graceful: bool) -> None:
    seed(emulator)
    rule = emulator.add_fault({"provider": "descope", "method": "POST", "path": "/flow/import$", "times": 1,
                               "action": {"type": "reset", "apply": True, "graceful": graceful}})
    with pytest.raises(requests.ConnectionError):
        _import(emulator, "landed", "Landed")
    assert _stored_names(emulator)["landed"] == "Landed"  # the write happened
    (entry,) = _wait_for_log(emulator, write=True)
    assert (entry["status"], entry["applied_status"], entry["fault"]) == (None, 200, f"reset:{rule}")
    assert emulator.counts()["descope"][PID] == {"reads": 0, "writes": 1, "writes_ok": 1}
    # without "apply" the request never reaches the route
    emulator.add_fault({"provider": "descope", "path": "/flow/import$", "times": 1, "action": {"type": "reset"}})
    with pytest.raises(requests.ConnectionError):
        _import(emulator, "lost", "Lost")
    assert "lost" not in _stored_names(emulator)
    assert _wait_for_log(emulator, 2, write=True)[-1]["applied_status"] is None
    assert emulator.counts()["descope"][PID]["writes_ok"] == 1


def test_fault_truncate_applies_the_write_first(emulator: EmulatorClient) -> None:
    seed(emulator)
    emulator.add_fault({"provider": "descope", "path": "/flow/import$", "times": 1, "action": {"type": "truncate"}})
    url = urllib.parse.urlsplit(emulator.base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("POST", "/v2/mgmt/flow/import", body=json.dumps({"flow": {"flowId": "half", "metadata": {"name": "Half"}, "contents": {}}}),
                 headers={**AUTH, "Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 200 and int(response.getheader("Content-Length")) == 2  # "{}"
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    conn.close()
    assert _stored_names(emulator)["half"] == "Half"
    (entry,) = _wait_for_log(emulator, write=True)  # logged once the server has closed the connection
    assert (entry["status"], entry["applied_status"], entry["fault"].split(":")[0]) == (200, 200, "truncate")


def test_fault_matched_by_request_body(emulator: EmulatorClient) -> None:
    """A rule with a body regex fires only for requests whose body matches; the route still gets every body intact."""
    seed(emulator)
    rule = emulator.add_fault({"provider": "descope", "path": "/flow/import$", "body": r'"flowId":\s*"second"',
                               "action": {"type": "respond", "status": 500}})
    assert _import(emulator, "first", "First").status_code == 200
    assert _import(emulator, "second", "Second").status_code == 500
    assert _import(emulator, "third", "Third").status_code == 200
    assert _stored_names(emulator) == {"core-flow": "Core", "first": "First", "third": "Third"}
    (entry,) = [r for r in emulator.faults() if r["id"] == rule]
    assert (entry["matched"], entry["fired"]) == (1, 1)
    # a large body, sent in several chunks, reaches the route whole
    big = "x" * 300_000
    assert _import(emulator, "big", big).status_code == 200
    assert _stored_names(emulator)["big"] == big
    with pytest.raises(EmulatorError):
        emulator.add_fault({"path": "/", "body": "(", "action": {"type": "reset"}})
    with pytest.raises(EmulatorError):
        emulator.add_fault({"path": "/", "content_type": 5, "action": {"type": "reset"}})


def test_clock_advances_monotonically(emulator: EmulatorClient) -> None:
    before = emulator.now()
    after = emulator.advance_clock(3600)
    assert after - before >= 3600
    assert emulator.health()["now"] >= after


def test_control_api_is_loopback_only() -> None:
    """Reach the emulator through a non-loopback address of this host, if it has one."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1; nothing is sent, this only picks the outgoing interface
        address = probe.getsockname()[0]
    except OSError:
        address = "127.0.0.1"
    finally:
        probe.close()
    if address.startswith("127."):
        pytest.skip("no non-loopback interface on this machine")
    proc, url = start_emulator(host="0.0.0.0")
    try:
        external = url.replace("0.0.0.0", address)
        assert requests.get(external + "/_emulator/health", timeout=10).status_code == 403
        assert requests.get(url.replace("0.0.0.0", "127.0.0.1") + "/_emulator/health", timeout=10).status_code == 200
    finally:
        stop_emulator(proc)


def test_sigterm_stops_cleanly_with_seed_file(tmp_path: pathlib.Path) -> None:
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps({"descope": {"projects": [{"project_id": PID, "management_key": KEY, "flows": {"core-flow": FLOW}}]}}))
    proc, url = start_emulator(seed=str(seed_file))
    try:
        assert requests.post(url + "/v1/mgmt/flow/list", headers=AUTH, timeout=10).json()["total"] == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        if proc.stdout is not None:
            proc.stdout.close()


def test_prints_exactly_one_line(tmp_path: pathlib.Path) -> None:
    env = {**os.environ, "PYTHONPATH": TESTS_DIR}
    with subprocess.Popen([sys.executable, "-m", "emulator", "--port", "0"], cwd=str(tmp_path), env=env,
                          stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("FLOWOPS_EMULATOR_URL=http://127.0.0.1:")
        proc.send_signal(signal.SIGINT)
        rest, _err = proc.communicate(timeout=15)
        assert rest == ""
        assert proc.returncode == 0


def test_client_snapshot_restore_keeps_number_literals(emulator: EmulatorClient) -> None:
    raw = ('{"descope": {"projects": [{"project_id": "%s", "management_key": "%s", "flows": {"core-flow": '
           '{"metadata": {"name": "Core"}, "contents": {"ratio": 1E-50, "big": 1.0}}}}]}}') % (PID, KEY)
    assert requests.post(emulator.url("/_emulator/seed"), data=raw, timeout=10).status_code == 200
    snap = emulator.snapshot()
    emulator.reset()
    emulator.restore(snap)
    text = requests.post(emulator.url("/v2/mgmt/flow/export"), headers=AUTH, json={"flowId": "core-flow"}, timeout=10).text
    assert '"ratio":1E-50' in text and '"big":1.0' in text


def test_readme_fault_examples_are_accepted(emulator: EmulatorClient) -> None:
    """Every example rule of the README's fault table is valid JSON that the control API accepts (the README stays true)."""
    readme = (pathlib.Path(TESTS_DIR) / "emulator" / "README.md").read_text(encoding="utf-8")
    start = readme.index("| Fault | Rule |")
    rules = []
    for line in readme[start:].splitlines()[2:]:
        if not line.strip().startswith("|"):
            break  # end of the table
        rules.append(json.loads(line.rsplit("| `", 1)[1].rstrip().removesuffix("|").rstrip().removesuffix("`")))
    assert len(rules) >= 9
    for rule in rules:
        emulator.add_fault(rule)
    assert [r["action"]["type"] for r in emulator.faults()] == [r["action"]["type"] for r in rules]
