# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake Descope management API at the requests boundary (``requests.Session.request``), for unit tests."""

from __future__ import annotations

import copy
import json

import requests
from urllib3.response import HTTPResponse

BUILTIN = ("sign-up-or-in", "sign-up", "sign-in", "step-up")


def response(status, body=None, headers=None):
    resp = requests.Response()
    resp.status_code = status
    resp._content = b"" if body is None else json.dumps(body).encode("utf-8")  # pylint: disable=protected-access
    resp.headers.update(headers or {})
    resp.headers.setdefault("Content-Type", "application/json")
    resp.reason = "fake"
    resp.encoding = "utf-8"
    resp.raw = HTTPResponse(body=b"", status=status, headers=dict(resp.headers), preload_content=False)
    resp._content_consumed = True  # pylint: disable=protected-access
    return resp


def error(status, code, description):
    return response(status, {"errorCode": code, "errorDescription": description, "errorMessage": description})


class FakeDescope:
    """In-memory project. ``calls`` records (path, body, authorization); ``script`` queues canned responses per path."""

    def __init__(self, project_id="P2aAc4T2V93bddihGEx2Ryhc8e5Z", key="K2unitTestSecretKey", flows=None, theme=None):
        self.project_id = project_id
        self.key = key
        self.flows = copy.deepcopy(flows or {})
        self.theme = copy.deepcopy(theme) if theme is not None else {"styles": {}}
        self.calls = []
        self.script = {}
        self.bump = None

    @property
    def writes(self):
        return [c for c in self.calls if c[0] in ("/v2/mgmt/flow/import", "/v1/mgmt/flow/delete", "/v2/mgmt/theme/import")]

    def install(self, mocker):
        return mocker.patch.object(requests.Session, "request", autospec=True, side_effect=self.handle)

    def handle(self, _session, method, url, **kwargs):
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
        body = json.loads(kwargs["data"]) if kwargs.get("data") else None
        auth = (kwargs.get("headers") or {}).get("Authorization")
        self.calls.append((path, body, auth))
        queue = self.script.get(path)
        if queue:
            return queue.pop(0)
        if auth != "Bearer %s:%s" % (self.project_id, self.key):
            return error(401, "E401000", "Unauthorized")
        assert method == "POST"
        return self.route(path, body or {})

    def route(self, path, body):
        if path == "/v2/mgmt/flow/export":
            flow = self.flows.get(body.get("flowId"))
            if flow is None:
                return error(404, "E404000", "Flow %s not found" % body.get("flowId"))
            return response(200, {"flow": copy.deepcopy(flow)})
        if path == "/v2/mgmt/flow/import":
            flow = copy.deepcopy(body["flow"])
            if self.bump:
                flow["metadata"]["componentsVersion"] = self.bump
            self.flows[flow["flowId"]] = flow
            return response(200, {})
        if path == "/v1/mgmt/flow/list":
            ids = body.get("ids")
            flows = [{"id": k, "name": v["metadata"].get("name", ""), "description": v["metadata"].get("description", ""),
                      "disabled": bool(v["metadata"].get("disabled"))} for k, v in self.flows.items() if not ids or k in ids]
            return response(200, {"flows": flows, "total": len(flows)})
        if path == "/v1/mgmt/flow/delete":
            if set(body["ids"]) & set(BUILTIN):
                return error(400, "E011003", "built-in")
            for flow_id in body["ids"]:
                self.flows.pop(flow_id, None)
            return response(200, {})
        if path == "/v2/mgmt/theme/export":
            return response(200, {"theme": copy.deepcopy(self.theme)})
        if path == "/v2/mgmt/theme/import":
            theme = body["theme"]
            for key, value in theme.items():
                if key != "styles":
                    self.theme[key] = value
            self.theme.setdefault("styles", {}).update(theme.get("styles", {}))
            return response(200, {})
        return error(404, "E404000", "no route")


# ---------------------------------------------------------------------------------------------------------------
# tests of plugins/module_utils/_descope.py

import os  # noqa: E402  pylint: disable=wrong-import-position,wrong-import-order

