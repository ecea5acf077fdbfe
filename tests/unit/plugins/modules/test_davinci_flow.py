# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""davinci_flow, davinci_flow_info and davinci_variable in-process, against an in-memory DaVinci client."""

from __future__ import annotations

import copy
import itertools
import json
import os

import pytest

from ansible_collections.flowops.flows.plugins.module_utils._http import ApiError
from ansible_collections.flowops.flows.plugins.modules import davinci_flow, davinci_flow_info, davinci_variable

from .utils import run_module

CONN = {"environment_id": "env-1", "client_id": "cid", "client_secret": "s3cr3t-value", "api_url": "http://unused/v1", "auth_url": "http://unused"}
_ids = itertools.count(1)


def new_id():
    return "%032x" % next(_ids)


class FakeClient:
    """The DaVinciClient surface, in memory; ``writes`` lists every write call."""

    environment_id = "env-1"

    def __init__(self, instances=None, flows=None, variables=None, fail=None):
        self.instances = instances if instances is not None else [
            {"id": "t-http", "name": "my-http", "connector": {"id": "httpConnector"}},
            {"id": "t-flow", "name": "my-flow", "connector": {"id": "flowConnector"}}]
        self.flows = flows or {}
        self.variables = variables or []
        self.writes = []
        self.fail = fail or {}
        self.policies = set()

    def _check(self, op):
        if op in self.fail:
            raise self.fail[op]

    def close(self):
        pass

    def list_flows(self):
        return [{"id": f["id"], "name": f["name"], "currentVersion": f["currentVersion"], "publishedVersion": f.get("publishedVersion"),
                 "enabled": f.get("enabled", True)} for f in self.flows.values()]

    def get_flow(self, flow_id):
        flow = self.flows.get(flow_id)
        return copy.deepcopy(flow) if flow else None

    def create_flow(self, body):
        self.writes.append(("create", body["name"]))
        self._check("create")
        fid = new_id()
        self.flows[fid] = dict(copy.deepcopy(body), id=fid, currentVersion=1, enabled=True, dvlinterErrorCount=0)
        return copy.deepcopy(self.flows[fid])

    def replace_flow(self, flow_id, body):
        self.writes.append(("replace", flow_id))
        self._check("replace")
        old = self.flows[flow_id]
        self.flows[flow_id] = dict(copy.deepcopy(body), id=flow_id, currentVersion=old["currentVersion"] + 1, enabled=old.get("enabled", True))
        if "publishedVersion" in old:
            self.flows[flow_id]["publishedVersion"] = old["publishedVersion"]
        return copy.deepcopy(self.flows[flow_id])

    def deploy_flow(self, flow_id):
        self.writes.append(("deploy", flow_id))
        self.flows[flow_id]["publishedVersion"] = self.flows[flow_id]["currentVersion"]
        return copy.deepcopy(self.flows[flow_id])

    def set_enabled(self, flow_id, enabled):
        self.writes.append(("enable", flow_id))
        self.flows[flow_id]["enabled"] = enabled

    def delete_flow(self, flow_id):
        self.writes.append(("delete", flow_id))
        if flow_id in self.policies:
            raise ApiError("davinci", 400, "INVALID_DATA", "validation errors [id: This Flow is in a Application Flow Policy (CONSTRAINT_VIOLATION)]")
        return self.flows.pop(flow_id, None) is not None

    def export_version(self, flow_id, version, include_subflows=False, include_variable_values=False):
        def one(fid):
            flow = copy.deepcopy(self.flows[fid])
            out = {k: v for k, v in flow.items() if k not in ("id", "name", "currentVersion")}
            out.update({"flow": {"id": fid, "name": flow["name"]}, "version": flow["currentVersion"], "environment": {"id": "env-1"}})
            out["variables"] = [{"name": "%s##SK##flow##SK##%s" % (v["name"], fid), "context": "flow", "flowId": fid, "id": v["id"],
                                 "fields": {"type": v["dataType"]}} for v in self.variables if (v.get("flow") or {}).get("id") == fid]
            return out
        doc = one(flow_id)
        if include_subflows:
            subs = []
            for node in doc["graphData"]["elements"]["nodes"]:
                ref = ((node["data"].get("properties") or {}).get("subFlowId") or {}).get("value")
                if ref and ref["value"] in self.flows:
                    subs.append(one(ref["value"]))
            if subs:
                doc["_embedded"] = subs
        return doc

    def list_versions(self, flow_id):
        return [{"version": v} for v in range(1, self.flows[flow_id]["currentVersion"] + 1)]

    def list_connector_instances(self):
        return copy.deepcopy(self.instances)

    def list_variables(self):
        return copy.deepcopy(self.variables)

    def create_variable(self, body):
        self.writes.append(("create_variable", body["name"]))
        var = dict(copy.deepcopy(body), id=new_id())
        self.variables.append(var)
        return var

    def replace_variable(self, variable_id, body):
        self.writes.append(("replace_variable", variable_id))
        for index, var in enumerate(self.variables):
            if var["id"] == variable_id:
                self.variables[index] = dict(copy.deepcopy(body), id=variable_id)
        return body

    def get_variable(self, variable_id):
        for var in self.variables:
            if var["id"] == variable_id:
                out = copy.deepcopy(var)
                if out.get("dataType") == "secret" and "value" in out:
                    out["value"] = "******"
                return out
        return None

    def delete_variable(self, variable_id):
        self.writes.append(("delete_variable", variable_id))
        self.variables = [v for v in self.variables if v["id"] != variable_id]


