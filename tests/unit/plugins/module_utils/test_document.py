# -*- coding: utf-8 -*-
# Copyright (c) 2025, flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests for ``_document``: canonical JSON, fingerprints, masking and safe files."""

from __future__ import annotations

import collections
import copy
import glob
import json
import os
import pickle
import random
import re
import sys
import time

import pytest

from ansible_collections.flowops.flows.plugins.module_utils import _document
from ansible_collections.flowops.flows.plugins.module_utils._document import (
    DocumentError,
    JsonNumber,
    diff,
    dumps,
    dumps_compact,
    fingerprint,
    load_file,
    loads,
    mask,
    read_text_if_exists,
    safe_join,
    safe_name,
    strip_paths,
    write_if_changed,
)

# Real exported files vendored from shared/samples (licences in their README.md files).
SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "samples")
SAMPLE_FILES = sorted(glob.glob(os.path.join(SAMPLES, "**", "*.json"), recursive=True))
FULL_MINIMAL = os.path.join(SAMPLES, "davinci", "full-minimal.json")


# ---------------------------------------------------------------------------
# canonical JSON


def test_full_minimal_is_byte_stable_and_keeps_big_float_literals():
    with open(FULL_MINIMAL, encoding="utf-8") as handle:
        raw = handle.read()
    doc = loads(raw, source=FULL_MINIMAL)
    text = dumps(doc)
    assert dumps(loads(text)) == text
    assert '"minZoom": 1e-50' in text
    assert '"maxZoom": 1e+50' in text
    assert doc["graphData"]["minZoom"].text == "1e-50"
    assert json.loads(text) == json.loads(raw)  # same data, canonical form


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[os.path.relpath(p, SAMPLES) for p in SAMPLE_FILES])
def test_every_sample_round_trips(path):
    doc = load_file(path)
    text = dumps(doc)
    assert dumps(loads(text)) == text
    assert dumps(loads(text.encode("utf-8"))) == text
    with open(path, encoding="utf-8-sig") as handle:
        raw = handle.read()
    for literal in ("1e-50", "1e+50"):
        assert raw.count(literal) == text.count(literal)
    assert json.loads(text) == json.loads(raw)
    assert fingerprint(loads(text)) == fingerprint(doc)


def test_descope_samples_are_already_canonical():
    """descope flow export writes sorted keys + 2-space indent: our output matches its files byte for byte."""
    for path in glob.glob(os.path.join(SAMPLES, "descope", "*.json")):
        with open(path, encoding="utf-8") as handle:
            raw = handle.read()
        assert dumps(loads(raw)) == raw if raw.endswith("\n") else raw + "\n"


def test_canonical_format():
    doc = {"b": [1, {"z": None, "a": True}], "a": "é<&>", "c": {}, "d": [], "e": 1.5}
    assert dumps(doc) == (
        "{\n"
        '  "a": "é<&>",\n'
        '  "b": [\n'
        "    1,\n"
        "    {\n"
        '      "a": true,\n'
        '      "z": null\n'
        "    }\n"
        "  ],\n"
        '  "c": {},\n'
        '  "d": [],\n'
        '  "e": 1.5\n'
        "}\n"
    )
    # same as the stdlib with the agreed options for plain data
    assert dumps(doc) == json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False, separators=(",", ": ")) + "\n"
    assert dumps([]) == "[]\n" and dumps("x") == '"x"\n'


def test_go_style_html_escape():
    assert dumps({"h": "<a href='x'>&</a>\u2028"}, html_escape=True) == '{\n  "h": "\\u003ca href=\'x\'\\u003e\\u0026\\u003c/a\\u003e\\u2028"\n}\n'
    assert loads(dumps({"h": "<&>"}, html_escape=True)) == {"h": "<&>"}


@pytest.mark.parametrize("literal", ["1e-50", "1e+50", "1E+50", "1.0", "-0.0", "0.10", "1.5e300", "1e400", "-1e-400", "123456789012345678901234567890.5"])
def test_float_literals_survive(literal):
    text = '{"n": %s, "l": [%s]}' % (literal, literal)
    doc = loads(text)
    assert isinstance(doc["n"], JsonNumber) and isinstance(doc["n"], float)
    out = dumps(doc)
    assert '"n": %s' % literal in out
    assert dumps(loads(out)) == out
    assert dumps_compact(doc) == '{"n":%s,"l":[%s]}' % (literal, literal)


