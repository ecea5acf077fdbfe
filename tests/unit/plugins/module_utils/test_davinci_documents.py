# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DaVinci document formats, normalisation and remapping (pure functions)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.flowops.flows.plugins.module_utils._davinci_documents import (
    RemapError,
    Remapper,
    detect_format,
    flow_order,
    keep_variable_values,
    normalise,
    split_document,
    to_portable,
    write_body,
)

SRC_HTTP = "867ed4363b2bc21c860085ad2baa817d"
SRC_FLOW_CONN = "2581eb287bb1d9bd29ae9886d675f89f"
PARENT = "8d7ec5e438e76128c6388c045348c47e"
CHILD = "e7cf51f064dad2d3888f55c4616e5c37"


def node(nid, conn_id=None, name=None, connector=None, props=None, **extra):
    data = {"id": nid, "nodeType": "CONNECTION" if conn_id else "EVAL"}
    if conn_id:
        data.update({"connectionId": conn_id, "name": name, "connectorId": connector})
    if props is not None:
        data["properties"] = props
    out = {"data": data, "position": {"x": 1, "y": 2}, "group": "nodes"}
    out.update(extra)
    return out


def legacy_parent():
    return {
        "flowId": PARENT, "companyId": "env-src", "name": "parent", "currentVersion": 4, "publishedVersion": 4, "flowColor": "#fff",
        "createdDate": 1, "timeouts": "null", "settings": {"logLevel": 2, "useCustomCSS": "true"},
        "graphData": {"elements": {"nodes": [
            node("n1", SRC_HTTP, "my-http", "httpConnector"),
            node("n2", SRC_FLOW_CONN, "my-flow", "flowConnector",
                 {"subFlowId": {"value": {"label": "child", "value": CHILD}}, "subFlowVersionId": {"value": -1}}),
        ], "edges": [{"data": {"id": "e1", "source": "n1", "target": "n2"}}]}, "zoom": 1, "pan": {"x": 0, "y": 0}},
        "variables": [{"name": "v1##SK##flow##SK##" + PARENT, "flowId": PARENT, "context": "flow", "id": "uuid-1", "companyId": "env-src",
                       "fields": {"type": "string", "value": "x"}},
                      {"name": "c1##SK##company", "context": "company", "fields": {"type": "string"}}],
    }


def test_detect_format():
    assert detect_format(legacy_parent()) == "legacy"
    assert detect_format({"flows": [legacy_parent()]}) == "legacy-multi"
    assert detect_format({"flow": {"id": "x", "name": "n"}, "graphData": {}}) == "api"
    assert detect_format({"name": "n", "graphData": {}}) == "portable"
    with pytest.raises(RemapError, match="Descope"):
        detect_format({"flowId": "sign-up", "screens": [], "contents": {}})
    with pytest.raises(RemapError, match="not a DaVinci flow document"):
        detect_format([1, 2])


def test_split_api_export_with_embedded_subflows():
    doc = {"_links": {}, "flow": {"id": PARENT, "name": "parent"}, "environment": {"id": "e"}, "version": 3, "graphData": {"elements": {}},
           "_embedded": [{"flow": {"id": CHILD, "name": "child"}, "version": 1, "graphData": {"elements": {}}}]}
    parts = split_document(doc)
    assert [(p[0]["name"], p[1], p[2]) for p in parts] == [("parent", PARENT, "flow"), ("child", CHILD, "subflow")]
    assert "version" not in parts[0][0] and "environment" not in parts[0][0]


def test_legacy_conversion_drops_metadata_and_renames_keys():
    flat, fid, _role = split_document(legacy_parent())[0]
    assert fid == PARENT
    assert flat["color"] == "#fff"
    for key in ("flowId", "companyId", "currentVersion", "createdDate", "timeouts", "flowColor"):
        assert key not in flat