def node(nid, conn_id, name, connector, props=None):
    data = {"id": nid, "nodeType": "CONNECTION", "connectionId": conn_id, "name": name, "connectorId": connector}
    if props:
        data["properties"] = props
    return {"data": data, "position": {"x": 10, "y": 20}}


def api_export():
    """A PingOne API export: parent + two subflows, from another environment (other ids)."""
    def sub(fid, name):
        return {"flow": {"id": fid, "name": name}, "version": 2, "publishedVersion": 2, "environment": {"id": "src-env"},
                "graphData": {"elements": {"nodes": [node("s1", "src-http", "my-http", "httpConnector")], "edges": []}},
                "settings": {"logLevel": 2}}
    parent = sub("src-parent", "parent")
    for i in (1, 2):
        ref = {"subFlowId": {"value": {"label": "child %d" % i, "value": "src-child-%d" % i}}, "subFlowVersionId": {"value": -1}}
        parent["graphData"]["elements"]["nodes"].append(node("p%d" % i, "src-flowconn", "my-flow", "flowConnector", ref))
    parent["variables"] = [{"name": "counter##SK##flow##SK##src-parent", "context": "flow", "flowId": "src-parent", "fields": {"type": "number"}}]
    parent["_embedded"] = [sub("src-child-1", "child 1"), sub("src-child-2", "child 2")]
    return parent


@pytest.fixture
def fake(monkeypatch):
    client = FakeClient()
    for module in (davinci_flow, davinci_flow_info, davinci_variable):
        monkeypatch.setattr(module, "client_from_params", lambda params, http_options, on_secret=None: client)
    return client


def write_src(tmp_path, doc, name="src.json"):
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


def run_flow(capfd, args, **kw):
    return run_module(davinci_flow.main, capfd, dict(CONN, **args), **kw)


