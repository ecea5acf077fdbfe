# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pydantic is imported by the first document validation, not by a module start (issue 16, item 2)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.flowops.flows.plugins.module_utils import _models
from ansible_collections.flowops.flows.plugins.module_utils._davinci import MODELS as DAVINCI
from ansible_collections.flowops.flows.plugins.module_utils._descope import MODELS as DESCOPE, load_flow_document
from ansible_collections.flowops.flows.plugins.module_utils._koreai import MODELS as KOREAI
from ansible_collections.flowops.flows.plugins.module_utils._models import DocumentInvalid, MissingLibrary, lazy_models, validate

MODULES = ["descope_flow", "descope_flow_info", "davinci_flow", "davinci_flow_info", "koreai_workflow", "koreai_workflow_info"]


def test_starting_a_module_does_not_import_pydantic():
    code = ("import importlib, json, sys\n"
            "for name in %r:\n"
            "    importlib.import_module('ansible_collections.flowops.flows.plugins.modules.' + name)\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic')))\n" % MODULES)
    root = _models.__file__
    for _level in range(6):   # .../<root>/ansible_collections/flowops/flows/plugins/module_utils/_models.py
        root = os.path.dirname(root)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root] + sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert json.loads(out.stdout) == []


def test_every_adapter_model_builds_and_validates_its_envelope():
    validate(DESCOPE["flow"], {"metadata": {}, "contents": {}}, "f.json")
    validate(DESCOPE["theme"], {"styles": {"light": {}}}, "theme.json")
    validate(DAVINCI["flow"], {"name": "a", "graphData": {"elements": {"nodes": [{"data": {"id": "n1"}}]}}}, "d.json")
    validate(KOREAI["flow_definition"], {}, "flow_definition.json")
    validate(KOREAI["app_definition"], {}, "app_definition.json")
    # nested models of a lazily built set resolve each other: a node without its data id is refused, by path
    with pytest.raises(DocumentInvalid, match=r"d\.json: not a valid DaVinci flow: graphData\.elements\.nodes\[0\]\.data\.id: Field required"):
        validate(DAVINCI["flow"], {"name": "a", "graphData": {"elements": {"nodes": [{"data": {}}]}}}, "d.json", "DaVinci flow")
    with pytest.raises(DocumentInvalid, match=r"f\.json: not a valid Descope v2 flow export .*contents: Field required"):
        load_flow_document({"metadata": {}}, "f.json")


def test_models_are_built_once_on_first_use():
    calls = []

    @lazy_models
    def models(envelope):
        calls.append(envelope)

        class Thing(envelope):
            name: str

        return {"thing": Thing}

    assert calls == []
    assert models["thing"] is models["thing"] and len(calls) == 1
    assert validate(models["thing"], {"name": "x", "extra": 1}, "t.json").model_extra == {"extra": 1}   # unknown keys are kept


def test_a_missing_pydantic_is_reported_when_a_document_is_validated(monkeypatch):
    monkeypatch.setattr(_models, "_PYDANTIC", {})
    monkeypatch.setitem(sys.modules, "pydantic", None)   # import pydantic -> ImportError

    @lazy_models
    def models(envelope):
        return {"thing": envelope}

    with pytest.raises(MissingLibrary) as caught:
        validate(models["thing"], {}, "t.json")
    assert "ImportError" in caught.value.traceback or "ModuleNotFoundError" in caught.value.traceback