def test_ints_stay_ints_and_plain_floats_use_repr():
    doc = loads('{"i": 12345678901234567890, "z": 0, "neg": -3}')
    assert isinstance(doc["i"], int) and not isinstance(doc["i"], float) and doc["i"] == 12345678901234567890
    assert dumps({"a": 0.1, "b": 1e-50, "c": 1e50, "d": 2.0, "e": -0.0, "t": (1, 2)}) == (
        '{\n  "a": 0.1,\n  "b": 1e-50,\n  "c": 1e+50,\n  "d": 2.0,\n  "e": -0.0,\n  "t": [\n    1,\n    2\n  ]\n}\n'
    )
    with pytest.raises(DocumentError):
        dumps({"x": float("nan")})
    with pytest.raises(DocumentError):
        dumps({"x": {1, 2}})


def test_json_number_behaves_like_a_float():
    num = JsonNumber("1.50")
    assert num == 1.5 and num + 1 == 2.5 and str(num) == "1.50"
    assert repr(num) == "JsonNumber('1.50')"
    assert copy.deepcopy(num).text == "1.50" and copy.copy(num) is num
    assert pickle.loads(pickle.dumps(num)).text == "1.50"
    assert JsonNumber(0.25).text == "0.25"
    with pytest.raises(ValueError):
        JsonNumber("1.")
    with pytest.raises(ValueError):
        JsonNumber("NaN")
    deep = copy.deepcopy({"a": [JsonNumber("1e-50")]})
    assert dumps(deep) == '{\n  "a": [\n    1e-50\n  ]\n}\n'