def test_present_check_apply_reapply_contract(fake, capfd, tmp_path):
    src = write_src(tmp_path, api_export())
    rc, result, _unused = run_flow(capfd, {"src": src}, check_mode=True, diff=True)
    assert rc == 0 and result["changed"] and fake.writes == []
    expected = [("parent", "created", None), ("child 1", "created", None), ("child 2", "created", None)]
    assert [(f["name"], f["action"], f["id"]) for f in result["flows"]] == expected
    assert result["diff"]

    rc, result, _unused = run_flow(capfd, {"src": src})
    assert rc == 0 and result["changed"]
    creates = [w for w in fake.writes if w[0] == "create"]
    assert [w[1] for w in creates][-1] == "parent"      # subflows first
    parent = next(f for f in fake.flows.values() if f["name"] == "parent")
    child_ids = {f["name"]: f["id"] for f in fake.flows.values()}
    nodes = parent["graphData"]["elements"]["nodes"]
    assert [n["data"]["connectionId"] for n in nodes] == ["t-http", "t-flow", "t-flow"]
    assert [n["data"]["properties"]["subFlowId"]["value"]["value"] for n in nodes[1:]] == [child_ids["child 1"], child_ids["child 2"]]
    assert parent["publishedVersion"] == parent["currentVersion"]
    assert fake.variables == [{"name": "counter", "context": "flow", "dataType": "number", "mutable": True, "flow": {"id": parent["id"]},
                               "id": fake.variables[0]["id"]}]
    assert "s3cr3t-value" not in json.dumps(result)

    fake.writes.clear()
    rc, result, _unused = run_flow(capfd, {"src": src})
    assert rc == 0 and not result["changed"] and fake.writes == []
    assert {f["action"] for f in result["flows"]} == {"unchanged"}
    rc, result, _unused = run_flow(capfd, {"src": src}, check_mode=True)
    assert not result["changed"] and fake.writes == []


def test_update_keeps_id_and_layout_option(fake, capfd, tmp_path):
    doc = api_export()
    src = write_src(tmp_path, doc)
    run_flow(capfd, {"src": src})
    parent_id = next(f["id"] for f in fake.flows.values() if f["name"] == "parent")
    doc["graphData"]["elements"]["nodes"][0]["position"] = {"x": 99, "y": 99}
    write_src(tmp_path, doc)
    fake.writes.clear()
    _rc, result, _unused = run_flow(capfd, {"src": src, "ignore_layout": True})
    assert not result["changed"] and fake.writes == []
    _rc, result, _unused = run_flow(capfd, {"src": src})
    assert result["flows"][0]["action"] == "updated", result["msg"]
    assert result["flows"][0]["id"] == parent_id
    assert fake.writes == [("replace", parent_id), ("deploy", parent_id)]
    assert fake.flows[parent_id]["currentVersion"] == 2


@pytest.mark.parametrize("answer", ["stale", "trimmed"])
def test_a_deploy_that_does_not_publish_the_written_version_fails_and_rolls_back(fake, capfd, tmp_path, answer):
    """The deploy's answer is the verify of the deploy (the roles read nothing again after the modules); an answer
    without publishedVersion (optional in the API's schema) is checked by reading the flow."""
    doc = api_export()
    src = write_src(tmp_path, doc)
    run_flow(capfd, {"src": src})
    parent_id = next(f["id"] for f in fake.flows.values() if f["name"] == "parent")
    before = copy.deepcopy(fake.flows[parent_id])
    doc["graphData"]["elements"]["nodes"][0]["data"]["properties"] = {"url": {"value": "https://changed.example"}}
    write_src(tmp_path, doc)

    def stale_deploy(flow_id):
        fake.writes.append(("deploy", flow_id))
        if answer == "trimmed":   # nothing published, and an answer that does not say so
            return {k: v for k, v in fake.flows[flow_id].items() if k != "publishedVersion"}
        return dict(copy.deepcopy(fake.flows[flow_id]), publishedVersion=before["publishedVersion"])
    fake.deploy_flow = stale_deploy
    rc, result, _unused = run_flow(capfd, {"src": src})
    assert rc == 1 and "after the deploy the published version is 1, not the version written (2)" in result["msg"]
    parent = next(f for f in result["flows"] if f["name"] == "parent")
    assert parent["action"] == "failed" and parent["rollback"] == "restored"
    assert fake.flows[parent_id]["graphData"] == before["graphData"]   # rolled back from the document read before