import pytest  # noqa: E402  pylint: disable=wrong-import-position,wrong-import-order

from ansible_collections.flowops.flows.plugins.module_utils import _descope as d  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.flowops.flows.plugins.module_utils._document import DocumentError, dumps, loads  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.flowops.flows.plugins.module_utils._http import ApiError  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.flowops.flows.plugins.module_utils._models import DocumentInvalid  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.flowops.flows.plugins.module_utils._sync import Engine, FlowError, Item, SyncError  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.flowops.flows.plugins.module_utils._module import collapse_auth_error  # noqa: E402  pylint: disable=wrong-import-position

SAMPLE = {
    "contents": {"startTask": "1", "tasks": {"1": {"id": "1", "next": {}, "arguments": {"x": {"type": "inline", "value": ""}}}}},
    "flowId": "basic-flow",
    "metadata": {"componentsVersion": "2.0.295", "description": "A flow", "name": "Basic Flow"},
    "references": {},
    "screens": [],
}


def sample(**changes):
    doc = copy.deepcopy(SAMPLE)
    for key, value in changes.items():
        doc[key] = value
    return doc


def client(**kwargs):
    kwargs.setdefault("retries", 0)
    return d.DescopeClient("P2aAc4T2V93bddihGEx2Ryhc8e5Z", "K2unitTestSecretKey", "http://descope.test", **kwargs)


# -- base URL rule -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("project_id, expected", [
    ("P2aAc4T2V93bddihGEx2Ryhc8e5Z", "https://api.descope.com"),              # 28 characters: legacy id
    ("Puse12aAc4T2V93bddihGEx2Ryhc8e5Z", "https://api.use1.descope.com"),     # 32 characters: region use1
    ("Peuc12aAc4T2V93bddihGEx2Ryhc8e5Z", "https://api.euc1.descope.com"),
    ("Puse1ar", "https://api.descope.com"),                                   # shorter than 32: default
    ("", "https://api.descope.com"),
])
def test_base_url_rule(project_id, expected):
    assert d.base_url_for_project_id(project_id) == expected


def test_client_uses_derived_base_url_unless_overridden():
    assert d.DescopeClient("Puse12aAc4T2V93bddihGEx2Ryhc8e5Z", "K").base_url == "https://api.use1.descope.com"
    assert d.DescopeClient("Puse12aAc4T2V93bddihGEx2Ryhc8e5Z", "K", "http://127.0.0.1:1/").base_url == "http://127.0.0.1:1"


def test_connection_argspec_env_fallbacks_and_no_log():
    spec = d.connection_argspec()
    assert spec["management_key"]["no_log"] is True
    assert spec["project_id"]["fallback"][1] == ["DESCOPE_PROJECT_ID"]
    assert spec["management_key"]["fallback"][1] == ["DESCOPE_MANAGEMENT_KEY"]
    assert spec["base_url"]["fallback"][1] == ["DESCOPE_BASE_URL"]


# -- normalisation ---------------------------------------------------------------------------------------------

def test_omit_empty_matches_descopecli():
    value = {"a": "", "b": False, "c": 0, "d": None, "e": {}, "f": [], "g": {"h": ""}, "i": [{}, "", 0], "j": "x", "k": True, "l": 1,
             "m": loads("0.0")}
    assert d.omit_empty(value) is False
    # lists keep their (cleaned) items; dicts lose every empty value, recursively
    assert value == {"i": [{}, "", 0], "j": "x", "k": True, "l": 1}
    assert d.omit_empty({"a": {"b": [], "c": ""}}) is True


def test_canonical_flow_strips_only_metadata_references_and_interactions():
    doc = sample(metadata={"name": "N", "description": "", "disabled": False, "translation": {"enabled": False}},
                 references={"connectors": {}, "roles": {}},
                 screens=[{"screenId": "S1", "interactions": [{"id": "a", "label": "", "icon": None}], "contents": {"x": ""}}])
    out = d.canonical_flow(doc)
    assert out["metadata"] == {"name": "N"}
    assert "references" not in out
    assert out["screens"][0]["interactions"] == [{"id": "a"}]
    assert out["screens"][0]["contents"] == {"x": ""}                  # screen contents untouched
    assert out["contents"]["tasks"]["1"]["arguments"]["x"]["value"] == ""   # flow contents untouched
    assert doc["metadata"]["description"] == ""                       # the input is not modified