def test_duplicate_keys_are_an_error_naming_source_key_and_path():
    with pytest.raises(DocumentError, match=r'^flow\.json: duplicate key "a" in the object at \$ '):
        loads('{"a": 1, "a": 2}', source="flow.json")
    with pytest.raises(DocumentError, match=r'^f: duplicate key "d d" in the object at \$\.x\[1\]\.c\["weird key"\] '):
        loads('{"x": [{"b": 1}, {"c": {"weird key": {"d d": 1, "e": 2, "d d": 2}}}]}', source="f")
    # the first repeat in document order is named, also when a later object repeats a key too
    with pytest.raises(DocumentError, match=r'"k" in the object at \$\[0\]'):
        loads(b'[{"k": 1.5, "k": 1e400}, {"z": 1, "z": 2}]', source="f")
    # the same key in different objects is fine
    assert loads('{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]}') == {"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]}


def test_too_deep_and_too_many_digits_say_what_was_expected():
    with pytest.raises(DocumentError, match=r"^d\.json: nested too deeply for the parser \(expected fewer than about \d+ nested"):
        loads("[" * 100000 + "]" * 100000, source="d.json")
    with pytest.raises(DocumentError, match=r"^n\.json: a number with more digits than the \d+ allowed"):
        loads('{"a": 1%s}' % ("0" * 5000), source="n.json")


@pytest.mark.parametrize("value", ["../x", "a/b", "a\x00b", "", ".", "..", "a b", "a\\b", "x" * 257, None, 12])
def test_check_id_refuses_what_could_leave_a_path(value):
    with pytest.raises(DocumentError, match=r"^flow_id .* is not a valid id: expected letters, digits, '_' and '-' only"):
        _document.check_id(value, "flow_id")


def test_check_id_accepts_provider_ids():
    for value in ("0123456789abcdef0123456789abcdef", "a-0a0a0a0a-1111-4111-8111-000000000001", "sign-up_or-in"):
        assert _document.check_id(value) == value


def test_duplicate_keys_last_wins_when_asked_and_bom():
    assert loads('{"a": 1, "a": 2}', duplicate_keys="last") == {"a": 2}
    with pytest.raises(ValueError):
        loads("{}", duplicate_keys="first")
    assert loads(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    assert loads('\ufeff{"a": 1}') == {"a": 1}


def test_unicode_and_lone_surrogates():
    doc = loads('{"s": "\\ud800x", "e": "\\u00e9\\n\\t\\"", "k\\u00fc": 1}')
    text = dumps(doc)
    text.encode("utf-8")  # must not raise
    assert '"s": "\\ud800x"' in text
    assert '"e": "é\\n\\t\\""' in text
    assert loads(text) == doc


def test_dumps_is_byte_stable_for_keys_of_mixed_types():
    assert dumps({2: "b", "10": "a", None: 0, True: 1}) == '{\n  "10": "a",\n  "2": "b",\n  "null": 0,\n  "true": 1\n}\n'


@pytest.mark.parametrize(
    "text, line, column, reason",
    [
        ('{\n  "a": 1,\n  "b": 2\n  "c": 3\n}', 4, 3, "Expecting ',' delimiter"),
        ('{"a": }', 1, 7, "Expecting value"),
        ("[1 2]", 1, 4, "Expecting ',' delimiter"),
        ("", 1, 1, "Expecting value"),
    ],
)
def test_parse_errors_have_source_line_and_column(text, line, column, reason):
    with pytest.raises(DocumentError) as info:
        loads(text, source="flows/a.json")
    assert str(info.value) == "flows/a.json: line %d, column %d: %s" % (line, column, reason)


def test_parse_errors_for_non_json_constants_and_bad_utf8():
    with pytest.raises(DocumentError, match="^x.json: NaN is not valid JSON"):
        loads('{"a": NaN}', source="x.json")
    with pytest.raises(DocumentError, match="Infinity"):
        loads("[Infinity]")
    with pytest.raises(DocumentError, match="^y.json: not valid UTF-8"):
        loads(b'{"a": "\xff"}', source="y.json")
    with pytest.raises(DocumentError, match="<inline>"):
        loads(None)


def test_load_file_names_the_file(tmp_path):
    bad = tmp_path / "flows" / "a.json"
    bad.parent.mkdir()
    bad.write_text('{\n  "a": 1\n  "b": 2\n}\n', encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load_file(str(bad))
    assert str(info.value) == "%s: line 3, column 3: Expecting ',' delimiter" % bad
    with pytest.raises(DocumentError, match="missing.json: cannot read: No such file or directory"):
        load_file(str(tmp_path / "missing.json"))
    bom = tmp_path / "bom.json"
    bom.write_bytes(b'\xef\xbb\xbf{"x": 1e-50}')
    assert load_file(bom)["x"].text == "1e-50"


def test_fingerprint_is_stable():
    a = loads('{"b": 1, "a": [1e-50, "x"]}')
    b = {"a": [JsonNumber("1e-50"), "x"], "b": 1}
    fp = fingerprint(a)
    assert fp.startswith("sha256:") and len(fp) == len("sha256:") + 64
    assert fp == fingerprint(b) == fingerprint(loads(dumps(a)))
    assert fp == "sha256:" + __import__("hashlib").sha256(dumps(a).encode("utf-8")).hexdigest()
    assert fingerprint(loads('{"a": [1e-50, "x"], "b": 1.0}')) != fp  # literal matters: 1 vs 1.0


# ---------------------------------------------------------------------------
# packed documents


def _same_types(a, b):
    """Equal, with the same key order and the same Python type at every node (``1.0`` vs ``1`` vs ``JsonNumber``)."""
    if type(a) is not type(b):  # pylint: disable=unidiomatic-typecheck
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_types(x, y) for x, y in zip(a, b))
    if isinstance(a, JsonNumber):
        return a.text == b.text
    return a == b


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[os.path.relpath(p, SAMPLES) for p in SAMPLE_FILES])
def test_a_packed_sample_unpacks_to_the_same_document(path):
    doc = load_file(path)
    held = _document.pack(doc)
    assert isinstance(held, _document.Packed)
    again = _document.unpack(held)
    assert again is not doc and _same_types(again, doc)
    assert dumps(again) == dumps(doc) and dumps_compact(again) == dumps_compact(doc)


def test_packing_keeps_literals_order_and_integers_and_is_small():
    doc = loads('{"z": 1e-50, "a": [1, 1.0, 1.50, -0, "<&>", null, true, {"\u00e9": 12345678901234567890123}]}')
    again = _document.unpack(_document.pack(doc))
    assert _same_types(again, doc) and dumps_compact(again) == dumps_compact(doc)
    big = loads(json.dumps({"tasks": {"t%d" % i: {"id": "t%d" % i, "next": ["t%d" % (i + 1)], "x": 0.5} for i in range(2000)}}))
    assert len(_document.pack(big).data) < len(dumps_compact(big)) / 4


@pytest.mark.parametrize("doc", [
    {"f": 0.5},                 # a plain float would come back as a JsonNumber
    {1: "int key"},             # would come back as "1"
    {"t": (1, 2)},              # would come back as a list
    {"b": b"bytes"},            # not JSON
    [collections.OrderedDict(a=1)],
    "a string",
    None,
], ids=["float", "int-key", "tuple", "bytes", "dict-subclass", "str", "none"])
def test_what_would_not_come_back_exactly_is_held_as_it_is(doc):
    assert _document.pack(doc) is doc
    assert _document.unpack(doc) is doc


# ---------------------------------------------------------------------------
# strip_paths, diff, mask


def test_strip_paths_with_wildcards():
    doc = {
        "metadata": {"componentsVersion": "2.0.295", "name": "x"},
        "screens": [{"id": "s1", "version": 3}, {"id": "s2", "version": 4}, "odd"],
        "tasks": {"a": {"view": {"x": 1}, "id": "a"}, "b": {"id": "b"}},
        "dotted.key": {"v": 1},
        "list": [1, 2, 3],
    }
    original = copy.deepcopy(doc)
    out = strip_paths(doc, ["metadata.componentsVersion", "screens.*.version", "tasks.*.view", "dotted\\.key.v", "list.1", "missing.path.here"])
    assert doc == original  # not mutated
    assert out == {
        "metadata": {"name": "x"},
        "screens": [{"id": "s1"}, {"id": "s2"}, "odd"],
        "tasks": {"a": {"id": "a"}, "b": {"id": "b"}},
        "dotted.key": {},
        "list": [1, 3],
    }
    assert strip_paths(doc, "screens.*")["screens"] == []
    assert strip_paths(doc, [["metadata", "name"]])["metadata"] == {"componentsVersion": "2.0.295"}
    assert strip_paths(doc, ["screens.0.id"])["screens"][0] == {"version": 3}


def test_diff_shape():
    d = diff({"b": 1, "a": 2}, {"a": 2}, before_header="prod (current)", after_header="prod (desired)")
    assert d == {"before": '{\n  "a": 2,\n  "b": 1\n}\n', "after": '{\n  "a": 2\n}\n', "before_header": "prod (current)", "after_header": "prod (desired)"}
    assert diff(None, {"a": 1})["before"] == ""
    assert diff("", "raw text\n")["after"] == "raw text\n"


def test_mask():
    doc = {
        "name": "flow uses sk-live-12345 inside",
        "Password": "hunter2",
        "nested": [{"clientSecret": {"deep": 1}}, {"apiKey": ""}, {"token": None}],
        "sk-live-12345": "as a key",
        "n": 5,
    }
    out = mask(doc, secret_values=["sk-live-12345", "", None], secret_keys=["password", "CLIENTSECRET", "apikey", "token"])
    assert out == {
        "name": "flow uses ******** inside",
        "Password": "********",
        "nested": [{"clientSecret": "********"}, {"apiKey": ""}, {"token": None}],
        "********": "as a key",
        "n": 5,
    }
    assert doc["Password"] == "hunter2"
    assert mask(["abcdef abc"], secret_values=["abc", "abcdef"], placeholder="X") == ["X X"]


# ---------------------------------------------------------------------------
# safe names and paths


@pytest.mark.parametrize(
    "name, expected",
    [
        ("sign-up-or-in", "sign-up-or-in"),
        ("Sign Up / In", "Sign Up _ In"),
        ("a\\b", "a_b"),
        ("a/b", "a_b"),
        ("../x", "_._x"),
        ("..", "__"),
        (".", "_"),
        (".hidden", "_hidden"),
        ("/etc/passwd", "_etc_passwd"),
        ("nul\x00byte", "nul_byte"),
        ("tab\tnew\nline\x7f", "tab_new_line_"),
        ("CON", "_CON"),
        ("con.json", "_con.json"),
        ("COM1", "_COM1"),
        ("lpt9.txt", "_lpt9.txt"),
        ("CONSOLE", "CONSOLE"),
        ("what? <yes>: \"no\" | *", "what_ _yes__ _no_ _ _"),
        ("trailing. ", "trailing__"),
        ("-leading-dash", "-leading-dash"),
        ("Ünïcödé flow", "Ünïcödé flow"),
    ],
)
def test_safe_name(name, expected):
    assert safe_name(name) == expected
    assert safe_name(expected) == expected  # idempotent


def test_safe_name_long_and_invalid():
    long_name = "é" * 300
    out = safe_name(long_name)
    assert len(out.encode("utf-8")) <= 200
    assert out == safe_name(long_name) == safe_name(out)  # stable and idempotent
    assert out != safe_name("é" * 301)  # distinct inputs stay distinct
    assert "~" in out
    with pytest.raises(DocumentError):
        safe_name("")
    with pytest.raises(DocumentError):
        safe_name(None)


@pytest.mark.parametrize("attempt", ["../x", "..", "/etc/passwd", "a/b", "a\\b", "x\x00y", "CON", "../../../../etc/passwd", "."])
def test_safe_join_never_leaves_base(tmp_path, attempt):
    base = tmp_path / "base"
    base.mkdir()
    path = safe_join(str(base), attempt)
    real_base = os.path.realpath(base)
    assert os.path.dirname(os.path.realpath(path)) == real_base
    assert os.path.basename(path) == safe_name(attempt)
    with pytest.raises(DocumentError, match="unsafe path component"):
        safe_join(str(base), attempt, strict=True)


def test_safe_join_nested_and_strict_ok(tmp_path):
    assert safe_join(str(tmp_path), "host", "descope", "flows", "a.json", strict=True) == os.path.join(str(tmp_path), "host", "descope", "flows", "a.json")


def test_safe_join_refuses_symlink_outside(tmp_path):
    base = tmp_path / "base"
    outside = tmp_path / "outside"
    base.mkdir()
    outside.mkdir()
    (base / "link").symlink_to(outside)
    (base / "file.json").symlink_to(outside / "target.json")
    with pytest.raises(DocumentError, match="outside"):
        safe_join(str(base), "link", "x.json")
    with pytest.raises(DocumentError, match="outside"):
        safe_join(str(base), "file.json")
    # a symlinked base itself is fine, and a link that stays inside is fine
    (tmp_path / "alias").symlink_to(base)
    (base / "inner").mkdir()
    (base / "inside").symlink_to(base / "inner")
    assert safe_join(str(tmp_path / "alias"), "inside", "a.json").startswith(str(tmp_path / "alias"))


# ---------------------------------------------------------------------------
# files


def _leftovers(directory):
    return [n for n in os.listdir(directory) if n.endswith(".tmp")]


def test_write_if_changed(tmp_path):
    path = tmp_path / "new" / "dir" / "flow.json"
    content = dumps({"a": 1, "b": "é"})
    assert write_if_changed(str(path), content) is True  # parents created
    assert path.read_bytes() == content.encode("utf-8")
    assert (os.stat(path).st_mode & 0o777) == 0o644
    old = time.time() - 3600
    os.utime(path, (old, old))
    inode = os.stat(path).st_ino
    assert write_if_changed(str(path), content) is False
    assert write_if_changed(str(path), content.encode("utf-8")) is False
    assert os.stat(path).st_mtime == pytest.approx(old) and os.stat(path).st_ino == inode
    assert write_if_changed(str(path), dumps({"a": 2}), mode=0o600) is True
    assert path.read_text(encoding="utf-8") == '{\n  "a": 2\n}\n'
    assert os.stat(path).st_mtime > old
    assert (os.stat(path).st_mode & 0o777) == 0o600
    assert _leftovers(path.parent) == []
    assert sorted(os.listdir(path.parent)) == ["flow.json"]


def test_write_if_changed_replaces_symlink_not_target(tmp_path):
    target = tmp_path / "target.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert write_if_changed(str(link), "new") is True
    assert target.read_text() == "old"
    assert not link.is_symlink() and link.read_text() == "new"


def test_write_if_changed_failure_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "f.json"
    path.write_text("old")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_document.os, "replace", boom)
    with pytest.raises(DocumentError, match="f.json: cannot write: No space left on device"):
        write_if_changed(str(path), "new")
    assert path.read_text() == "old"
    assert _leftovers(tmp_path) == []
    with pytest.raises(DocumentError, match="is a directory"):
        write_if_changed(str(tmp_path), "x")