def test_a_deploy_answer_without_published_version_is_checked_by_a_read(fake, capfd, tmp_path):
    doc = api_export()
    src = write_src(tmp_path, doc)
    run_flow(capfd, {"src": src})
    parent_id = next(f["id"] for f in fake.flows.values() if f["name"] == "parent")
    doc["graphData"]["elements"]["nodes"][0]["data"]["properties"] = {"url": {"value": "https://changed.example"}}
    write_src(tmp_path, doc)
    deploy = fake.deploy_flow
    fake.deploy_flow = lambda flow_id: {k: v for k, v in deploy(flow_id).items() if k != "publishedVersion"}
    reads = _counting(fake, "get_flow")
    rc, result, _unused = run_flow(capfd, {"src": src})
    assert rc == 0 and reads["get_flow"] >= 1, result.get("msg")
    parent = next(f for f in result["flows"] if f["name"] == "parent")
    assert parent["action"] == "updated" and parent["published_version"] == 2 == fake.flows[parent_id]["publishedVersion"]


def test_export_writes_portable_files_then_reimports_unchanged(fake, capfd, tmp_path):
    run_flow(capfd, {"src": write_src(tmp_path, api_export())})
    dest = str(tmp_path / "out")
    _rc, result, _unused = run_flow(capfd, {"state": "exported", "name": "parent", "dest": dest})
    assert result["changed"] and sorted(os.listdir(dest)) == ["child 1.json", "child 2.json", "parent.json"]
    with open(os.path.join(dest, "parent.json"), encoding="utf-8") as handle:
        parent = json.load(handle)
    nodes = parent["graphData"]["elements"]["nodes"]
    assert nodes[1]["data"]["connectionId"] == "@connection:my-flow"
    assert nodes[1]["data"]["properties"]["subFlowId"]["value"] == {"label": "child 1", "value": "@flow:child 1"}
    assert parent["variables"][0]["name"] == "counter##SK##flow##SK##@self"
    assert "version" not in parent and "environment" not in parent
    _rc, result, _unused = run_flow(capfd, {"state": "exported", "name": "parent", "dest": dest})
    assert not result["changed"]
    fake.writes.clear()
    _rc, result, _unused = run_flow(capfd, {"src": dest})
    assert not result["changed"] and fake.writes == []


def _tree(path):
    return {name: (path / name).read_bytes() for name in sorted(os.listdir(str(path)))}


def _counting(fake, *methods):
    calls = {name: 0 for name in methods}
    for name in methods:
        original = getattr(fake, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)
        setattr(fake, name, counted)
    return calls


def test_export_names_writes_what_single_exports_write_with_one_listing(fake, capfd, tmp_path):
    run_flow(capfd, {"src": write_src(tmp_path, api_export())})
    for name in ("parent", "child 1"):
        run_flow(capfd, {"state": "exported", "name": name, "dest": str(tmp_path / "single")})
    calls = _counting(fake, "list_flows", "list_connector_instances")
    _rc, result, _unused = run_flow(capfd, {"state": "exported", "names": ["parent", "child 1", "parent"], "dest": str(tmp_path / "bulk")})
    assert result["changed"] and [f["name"] for f in result["flows"]] == ["parent", "child 1"]
    assert _tree(tmp_path / "bulk") == _tree(tmp_path / "single")   # the shared subflow "child 1" is one file
    assert calls == {"list_flows": 1, "list_connector_instances": 1}
    _rc, result, _unused = run_flow(capfd, {"state": "exported", "names": ["parent", "child 1"], "dest": str(tmp_path / "bulk")})
    assert not result["changed"] and {f["action"] for f in result["flows"]} == {"unchanged"}


def test_export_names_takes_versions_from_the_listing_or_reads_each_flow(fake, capfd, tmp_path):
    """Reference F1: list items may leave out currentVersion/publishedVersion; the export is the same either way."""
    run_flow(capfd, {"src": write_src(tmp_path, api_export())})
    calls = _counting(fake, "get_flow")
    run_flow(capfd, {"state": "exported", "names": ["parent"], "dest": str(tmp_path / "listed")})
    assert calls["get_flow"] == 0
    listing = fake.list_flows
    fake.list_flows = lambda: [{k: v for k, v in f.items() if k not in ("currentVersion", "publishedVersion")} for f in listing()]
    run_flow(capfd, {"state": "exported", "names": ["parent"], "dest": str(tmp_path / "read")})
    assert calls["get_flow"] == 1   # the parent (its subflows come embedded in its export)
    assert _tree(tmp_path / "listed") == _tree(tmp_path / "read") and len(_tree(tmp_path / "read")) == 3