def test_canonical_flow_keeps_non_empty_references_and_empty_metadata_object():
    out = d.canonical_flow(sample(metadata={"disabled": False}, references={"roles": {"R": "ROL1"}}))
    assert out["metadata"] == {}
    assert out["references"] == {"roles": {"R": "ROL1"}}


def _deep_copy_canonical_flow(doc):
    """The former implementation (a whole deep copy, then cleaned in place): the reference for the copy-on-write one."""
    doc = copy.deepcopy(doc)
    if "metadata" in doc:
        d.omit_empty(doc["metadata"])
    if d.omit_empty(doc.get("references")):
        doc.pop("references", None)
    for screen in doc.get("screens") if isinstance(doc.get("screens"), list) else []:
        if isinstance(screen, dict) and "interactions" in screen:
            d.omit_empty(screen["interactions"])
    return doc


def test_canonical_flow_copies_only_what_it_cleans_and_gives_the_same_bytes_on_every_sample():
    samples_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "samples", "descope")
    docs = [sample(), sample(references=None), sample(metadata="x", screens=[{"interactions": None}, "not a screen"])]
    for name in sorted(os.listdir(samples_dir)):
        if name.endswith(".json"):
            with open(os.path.join(samples_dir, name), encoding="utf-8") as handle:
                docs.append(json.load(handle))
    for doc in docs:
        before = copy.deepcopy(doc)
        out = d.canonical_flow(doc)
        assert doc == before                                   # the input is never changed
        assert d.dumps(out, html_escape=True) == d.dumps(_deep_copy_canonical_flow(doc), html_escape=True)
        if isinstance(doc.get("contents"), dict):
            assert out["contents"] is doc["contents"]          # the big part is shared, not copied


def test_normalise_flow_forces_id_and_drops_ignore_paths():
    out = d.normalise_flow(sample(flowId="other"), "target")
    assert out["flowId"] == "target"
    assert "componentsVersion" not in out["metadata"]
    assert "references" not in out
    strict = d.normalise_flow(sample(), "basic-flow", ignore_paths=[])
    assert strict["metadata"]["componentsVersion"] == "2.0.295"


def test_normalise_flow_empty_equals_absent():
    with_empties = sample(metadata={"name": "Basic Flow", "description": "", "disabled": False, "componentsVersion": "9"})
    without = sample(metadata={"name": "Basic Flow"}, references=None)
    del without["references"]
    assert d.normalise_flow(with_empties, "x") == d.normalise_flow(without, "x")


def test_normalise_flow_ignores_server_added_top_level_keys_unless_desired():
    current = sample(serverDefault=True)
    assert "serverDefault" not in d.normalise_flow(current, "x")
    assert d.normalise_flow(current, "x", keep_keys=("serverDefault",))["serverDefault"] is True


def test_normalise_flow_contents_compared_as_they_are():
    a = d.normalise_flow(sample(), "x")
    b = d.normalise_flow(sample(contents={"startTask": "1", "tasks": {}}), "x")
    assert a != b


def test_normalise_flow_wildcard_ignore_path():
    doc = sample(screens=[{"screenId": "A", "interactions": [], "contents": {"v": 1}}, {"screenId": "B", "contents": {"v": 2}}])
    out = d.normalise_flow(doc, "x", ignore_paths=["screens.*.contents"])
    assert out["screens"] == [{"screenId": "A", "interactions": []}, {"screenId": "B"}]


def test_normalise_theme_compares_only_desired_styles():
    current = {"componentsVersion": "2.0.600", "references": {}, "styles": {"light": {"c": 1}, "legacy": {"c": 2}}, "extra": 1}
    desired = d.normalise_theme({"componentsVersion": "2.0.463", "styles": {"light": {"c": 1}}})
    assert desired == {"styles": {"light": {"c": 1}}}
    assert d.normalise_theme(current, desired=desired) == desired
    changed = d.normalise_theme({"styles": {"light": {"c": 3}}}, desired=desired)
    assert changed != desired


