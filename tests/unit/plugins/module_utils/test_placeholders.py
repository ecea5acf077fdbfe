# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Placeholders (``@@NAME@@`` / ``##NAME##``): resolution, errors, portable exports of the real samples."""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.flowops.flows.plugins.module_utils import _placeholders as p
from ansible_collections.flowops.flows.plugins.module_utils._document import JsonNumber, dumps, load_file, loads
from ansible_collections.flowops.flows.plugins.module_utils._davinci_documents import RESERVED_PLACEHOLDER_NAMES

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "samples")
SHARED = os.environ.get("FLOWOPS_SAMPLES_DIR", "")


def sample(*parts):
    return load_file(os.path.join(SAMPLES, *parts))


# -- resolve ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["text", 7, JsonNumber("1.50"), 2.5, True, False, None, [1, "a", {"b": None}], {"k": [True]}, "", [], {}])
def test_whole_string_placeholder_takes_any_json_type(value):
    out = p.resolve({"a": {"b": ["x", "@@V@@"]}}, {"V": value}, "f.json")
    assert out == {"a": {"b": ["x", value]}}
    assert type(out["a"]["b"][1]) is type(value)   # pylint: disable=unidiomatic-typecheck


def test_whole_value_is_copied_not_shared():
    value = {"list": [1]}
    out = p.resolve(["@@V@@", "@@V@@"], {"V": value}, "f")
    out[0]["list"].append(2)
    assert value == {"list": [1]} and out[1] == {"list": [1]}


def test_inline_placeholders_become_text():
    doc = {"url": "https://##HOST##:##PORT##/v1/##HOST##", "n": "v##VERSION##"}
    assert p.resolve(doc, {"HOST": "api.example.com", "PORT": 8443, "VERSION": JsonNumber("2.0")}, "f") == {
        "url": "https://api.example.com:8443/v1/api.example.com", "n": "v2.0"}


def test_only_the_exact_patterns_are_placeholders():
    doc = {"@@KEY@@": "@@KEY@@ ", "b": "@@1X@@", "c": "##A-B##", "d": "x@@KEY@@", "e": "@@KEY@", "f": "###KEY###", "g": "##KEY####"}
    out = p.resolve(doc, {"KEY": "v"}, "f")
    assert out == doc   # keys, padded and partial @@..@@, bad names and ##..## next to a '#' are left alone


def test_substituted_values_are_not_scanned_again():
    assert p.resolve({"a": "@@A@@", "b": "##A##"}, {"A": "@@B@@"}, "f") == {"a": "@@B@@", "b": "@@B@@"}


def test_document_is_not_changed():
    doc = {"a": ["@@A@@"]}
    p.resolve(doc, {"A": 1}, "f")
    assert doc == {"a": ["@@A@@"]}


def test_a_document_without_markers_is_returned_as_is_and_still_checks_values():
    doc = {"a": ["x", {"b": JsonNumber("1.50")}], "c": "@ and # alone", "d": None}
    assert p.resolve(doc, {"HOST": "h"}, "f.json") is doc
    assert p.find_placeholders(doc) == []
    with pytest.raises(p.PlaceholderError):
        p.resolve(doc, {"not a name": "h"}, "f.json")


@pytest.mark.parametrize("doc, names, resolved", [
    ({"##KEY##": "@@HOST@@"}, ["HOST"], {"##KEY##": "h"}),               # keys are never placeholders
    ({"k": [1, {"x": "https://##HOST##/a"}]}, ["HOST"], {"k": [1, {"x": "https://h/a"}]}),
    ({"k": "a@@HOST@@"}, [], {"k": "a@@HOST@@"}),                       # not a whole value: not a placeholder
])
def test_a_marker_anywhere_takes_the_full_walk(doc, names, resolved):
    assert [name for _path, _text, name in p.find_placeholders(doc)] == names
    assert p.resolve(doc, {"HOST": "h"}, "f.json") == resolved


def test_missing_value_names_file_path_placeholder_and_known_names():
    doc = {"contents": {"tasks": [{}, {}, {}, {"args": {"url": "https://##API_HOST##/x"}}]}, "references": {"connectors": {"http": "@@HTTP_ID@@"}}}
    with pytest.raises(p.PlaceholderError) as exc:
        p.resolve(doc, {"OTHER": "x", "ANOTHER": 1}, "flows/sign-in.json")
    msg = str(exc.value)
    assert msg.startswith("flows/sign-in.json: no value for placeholders ")
    assert "##API_HOST## at $.contents.tasks[3].args.url" in msg
    assert "@@HTTP_ID@@ at $.references.connectors.http" in msg
    assert msg.endswith("names with values: ANOTHER, OTHER")


def test_missing_value_without_any_values_and_odd_keys_in_the_path():
    with pytest.raises(p.PlaceholderError, match=r'^f: no value for placeholder @@X@@ at \$\["odd key"\]\[0\]; names with values: none \(set values\)$'):
        p.resolve({"odd key": ["@@X@@"]}, {}, "f")