def test_export_names_refuses_one_subflow_at_two_versions(fake, capfd, tmp_path):
    """Two flows of one bulk export that embed one subflow at different versions cannot share its file: an error
    naming the subflow and both flows, not a file holding whichever version was written last."""
    run_flow(capfd, {"src": write_src(tmp_path, api_export())})
    other = api_export()
    other["flow"] = {"id": "src-other", "name": "other parent"}
    run_flow(capfd, {"src": write_src(tmp_path, other, "other.json")})
    child = next(fid for fid, f in fake.flows.items() if f["name"] == "child 1")
    other_id = next(fid for fid, f in fake.flows.items() if f["name"] == "other parent")
    export_version = fake.export_version

    def pinned(flow_id, version, include_subflows=False, include_variable_values=False):
        doc = export_version(flow_id, version, include_subflows, include_variable_values)
        for sub in doc.get("_embedded") or []:
            if flow_id == other_id and sub["flow"]["id"] == child:   # "other parent" pins an older child 1
                sub["settings"] = {"logLevel": 1}
        return doc
    fake.export_version = pinned
    rc, result, _unused = run_flow(capfd, {"state": "exported", "names": ["parent", "other parent"], "dest": str(tmp_path / "bulk")})
    assert rc == 1
    assert "subflow 'child 1' differs between flows" in result["msg"] and "'parent'" in result["msg"] and "'other parent'" in result["msg"]
    # the same version of a shared subflow is written once, without an error
    fake.export_version = export_version
    rc, result, _unused = run_flow(capfd, {"state": "exported", "names": ["parent", "other parent"], "dest": str(tmp_path / "same")})
    assert rc == 0 and "child 1.json" in _tree(tmp_path / "same")


def test_export_names_checks_every_name_before_exporting(fake, capfd, tmp_path):
    run_flow(capfd, {"src": write_src(tmp_path, api_export())})
    dest = tmp_path / "bulk"
    rc, result, _unused = run_flow(capfd, {"state": "exported", "names": ["nope", "parent", "gone"], "dest": str(dest)})
    assert rc == 1 and "names: no flow named 'nope', 'gone' in environment env-1" in result["msg"]
    assert not dest.exists()
    rc, result, _unused = run_flow(capfd, {"state": "exported", "names": ["parent", ""], "dest": str(dest)})
    assert rc == 1 and "names: expected a list of flow names" in result["msg"]


@pytest.mark.parametrize("args, expected", [
    ({"state": "present", "src": "x"}, "names is only used with state=exported (state is present)"),
    ({"state": "absent", "name": "parent"}, "mutually exclusive: flow_id|name|names"),
    ({"state": "exported", "name": "parent", "dest": "x"}, "mutually exclusive: flow_id|name|names"),
])
def test_names_is_only_for_exports(fake, capfd, args, expected):
    rc, result, _unused = run_flow(capfd, dict(args, names=["parent"]))
    assert rc == 1 and expected in result["msg"]
    assert fake.writes == []


def test_export_with_values_warns(fake, capfd, tmp_path):
    run_flow(capfd, {"src": write_src(tmp_path, api_export())})
    _rc, result, _unused = run_flow(capfd, {"state": "exported", "name": "parent", "dest": str(tmp_path / "o"), "include_variable_values": True})
    assert "clear text" in json.dumps(result.get("warnings"))


