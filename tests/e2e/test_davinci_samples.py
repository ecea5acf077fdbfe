# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every real DaVinci sample (samples/davinci and its oob/ set) imports, exports and re-imports with zero writes.

Driven through the adapter directly (``plan_present`` + ``Engine``, the same calls ``davinci_flow`` makes)
rather than ansible-playbook: 28 large flows through one module process per step would make this test
slow without testing anything more. The module layer has its own unit and integration tests.
"""

from __future__ import annotations

import glob
import json
import os
import sys
import tempfile

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TESTS)
sys.path.insert(0, TESTS)
from shared_samples import sample  # noqa: E402  pylint: disable=wrong-import-position,import-error

SAMPLES = sample("davinci")


def _import_collection():
    try:
        from ansible_collections.flowops.flows.plugins.module_utils import _davinci  # pylint: disable=import-outside-toplevel
        return _davinci
    except ImportError:
        farm = tempfile.mkdtemp(prefix="flowops-davinci-e2e-")
        os.makedirs(os.path.join(farm, "ansible_collections", "flowops"))
        os.symlink(ROOT, os.path.join(farm, "ansible_collections", "flowops", "flows"))
        sys.path.insert(0, farm)
        for name in [m for m in sys.modules if m == "ansible_collections" or m.startswith("ansible_collections.")]:
            del sys.modules[name]
        from ansible_collections.flowops.flows.plugins.module_utils import _davinci  # pylint: disable=import-outside-toplevel
        return _davinci


dv = _import_collection()
from ansible_collections.flowops.flows.plugins.module_utils._sync import Engine, Item  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.skipif(not os.path.isdir(os.path.join(SAMPLES, "oob")), reason="DaVinci samples not available")

ENV_A = "0b0b0b0b-aaaa-4aaa-8aaa-000000000001"
ENV_B = "0b0b0b0b-bbbb-4bbb-8bbb-000000000002"
CLIENT_ID = "e2e-worker"
SECRET = "e2e-secret-value-1234"


def _connection_names():
    names = {}
    for path in glob.glob(os.path.join(SAMPLES, "*.json")) + glob.glob(os.path.join(SAMPLES, "oob", "*.json")):
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
        for flow in doc.get("flows", [doc]):
            for node in flow["graphData"]["elements"]["nodes"]:
                data = node["data"]
                if data.get("connectionId"):
                    names[data["name"]] = (data["connectorId"], data["connectionId"])
    return names


def _seed(emulator):
    names = _connection_names()
    # Environment A keeps the sample ids (as a bootstrapped environment would); B has different ids for the same names.
    env_a = {"id": ENV_A, "connector_instances": [{"id": cid, "name": n, "connector": {"id": c}} for n, (c, cid) in names.items()]}
    env_b = {"id": ENV_B, "connector_instances": [{"name": n, "connector": {"id": c}} for n, (c, _cid) in names.items()]}
    emulator.seed({"davinci": {"environments": [env_a, env_b],
                               "workers": [{"environment_id": ENV_A, "client_id": CLIENT_ID, "client_secret": SECRET,
                                            "environments": [ENV_A, ENV_B]}]}})


def _client(emulator, env):
    return dv.DaVinciClient(env, CLIENT_ID, SECRET, worker_environment_id=ENV_A, api_url=emulator.base_url + "/v1",
                            auth_url=emulator.base_url, retries=0, pool_size=4)


def _apply(emulator, env, src):
    client = _client(emulator, env)
    try:
        adapter, items = dv.plan_present(client, dv.load_sources(src))
        return Engine(adapter, parallel=4).apply(items)
    finally:
        client.close()


def _changed(report):
    return [(f["name"], f["action"], f.get("deployed"), f.get("enabled")) for f in report["flows"] if f.get("changed")]


def _writes(emulator, env):
    return emulator.counts().get("davinci", {}).get(env, {}).get("writes", 0)


def _export(emulator, env, names, dest):
    client = _client(emulator, env)
    try:
        flows = client.list_flows()
        items = []
        for name in names:
            fid, _unused = dv.find_flow(client, name=name, flows=flows)
            items.append(Item(fid, name=name, data={"id": fid}))
        adapter = dv.ExportAdapter(client, dest)
        return Engine(adapter, parallel=4).export(items, adapter.files_for)
    finally:
        client.close()


def _check_references(emulator, env):
    """Every connection and subflow reference of every flow in ``env`` points at an object of ``env``."""
    client = _client(emulator, env)
    try:
        instances = {i["id"] for i in client.list_connector_instances()}
        flows = client.list_flows()
        flow_ids = {f["id"] for f in flows}
        for summary in flows:
            flow = client.get_flow(summary["id"])
            for node in flow["graphData"]["elements"]["nodes"]:
                data = node["data"]
                if data.get("connectionId"):
                    assert data["connectionId"] in instances, (flow["name"], data["id"])
                ref = ((data.get("properties") or {}).get("subFlowId") or {}).get("value")
                if isinstance(ref, dict) and ref.get("value"):
                    assert ref["value"] in flow_ids, (flow["name"], data["id"], ref)
    finally:
        client.close()


def _roundtrip(emulator, tmp_path, src, tops):
    first = _apply(emulator, ENV_A, src)
    assert {f["action"] for f in first["flows"]} <= {"created", "updated", "unchanged"}
    emulator.clear_requests()
    again = _apply(emulator, ENV_A, src)
    assert not again["changed"], _changed(again)
    assert _writes(emulator, ENV_A) == 0

    dest = str(tmp_path / "export")
    exported = _export(emulator, ENV_A, tops, dest)
    assert all(f["action"] == "exported" for f in exported["flows"])
    files = sorted(os.listdir(dest))
    assert len(files) == len({s.name for s in dv.load_sources(src)} | set(tops)) or files
    for name in files:   # portable: no source ids left
        with open(os.path.join(dest, name), encoding="utf-8") as handle:
            text = handle.read()
        assert ENV_A not in text
        assert '"connectionId": "@connection:' in text or '"connectionId"' not in text

    # exporting again rewrites nothing
    assert not _export(emulator, ENV_A, tops, dest)["changed"]

    emulator.clear_requests()
    back = _apply(emulator, ENV_A, dest)
    assert not back["changed"], _changed(back)
    assert _writes(emulator, ENV_A) == 0

    promoted = _apply(emulator, ENV_B, dest)
    assert promoted["changed"]
    _check_references(emulator, ENV_B)
    emulator.clear_requests()
    again_b = _apply(emulator, ENV_B, dest)
    assert not again_b["changed"], _changed(again_b)
    assert _writes(emulator, ENV_B) == 0


def test_oob_flows_roundtrip(emulator, tmp_path):
    _seed(emulator)
    _roundtrip(emulator, tmp_path, os.path.join(SAMPLES, "oob"), ["PingOne SSO Authentication Sensei - MASTER", "PingOne Authorize Flow",
                                                                  "PingOne Auto enroll user in email"])


def test_multiple_flows_roundtrip(emulator, tmp_path):
    _seed(emulator)
    _roundtrip(emulator, tmp_path, os.path.join(SAMPLES, "multiple-flows.json"), ["full-basic"])


@pytest.mark.parametrize("sample", ["full-minimal.json", "full-basic-vars.json"])
def test_single_flow_roundtrip(emulator, tmp_path, sample):
    _seed(emulator)
    # full-basic-vars calls 'subflow 1' and 'subflow 2', which are not in the samples: they exist in both targets.
    for env in (ENV_A, ENV_B):
        emulator.seed({"davinci": {"environments": [{"id": env, "flows": [
            {"name": "subflow %d" % i, "currentVersion": 1, "publishedVersion": 1, "graphData": {"elements": {"nodes": [], "edges": []}}}
            for i in (1, 2)]}]}})
    src = os.path.join(SAMPLES, sample)
    name = dv.load_sources(src)[0].name
    _roundtrip(emulator, tmp_path, src, [name])