def test_export_file_content_is_byte_compatible_with_the_cli():
    doc = sample(metadata={"name": "A & <b>", "disabled": False})
    text = d.export_file_content(doc).decode("utf-8")
    assert text.startswith('{\n  "contents": {\n')
    assert text.endswith("\n}\n")
    assert '"name": "A \\u0026 \\u003cb\\u003e"' in text       # Go's json.MarshalIndent HTML escaping
    assert '"references"' not in text and '"disabled"' not in text
    assert loads(text)["metadata"]["name"] == "A & <b>"


def test_export_keeps_number_literals():
    doc = loads('{"flowId": "x", "metadata": {"name": "n"}, "contents": {"a": 1.0, "b": 1e-50}, "screens": []}')
    text = d.export_file_content(doc).decode("utf-8")
    assert '"a": 1.0' in text and '"b": 1e-50' in text


def test_samples_are_canonical_files():
    """The MIT samples are `descope flow export` files: our canonical form reproduces them byte for byte."""
    base = os.path.join(os.path.dirname(__file__), "..", "..", "..", "integration", "targets", "descope_flow", "files", "samples")
    for name in ("basicflow.json", "connectorflow.json", "roleflow.json"):
        with open(os.path.join(base, name), "rb") as handle:
            raw = handle.read()
        doc = loads(raw)
        expected = raw.decode("utf-8")
        if not doc["references"]:
            expected = expected.replace('  "references": {},\n', "")
        assert d.export_file_content(doc).decode("utf-8") == expected


# -- input documents ---------------------------------------------------------------------------------------------

def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_desired_flows_file_envelope_and_override(tmp_path):
    src = write(tmp_path, "f.json", json.dumps({"flow": sample()}))
    [(flow_id, doc, source)] = d.desired_flows(src=src)
    assert flow_id == "basic-flow" and source == src and doc["metadata"]["name"] == "Basic Flow"
    assert d.desired_flows(src=src, flow_id="target")[0][0] == "target"


def test_desired_flows_inline():
    assert d.desired_flows(flow=sample(flowId=None), flow_id="inline-id")[0][0] == "inline-id"
    with pytest.raises(FlowError, match="no flowId; set flow_id"):
        d.desired_flows(flow=sample(flowId=None))


def test_desired_flows_directory(tmp_path):
    write(tmp_path, "a.json", json.dumps(sample(flowId="alpha")))
    write(tmp_path, "stem-id.json", json.dumps({k: v for k, v in sample().items() if k != "flowId"}))
    write(tmp_path, "notes.txt", "ignored")
    out = d.desired_flows(src=str(tmp_path))
    assert [f[0] for f in out] == ["alpha", "stem-id"]
    with pytest.raises(FlowError, match="flow_id cannot be used when src is a directory"):
        d.desired_flows(src=str(tmp_path), flow_id="x")


def test_desired_flows_directory_duplicate_ids(tmp_path):
    write(tmp_path, "a.json", json.dumps(sample()))
    write(tmp_path, "b.json", json.dumps(sample()))
    with pytest.raises(FlowError, match="both define flow 'basic-flow'"):
        d.desired_flows(src=str(tmp_path))


def test_malformed_json_names_file_line_column(tmp_path):
    src = write(tmp_path, "bad.json", '{\n  "flowId": "x",\n  "metadata": {}\n  "contents": {}\n}\n')
    with pytest.raises(DocumentError, match=r"bad\.json: line 4, column 3: Expecting ','"):
        d.desired_flows(src=src)