@pytest.mark.parametrize("content, expected", [
    ('{"name": "x", "graphData": ', "src.json: line 1"),
    (json.dumps({"flowId": "sign-up-or-in", "screens": [], "contents": {}}), "Descope"),
])
def test_bad_files_fail_without_writes(fake, capfd, tmp_path, content, expected):
    rc, result, _unused = run_flow(capfd, {"src": write_src(tmp_path, content)})
    assert rc == 1 and result["failed"] and expected in result["msg"]
    assert fake.writes == []


def test_unknown_connections_all_listed_in_one_error(fake, capfd, tmp_path):
    fake.instances = []
    rc, result, _unused = run_flow(capfd, {"src": write_src(tmp_path, api_export())})
    assert rc == 1 and fake.writes == []
    assert result["msg"].count("not found in the target environment") == 5
    assert "flow 'parent'" in result["msg"] and "node p2" in result["msg"] and "flow 'child 1'" in result["msg"]


def test_connection_map_resolves(fake, capfd, tmp_path):
    fake.instances = [{"id": "a1", "name": "A"}, {"id": "b1", "name": "B"}]
    _rc, result, _unused = run_flow(capfd, {"src": write_src(tmp_path, api_export()), "connection_map": {"my-http": "a1", "src-flowconn": "b1"}})
    assert result["changed"]
    parent = next(f for f in fake.flows.values() if f["name"] == "parent")
    assert [n["data"]["connectionId"] for n in parent["graphData"]["elements"]["nodes"]] == ["a1", "b1", "b1"]


def test_subflow_missing_from_source_is_an_error(fake, capfd, tmp_path):
    doc = api_export()
    del doc["_embedded"]
    rc, result, _unused = run_flow(capfd, {"src": write_src(tmp_path, doc)})
    assert rc == 1 and fake.writes == []
    assert "subflow 'child 1' (id src-child-1) is missing from the source export" in result["msg"]
    assert "node p1" in result["msg"] and "'parent'" in result["msg"]


def test_server_error_names_the_flow(fake, capfd, tmp_path):
    fake.fail["create"] = ApiError("davinci", 415, "INVALID_REQUEST", "Content-Type not supported", method="POST", url="/v1/environments/env-1/flows")
    rc, result, _unused = run_flow(capfd, {"src": write_src(tmp_path, api_export())})
    assert rc == 1 and "HTTP 415" in result["msg"] and "child 1" in result["msg"]
    assert not fake.flows


def test_duplicate_names_in_target(fake, capfd, tmp_path):
    for _count in range(2):
        fake.create_flow({"name": "parent", "graphData": {"elements": {"nodes": []}}})
    rc, result, _unused = run_flow(capfd, {"state": "absent", "name": "parent"})
    assert rc == 1 and "2 flows are named 'parent'" in result["msg"]


def test_absent_and_policy_error(fake, capfd, tmp_path):
    run_flow(capfd, {"src": write_src(tmp_path, api_export())})
    parent_id = next(f["id"] for f in fake.flows.values() if f["name"] == "parent")
    fake.policies.add(parent_id)
    rc, result, _unused = run_flow(capfd, {"state": "absent", "name": "parent"})
    assert rc == 1 and "used by an application flow policy" in result["msg"]
    fake.policies.clear()
    _rc, result, _unused = run_flow(capfd, {"state": "absent", "flow_id": parent_id}, check_mode=True)
    assert result["changed"] and parent_id in fake.flows
    _rc, result, _unused = run_flow(capfd, {"state": "absent", "flow_id": parent_id})
    assert result["changed"] and parent_id not in fake.flows
    _rc, result, _unused = run_flow(capfd, {"state": "absent", "name": "parent"})
    assert not result["changed"] and result["flows"][0]["action"] == "absent"