def test_portable_then_remap_points_at_target_objects():
    flat, fid, _unused = split_document(legacy_parent())[0]
    portable = to_portable(flat, fid, {SRC_HTTP: "my-http", SRC_FLOW_CONN: "my-flow"}, {CHILD: "child"})
    nodes = portable["graphData"]["elements"]["nodes"]
    assert nodes[0]["data"]["connectionId"] == "@connection:my-http"
    assert nodes[1]["data"]["properties"]["subFlowId"]["value"] == {"label": "child", "value": "@flow:child"}
    assert portable["variables"][0]["name"] == "v1##SK##flow##SK##@self"
    assert "id" not in portable["variables"][0] and "companyId" not in portable["variables"][0]

    instances = [{"id": "t-http", "name": "my-http", "connector": {"id": "httpConnector"}},
                 {"id": "t-flow", "name": "my-flow", "connector": {"id": "flowConnector"}}]
    remapper = Remapper(instances)
    assert remapper.check_connections(portable, "parent") == []
    out = remapper.remap(portable, None, "t-parent", {}, {"child": "t-child"}.get)
    nodes = out["graphData"]["elements"]["nodes"]
    assert [n["data"].get("connectionId") for n in nodes] == ["t-http", "t-flow"]
    assert nodes[1]["data"]["properties"]["subFlowId"]["value"] == {"label": "child", "value": "t-child"}
    assert out["variables"][0]["name"] == "v1##SK##flow##SK##t-parent"
    assert out["variables"][0]["flowId"] == "t-parent"
    assert flat["graphData"]["elements"]["nodes"][0]["data"]["connectionId"] == SRC_HTTP   # input untouched


def test_connection_map_by_id_and_by_name_and_all_problems_listed():
    flat, _fid, _unused = split_document(legacy_parent())[0]
    instances = [{"id": "t-http", "name": "other", "connector": {"id": "httpConnector"}}]
    remapper = Remapper(instances, {SRC_HTTP: "t-http"})
    problems = remapper.check_connections(flat, "'parent'")
    assert len(problems) == 1 and "node n2" in problems[0] and "my-flow" in problems[0]
    remapper = Remapper(instances + [{"id": "t-x", "name": "x", "connector": {"id": "flowConnector"}}], {"my-flow": "t-x", "my-http": "missing"})
    problems = remapper.check_connections(flat, "'parent'")
    assert len(problems) == 1 and "not a connector instance in the target" in problems[0]


def test_unmapped_connections_allowed_with_warning():
    flat, fid, _unused = split_document(legacy_parent())[0]
    warnings = []
    out = Remapper([], allow_unmapped=True).remap(flat, fid, None, {}, {"child": "t-child"}.get, warn=warnings.append)
    assert len(warnings) == 2
    assert out["graphData"]["elements"]["nodes"][0]["data"]["connectionId"] == SRC_HTTP


def test_bootstrapped_connection_id_is_kept_when_present_in_target():
    flat, fid, _unused = split_document(legacy_parent())[0]
    remapper = Remapper([{"id": SRC_HTTP, "name": "Http"}, {"id": SRC_FLOW_CONN, "name": "Flow"}])
    assert remapper.check_connections(flat, "p") == []


def test_missing_subflow_is_an_error_naming_flow():
    flat, fid, _unused = split_document(legacy_parent())[0]
    remapper = Remapper([{"id": "a", "name": "my-http"}, {"id": "b", "name": "my-flow"}])
    with pytest.raises(RemapError, match="subflow 'child'"):
        remapper.remap(flat, fid, None, {}, {}.get)
    out = remapper.remap(flat, fid, None, {}, {}.get, pending={"child"})
    assert out["graphData"]["elements"]["nodes"][1]["data"]["properties"]["subFlowId"]["value"]["value"] == "@flow:child"