@pytest.mark.parametrize("doc, pattern", [
    ({"companyId": "c", "flowId": "f", "graphData": {}}, "PingOne DaVinci flow export"),
    ({"flows": [{"graphData": {}}], "companyId": "c"}, "PingOne DaVinci flow export"),
    ({"botDefinition": {}}, "Kore.ai"),
    ({"flow": {"id": "x", "dsl": {}}, "screens": []}, "legacy v1"),
    ({"styles": {"light": {}}}, "theme export"),
])
def test_foreign_shapes_are_named(tmp_path, doc, pattern):
    src = write(tmp_path, "x.json", json.dumps(doc))
    with pytest.raises(FlowError, match=pattern):
        d.desired_flows(src=src)


def test_koreai_file_name_is_recognised(tmp_path):
    src = write(tmp_path, "flow_definition.json", json.dumps({"name": "w", "nodes": []}))
    with pytest.raises(FlowError, match="Kore.ai"):
        d.desired_flows(src=src)


@pytest.mark.parametrize("doc, field", [
    ({"flowId": "x", "metadata": {}}, "contents: Field required"),
    ({"flowId": "x", "contents": {}}, "metadata: Field required"),
    ({"flowId": "x", "metadata": [], "contents": {}}, "metadata: Input should be a valid dictionary"),
])
def test_missing_fields_are_named(tmp_path, doc, field):
    src = write(tmp_path, "x.json", json.dumps(doc))
    with pytest.raises(DocumentInvalid, match=field):
        d.desired_flows(src=src)


@pytest.mark.parametrize("flow_id", ["../x", "a/b", "a\\b", "..", "", "a b", "a.b"])
def test_bad_flow_ids(flow_id):
    with pytest.raises(FlowError, match="is not a valid Descope flow id"):
        d.check_flow_id(flow_id)
    with pytest.raises(FlowError, match="is not a valid Descope flow id"):
        d.desired_flows(flow=sample(), flow_id=flow_id)


def test_bad_flow_id_inside_document():
    with pytest.raises(FlowError, match=r"flowId '\.\./x' is not a valid"):
        d.desired_flows(flow=sample(flowId="../x"))


def test_builtin_flows_cannot_be_deleted():
    with pytest.raises(FlowError, match="built-in Descope flow"):
        d.check_deletable(["mine", "sign-in"])
    assert d.check_deletable(["mine"]) == ["mine"]


def test_theme_documents(tmp_path):
    src = write(tmp_path, "t.json", json.dumps({"theme": {"styles": {"light": {}}}}))
    doc, source = d.desired_theme(src=src)
    assert doc == {"styles": {"light": {}}} and source == src
    with pytest.raises(FlowError, match="Descope flow export"):
        d.desired_theme(theme=sample())
    with pytest.raises(DocumentInvalid, match="styles"):
        d.desired_theme(theme={"styles": {"light": "red"}})


# -- client ----------------------------------------------------------------------------------------------------

def test_client_sends_bearer_and_v2_paths(mocker):
    fake = FakeDescope(flows={"basic-flow": sample()})
    fake.install(mocker)
    c = client()
    assert c.export_flow("basic-flow") == sample()
    c.import_flow(sample(flowId="n"))
    assert [call[0] for call in fake.calls] == ["/v2/mgmt/flow/export", "/v2/mgmt/flow/import"]
    assert fake.calls[0][1] == {"flowId": "basic-flow"}
    assert fake.calls[1][1] == {"flow": sample(flowId="n")}
    assert fake.calls[0][2] == "Bearer P2aAc4T2V93bddihGEx2Ryhc8e5Z:K2unitTestSecretKey"


def test_export_of_a_missing_flow_is_none(mocker):
    fake = FakeDescope()
    fake.install(mocker)
    assert client().export_flow("nope") is None
    fake.script["/v2/mgmt/flow/export"] = [error(400, "E074001", "Flow not found")]
    assert client().export_flow("nope") is None
    fake.script["/v2/mgmt/flow/export"] = [error(400, "E011003", "Request is invalid")]
    with pytest.raises(ApiError):
        client().export_flow("nope")