def test_read_text_if_exists(tmp_path):
    assert read_text_if_exists(str(tmp_path / "nope.json")) is None
    (tmp_path / "a.json").write_bytes("é\n".encode("utf-8"))
    assert read_text_if_exists(str(tmp_path / "a.json")) == "é\n"
    (tmp_path / "b.json").write_bytes(b"\xff")
    with pytest.raises(DocumentError, match="not valid UTF-8"):
        read_text_if_exists(str(tmp_path / "b.json"))


def test_module_rules():
    """Header, no assert statements, stdlib only (shipped by AnsiballZ)."""
    with open(_document.__file__, encoding="utf-8") as handle:
        source = handle.read()
    assert source.startswith("# -*- coding: utf-8 -*-\n")
    assert "private to this collection" in source
    assert "\n    assert " not in source and "\nassert " not in source
    for line in source.splitlines():
        if line.startswith(("import ", "from ")) and "__future__" not in line:
            assert line.split()[1].split(".")[0] in sys.stdlib_module_names, line


# ---------------------------------------------------------------------------
# the C encoder path is byte-identical to the hand-written encoder

TESTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
CORPUS_FILES = SAMPLE_FILES + sorted(glob.glob(os.path.join(TESTS_DIR, "integration", "targets", "*", "files", "**", "*.json"), recursive=True))


