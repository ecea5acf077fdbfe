# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file-shape registry: each provider's files recognised, each foreign file refused by each provider."""

from __future__ import annotations

import json

import pytest

from ansible_collections.flowops.flows.plugins.module_utils import _davinci_documents, _descope, _koreai, _koreai_documents
from ansible_collections.flowops.flows.plugins.module_utils._davinci import load_sources
from ansible_collections.flowops.flows.plugins.module_utils._shapes import SHAPES, foreign, identify, refusal, refuse
from ansible_collections.flowops.flows.plugins.module_utils._sync import FlowError

DESCOPE_FLOW = {"flowId": "sign-in", "metadata": {"name": "Sign In"}, "contents": {}, "screens": []}
DESCOPE_FLOW_ENVELOPE = {"flow": {"flowId": "sign-in", "metadata": {}, "contents": {}}}
DESCOPE_V1 = {"flow": {"id": "sign-in", "dsl": {}}, "screens": []}
DESCOPE_THEME = {"theme": {"styles": {"light": {}}}}
DAVINCI_LEGACY = {"flowId": "f1", "companyId": "c", "name": "Login", "graphData": {"elements": {"nodes": []}}}
DAVINCI_MULTI = {"flows": [{"flowId": "f1", "graphData": {}}]}
DAVINCI_API = {"flow": {"id": "f1", "name": "Login"}, "graphData": {"elements": {}}, "environment": {"id": "e"}}
DAVINCI_OBJECT = {"_links": {"self": {}}, "environment": {"id": "e"}, "name": "x"}
KOREAI_BOT = {"botDefinition": {}, "streamId": "st-1"}
KOREAI_WORKFLOW = {"workflowId": "wf-1", "nodes": []}

CASES = [
    (DESCOPE_FLOW, "descope", "flow"),
    (DESCOPE_FLOW_ENVELOPE, "descope", "flow"),
    (DESCOPE_V1, "descope", "flow-v1"),
    (DESCOPE_THEME, "descope", "theme"),
    ({"styles": {"dark": {}}, "componentsVersion": "2"}, "descope", "theme"),
    (DAVINCI_LEGACY, "davinci", "flow"),
    (DAVINCI_MULTI, "davinci", "flow"),
    (DAVINCI_API, "davinci", "flow"),
    (DAVINCI_OBJECT, "davinci", "api-object"),
    (KOREAI_BOT, "koreai", "workflow"),
    (KOREAI_WORKFLOW, "koreai", "workflow"),
]


@pytest.mark.parametrize("doc, provider, kind", CASES)
def test_each_shape_is_recognised(doc, provider, kind):
    shape = identify(doc)
    assert (shape.provider, shape.kind) == (provider, kind)
    assert foreign(doc, provider) is None


@pytest.mark.parametrize("doc", [{}, [], None, "text", {"name": "x"}, {"metadata": {}}, {"flow": {"id": "x"}}])
def test_unknown_content_is_no_shape(doc):
    assert identify(doc) is None
    assert all(foreign(doc, provider) is None for provider in ("descope", "davinci", "koreai"))


@pytest.mark.parametrize("name", ["flow_definition.json", "app_definition.json", "env_variables.json", "botdefinition.json", "config.json"])
def test_koreai_file_names_only_when_the_content_says_nothing(name):
    assert identify({"name": "w", "nodes": []}, "/x/" + name) is SHAPES[("koreai", "package-file")]
    assert identify(DESCOPE_FLOW, "/x/" + name) is SHAPES[("descope", "flow")]
    assert identify({"name": "w"}, "/x/other.json") is None


@pytest.mark.parametrize("doc, provider, kind", CASES)
def test_every_other_provider_refuses_with_one_message(doc, provider, kind):
    shape = SHAPES[(provider, kind)]
    for other in ("descope", "davinci", "koreai"):
        if other == provider:
            continue
        message = foreign(doc, other)
        assert message == refusal(shape, other)
        assert message.startswith("this looks like %s, not " % shape.description) and message.endswith("; use %s" % shape.module)
        with pytest.raises(ValueError, match=r"^src\.json: this looks like"):
            refuse(doc, other, "src.json")


