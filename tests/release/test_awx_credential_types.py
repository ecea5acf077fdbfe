# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX / Automation Controller credential types in extensions/awx/credential_types.

Each file is checked against the shape AWX accepts for a custom credential type (the inputs and injectors
schemas of awx/main/fields.py, docs/credentials/custom_credential_types.md), and against the collection:
injectors use only declared fields, secrets are marked secret, and the environment variables injected are
exactly the ones the modules' argument specs fall back to.
"""

from __future__ import annotations

import glob
import os
import re

import jinja2
import jinja2.meta
import jsonschema
import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TYPES_DIR = os.path.join(ROOT, "extensions", "awx", "credential_types")
FILES = sorted(glob.glob(os.path.join(TYPES_DIR, "*.yml")))
NAME = r"^[a-zA-Z_]+[a-zA-Z0-9_]*$"

FIELD = {
    "type": "object",
    "required": ["id", "label"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": NAME},
        "label": {"type": "string", "minLength": 1},
        "type": {"enum": ["string", "boolean"]},
        "help_text": {"type": "string"},
        "secret": {"type": "boolean"},
        "multiline": {"type": "boolean"},
        "format": {"enum": ["ssh_private_key", "url"]},
        "choices": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "default": {"type": ["string", "boolean"]},
        "ask_at_runtime": {"type": "boolean"},
    },
}
CREDENTIAL_TYPE = {
    "type": "object",
    "required": ["name", "kind", "inputs", "injectors"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "kind": {"enum": ["cloud", "net"]},
        "inputs": {
            "type": "object",
            "required": ["fields"],
            "additionalProperties": False,
            "properties": {
                "fields": {"type": "array", "minItems": 1, "items": FIELD},
                "required": {"type": "array", "items": {"type": "string"}},
            },
        },
        "injectors": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {
                "env": {"type": "object", "propertyNames": {"pattern": NAME}, "additionalProperties": {"type": "string"}},
                "extra_vars": {"type": "object", "propertyNames": {"pattern": NAME}, "additionalProperties": {"type": "string"}},
                "file": {"type": "object", "propertyNames": {"pattern": r"^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$"},
                         "additionalProperties": {"type": "string"}},
            },
        },
    },
}
SECRET_WORDS = re.compile(r"(key|secret|password|token)$")


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def module_env_fallbacks():
    """Environment variable names the modules' argument specs fall back to: ``env("NAME", ...)``."""
    names = set()
    for path in glob.glob(os.path.join(ROOT, "plugins", "module_utils", "*.py")):
        with open(path, encoding="utf-8") as f:
            for call in re.findall(r'\benv\(([^)]*)\)', f.read()):
                names.update(re.findall(r'"([A-Z][A-Z0-9_]*)"', call))
    return names


def template_names(text):
    return jinja2.meta.find_undeclared_variables(jinja2.Environment().parse(text))


def test_there_is_one_type_per_provider_and_a_promotion_source():
    assert [os.path.basename(p) for p in FILES] == ["descope.yml", "koreai.yml", "pingone_davinci.yml", "promotion_source.yml"]


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_structure_is_what_awx_accepts(path):
    doc = load(path)
    jsonschema.validate(doc, CREDENTIAL_TYPE)
    fields = doc["inputs"]["fields"]
    ids = [f["id"] for f in fields]
    labels = [f["label"] for f in fields]
    assert len(ids) == len(set(ids)), "duplicate field ids in %s" % path
    assert len(labels) == len(set(labels)), "duplicate field labels in %s" % path
    assert set(doc["inputs"].get("required", [])) <= set(ids)
    for field in fields:
        if field.get("type") == "boolean":
            assert not {"choices", "multiline", "secret", "format"} & set(field), field
        if "choices" in field and "default" in field:
            assert field["default"] in field["choices"], field


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_injectors_reference_only_declared_fields(path):
    doc = load(path)
    ids = {f["id"] for f in doc["inputs"]["fields"]}
    injectors = doc["injectors"]
    for section in ("env", "extra_vars", "file"):
        for key, text in injectors.get(section, {}).items():
            used = template_names(text)
            allowed = ids | ({"tower", "awx"} if "file" in injectors else set())
            assert used, "%s %s injects no field" % (section, key)
            assert used <= allowed, "%s: %s %s uses undeclared %s" % (os.path.basename(path), section, key, used - allowed)
    injected = set().union(*(template_names(t) for s in injectors.values() for t in s.values()))
    assert ids <= injected, "fields never injected: %s" % (ids - injected)


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_secrets_are_marked_secret(path):
    for field in load(path)["inputs"]["fields"]:
        assert field.get("secret", False) == bool(SECRET_WORDS.search(field["id"])), field


def test_env_injectors_are_exactly_the_modules_env_fallbacks():
    injected = set()
    for path in FILES:
        env = load(path)["injectors"].get("env", {})
        assert not injected & set(env), "two types inject %s" % (injected & set(env))
        injected |= set(env)
    assert injected == module_env_fallbacks()


def test_promotion_source_covers_every_secret_of_the_provider_types():
    source = load(os.path.join(TYPES_DIR, "promotion_source.yml"))
    assert set(source["injectors"]) == {"extra_vars"}
    source_ids = {f["id"] for f in source["inputs"]["fields"]}
    for name, prefix in (("descope.yml", "descope"), ("pingone_davinci.yml", "pingone"), ("koreai.yml", "koreai")):
        for field in load(os.path.join(TYPES_DIR, name))["inputs"]["fields"]:
            if field.get("secret"):
                assert "%s_%s" % (prefix, field["id"]) in source_ids, (name, field["id"])
    for key, text in source["injectors"]["extra_vars"].items():
        assert key == "flowops_source_" + next(iter(template_names(text)))