@pytest.mark.parametrize("missing_answer", [
    error(404, "E404000", "Flow nope not found"),
    error(400, "E011003", "Failed to load flow for export"),   # the emulator's missing_flow_400 answer
])
def test_absence_is_decided_by_the_flow_list_not_the_wording(mocker, missing_answer):
    fake = FakeDescope(flows={"basic-flow": sample()})
    fake.install(mocker)
    adapter = d.DescopeFlowAdapter(client())
    # an id the list does not name is absent without an export; one list call for every item
    assert adapter.read(Item("nope")) is None
    assert adapter.read(Item("other")) is None
    assert adapter.read(Item("basic-flow")) == sample()
    assert [c[0] for c in fake.calls] == ["/v1/mgmt/flow/list", "/v2/mgmt/flow/export"]
    # listed, then gone before the export: whatever the export error says, a second list decides
    del fake.flows["basic-flow"]
    fake.calls.clear()
    fake.script["/v2/mgmt/flow/export"] = [missing_answer]
    assert adapter.read(Item("basic-flow")) is None
    assert [c[0] for c in fake.calls] == ["/v2/mgmt/flow/export", "/v1/mgmt/flow/list"]
    assert fake.calls[1][1] == {"ids": ["basic-flow"]}


def test_an_export_error_of_a_listed_flow_stands(mocker):
    fake = FakeDescope(flows={"basic-flow": sample()})
    fake.install(mocker)
    fake.script["/v2/mgmt/flow/export"] = [error(400, "E074001", "Flow not found")]   # says "not found", but it is listed
    with pytest.raises(ApiError, match="not found"):
        d.DescopeFlowAdapter(client()).read(Item("basic-flow"))


def test_a_persistent_429_on_export_fails_without_another_list_call(mocker):
    fake = FakeDescope(flows={"basic-flow": sample()})
    fake.install(mocker)
    throttled = [response(429, {"errorCode": "E130429", "errorDescription": "Too many requests"}, {"Retry-After": "1"})
                 for _attempt in range(3)]
    fake.script["/v2/mgmt/flow/export"] = throttled
    c = client(retries=2)
    c.http._sleep = lambda _s: None  # pylint: disable=protected-access
    with pytest.raises(ApiError) as exc:
        d.DescopeFlowAdapter(c).read(Item("basic-flow"))
    assert exc.value.status == 429
    # one list (which ids exist), then the export and its retries; no second list to "decide" absence
    assert [call[0] for call in fake.calls] == ["/v1/mgmt/flow/list"] + ["/v2/mgmt/flow/export"] * 3


def test_a_flow_written_by_the_task_is_exported_even_if_the_first_list_missed_it(mocker):
    fake = FakeDescope()
    fake.install(mocker)
    adapter = d.DescopeFlowAdapter(client())
    item = d.flow_items([("new-flow", sample(), "inline")])[0]
    assert adapter.read(item) is None
    adapter.create(item, adapter.prepare(item))
    assert adapter.read(item)["flowId"] == "new-flow"


def test_engine_creates_a_missing_flow_without_exporting_it_first(mocker):
    fake = FakeDescope()
    fake.install(mocker)
    report = Engine(d.DescopeFlowAdapter(client())).apply(d.flow_items([("basic-flow", sample(), "inline")]))
    assert report["flows"][0]["action"] == "created" and len(fake.writes) == 1
    paths = [c[0] for c in fake.calls]
    assert paths[:2] == ["/v1/mgmt/flow/list", "/v2/mgmt/flow/import"] and paths.count("/v1/mgmt/flow/list") == 1


def test_auth_error_is_one_clear_message_without_the_key(mocker):
    fake = FakeDescope(key="K2someOtherKey")
    fake.install(mocker)
    c = client()
    with pytest.raises(d.DescopeAuthError) as exc:
        c.export_flow("x")
    message = str(exc.value)
    assert message.startswith("management key rejected for project P2aAc4T2V93bddihGEx2Ryhc8e5Z (HTTP 401")
    assert "K2unitTestSecretKey" not in message
    calls = len(fake.calls)
    with pytest.raises(d.DescopeAuthError):
        c.list_flows()
    assert len(fake.calls) == calls      # no further call once the key was rejected