@pytest.mark.parametrize("value,kind", [(True, "a boolean"), (None, "null"), ([1], "an array"), ({"a": 1}, "an object")])
def test_inline_placeholder_needs_text(value, kind):
    with pytest.raises(p.PlaceholderError) as exc:
        p.resolve({"a": ["pre ##X## post"]}, {"X": value}, "f.json")
    assert "f.json: ##NAME## is replaced by text, so its value must be a string or a number: ##X## at $.a[0] (the value of X is %s)" % kind in str(exc.value)


def test_the_same_value_is_fine_as_a_whole_string():
    assert p.resolve({"a": "@@X@@"}, {"X": True}, "f") == {"a": True}


@pytest.mark.parametrize("values,message", [
    ({"1A": "x"}, "values: '1A' is not a placeholder name"),
    ({"A-B": "x"}, "values: 'A-B' is not a placeholder name"),
    ("A=1", "values must be a dict"),
])
def test_values_keys_must_be_names(values, message):
    with pytest.raises(p.PlaceholderError, match=message):
        p.resolve({}, values, "f")


def test_reserved_names_stay_as_they_are():
    doc = {"name": "companyLogo##SK##flowInstance", "u": "##HOST##"}
    assert p.resolve(doc, {"HOST": "h"}, "f", reserved=("SK",)) == {"name": "companyLogo##SK##flowInstance", "u": "h"}
    with pytest.raises(p.PlaceholderError, match="SK is not available as a placeholder name here"):
        p.resolve(doc, {"SK": "x"}, "f", reserved=("SK",))
    assert p.find_placeholders(doc, reserved=("SK",)) == [("$.u", "##HOST##", "HOST")]


def test_many_missing_are_counted():
    with pytest.raises(p.PlaceholderError, match="and 5 more; names"):
        p.resolve(["@@M%d@@" % i for i in range(25)], {}, "f")


# -- make_portable ----------------------------------------------------------------------------------------

def test_portable_whole_inline_and_longest_first():
    doc = {"id": "abc", "url": "https://dev.example.com/abc", "keep": 7, "flag": True, "list": ["x", "y"], "abc": "not a key"}
    values = {"ID": "abc", "HOST": "dev.example.com", "BASE": "https://dev.example.com", "LIST": ["x", "y"], "SEVEN": 7, "T": True}
    portable, used = p.make_portable(doc, values, "f")
    assert portable == {"id": "@@ID@@", "url": "##BASE##/##ID##", "keep": 7, "flag": True, "list": "@@LIST@@", "abc": "not a key"}
    assert used == ["BASE", "ID", "LIST"]
    assert p.resolve(portable, values, "f") == doc


def test_portable_refuses_two_names_with_one_value():
    with pytest.raises(p.PlaceholderError, match=r'f: cannot write a portable file: the values of A and B are the same \("v"\)'):
        p.make_portable({"a": "v"}, {"A": "v", "B": "v"}, "f")
    # a shared value that does not occur is no problem
    assert p.make_portable({"a": "w"}, {"A": "v", "B": "v"}, "f")[0] == {"a": "w"}


def test_portable_refuses_text_that_already_reads_as_a_placeholder():
    with pytest.raises(p.PlaceholderError, match=r"f: cannot write a portable file: the document already holds text that reads as a placeholder "
                                                 r".*##OTHER## at \$\.a"):
        p.make_portable({"a": "x ##OTHER## y", "b": "v"}, {"A": "v"}, "f")


def test_portable_refuses_a_result_that_does_not_come_back():
    # "##A##" is in the document already and A is known: resolving would turn it into "v"
    with pytest.raises(p.PlaceholderError, match=r"f: cannot write a portable file: at \$\.a the exported .*##A##.* would come back as .*v"):
        p.make_portable({"a": "##A##", "b": "v"}, {"A": "v"}, "f")


def test_portable_value_next_to_a_hash_is_refused():
    # "#v" -> "###A##": not a placeholder next to a '#', so it would not come back
    with pytest.raises(p.PlaceholderError, match=r"at \$\.a .*the value of A is ambiguous there"):
        p.make_portable({"a": "#v"}, {"A": "v"}, "f")


def test_portable_never_uses_empty_numbers_or_bools():
    doc = {"a": "", "b": 0, "c": False, "d": None, "e": []}
    assert p.make_portable(doc, {"E": "", "Z": 0, "F": False, "N": None, "L": []}, "f") == (doc, [])


def test_portable_values_option():
    assert p.portable_values({"portable": False, "values": {"A": 1}}) is None
    assert p.portable_values({"portable": True, "values": {"A": 1}}) == {"A": 1}
    with pytest.raises(p.PlaceholderError):
        p.portable_values({"portable": True, "values": {"SK": 1}}, reserved=("SK",))


def test_strict_equality():
    assert not p.same(True, 1) and not p.same([1], [True]) and not p.same("1", 1) and not p.same(None, 0)
    assert p.same(JsonNumber("1.0"), 1) and p.same({"a": [1, "x"]}, {"a": [1, "x"]})