def test_enabled_managed_only_when_set(fake, capfd, tmp_path):
    src = write_src(tmp_path, api_export())
    run_flow(capfd, {"src": src})
    fake.writes.clear()
    _rc, result, _unused = run_flow(capfd, {"src": src, "enabled": False}, check_mode=True)
    assert result["changed"] and fake.writes == []
    assert [f["action"] for f in result["flows"]] == ["disabled"] * 3 and result["msg"] == "check mode: 3 disabled"
    _rc, result, _unused = run_flow(capfd, {"src": src, "enabled": False})
    assert result["changed"] and [w[0] for w in fake.writes] == ["enable"] * 3
    assert [f["action"] for f in result["flows"]] == ["disabled"] * 3 and result["msg"] == "3 disabled"
    assert all(f["changed"] and f["enabled"] is False for f in result["flows"])
    fake.writes.clear()
    _rc, result, _unused = run_flow(capfd, {"src": src, "enabled": True})
    assert [f["action"] for f in result["flows"]] == ["enabled"] * 3 and result["msg"] == "3 enabled"
    fake.writes.clear()
    _rc, result, _unused = run_flow(capfd, {"src": src})
    assert not result["changed"] and fake.writes == [] and [f["action"] for f in result["flows"]] == ["unchanged"] * 3


def test_info_lists_flows_versions_and_content(fake, capfd, tmp_path):
    run_flow(capfd, {"src": write_src(tmp_path, api_export())})
    fake.writes.clear()
    _rc, result, _unused = run_module(davinci_flow_info.main, capfd, CONN)
    assert sorted(f["name"] for f in result["flows"]) == ["child 1", "child 2", "parent"] and not result["changed"]
    _rc, result, _unused = run_module(davinci_flow_info.main, capfd, dict(CONN, name="parent", versions=True, content=True))
    (flow,) = result["flows"]
    assert flow["current_version"] == 1 and flow["published_version"] == 1 and flow["versions"] == [
        {"version": 1, "alias": None, "created_at": None, "updated_at": None, "deployed_at": None}]
    assert flow["content"]["graphData"]["elements"]["nodes"][0]["data"]["connectionId"] == "@connection:my-http"
    assert sorted(flow["subflows"]) == ["child 1", "child 2"]
    assert fake.writes == []


def run_var(capfd, args, **kw):
    return run_module(davinci_variable.main, capfd, dict(CONN, **args), **kw)


def test_variable_contract(fake, capfd):
    args = {"name": "url", "data_type": "string", "value": "https://a"}
    _rc, result, _unused = run_var(capfd, args, check_mode=True)
    assert result["changed"] and fake.writes == []
    _rc, result, _unused = run_var(capfd, args)
    assert result["changed"] and result["variable"]["action"] == "created"
    _rc, result, _unused = run_var(capfd, args)
    assert not result["changed"]
    _rc, result, _unused = run_var(capfd, dict(args, value="https://b"), diff=True)
    assert result["changed"] and result["variable"]["action"] == "updated" and result["diff"]
    _rc, result, _unused = run_var(capfd, {"name": "url", "state": "absent"})
    assert result["changed"] and not fake.variables


def test_secret_variable_update_modes(fake, capfd):
    args = {"name": "apiKey", "data_type": "secret", "value": "top-secret-123"}
    _rc, result, out = run_var(capfd, args, diff=True)
    assert result["changed"] and "top-secret-123" not in out
    writes = len(fake.writes)
    _rc, result, _unused = run_var(capfd, dict(args, value="changed-secret-456"))
    assert not result["changed"] and len(fake.writes) == writes     # on_create: never compared
    _rc, result, out = run_var(capfd, dict(args, value="changed-secret-456", update_secret="always"), diff=True)
    assert result["changed"] and "changed-secret-456" not in out and fake.variables[0]["value"] == "changed-secret-456"


def test_variable_validation(fake, capfd):
    rc, result, _unused = run_var(capfd, {"name": "x", "context": "flow", "data_type": "string"})
    assert rc == 1 and "flow is required" in result["msg"]
    rc, result, _unused = run_var(capfd, {"name": "x", "context": "flowInstance", "data_type": "secret"})
    assert rc == 1 and "context company" in result["msg"]
    rc, result, _unused = run_var(capfd, {"name": "x"})
    assert rc == 1 and "data_type is required" in result["msg"]
    assert fake.writes == []