def _parseable(paths):
    docs = []
    for path in paths:
        try:
            docs.append((os.path.relpath(path, TESTS_DIR), load_file(path)))
        except DocumentError:
            continue  # the deliberately malformed fixtures
    return docs


CORPUS = _parseable(CORPUS_FILES)


@pytest.fixture(params=[None, 1 << 16, 1, 7], ids=["c-indent-if-available", "indent-in-python", "indent-blocks-1", "indent-blocks-7"])
def indent_mode(request, monkeypatch):
    """Run with the C encoder's own indentation (Python 3.13+) and with ``_indent`` (all versions), in its
    default blocks and in tiny ones (a cut after every closing quote: every block boundary is exercised)."""
    if request.param is not None:
        monkeypatch.setattr(_document, "_C_ENCODER_INDENTS", False)
        monkeypatch.setattr(_document, "_INDENT_BLOCK", request.param)
    return request.param is None


def _same_as_reference(doc):
    for html in (False, True):
        assert dumps(doc, html_escape=html) == _document._py_dumps(doc, html_escape=html)
    assert dumps_compact(doc) == _document._py_dumps_compact(doc)
    assert fingerprint(doc) == "sha256:" + __import__("hashlib").sha256(_document._py_dumps(doc).encode("utf-8")).hexdigest()