# -- the real samples: every one round-trips with values taken from it -----------------------------------

def _strings(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


SAMPLE_VALUES = {
    ("descope", "connectorflow.json"): {"HTTP_CONNECTOR_ID": "CI2kytoq1RRvE147xvkGxu6xXEJxY", "OAUTH_PROVIDER": "apple", "FLOW_NAME": "References Flow"},
    ("descope", "roleflow.json"): {"USER_ROLE_ID": "ROL2kytoq1RRvE147xvkGxu6xXEJxY"},
    ("descope", "basicflow.json"): None,
    ("davinci", "full-minimal.json"): None,
    ("davinci", "full-basic-vars.json"): None,
    ("davinci", "multiple-flows.json"): None,
}


def _auto_values(doc, count=4):
    """Values taken from the sample itself: a few of its longer distinct strings (ids, URLs, names)."""
    seen = []
    for text in _strings(doc):
        if 8 <= len(text) <= 64 and "#" not in text and "@" not in text and text not in seen:
            seen.append(text)
    seen.sort(key=lambda t: (-len(t), t))
    return {"V%d" % i: text for i, text in enumerate(seen[:count])}


def _round_trip(doc, values, source, reserved=()):
    portable, used = p.make_portable(doc, values, source, reserved)
    assert used, "no value of %s occurs in %s" % (sorted(values), source)
    text = dumps(portable)
    for name in used:
        assert ("@@%s@@" % name) in text or ("##%s##" % name) in text
    for value in values.values():
        if isinstance(value, str):
            assert json.dumps(value)[1:-1] not in text, "%s still holds %r" % (source, value)
    back = p.resolve(loads(text), values, source, reserved)
    assert dumps(back) == dumps(doc)


@pytest.mark.parametrize("key", sorted(SAMPLE_VALUES), ids="/".join)
def test_every_vendored_sample_round_trips(key):
    doc = sample(*key)
    values = SAMPLE_VALUES[key] or _auto_values(doc)
    reserved = RESERVED_PLACEHOLDER_NAMES if key[0] == "davinci" else ()
    assert p.resolve(doc, {}, "/".join(key), reserved) == doc   # the real file holds no placeholder of ours
    _round_trip(doc, values, "/".join(key), reserved)


def _shared_files():
    if not SHARED or not os.path.isdir(SHARED):
        return []
    out = []
    for root, _dirs, files in os.walk(SHARED):
        out.extend(os.path.join(root, f) for f in files if f.endswith(".json"))
    return sorted(out)


@pytest.mark.skipif(not _shared_files(), reason="FLOWOPS_SAMPLES_DIR (the full shared samples, with davinci/oob) is not set")
def test_every_shared_sample_round_trips():
    for path in _shared_files():
        doc = load_file(path)
        reserved = RESERVED_PLACEHOLDER_NAMES if "davinci" in path else ()
        assert p.resolve(doc, {}, path, reserved) == doc
        values = _auto_values(doc)
        if values:
            _round_trip(doc, values, path, reserved)


def test_descope_sample_resolves_through_the_provider_loader(tmp_path):
    """Connector ids in references.connectors and literal task arguments are plain strings: the neutral resolver covers them."""
    from ansible_collections.flowops.flows.plugins.module_utils import _descope   # pylint: disable=import-outside-toplevel
    original = sample("descope", "connectorflow.json")
    portable, _used = p.make_portable(original, SAMPLE_VALUES[("descope", "connectorflow.json")], "x")
    assert portable["references"]["connectors"]["My HTTP Connector"] == "@@HTTP_CONNECTOR_ID@@"
    assert portable["contents"]["tasks"]["1"]["arguments"]["defaultProvider"]["value"] == "@@OAUTH_PROVIDER@@"
    path = tmp_path / "references-flow.json"
    path.write_text(dumps(portable))
    staging = {"HTTP_CONNECTOR_ID": "CIstaging", "OAUTH_PROVIDER": "google", "FLOW_NAME": "References Flow"}
    [(flow_id, doc, source)] = _descope.desired_flows(src=str(path), values=staging)
    assert (flow_id, source) == ("references-flow", str(path))
    assert doc["references"]["connectors"] == {"My HTTP Connector": "CIstaging"}
    assert doc["contents"]["tasks"]["1"]["arguments"]["defaultProvider"]["value"] == "google"
    expected = copy.deepcopy(original)
    expected["references"]["connectors"]["My HTTP Connector"] = "CIstaging"
    for task in ("1", "1.end"):
        expected["contents"]["tasks"][task]["arguments"]["defaultProvider"]["value"] = "google"
    assert dumps(doc) == dumps(expected)
    with pytest.raises(p.PlaceholderError,
                       match=r"references-flow\.json: no value for placeholder @@HTTP_CONNECTOR_ID@@ at \$\.references\.connectors\[\"My HTTP Connector\"\]"):
        _descope.desired_flows(src=str(path), values={"OAUTH_PROVIDER": "google", "FLOW_NAME": "x"})