def test_403_is_an_auth_error_too(mocker):
    fake = FakeDescope()
    fake.install(mocker)
    fake.script["/v1/mgmt/flow/list"] = [error(403, "E403000", "Forbidden")]
    with pytest.raises(d.DescopeAuthError, match="HTTP 403"):
        client().list_flows()


def test_429_waits_for_retry_after(mocker):
    fake = FakeDescope(flows={"a": sample(flowId="a")})
    fake.install(mocker)
    fake.script["/v2/mgmt/flow/export"] = [response(429, {"errorCode": "E130429"}, {"Retry-After": "2"})]
    sleeps = []
    c = client(retries=2)
    c.http._sleep = sleeps.append  # pylint: disable=protected-access
    assert c.export_flow("a")["flowId"] == "a"
    assert sleeps and abs(max(sleeps) - 2.0) < 0.1   # Retry-After honoured


@pytest.mark.parametrize("status", [503, 520, 524])
def test_5xx_is_retried(mocker, status):
    fake = FakeDescope(flows={"a": sample(flowId="a")})
    fake.install(mocker)
    fake.script["/v2/mgmt/flow/export"] = [error(status, "E%d" % status, "unavailable")]
    c = client(retries=2)
    c.http._sleep = lambda _s: None  # pylint: disable=protected-access
    assert c.export_flow("a")["flowId"] == "a"
    assert len(fake.calls) == 2


def test_create_is_not_resent_after_a_5xx(mocker):
    fake = FakeDescope()
    fake.install(mocker)
    fake.script["/v2/mgmt/flow/import"] = [error(503, "E503", "unavailable")]
    c = client(retries=3)
    c.http._sleep = lambda _s: None  # pylint: disable=protected-access
    with pytest.raises(ApiError):
        c.import_flow(sample(), safe_to_retry=False)
    assert len(fake.calls) == 1


def test_list_and_delete(mocker):
    fake = FakeDescope(flows={"a": sample(flowId="a"), "b": sample(flowId="b")})
    fake.install(mocker)
    c = client()
    assert [f["id"] for f in c.list_flows()] == ["a", "b"]
    assert [f["id"] for f in c.list_flows(["b"])] == ["b"]
    c.delete_flows(["a"])
    assert fake.calls[-1][:2] == ("/v1/mgmt/flow/delete", {"ids": ["a"]})
    assert list(fake.flows) == ["b"]


def test_is_not_found():
    assert d.is_not_found(ApiError("descope", 404))
    assert d.is_not_found(ApiError("descope", 400, message="Flow x does not exist"))
    assert not d.is_not_found(ApiError("descope", 400, message="Request is invalid"))
    assert not d.is_not_found(ApiError("descope", 500, message="not found"))


# -- adapters through the engine ---------------------------------------------------------------------------------

def test_engine_imports_once_then_is_idempotent_despite_componentsversion_bump(mocker):
    fake = FakeDescope()
    fake.bump = "2.0.999"
    fake.install(mocker)
    c = client()
    items = d.flow_items([("basic-flow", sample(), "inline")])
    report = Engine(d.DescopeFlowAdapter(c), diff_mode=True).apply(items)
    assert report["flows"][0]["action"] == "created" and len(fake.writes) == 1
    assert fake.flows["basic-flow"]["metadata"]["componentsVersion"] == "2.0.999"
    report = Engine(d.DescopeFlowAdapter(c), diff_mode=True).apply(d.flow_items([("basic-flow", sample(), "inline")]))
    assert report["flows"][0]["action"] == "unchanged" and not report["changed"] and len(fake.writes) == 1


def test_engine_check_mode_writes_nothing_and_diffs(mocker):
    fake = FakeDescope(flows={"basic-flow": sample()})
    fake.install(mocker)
    desired = sample(metadata={"name": "Renamed"})
    report = Engine(d.DescopeFlowAdapter(client()), check_mode=True, diff_mode=True).apply(d.flow_items([("basic-flow", desired, "x")]))
    assert report["changed"] and report["flows"][0]["action"] == "updated"
    assert '"name": "Basic Flow"' in report["diff"][0]["before"] and '"name": "Renamed"' in report["diff"][0]["after"]
    assert fake.writes == []