def test_corpus_has_the_samples():
    assert len(CORPUS) >= 15 and any(name.startswith("integration") for name, dummy in CORPUS)


@pytest.mark.parametrize("name, doc", CORPUS, ids=[name for name, dummy in CORPUS])
def test_every_sample_takes_the_c_path_and_is_byte_identical(name, doc, indent_mode):  # pylint: disable=unused-argument,redefined-outer-name
    assert _document._c_encode(doc, True, ",", ":") is not None, "%s fell back to the hand-written encoder" % name
    if not _document._C_ENCODER_INDENTS:
        assert _document._indent(_document._c_encode(doc, True, ",", ":")) is not None
    _same_as_reference(doc)


EDGE_CASES = [
    {},
    [],
    "",
    None,
    True,
    0,
    -0.0,
    "plain",
    {"a": {}, "b": [], "c": [{}], "d": [[]], "e": {"f": {"g": []}}},
    [[[[]]], {}, [{}], {"x": [[], {}]}],
    {"n": [1.0, -0.0, 1e-50, 1e50, 1e16, 1.5e300, 5e-324, 0.1, 123456789.123, -2.5]},
    {"big": [2 ** 64, -(2 ** 100), 10 ** 40, 0, -1]},
    {"literals": [JsonNumber("1.0"), JsonNumber("1e-50"), JsonNumber("-0.0"), JsonNumber("2.5")]},
    {"literal": JsonNumber("1E+50")},  # differs from repr(float): hand-written path
    {"literal": [JsonNumber("0.10"), JsonNumber("1e400")]},
    {"s": "é ü 中文 😀 \u00a0\u200b", "k\u00e9y": "v"},
    {"quote": '"', "bs": "\\", "both": '\\"', "bsbs": "\\\\", "end\\": "x\\", "q\"k": '"x"'},
    {"ctl": "".join(chr(c) for c in range(32)) + "\x7f\x80\x9f"},
    {"struct": '{"a": [1, 2]}, [x]: {,}', "{": "}", "[": "]", ",": ":", ":": ","},
    {"html": "<script>&amp;</script>", "ls": "\u2028\u2029", "<k>": "&"},
    {"sur": "\ud800", "mix": "a\udfffb\ud83d", "pair": "\U0001f600", "\udc00key": 1},
    {2: "b", "10": "a"},  # non-str keys: hand-written path
    {None: 0, True: 1, 1.5: "f"},
    {"t": (1, (2, 3), ())},
    {"deep": [[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]},
    {"key " * 30: "long key", "": "empty key", " ": "space"},
    ["a", 1, None, True, False, 1.5, {"x": "y"}, [2]],
]


@pytest.mark.parametrize("doc", EDGE_CASES, ids=["edge%d" % i for i in range(len(EDGE_CASES))])
def test_edge_cases_are_byte_identical(doc, indent_mode):  # pylint: disable=unused-argument,redefined-outer-name
    _same_as_reference(doc)


def test_which_documents_fall_back():
    c = _document._c_encode
    assert c({"literal": JsonNumber("1.0")}, True, ",", ":") is not None
    assert c({"literal": JsonNumber("1E+50")}, True, ",", ":") is None
    assert c({"x": [JsonNumber("0.10")]}, False, ",", ":") is None
    assert c({2: "b"}, True, ",", ":") is None
    assert c({"x": float("nan")}, True, ",", ":") is None
    assert c({"x": {1, 2}}, True, ",", ":") is None
    assert c(collections.OrderedDict(a=1), True, ",", ":") is None
    deep = []
    for dummy in range(_document._MAX_INDENT_DEPTH + 5):
        deep = [deep]
    assert _document._indent(c(deep, True, ",", ":")) is None
    assert dumps(deep) == _document._py_dumps(deep)


def test_errors_are_the_same_on_both_paths():
    circular = {"a": []}
    circular["a"].append(circular)
    too_deep, depth = [], sys.getrecursionlimit() * 2
    for dummy in range(depth):
        too_deep = [too_deep]
    for bad, message in ((circular, "nested too deeply"), ({"x": float("inf")}, "cannot represent inf"), ({"x": object()}, "cannot serialise a object"),
                         ({("t",): 1}, "cannot use a tuple as a JSON object key")):
        for encode in (dumps, dumps_compact):
            with pytest.raises(DocumentError, match=message):
                encode(bad)
    # Deeper than the recursion limit: the hand-written encoder refuses; Python 3.13's C encoder has its own
    # limit and may write it (such a document cannot come from a file: ``loads`` refuses it).
    for encode, reference in ((dumps, _document._py_dumps), (dumps_compact, _document._py_dumps_compact)):
        with pytest.raises(DocumentError, match="nested too deeply"):
            reference(too_deep)
        try:
            text = encode(too_deep)
        except DocumentError as exc:
            assert "nested too deeply" in str(exc)
        else:
            assert sys.version_info >= (3, 13) and text.count("[") == text.count("]") == depth + 1


_ALPHABET = ['"', "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "{", "}", "[", "]", ",", ":", " ", "<", ">", "&",
             "\u2028", "\u2029", "\ud800", "\udfff", "é", "中", "\U0001f600", "a", "b", "0", "e", "-", "\\u"]
_FLOAT_LITERALS = ["1.0", "-0.0", "1e-50", "1e+50", "1E5", "0.10", "2.5", "3.14159", "1e400", "100.0", "5e-324"]


def _random_document(rnd, depth=0):
    kind = rnd.randrange(10 if depth < 6 else 6)
    if kind == 0:
        return "".join(rnd.choice(_ALPHABET) for dummy in range(rnd.randrange(8)))
    if kind == 1:
        return rnd.choice([None, True, False, 0, -1, 2 ** 70, rnd.randrange(-10 ** 6, 10 ** 6)])
    if kind == 2:
        return rnd.choice([rnd.random() * 10 ** rnd.randrange(-30, 30), 0.5, -0.0, 1e22])
    if kind == 3:
        return JsonNumber(rnd.choice(_FLOAT_LITERALS))
    if kind in (4, 5):
        return rnd.choice(["x", "", "<&>", '"\\'])
    if kind in (6, 7):
        return [_random_document(rnd, depth + 1) for dummy in range(rnd.randrange(4))]
    doc = {}
    for dummy in range(rnd.randrange(5)):
        key = "".join(rnd.choice(_ALPHABET) for dummy in range(rnd.randrange(4)))
        doc[key] = _random_document(rnd, depth + 1)
    if rnd.random() < 0.03:
        doc[rnd.choice([1, 2, None, True])] = "non-str key"
    return doc


def test_generated_documents_are_byte_identical(indent_mode):  # pylint: disable=unused-argument,redefined-outer-name
    """A seeded, reproducible corpus of random documents (no hypothesis in the pinned dev requirements)."""
    rnd = random.Random(20251207)
    fast = 0
    for dummy in range(400):
        doc = _random_document(rnd)
        _same_as_reference(doc)
        fast += _document._c_encode(doc, True, ",", ":") is not None
        assert loads(dumps(doc)) == loads(_document._py_dumps(doc))
    assert 100 < fast < 400  # both paths were exercised


# ---------------------------------------------------------------------------
# strip_paths and mask copy only what they change


def _reference_strip_paths(doc, dotted_paths):
    """strip_paths as it was: a deep copy, then removals in place (the reference for the results)."""
    def strip(node, segments):
        if not segments:
            return
        head, rest = segments[0], segments[1:]
        if isinstance(node, dict):
            if not rest:
                if head == "*":
                    node.clear()
                else:
                    node.pop(head, None)
                return
            children = list(node.values()) if head == "*" else ([node[head]] if head in node else [])
        elif isinstance(node, list):
            if head == "*":
                indexes = list(range(len(node)))
            elif re.match(r"-?[0-9]+\Z", head) and -len(node) <= int(head) < len(node):
                indexes = [int(head) % len(node)]
            else:
                indexes = []
            if not rest:
                for index in sorted(indexes, reverse=True):
                    del node[index]
                return
            children = [node[i] for i in indexes]
        else:
            return
        for child in children:
            strip(child, rest)

    if isinstance(dotted_paths, (str, bytes)):
        dotted_paths = [dotted_paths]
    result = copy.deepcopy(doc)
    for path in dotted_paths or ():
        strip(result, _document._split_path(path))
    return result


def _reference_mask(obj, secret_values=(), secret_keys=(), placeholder="********"):
    """mask as it was: every container rebuilt (the reference for the results)."""
    values = sorted({str(v) for v in secret_values or () if v not in (None, "")}, key=len, reverse=True)
    keys = {str(k).lower() for k in secret_keys or ()}

    def scrub(text):
        for secret in values:
            if secret in text:
                text = text.replace(secret, placeholder)
        return text

    def walk(node):
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                new_key = scrub(key) if isinstance(key, str) else key
                if isinstance(key, str) and key.lower() in keys and value not in (None, ""):
                    out[new_key] = placeholder
                else:
                    out[new_key] = walk(value)
            return out
        if isinstance(node, (list, tuple)):
            return [walk(item) for item in node]
        if isinstance(node, str):
            return scrub(node)
        return node

    return walk(obj)


STRIP_PATHS = [
    "metadata.componentsVersion", "screens.*.version", "screens.*", "screens.0", "screens.-1.id", "screens.9",
    "tasks.*.view", "tasks.*", "*", "*.*", "*.*.*", "dotted\\.key.v", "list.1", "list.-1", "list.x", "missing.path.here",
    "metadata", ["tasks", "a", "view", "x"], "", "screens.*.nested.*.deep",
]


def _strip_corpus():
    base = {
        "metadata": {"componentsVersion": "2.0.295", "name": "x"},
        "screens": [{"id": "s1", "version": 3, "nested": [{"deep": 1, "keep": 2}]}, {"id": "s2", "version": 4}, "odd"],
        "tasks": {"a": {"view": {"x": 1}, "id": "a"}, "b": {"id": "b"}},
        "dotted.key": {"v": 1},
        "list": [1, 2, 3],
        "": "empty key",
    }
    return [base] + [doc for dummy, doc in CORPUS]


@pytest.mark.parametrize("paths", [[p] for p in STRIP_PATHS] + [STRIP_PATHS, STRIP_PATHS[::-1], ["screens.*.version", "screens.0"]],
                         ids=lambda p: "|".join(map(str, p)) or "empty")
def test_strip_paths_results_are_unchanged(paths):
    for doc in _strip_corpus():
        before = dumps(doc)
        out = strip_paths(doc, paths)
        expected = _reference_strip_paths(doc, paths)
        assert out == expected and dumps(out) == dumps(expected)
        assert dumps(doc) == before  # the input is never changed


def test_strip_paths_copies_only_the_changed_path():
    doc = {"meta": {"v": 1, "keep": {"big": [1, 2]}}, "other": {"x": [1]}, "screens": [{"v": 1}, {"w": 2}]}
    assert strip_paths(doc, ["missing", "meta.nope", "screens.5"]) is doc
    out = strip_paths(doc, ["meta.v", "screens.*.v"])
    assert out == {"meta": {"keep": {"big": [1, 2]}}, "other": {"x": [1]}, "screens": [{}, {"w": 2}]}
    assert out is not doc and out["meta"] is not doc["meta"] and out["screens"] is not doc["screens"]
    assert out["other"] is doc["other"] and out["meta"]["keep"] is doc["meta"]["keep"] and out["screens"][1] is doc["screens"][1]
    assert doc["meta"]["v"] == 1 and doc["screens"][0] == {"v": 1}


MASK_CASES = [
    dict(secret_values=["sk-live-12345"], secret_keys=["password", "clientSecret"]),
    dict(secret_values=["a", "abc", "x"], secret_keys=[]),
    dict(secret_values=[], secret_keys=["id", "name", "value", "KEY"]),
    dict(secret_values=[], secret_keys=[]),
    dict(secret_values=["1", "é"], secret_keys=["v"], placeholder="X"),
]


@pytest.mark.parametrize("case", MASK_CASES, ids=["mask%d" % i for i in range(len(MASK_CASES))])
def test_mask_results_are_unchanged(case):
    docs = [
        {"name": "flow uses sk-live-12345 inside", "Password": "hunter2", "t": (1, "sk-live-12345", ("x",)),
         "nested": [{"clientSecret": {"deep": 1}}, {"apiKey": ""}, {"token": None}], "sk-live-12345": "as a key",
         "a": "collides", "x": "collides too", 1: "int key", "od": collections.OrderedDict(a="abc")},
        ["abc", ("abc",), [], {}, None, 1.5],
    ] + [doc for dummy, doc in CORPUS]
    for doc in docs:
        before = repr(doc)
        out = mask(doc, **case)
        expected = _reference_mask(doc, **case)
        assert out == expected and repr(out) == repr(expected)  # same values, same types, same key order
        assert repr(doc) == before


def test_mask_shares_what_holds_no_secret():
    doc = {"clean": {"a": [1, "x"]}, "dirty": {"s": "has sk-1"}, "list": ["ok", {"k": "v"}]}
    out = mask(doc, secret_values=["sk-1"])
    assert out == {"clean": {"a": [1, "x"]}, "dirty": {"s": "has ********"}, "list": ["ok", {"k": "v"}]}
    assert out["clean"] is doc["clean"] and out["list"] is doc["list"] and out["dirty"] is not doc["dirty"]
    assert mask(doc, secret_values=["absent"]) is doc
    assert doc["dirty"]["s"] == "has sk-1"
