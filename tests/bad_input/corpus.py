# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bad-input corpus: files and module arguments that every module must refuse before any write.

``module_cases(root)`` writes the input files of every case under ``root/in`` and returns the cases. A case is
one task of one module: ``Case(id, module, args, expect)`` where ``expect`` is a list of regular expressions the
failure message must all match (the file or field named, and what was expected). Credentials are the sandbox
estate's (examples/estate.py); ``conn`` names which connection the task gets. ``role_cases()`` are runs of the
collection's playbooks with a bad inventory or bad extra vars.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import zipfile

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(TESTS, "fixtures", "samples")


class Case:  # pylint: disable=too-few-public-methods
    def __init__(self, case_id, module, args, expect, conn=None, setup=None):
        self.id = case_id
        self.module = module
        self.args = args
        self.expect = [expect] if isinstance(expect, str) else list(expect)
        self.conn = conn or module.rsplit(".", 1)[-1].split("_")[0]
        self.setup = setup    # emulator set-up before the run: ("descope_behaviour", {...})


def _sample(provider, name):
    with open(os.path.join(SAMPLES, provider, name), encoding="utf-8") as handle:
        return json.load(handle)


def _write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _zip(path, members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members:
            archive.writestr(name, content)
    return _write(path, buffer.getvalue())


KOREAI_OK = {
    "flow_definition.json": json.dumps({"nodes": [{"id": "start", "type": "start"}], "name": "Orders Assistant"}),
    "app_definition.json": json.dumps({"name": "Orders Assistant", "description": "bad-input corpus", "guardrails": []}),
    "env_variables.json": json.dumps([{"key": "API_URL", "value": "https://orders.example", "isSecured": False}]),
}


def _members(content=None, **names):
    """The three package members of a zip: ``names`` renames a member (by its key), ``content`` replaces a content."""
    return [(names.get(file_name.split(".", maxsplit=1)[0], file_name), (content or {}).get(file_name, text)) for file_name, text in KOREAI_OK.items()]


def _koreai_dir(root, name, **replace):
    directory = os.path.join(root, name)
    for file_name, content in KOREAI_OK.items():
        _write(os.path.join(directory, file_name), replace.get(file_name.split(".", maxsplit=1)[0], content))
    return directory


def module_cases(root):  # pylint: disable=too-many-locals,too-many-statements
    """Write the corpus under ``root/in``; return the module cases (their ``dest`` paths are under ``root/out``)."""
    src = os.path.join(root, "in")
    out = os.path.join(root, "out")
    flow = _sample("descope", "basicflow.json")
    davinci = _sample("davinci", "full-minimal.json")
    cases = []

    def add(case_id, module, args, expect, **kwargs):
        cases.append(Case(case_id, module, args, expect, **kwargs))

    def file(name, content):
        return _write(os.path.join(src, name), content)

    # ---- Descope flows ---------------------------------------------------------------------------------------
    D = "flowops.flows.descope_flow"
    path = file("d-malformed.json", '{"flowId": "x", "metadata": {}')
    add("descope-malformed", D, {"src": path}, [re.escape(path) + r": line 1, column \d+: Expecting"])
    path = file("d-empty.json", "")
    add("descope-empty", D, {"src": path}, [re.escape(path) + r": line 1, column 1: Expecting value"])
    path = file("d-not-utf8.json", b'{"flowId": "caf\xe9"}')
    add("descope-not-utf8", D, {"src": path}, [re.escape(path) + r": not valid UTF-8 \(byte offset 15\)"])
    path = file("d-nan.json", '{"flowId": "x", "metadata": {}, "contents": {"t": NaN}}')
    add("descope-nan", D, {"src": path}, [re.escape(path) + ": NaN is not valid JSON"])
    path = file("d-huge-number.json", '{"flowId": "x", "metadata": {}, "contents": {"n": 1%s}}' % ("0" * 6000))
    add("descope-huge-number", D, {"src": path}, [re.escape(path) + ": a number with more digits than the \\d+ allowed"])
    path = file("d-deep.json", '{"flowId": "x", "metadata": {}, "contents": %s}' % ("[" * 50000 + "]" * 50000))
    add("descope-deep", D, {"src": path}, [re.escape(path) + ": nested too deeply for the parser"])
    dup = json.dumps(flow, indent=1).replace('"metadata": {', '"metadata": {"name": "first", ', 1)
    path = file("d-dup-key.json", dup)
    add("descope-duplicate-key", D, {"src": path}, [re.escape(path) + r': duplicate key "name" in the object at \$\.metadata'])
    path = file("d-davinci.json", json.dumps(davinci))
    add("descope-wrong-provider-davinci", D, {"src": path},
        [re.escape(path) + ": this looks like a PingOne DaVinci flow export.*not a Descope v2 flow export; use flowops.flows.davinci_flow"])
    path = file("flow_definition.json", KOREAI_OK["flow_definition.json"])
    add("descope-wrong-provider-koreai", D, {"src": path}, [re.escape(path) + ": this looks like a Kore.ai.*use flowops.flows.koreai_workflow"])
    path = file("d-v1.json", json.dumps({"flow": {"dsl": {}}, "screens": []}))
    add("descope-v1-export", D, {"src": path}, [re.escape(path) + ": this looks like a legacy v1.*descope flow convert"])
    path = file("d-theme.json", json.dumps({"styles": {"s1": {}}}))
    add("descope-theme-as-flow", D, {"src": path}, [re.escape(path) + ": this looks like a Descope theme export.*use flowops.flows.descope_theme"])
    path = file("d-metadata-list.json", json.dumps(dict(copy.deepcopy(flow), metadata=[])))
    add("descope-wrong-type-metadata", D, {"src": path},
        [re.escape(path) + ": not a valid Descope v2 flow export.*metadata: Input should be a valid dictionary"])
    path = file("d-screens-object.json", json.dumps(dict(copy.deepcopy(flow), screens={"a": {}})))
    add("descope-wrong-type-screens", D, {"src": path}, [re.escape(path) + ": not a valid Descope v2 flow export.*screens: Input should be a valid list"])
    no_contents = copy.deepcopy(flow)
    no_contents.pop("contents")
    path = file("d-no-contents.json", json.dumps(no_contents))
    add("descope-missing-contents", D, {"src": path}, [re.escape(path) + ": not a valid Descope v2 flow export.*contents: Field required"])
    path = file("d-array.json", "[]")
    add("descope-top-level-array", D, {"src": path}, [re.escape(path) + ": expected a JSON object"])
    path = file("d-dotdot-id.json", json.dumps(dict(copy.deepcopy(flow), flowId="../../escape")))
    add("descope-id-dotdot-in-file", D, {"src": path}, ["'\\.\\./\\.\\./escape' is not a valid Descope flow id: it must match"])
    add("descope-id-slash", D, {"src": file("d-ok.json", json.dumps(flow)), "flow_id": ["a/b"]},
        ["flow_id 'a/b' is not a valid Descope flow id"])
    add("descope-id-nul", D, {"flow": flow, "flow_id": ["a\x00b"]}, ["flow_id 'a\\\\x00b' is not a valid Descope flow id"])
    add("descope-export-id-dotdot", D, {"state": "exported", "flow_id": ["../../etc"], "dest": os.path.join(out, "d-export-dotdot")},
        ["flow_id '\\.\\./\\.\\./etc' is not a valid Descope flow id"])
    add("descope-export-missing-flow-400", D, {"state": "exported", "flow_id": ["no-such-flow"], "dest": os.path.join(out, "d-export-missing")},
        ["descope flow 'no-such-flow': not found in the source"], setup=("descope_behaviour", {"missing_flow_400": True}))
    add("descope-wrong-credentials", D, {"src": file("d-ok2.json", json.dumps(flow)), "management_key": "K2wrong-key"},
        ["management key rejected for project P2portalDEV", "check project_id and management_key"])
    add("descope-src-missing", D, {"src": os.path.join(src, "no-such-dir", "f.json")}, ["src .*no-such-dir/f\\.json does not exist"])
    same_dir = os.path.join(src, "d-dup-ids")
    _write(os.path.join(same_dir, "a.json"), json.dumps(flow))
    _write(os.path.join(same_dir, "b.json"), json.dumps(flow))
    add("descope-directory-duplicate-ids", D, {"src": same_dir}, ["a\\.json", "b\\.json", flow["flowId"]])
    T = "flowops.flows.descope_theme"
    path = file("t-styles-list.json", json.dumps({"styles": []}))
    add("descope-theme-wrong-type", T, {"src": path}, [re.escape(path) + ": not a valid Descope v2 theme export.*styles: Input should be a valid dictionary"])
    path = file("t-flow.json", json.dumps(flow))
    add("descope-flow-as-theme", T, {"src": path}, [re.escape(path) + ": this looks like a Descope flow export.*use flowops.flows.descope_flow"])
    path = file("t-dup.json", '{"styles": {"light": {"a": 1}, "light": {"a": 2}}}')
    add("descope-theme-duplicate-key", T, {"src": path}, [re.escape(path) + r': duplicate key "light" in the object at \$\.styles'])

    # ---- DaVinci ---------------------------------------------------------------------------------------------
    V = "flowops.flows.davinci_flow"
    path = file("v-malformed.json", json.dumps(davinci)[:-20])
    add("davinci-malformed", V, {"src": path}, [re.escape(path) + r": line \d+, column \d+"])
    path = file("v-empty.json", b"")
    add("davinci-empty", V, {"src": path}, [re.escape(path) + ": line 1, column 1: Expecting value"])
    path = file("v-not-utf8.json", b"\xff\xfe{}")
    add("davinci-not-utf8", V, {"src": path}, [re.escape(path) + ": not valid UTF-8"])
    dup = json.dumps(davinci).replace('"graphData": {', '"graphData": {"elements": {}, ', 1)
    path = file("v-dup-key.json", dup)
    add("davinci-duplicate-key", V, {"src": path}, [re.escape(path) + r': duplicate key "elements" in the object at \$\.graphData'])
    path = file("v-descope.json", json.dumps(flow))
    add("davinci-wrong-provider-descope", V, {"src": path}, [re.escape(path), "this looks like a Descope flow export.*use flowops.flows.descope_flow"])
    path = file("app_definition.json", KOREAI_OK["app_definition.json"])
    add("davinci-wrong-provider-koreai", V, {"src": path}, [re.escape(path), "not a DaVinci flow document: expected"])
    path = file("v-empty-object.json", "{}")
    add("davinci-empty-object", V, {"src": path}, [re.escape(path), "not a DaVinci flow document: expected"])
    path = file("v-graph-list.json", json.dumps(dict(copy.deepcopy(davinci), graphData=[])))
    add("davinci-wrong-type-graphdata", V, {"src": path}, [re.escape(path), "graphData"])
    path = file("v-flows-items.json", json.dumps({"flows": [1, 2]}))
    add("davinci-multi-flow-not-objects", V, {"src": path}, [re.escape(path), "flows\\[0\\] is not a flow object"])
    path = file("v-nan.json", json.dumps(davinci).replace('"graphData": {', '"graphData": {"zoom": NaN, ', 1))
    add("davinci-nan", V, {"src": path}, [re.escape(path) + ": NaN is not valid JSON"])
    add("davinci-wrong-credentials", V, {"src": file("v-ok.json", json.dumps(davinci)), "client_secret": "wrong-secret"},
        ["PingOne authentication failed for client_id 'demo-worker-dev'", "Check client_id, client_secret"])
    add("davinci-export-id-dotdot", V, {"state": "exported", "flow_id": "../../etc", "dest": os.path.join(out, "v-export-dotdot")},
        ["flow_id '\\.\\./\\.\\./etc' is not a valid id: expected letters, digits"])
    add("davinci-absent-id-slash", V, {"state": "absent", "flow_id": "x/../y"}, ["flow_id 'x/\\.\\./y' is not a valid id"])

    # ---- Kore.ai ---------------------------------------------------------------------------------------------
    K = "flowops.flows.koreai_workflow"
    wf = {"workflow_id": "a-0a0a0a0a-1111-4111-8111-000000000001"}
    directory = _koreai_dir(src, "k-env-object", env_variables=json.dumps({"API_URL": {"value": "https://x"}}))
    add("koreai-env-object", K, dict(wf, src=directory),
        [re.escape(os.path.join(directory, "env_variables.json")) + ": expected a JSON array of variables .*got an object"])
    directory = _koreai_dir(src, "k-env-strings", env_variables=json.dumps(["API_URL=x"]))
    add("koreai-env-items-wrong-type", K, dict(wf, src=directory), ["env_variables\\.json: variable \\[0\\]: expected an object with a string 'key'"])
    directory = _koreai_dir(src, "k-env-dup-names", env_variables=json.dumps([{"key": "A"}, {"key": "A"}]))
    add("koreai-env-duplicate-variables", K, dict(wf, src=directory), ["env_variables\\.json: duplicate variables: A"])
    directory = _koreai_dir(src, "k-env-dup-key", env_variables='[{"key": "A", "value": "1", "key": "B"}]')
    add("koreai-env-duplicate-key", K, dict(wf, src=directory), ['env_variables\\.json: duplicate key "key" in the object at \\$\\[0\\]'])
    directory = _koreai_dir(src, "k-app-list", app_definition="[1, 2]")
    add("koreai-app-definition-list", K, dict(wf, src=directory), ["app_definition\\.json: expected a JSON object"])
    directory = _koreai_dir(src, "k-flow-malformed", flow_definition='{"nodes": [')
    add("koreai-flow-malformed", K, dict(wf, src=directory), ["flow_definition\\.json: line 1, column \\d+"])
    directory = _koreai_dir(src, "k-flow-not-utf8", flow_definition=b'{"name": "\xc3\x28"}')
    add("koreai-flow-not-utf8", K, dict(wf, src=directory), ["flow_definition\\.json: not valid UTF-8"])
    directory = _koreai_dir(src, "k-missing-env")
    os.unlink(os.path.join(directory, "env_variables.json"))
    add("koreai-missing-file", K, dict(wf, src=directory), [re.escape(directory) + ": missing env_variables\\.json"])
    directory = _koreai_dir(src, "k-descope", flow_definition=json.dumps(flow))
    add("koreai-wrong-provider-descope", K, dict(wf, src=directory), ["flow_definition\\.json: this looks like a Descope flow export"])
    path = _zip(os.path.join(src, "k-dotdot.zip"), _members(flow_definition="../flow_definition.json"))
    add("koreai-zip-entry-dotdot", K, dict(wf, src=path), [re.escape(path) + ": entry '\\.\\./flow_definition\\.json' leaves the archive"])
    path = _zip(os.path.join(src, "k-abs.zip"), _members(flow_definition="/tmp/flow_definition.json"))
    add("koreai-zip-entry-absolute", K, dict(wf, src=path), [re.escape(path) + ": entry '/tmp/flow_definition\\.json' leaves the archive"])
    path = _zip(os.path.join(src, "k-zip-dup.zip"), _members(content={"app_definition.json": '{"name": "a", "name": "b"}'}))
    add("koreai-zip-duplicate-key", K, dict(wf, src=path), [re.escape(path) + '!app_definition\\.json: duplicate key "name"'])
    path = file("k-not-a-zip.zip", b"PK\x03\x04 this is not really a zip")
    add("koreai-not-a-zip", K, dict(wf, src=path), [re.escape(path) + ": (expected a directory|not a zip)"])
    directory = _koreai_dir(src, "k-ok")
    add("koreai-unknown-env-override", K, dict(wf, src=directory, env_overrides={"NO_SUCH_VAR": "x"}), ["NO_SUCH_VAR"])
    add("koreai-wrong-credentials", K, dict(wf, src=_koreai_dir(src, "k-ok2"), api_key="kg-wrong-key"), ["HTTP 401", "Invalid SDK credentials"])
    add("koreai-export-name-dotdot", K, {"state": "exported", "workflow_id": "../../a", "dest": os.path.join(out, "k-export")},
        ["workflow_id '\\.\\./\\.\\./a' is not a valid id: expected letters, digits"])

    # ---- Placeholders (values, portable) -------------------------------------------------------------------------
    portable = copy.deepcopy(flow)
    portable["metadata"]["description"] = "calls https://##API_HOST##/v1"
    portable.setdefault("references", {})["connectors"] = {"HTTP": "@@HTTP_CONNECTOR_ID@@"}
    path = file("p-descope-unresolved.json", json.dumps(portable))
    add("placeholder-descope-unresolved", D, {"src": path, "values": {"API_HOST": "api.staging.example"}},
        [re.escape(path) + r": no value for placeholder @@HTTP_CONNECTOR_ID@@ at \$\.references\.connectors\.HTTP; names with values: API_HOST"])
    add("placeholder-descope-none-given", D, {"src": path},
        [re.escape(path) + r": no value for placeholders .*##API_HOST## at \$\.metadata\.description.*names with values: none \(set values\)"])
    add("placeholder-descope-inline-not-text", D, {"src": path, "values": {"API_HOST": ["a", "b"], "HTTP_CONNECTOR_ID": "CI1"}},
        [re.escape(path) + r": ##NAME## is replaced by text.*##API_HOST## at \$\.metadata\.description \(the value of API_HOST is an array\)"])
    add("placeholder-descope-bad-name", D, {"src": path, "values": {"API-HOST": "x"}}, ["values: 'API-HOST' is not a placeholder name"])
    add("placeholder-descope-inline-flow", D, {"flow": portable, "values": {"API_HOST": "x"}},
        [r"flow \(inline\): no value for placeholder @@HTTP_CONNECTOR_ID@@ at \$\.references\.connectors\.HTTP"])
    theme = {"styles": {"light": {"colors": {"primary": "@@PRIMARY@@"}}}}
    path = file("p-theme.json", json.dumps(theme))
    add("placeholder-theme-unresolved", T, {"src": path}, [re.escape(path) + r": no value for placeholder @@PRIMARY@@ at \$\.styles\.light\.colors\.primary"])
    dv = copy.deepcopy(davinci)
    dv["description"] = "##DV_DESCRIPTION##"
    path = file("p-davinci.json", json.dumps(dv))
    add("placeholder-davinci-unresolved", V, {"src": path, "values": {"OTHER": 1}},
        [re.escape(path) + r": no value for placeholder ##DV_DESCRIPTION## at \$\.description; names with values: OTHER"])
    add("placeholder-davinci-reserved-name", V, {"src": path, "values": {"SK": "x", "DV_DESCRIPTION": "d"}},
        ["values: SK is not available as a placeholder name here"])
    directory = _koreai_dir(src, "p-koreai", env_variables=json.dumps([{"key": "API_URL", "value": "@@ORDERS_API_URL@@", "isSecured": False}]))
    add("placeholder-koreai-unresolved", K, dict(wf, src=directory, env_overrides={"API_URL": "https://set-but-too-late.example"}),
        [re.escape(os.path.join(directory, "env_variables.json")) + r": no value for placeholder @@ORDERS_API_URL@@ at \$\[0\]\.value"])
    bad_export = {"state": "exported", "flow_id": ["sign-in"], "dest": os.path.join(out, "p-export"), "portable": True, "values": {"1X": "y"}}
    add("placeholder-export-portable-bad-name", D, bad_export, ["values: '1X' is not a placeholder name"])
    return cases


# Runs of the collection's playbooks: (id, playbook, extra vars, inventory change, expected regexes).
ROLE_CASES = [
    ("role-promote-unknown-to-stage", "promote", {"from": "dev", "to": "staging"}, None, ["staging"]),
    ("role-promote-same-stage", "promote", {"from": "dev", "to": "dev"}, None, ["two different stages"]),
    ("role-promote-unknown-from-stage", "promote", {"from": "qa", "to": "prod"}, None, ["qa"]),
    ("role-backup-unknown-provider", "backup", {}, ("portal_descope_dev", "flow_provider", "okta"),
     ["portal_descope_dev: needs the flow_provider host var, one of: descope, davinci, koreai"]),
]