def test_engine_target_id_wins(mocker):
    fake = FakeDescope()
    fake.install(mocker)
    Engine(d.DescopeFlowAdapter(client())).apply(d.flow_items(d.desired_flows(flow=sample(), flow_id="copy")))
    assert list(fake.flows) == ["copy"] and fake.flows["copy"]["flowId"] == "copy"


def test_run_engine_auth_error_is_one_message(mocker):
    fake = FakeDescope(key="K2other")
    fake.install(mocker)
    c = client()
    items = d.flow_items([("f%d" % i, sample(flowId="f%d" % i), "x") for i in range(5)])
    with pytest.raises(SyncError) as exc:
        collapse_auth_error(c, lambda: Engine(d.DescopeFlowAdapter(c), parallel=1).apply(items))
    assert str(exc.value).startswith("management key rejected for project P2aAc4T2V93bddihGEx2Ryhc8e5Z")
    assert str(exc.value).count("management key rejected") == 1
    assert "K2unitTestSecretKey" not in dumps(exc.value.report) + str(exc.value)
    assert len(fake.calls) == 1


def test_theme_adapter_upsert_semantics(mocker):
    fake = FakeDescope(theme={"componentsVersion": "2.0.600", "styles": {"light": {"c": 1}, "legacy": {"c": 9}}})
    fake.install(mocker)
    c = client()
    item = Item(d.THEME_ITEM_KEY, name="theme", desired={"componentsVersion": "2.0.463", "styles": {"light": {"c": 1}}})
    report = Engine(d.DescopeThemeAdapter(c)).apply([item])
    assert report["flows"][0]["action"] == "unchanged" and fake.writes == []
    item = Item(d.THEME_ITEM_KEY, name="theme", desired={"styles": {"light": {"c": 2}}})
    report = Engine(d.DescopeThemeAdapter(c), diff_mode=True).apply([item])
    assert report["flows"][0]["action"] == "updated" and len(fake.writes) == 1
    assert "legacy" not in report["diff"][0]["before"]
    assert fake.theme["styles"]["legacy"] == {"c": 9}


def test_export_files_and_diffs(mocker, tmp_path):
    fake = FakeDescope(flows={"a": sample(flowId="a"), "b": sample(flowId="b")})
    fake.install(mocker)
    c = client()
    files = d.ExportFiles(str(tmp_path))
    engine = Engine(d.DescopeFlowAdapter(c), diff_mode=True)
    report = engine.export([Item("a"), Item("b")], files)
    assert sorted(os.listdir(str(tmp_path))) == ["a.json", "b.json"]
    assert len(report["diff"]) == 2 and report["diff"][0]["before"] == ""
    mtime = os.stat(str(tmp_path / "a.json")).st_mtime_ns
    files = d.ExportFiles(str(tmp_path))
    report = Engine(d.DescopeFlowAdapter(c), diff_mode=True).export([Item("a"), Item("b")], files)
    assert not report["changed"] and report["diff"] == []
    assert os.stat(str(tmp_path / "a.json")).st_mtime_ns == mtime


def test_resolve_export_ids_all(mocker):
    fake = FakeDescope(flows={"b": sample(flowId="b"), "a": sample(flowId="a")})
    fake.install(mocker)
    assert d.resolve_export_ids(client(), ["all"]) == ["a", "b"]
    assert d.resolve_export_ids(None, ["x", "x", "y"]) == ["x", "y"]


def test_list_flows_info_with_content(mocker):
    fake = FakeDescope(flows={"b": sample(flowId="b"), "a": sample(flowId="a", metadata={"name": "A", "disabled": True})})
    fake.install(mocker)
    flows = d.list_flows_info(client(), include_content=True, parallel=2)
    assert [f["id"] for f in flows] == ["a", "b"]
    assert flows[0]["disabled"] is True and flows[0]["content"]["metadata"] == {"name": "A", "disabled": True}
    assert flows[1]["fingerprint"].startswith("sha256:")
    assert fake.writes == []