def test_own_kinds_can_be_narrowed():
    assert foreign(DESCOPE_THEME, "descope", accept=("theme",)) is None
    message = foreign(DESCOPE_THEME, "descope", accept=("flow",), what="a Descope v2 flow export")
    assert message == "this looks like a Descope theme export (styles), not a Descope v2 flow export; use flowops.flows.descope_theme"


# -- each provider uses the registry ---------------------------------------------------------------------------

FOREIGN_TO = {
    "descope": [DAVINCI_LEGACY, DAVINCI_MULTI, DAVINCI_API, DAVINCI_OBJECT, KOREAI_BOT, KOREAI_WORKFLOW],
    "davinci": [DESCOPE_FLOW, DESCOPE_FLOW_ENVELOPE, DESCOPE_V1, DESCOPE_THEME, KOREAI_BOT, KOREAI_WORKFLOW],
    "koreai": [DESCOPE_FLOW, DESCOPE_V1, DESCOPE_THEME, DAVINCI_LEGACY, DAVINCI_MULTI, DAVINCI_API, DAVINCI_OBJECT],
}


@pytest.mark.parametrize("doc", FOREIGN_TO["descope"])
def test_descope_refuses_foreign_files(tmp_path, doc):
    src = tmp_path / "x.json"
    src.write_text(json.dumps(doc))
    expected = "%s: %s" % (src, foreign(doc, "descope", accept=("flow",), what="a Descope v2 flow export"))
    with pytest.raises(FlowError) as exc:
        _descope.desired_flows(src=str(src))
    assert str(exc.value) == expected
    with pytest.raises(FlowError, match="this looks like"):
        _descope.desired_theme(src=str(src))


@pytest.mark.parametrize("doc", FOREIGN_TO["davinci"])
def test_davinci_refuses_foreign_files(tmp_path, doc):
    src = tmp_path / "x.json"
    src.write_text(json.dumps(doc))
    with pytest.raises(_davinci_documents.RemapError) as exc:
        _davinci_documents.detect_format(doc)
    assert str(exc.value) == foreign(doc, "davinci")
    with pytest.raises(FlowError, match=r"x\.json: this looks like"):
        load_sources(str(src))


@pytest.mark.parametrize("doc", FOREIGN_TO["koreai"])
def test_koreai_refuses_foreign_files(tmp_path, doc):
    docs = {"flow_definition": doc, "app_definition": {}, "env_variables": []}
    for key, value in docs.items():
        (tmp_path / _koreai_documents.FILE_OF[key]).write_text(json.dumps(value))
    with pytest.raises(_koreai_documents.PackageError) as exc:
        _koreai.load_package(str(tmp_path))
    assert str(exc.value).startswith("%s: this looks like " % (tmp_path / "flow_definition.json"))


def test_each_provider_accepts_its_own_files(tmp_path):
    src = tmp_path / "flow.json"
    src.write_text(json.dumps(DESCOPE_FLOW))
    assert _descope.desired_flows(src=str(src))[0][0] == "sign-in"
    assert _descope.desired_theme(theme=DESCOPE_THEME)[0] == DESCOPE_THEME["theme"]
    for doc in (DAVINCI_LEGACY, DAVINCI_MULTI, DAVINCI_API):
        assert _davinci_documents.detect_format(doc) in ("legacy", "legacy-multi", "api")
    for key, value in {"flow_definition": KOREAI_WORKFLOW, "app_definition": {}, "env_variables": []}.items():
        (tmp_path / _koreai_documents.FILE_OF[key]).write_text(json.dumps(value))
    assert _koreai.load_package(str(tmp_path))["flow_definition"] == KOREAI_WORKFLOW