def test_substitutions_longest_first():
    flat = {"name": "f", "graphData": {"elements": {"nodes": [node("a", props={"url": {"value": "https://dev.example.com/x"}})]}},
            "settings": {"cssLinks": ["https://dev.example.com/a.css"]}}
    out = Remapper([], substitutions={"dev.example.com": "example.com", "https://dev.example.com/x": "https://x.example.com"}).remap(
        flat, None, None, {}, {}.get)
    assert out["graphData"]["elements"]["nodes"][0]["data"]["properties"]["url"]["value"] == "https://x.example.com"
    assert out["settings"]["cssLinks"] == ["https://example.com/a.css"]


def test_normalise_rules():
    flat, fid, _unused = split_document(legacy_parent())[0]
    api = copy.deepcopy(flat)
    api.update({"id": "t", "_links": {"self": {}}, "currentVersion": 9, "publishedVersion": 9, "dvlinterErrorCount": 3, "createdAt": "x"})
    api["settings"] = {"logLevel": 4, "useCustomCSS": True, "debugMode": True}
    api["graphData"]["allLinterErrors"] = [{"code": "x"}]
    api["graphData"]["elements"]["nodes"][0]["data"]["linterError"] = [{"x": 1}]
    api["graphData"]["elements"]["nodes"].reverse()
    api["description"] = ""
    assert normalise(api, [fid]) == normalise(flat, [fid])

    moved = copy.deepcopy(flat)
    moved["graphData"]["elements"]["nodes"][0]["position"] = {"x": 500, "y": 2}
    moved["color"] = "#000"
    assert normalise(moved, [fid]) != normalise(flat, [fid])
    assert normalise(moved, [fid], ignore_layout=True) == normalise(flat, [fid], ignore_layout=True)

    changed = copy.deepcopy(flat)
    changed["graphData"]["elements"]["nodes"][0]["data"]["label"] = "renamed"
    assert normalise(changed, [fid]) != normalise(flat, [fid])


def test_normalise_authentication_flows_ignore_server_input_schema():
    doc = {"name": "f", "trigger": {"type": "AUTHENTICATION"}, "graphData": {}}
    served = dict(doc, inputSchema=[{"propertyName": "loginHint"}])
    assert normalise(doc) == normalise(served)
    other = {"name": "f", "graphData": {}}
    assert normalise(other) != normalise(dict(other, inputSchema=[{"propertyName": "x"}]))


def test_write_body_keeps_target_log_level_and_drops_metadata():
    flat, _fid, _unused = split_document(legacy_parent())[0]
    body = write_body(flat, keep_settings_from={"settings": {"logLevel": 4}})
    assert body["settings"]["logLevel"] == 4
    assert "variables" not in body and "flowId" not in body


def test_flow_order_stages_and_cycles():
    stages, groups = flow_order({"p": ["a", "b"], "a": [], "b": ["a"]})
    assert stages == {"a": 0, "b": 1, "p": 2} and groups == {}
    stages, groups = flow_order({"top": ["x"], "x": ["y"], "y": ["x"], "solo": []})
    assert stages["x"] == stages["y"] == 0 and stages["top"] == 1
    assert groups == {"x": {"x", "y"}, "y": {"x", "y"}}


def test_keep_variable_values_pairs_duplicate_names_in_order():
    def flow(values):
        items = [{"name": "v", "type": "string"} if val is None else {"name": "v", "type": "string", "value": val} for val in values]
        return {"graphData": {"elements": {"nodes": [node("n", props={"saveVariables": {"value": items}})]}}}
    desired = flow([None, None])
    keep_variable_values(desired, flow(["first", "second"]))
    assert [i["value"] for i in desired["graphData"]["elements"]["nodes"][0]["data"]["properties"]["saveVariables"]["value"]] == ["first", "second"]
    explicit = flow(["mine", None])
    keep_variable_values(explicit, flow(["first", "second"]))
    assert [i["value"] for i in explicit["graphData"]["elements"]["nodes"][0]["data"]["properties"]["saveVariables"]["value"]] == ["mine", "second"]
