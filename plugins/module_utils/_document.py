# -*- coding: utf-8 -*-
# Copyright (c) 2025, flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Canonical JSON documents and safe files for flowops.flows.

This module is private to this collection: its API may change without notice.
Standard library only (it is shipped to the module by AnsiballZ).

- ``loads``/``load_file`` parse JSON keeping every float literal's text
  (``1e-50`` stays ``1e-50``, ``1.0`` stays ``1.0``) in a ``JsonNumber``; a key repeated in
  one object is an error naming the source, the key and its JSON path.
- ``dumps`` writes the canonical form: keys sorted, 2-space indent, UTF-8
  (``ensure_ascii=False``), ``", "``/``": "`` separators, trailing newline.
  ``dumps(loads(dumps(x))) == dumps(x)`` for every document.
- ``fingerprint``, ``strip_paths``, ``diff`` and ``mask`` work on parsed documents.
- ``pack``/``unpack`` hold a parsed document that is kept for later (a survey's read, a rollback's
  pre-write state) as compressed compact JSON, a small fraction of its parsed size.
- ``safe_name``/``safe_join`` turn ids and names into path components that can
  never leave the destination directory; ``write_if_changed`` writes atomically
  and only when the bytes differ.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
import operator
import os
import re
import sys
import tempfile
import unicodedata
import zlib
from json.encoder import c_encode_basestring, c_make_encoder  # None without the _json accelerator

__all__ = [
    "DocumentError",
    "JsonNumber",
    "loads",
    "load_file",
    "dumps",
    "dumps_compact",
    "fingerprint",
    "Packed",
    "pack",
    "unpack",
    "strip_paths",
    "diff",
    "mask",
    "safe_name",
    "check_id",
    "safe_join",
    "differs",
    "write_if_changed",
    "read_text_if_exists",
]


class DocumentError(Exception):
    """A document could not be parsed, serialised, read or written (the message names the source)."""


# RFC 8259 number grammar.
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\Z")


class JsonNumber(float):
    """A JSON number literal parsed as a float that remembers its original text.

    It behaves as a ``float`` in arithmetic and comparisons (``JsonNumber("1.0") == 1``),
    and ``dumps`` writes ``text`` back verbatim. Compare documents with ``dumps`` or
    ``fingerprint`` when the literal itself matters (``1`` vs ``1.0``).
    """

    __slots__ = ("text",)

    def __new__(cls, value):
        if isinstance(value, JsonNumber):
            text = value.text
        elif isinstance(value, str):
            text = value.strip()
            if not _NUMBER_RE.match(text):
                raise ValueError("not a JSON number literal: %r" % (value,))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            text = _float_text(float(value))
        else:
            raise TypeError("JsonNumber() needs a JSON number literal or a number, not %s" % type(value).__name__)
        obj = super().__new__(cls, text)
        obj.text = text
        return obj

    def __reduce__(self):
        return (JsonNumber, (self.text,))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        return "JsonNumber(%r)" % self.text

    def __str__(self):
        return self.text


def _float_text(value):
    if value != value or value in (float("inf"), float("-inf")):  # pylint: disable=comparison-with-itself
        raise DocumentError("cannot represent %r in JSON" % value)
    return float.__repr__(value)


def _reject_constant(name):
    raise ValueError("%s is not valid JSON (expected a number, a string or null)" % name)


def _position(text, pos):
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


class _Pairs(list):
    """An object's ``(key, value)`` pairs as parsed, order and repeats kept (only to locate a duplicate key)."""

    __slots__ = ()


def _unique_object(pairs):
    # The hot path: one dict build and one length compare per object; the duplicate is located later.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKey()
    return obj


class _DuplicateKey(ValueError):
    """Raised by the strict object hook; ``loads`` turns it into a DocumentError naming the key and its path."""


def path_text(path):
    """``$.a.b[3]["odd key"]``: a JSON path for messages (duplicate keys, placeholders)."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += "[%d]" % part
        elif re.match(r"[A-Za-z_][A-Za-z0-9_-]*\Z", part):
            out += "." + part
        else:
            out += "[%s]" % json.dumps(part, ensure_ascii=False)
    return out


def json_type(value):
    """The JSON name of a parsed value's type, for messages (never the value: it may be a secret)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _first_duplicate(node, path=()):
    """``(path, key)`` of the first repeated key in a tree parsed with ``_Pairs`` objects (document order), or None."""
    if isinstance(node, _Pairs):
        seen = set()
        for key, _value in node:
            if key in seen:
                return path, key
            seen.add(key)
        children = ((key, value) for key, value in node)
    elif isinstance(node, list):
        children = enumerate(node)
    else:
        return None
    for key, value in children:
        found = _first_duplicate(value, path + (key,))
        if found:
            return found
    return None


def _duplicate_message(text):
    found = _first_duplicate(json.loads(text, object_pairs_hook=_Pairs, parse_float=str, parse_constant=str))
    if not found:  # pragma: no cover - the strict hook only raises on a repeated key
        return "duplicate object key"
    path, key = found
    return "duplicate key %s in the object at %s (JSON allows it, but which value was meant is unclear; remove one)" % (
        json.dumps(key, ensure_ascii=False), path_text(path))


def loads(text, source="<inline>", duplicate_keys="error"):
    """Parse JSON ``text`` (``str`` or UTF-8 ``bytes``; a BOM is tolerated).

    Floats become ``JsonNumber`` (literal kept), integers stay ``int``. A key repeated in one object is an
    error naming the key and its JSON path (``duplicate_keys="error"``, the default: every file we read and
    every API answer); ``duplicate_keys="last"`` keeps the last value (plain ``json`` behaviour).
    Raises ``DocumentError("<source>: line L, column C: <reason>")`` or ``DocumentError("<source>: <reason>")``.
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError("%s: not valid UTF-8 (byte offset %d)" % (source, exc.start)) from None
    elif not isinstance(text, str):
        raise DocumentError("%s: expected JSON text, got %s" % (source, type(text).__name__))
    if text.startswith("\ufeff"):
        text = text[1:]
    if duplicate_keys not in ("error", "last"):
        raise ValueError("duplicate_keys must be 'error' or 'last'")
    hook = _unique_object if duplicate_keys == "error" else None
    try:
        return json.loads(text, parse_float=JsonNumber, parse_constant=_reject_constant, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        raise DocumentError("%s: line %d, column %d: %s" % (source, exc.lineno, exc.colno, exc.msg)) from None
    except _DuplicateKey:
        raise DocumentError("%s: %s" % (source, _duplicate_message(text))) from None
    except RecursionError:
        raise DocumentError("%s: nested too deeply for the parser (expected fewer than about %d nested arrays/objects)"
                            % (source, sys.getrecursionlimit())) from None
    except ValueError as exc:
        # NaN/Infinity literals, integers beyond the interpreter's digit limit.
        message = str(exc)
        if "integer string conversion" in message:
            message = "a number with more digits than the %d allowed (expected a JSON number of sensible size)" % sys.get_int_max_str_digits()
        raise DocumentError("%s: %s" % (source, message)) from None


def load_file(path):
    """Read and parse a UTF-8 JSON file; errors name the file."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise DocumentError("%s: cannot read: %s" % (path, exc.strerror or exc)) from None
    return loads(data, source=str(path))


# ---------------------------------------------------------------------------
# serialisation

_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_HTML_RE = re.compile("[<>&\u2028\u2029]")


def _encode_string(value, html_escape):
    out = json.encoder.py_encode_basestring(value)
    if _LONE_SURROGATE_RE.search(out):
        # Keep the document encodable as UTF-8 and still round-trippable.
        out = _LONE_SURROGATE_RE.sub(lambda m: "\\u%04x" % ord(m.group(0)), out)
    if html_escape:
        out = _HTML_RE.sub(lambda m: _HTML_ESCAPES[m.group(0)], out)
    return out


def _key_text(key):
    """The text of an object key: strings as they are, other scalars as their JSON text (as json.dumps does)."""
    if isinstance(key, str):
        return key
    text = _scalar(key, False)
    if text is None:
        raise DocumentError("cannot use a %s as a JSON object key" % type(key).__name__)
    return text


def _scalar(obj, html_escape):
    """The JSON text of a scalar, or None if ``obj`` is a container."""
    if isinstance(obj, str):
        return _encode_string(obj, html_escape)
    if obj is None:
        return "null"
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if isinstance(obj, JsonNumber):
        return obj.text
    if isinstance(obj, int):
        return int.__repr__(obj)
    if isinstance(obj, float):
        return _float_text(obj)
    return None


def _encode(obj, chunks, indent, level, sort_keys, html_escape, item_sep, key_sep):
    text = _scalar(obj, html_escape)
    if text is not None:
        chunks.append(text)
        return
    if isinstance(obj, dict):
        if not obj:
            chunks.append("{}")
            return
        items = [(_key_text(k), v) for k, v in obj.items()]
        if sort_keys:
            items.sort(key=lambda kv: kv[0])
        newline = "\n" + " " * (indent * (level + 1)) if indent is not None else ""
        chunks.append("{")
        for index, (key, value) in enumerate(items):
            chunks.append((item_sep if index else "") + newline)
            chunks.append(_encode_string(key, html_escape))
            chunks.append(key_sep)
            _encode(value, chunks, indent, level + 1, sort_keys, html_escape, item_sep, key_sep)
        chunks.append(("\n" + " " * (indent * level) if indent is not None else "") + "}")
        return
    if isinstance(obj, (list, tuple)):
        if not obj:
            chunks.append("[]")
            return
        newline = "\n" + " " * (indent * (level + 1)) if indent is not None else ""
        chunks.append("[")
        for index, value in enumerate(obj):
            chunks.append((item_sep if index else "") + newline)
            _encode(value, chunks, indent, level + 1, sort_keys, html_escape, item_sep, key_sep)
        chunks.append(("\n" + " " * (indent * level) if indent is not None else "") + "]")
        return
    raise DocumentError("cannot serialise a %s as JSON" % type(obj).__name__)


def _py_dumps(obj, html_escape=False):
    """The canonical text from the hand-written encoder (the reference; ``dumps`` falls back to it)."""
    chunks = []
    try:
        _encode(obj, chunks, 2, 0, True, html_escape, ",", ": ")
    except RecursionError:
        raise DocumentError("document is nested too deeply to serialise") from None
    chunks.append("\n")
    return "".join(chunks)


def _py_dumps_compact(obj):
    """The compact text from the hand-written encoder (the reference; ``dumps_compact`` falls back to it)."""
    chunks = []
    try:
        _encode(obj, chunks, None, 0, False, False, ",", ":")
    except RecursionError:
        raise DocumentError("document is nested too deeply to serialise") from None
    return "".join(chunks)


# The stdlib C encoder writes the same text as the encoder above for documents whose
# object keys are all ``str`` and whose ``JsonNumber``s are spelt as ``repr(float)``
# (``_plain``); strings are escaped alike except lone surrogates and the HTML characters,
# which only ever occur inside strings and are escaped afterwards over the whole text.
# Before Python 3.13 the C encoder cannot indent, so ``dumps`` indents its compact,
# sorted output (``_indent``) with str/bytes methods that run in C; 3.13+ indents itself.
_LEAF_TYPES = frozenset([str, int, bool, float, type(None)])
_IS_STR = functools.partial(operator.is_, str)


def _plain(obj):
    """True if the C encoder's text for ``obj`` is the hand-written encoder's (``obj`` is known acyclic)."""
    stack = [obj]
    pop, push = stack.pop, stack.extend
    while stack:
        node = pop()
        cls = type(node)
        if cls is dict:
            if not all(map(_IS_STR, map(type, node))):
                return False  # non-str keys: json sorts them by value, we sort by text
            push(node.values())
        elif cls is list or cls is tuple:
            push(node)
        elif cls is JsonNumber:
            if node.text != float.__repr__(node):
                return False
        elif cls not in _LEAF_TYPES:
            return False  # subclasses and unknown types: the hand-written encoder decides
    return True


def _refuse(obj):
    raise TypeError("cannot serialise a %s as JSON" % type(obj).__name__)


def _c_encode(obj, sort_keys, item_separator, key_separator, indent=None):
    """The C encoder's text for ``obj``, or None where it could differ from the hand-written encoder's."""
    if c_make_encoder is None or c_encode_basestring is None:
        return None
    try:
        encoder = c_make_encoder({}, _refuse, c_encode_basestring, indent, key_separator, item_separator, sort_keys, False, False)
        text = "".join(encoder(obj, 0))
    except (ValueError, TypeError, RecursionError, OverflowError):
        # circular, NaN/Infinity, unsortable keys, unknown types, too deep: the fallback says why
        return None
    if not _plain(obj):
        return None
    return text


def _c_encoder_indents():
    """True if the C encoder writes ``indent`` itself (Python 3.13+; older ones ignore it)."""
    if c_make_encoder is None or c_encode_basestring is None:
        return False
    try:
        encoder = c_make_encoder({}, _refuse, c_encode_basestring, "  ", ": ", ",", True, False, False)
        return "".join(encoder({"b": [1, {}], "a": []}, 0)) == '{\n  "a": [],\n  "b": [\n    1,\n    {}\n  ]\n}'
    except (TypeError, ValueError):
        return False


_C_ENCODER_INDENTS = _c_encoder_indents()
_MAX_INDENT_DEPTH = 64  # deeper documents use the hand-written encoder
_INDENT_BY_BYTE = [None] * 256  # byte of a structural character -> its text at each depth
_DEPTH_STEP = [0] * 256
for _char in "{}[],":
    _INDENT_BY_BYTE[ord(_char)] = [(_char + "\n" + "  " * depth).encode("ascii") if _char in "{[," else ("\n" + "  " * depth + _char).encode("ascii")
                                   for depth in range(_MAX_INDENT_DEPTH)]
    _DEPTH_STEP[ord(_char)] = {"{": 1, "[": 1, "}": -1, "]": -1, ",": 0}[_char]
del _char
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b"{}[],")
_STRUCTURE_TO_CUT = bytes.maketrans(b"{}[],", b"\x07\x07\x07\x07\x07")


_INDENT_BLOCK = 1 << 16  # characters of compact text indented at a time: bounds the temporary lists of ``_indent``


def _indent(compact):
    """Indent the C encoder's sorted compact text exactly as the hand-written encoder does.

    Between string literals there is only ASCII: brackets, ``,``, ``:``, numbers, ``true``,
    ``false`` and ``null``. Escaped ``\\`` and ``"`` are first replaced by control
    characters, which the encoder always escapes, so ``"`` splits strings from structure;
    each structural character is then replaced by its text at its depth (a running sum).
    The text is done in blocks of about ``_INDENT_BLOCK`` characters, each cut right after a
    closing quote, so the temporary lists stay small for a large document.
    Returns None if the document is nested deeper than the prepared indents.
    """
    escaped = "\\" in compact
    if escaped:
        compact = compact.replace("\\\\", "\x02").replace('\\"', "\x03")
    out = []
    depth = start = 0
    size = len(compact)
    while start < size:
        end = min(start + _INDENT_BLOCK, size)
        if end < size:
            quote = compact.find('"', end)
            if quote < 0:
                end = size
            else:
                if compact.count('"', start, quote + 1) % 2:   # ``quote`` opens a string: cut after the one that closes it
                    quote = compact.find('"', quote + 1)
                end = quote + 1
        block = _indent_block(compact[start:end], depth)
        if block is None:
            return None
        text, depth = block
        out.append(text)
        start = end
    text = "".join(out)
    if escaped:
        text = text.replace("\x03", '\\"').replace("\x02", "\\\\")
    return text


def _indent_block(compact, depth):
    """``(indented text, depth after it)`` of a piece of compact text that starts and ends outside any string."""
    parts = compact.split('"')
    structure = "\x04".join(parts[::2]).encode("ascii")
    structure = structure.replace(b":", b": ").replace(b"{}", b"\x05").replace(b"[]", b"\x06")
    marks = structure.translate(None, _NOT_STRUCTURE)
    pieces = structure.translate(_STRUCTURE_TO_CUT).split(b"\x07")
    steps = list(map(_DEPTH_STEP.__getitem__, marks))
    out = [b""] * (2 * len(marks) + 1)
    out[::2] = pieces
    try:
        out[1::2] = map(operator.getitem, map(_INDENT_BY_BYTE.__getitem__, marks),
                        itertools.islice(itertools.accumulate(steps, initial=depth), 1, None))
    except IndexError:
        return None
    structure = b"".join(out).replace(b"\x05", b"{}").replace(b"\x06", b"[]")
    parts[::2] = structure.decode("ascii").split("\x04")
    return '"'.join(parts), depth + sum(steps)


def _escape_after(text, html_escape):
    if not text.isascii():
        text = _LONE_SURROGATE_RE.sub(lambda m: "\\u%04x" % ord(m.group(0)), text)
    if html_escape:
        text = _HTML_RE.sub(lambda m: _HTML_ESCAPES[m.group(0)], text)
    return text


def dumps(obj, html_escape=False):
    """Canonical JSON text: sorted keys, 2-space indent, UTF-8, trailing newline, literals kept.

    ``html_escape=True`` also writes ``<``, ``>``, ``&``, U+2028 and U+2029 as ``\\uXXXX``,
    byte-for-byte like Go's ``json.MarshalIndent`` (the Descope CLI's export files).
    Uses the stdlib C encoder when its text is the same, else the hand-written encoder.
    """
    if _C_ENCODER_INDENTS:
        text = _c_encode(obj, True, ",", ": ", "  ")
    else:
        text = _c_encode(obj, True, ",", ":")
        text = _indent(text) if text is not None else None
    if text is None:
        return _py_dumps(obj, html_escape)
    return _escape_after(text, html_escape) + "\n"


def dumps_compact(obj):
    """Compact JSON for request bodies: no whitespace, key order as given, literals kept."""
    text = _c_encode(obj, False, ",", ":")
    if text is None:
        return _py_dumps_compact(obj)
    return _escape_after(text, False)


def fingerprint(obj):
    """``"sha256:<hex>"`` of the canonical UTF-8 text of ``obj``."""
    return "sha256:" + hashlib.sha256(dumps(obj).encode("utf-8")).hexdigest()


class Packed:  # pylint: disable=too-few-public-methods
    """A JSON document held as zlib-compressed compact JSON; ``unpack()`` parses a new copy.

    A parsed flow takes several times its JSON size in memory (a 1 MB Descope flow about 6 MB); packed it takes
    less than its JSON size. Key order, float literals (``JsonNumber``) and integers come back as they were.
    """

    __slots__ = ("data",)

    def __init__(self, doc):
        self.data = zlib.compress(dumps_compact(doc).encode("utf-8"), 1)

    def unpack(self):
        return loads(zlib.decompress(self.data), source="<packed document>", duplicate_keys="last")


def _exact_json(obj):
    """True when ``loads(dumps_compact(obj))`` gives ``obj`` back: only dicts with str keys, lists and JSON scalars."""
    stack = [obj]
    while stack:
        node = stack.pop()
        cls = type(node)
        if cls is dict:
            for key in node:
                if type(key) is not str:  # pylint: disable=unidiomatic-typecheck
                    return False
            stack.extend(node.values())
        elif cls is list:
            stack.extend(node)
        elif cls not in _LEAF_TYPES and cls is not JsonNumber:
            return False
        elif cls is float:
            return False  # a plain float comes back as a JsonNumber: equal, but not the same type
    return True


def pack(doc):
    """``doc`` held small (a ``Packed``) when it is a JSON object or array that round-trips exactly, else ``doc`` itself.

    It never raises: the engine packs the pre-write state of a flow right after its write, where an error would hide
    that write from the rollback. A document that cannot be encoded (nested deeper than the encoder goes) is held as it is.
    """
    if type(doc) not in (dict, list) or not _exact_json(doc):  # pylint: disable=unidiomatic-typecheck
        return doc
    try:
        return Packed(doc)
    except Exception:  # pylint: disable=broad-exception-caught
        return doc


def unpack(held):
    """The document ``pack`` was given (a new parsed copy for a ``Packed``)."""
    return held.unpack() if isinstance(held, Packed) else held


# ---------------------------------------------------------------------------
# document transformations


def _split_path(path):
    if isinstance(path, (list, tuple)):
        return [str(p) for p in path]
    segments, current, escaped = [], [], False
    for char in str(path):
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ".":
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
    segments.append("".join(current))
    return segments


def _list_indexes(node, head):
    if head == "*":
        return list(range(len(node)))
    if re.match(r"-?[0-9]+\Z", head) and -len(node) <= int(head) < len(node):
        return [int(head) % len(node)]
    return []


def _stripped(node, segments):
    """``node`` without the path ``segments``: the same object if nothing matched, else a shallow copy
    of each container along the matched path (everything else is shared, nothing is mutated)."""
    head, rest = segments[0], segments[1:]
    if isinstance(node, dict):
        if not rest:
            if head == "*":
                return node.__class__() if node else node
            if head not in node:
                return node
            out = copy.copy(node)
            del out[head]
            return out
        keys = list(node) if head == "*" else ([head] if head in node else [])
        out = None
        for key in keys:
            child = node[key]
            new = _stripped(child, rest)
            if new is not child:
                if out is None:
                    out = copy.copy(node)
                out[key] = new
        return node if out is None else out
    if isinstance(node, list):
        indexes = _list_indexes(node, head)
        if not indexes:
            return node
        out = copy.copy(node)
        if not rest:
            for index in sorted(indexes, reverse=True):
                del out[index]
            return out
        changed = False
        for index in indexes:
            new = _stripped(node[index], rest)
            if new is not node[index]:
                out[index] = new
                changed = True
        return out if changed else node
    return node


def strip_paths(doc, dotted_paths):
    """Return ``doc`` without the given paths; ``doc`` itself is never changed.

    A path is ``"a.b.c"`` (``\\.`` escapes a dot inside a key) or a list of segments.
    ``*`` matches every dict value / list item (``"screens.*.version"``); a number selects a
    list index. Missing paths are ignored.

    Only the containers along a removed path are copied (shallow); every other part of the
    result is shared with ``doc``, which is returned as is when no path matches. Copy the
    result (``copy.deepcopy``) before changing it in place.
    """
    if isinstance(dotted_paths, (str, bytes)):
        dotted_paths = [dotted_paths]
    result = doc
    for path in dotted_paths or ():
        result = _stripped(result, _split_path(path))
    return result


def diff(before, after, before_header="", after_header=""):
    """Before/after for Ansible's diff callback, each as canonical text.

    ``None`` (absent) becomes ``""``; a ``str`` is taken as already-rendered text.
    """
    def render(doc):
        if doc is None:
            return ""
        if isinstance(doc, str):
            return doc
        return dumps(doc)
    return {
        "before": render(before),
        "after": render(after),
        "before_header": before_header,
        "after_header": after_header,
    }


def mask(obj, secret_values=(), secret_keys=(), placeholder="********"):
    """Return ``obj`` with secrets replaced by ``placeholder``; ``obj`` itself is never changed.

    - the value of every dict key named in ``secret_keys`` (case-insensitive) is replaced
      whatever its type, unless it is ``None`` or ``""`` (nothing to hide);
    - every occurrence of a string in ``secret_values`` inside any string (values and keys)
      is replaced, longest secret first.

    Dicts and lists that hold no secret are returned as they are (shared with ``obj``), the
    others are new ``dict``/``list`` objects; tuples and other sequence/mapping types always
    come back as new lists and dicts.
    """
    values = sorted({str(v) for v in secret_values or () if v not in (None, "")}, key=len, reverse=True)
    keys = {str(k).lower() for k in secret_keys or ()}

    def scrub(text):
        for secret in values:
            if secret in text:
                text = text.replace(secret, placeholder)
        return text

    def walk(node):
        if isinstance(node, dict):
            out = None if type(node) is dict else {}  # pylint: disable=unidiomatic-typecheck
            for index, (key, value) in enumerate(node.items()):
                is_str = isinstance(key, str)
                new_key = scrub(key) if is_str else key
                if is_str and key.lower() in keys and value not in (None, ""):
                    new_value = placeholder
                else:
                    new_value = walk(value)
                if out is None and (new_key is not key or new_value is not value):
                    out = dict(itertools.islice(node.items(), index))  # the unchanged ones before
                if out is not None:
                    out[new_key] = new_value
            return node if out is None else out
        if isinstance(node, (list, tuple)):
            new = [walk(item) for item in node]
            if type(node) is list and all(map(operator.is_, new, node)):  # pylint: disable=unidiomatic-typecheck
                return node
            return new
        if isinstance(node, str):
            return scrub(node)
        return node

    return walk(obj)


# ---------------------------------------------------------------------------
# file names and files

_UNSAFE_CHARS_RE = re.compile(r'[\x00-\x1f\x7f/\\<>:"|?*]')
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + ["COM%s" % c for c in "0123456789\u00b9\u00b2\u00b3"]
    + ["LPT%s" % c for c in "0123456789\u00b9\u00b2\u00b3"]
)
MAX_NAME_BYTES = 200


def safe_name(name, max_bytes=MAX_NAME_BYTES):
    """Turn an id or a name into one safe, portable, readable path component.

    - path separators, NUL, control characters and the characters Windows forbids
      (``<>:"|?*``) become ``_`` ("Sign Up / In" -> "Sign Up _ In");
    - a leading ``.`` becomes ``_`` (so no ``.``, ``..`` or hidden files), trailing dots and
      spaces become ``_`` (Windows drops them);
    - Windows device names (``CON``, ``nul.json``, ``COM1`` ...) get a ``_`` prefix;
    - names longer than ``max_bytes`` UTF-8 bytes are truncated and suffixed with
      ``~`` + 8 hex digits of the SHA-256 of the original name.
    Stable and idempotent (``safe_name(safe_name(x)) == safe_name(x)``); different inputs can
    map to the same output ("a/b" and "a_b"), so callers must detect collisions.
    Raises ``DocumentError`` for an empty name or a non-string.
    """
    if not isinstance(name, str):
        raise DocumentError("a file name must be a string, not %s" % type(name).__name__)
    original = name
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE_CHARS_RE.sub("_", name)
    if not name:
        raise DocumentError("an empty name cannot be used as a file name")
    if name.startswith("."):
        name = "_" + name[1:]
    stripped = name.rstrip(". ")
    if len(stripped) != len(name):
        name = stripped + "_" * (len(name) - len(stripped))
    if name.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        name = "_" + name
    encoded = name.encode("utf-8")
    if len(encoded) > max_bytes:
        suffix = "~" + hashlib.sha256(original.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        head = encoded[: max_bytes - len(suffix)].decode("utf-8", "ignore").rstrip(". ")
        name = head + suffix
    return name


_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,256}\Z")


def check_id(value, what="id"):
    """``value`` if it is a plain id (letters, digits, '_' and '-'; what every provider's ids are), else DocumentError.

    An id goes into URL paths and file names: a '/', '..', NUL or other character could reach another API route
    or another file, so it is refused before any call. The message names the option (``what``) and what was expected.
    """
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise DocumentError("%s %r is not a valid id: expected letters, digits, '_' and '-' only (no '/', '..', spaces or "
                            "control characters), at most 256" % (what, value))
    return value


def _is_within(path, base):
    return path == base or path.startswith(base.rstrip(os.sep) + os.sep)


def safe_join(base, *parts, strict=False):
    """Join ``parts`` (each one path component, sanitised with ``safe_name``) under ``base``.

    With ``strict=True`` a part that needs sanitising is refused instead. Raises
    ``DocumentError`` if the real path (symlinks resolved) would be outside ``base``.
    """
    base = os.fspath(base)
    clean = []
    for part in parts:
        part = os.fspath(part)
        name = safe_name(part, max_bytes=255)
        if strict and name != part:
            raise DocumentError("unsafe path component %r under %s" % (part, base))
        clean.append(name)
    path = os.path.join(base, *clean)
    real_base = os.path.realpath(base)
    real_path = os.path.realpath(path)
    if not _is_within(real_path, real_base):
        raise DocumentError("%s resolves to %s, outside %s" % (path, real_path, real_base))
    return path


def read_text_if_exists(path):
    """The UTF-8 text of ``path``, or ``None`` if it does not exist."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DocumentError("%s: cannot read: %s" % (path, exc.strerror or exc)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError("%s: not valid UTF-8 (byte offset %d)" % (path, exc.start)) from None


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def differs(path, content):
    """True when the file at ``path`` does not hold exactly ``content`` (``str`` is UTF-8 encoded), or is missing.

    Raises ``DocumentError`` when ``path`` is a directory or cannot be read.
    """
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    try:
        with open(path, "rb") as handle:
            return handle.read() != data
    except FileNotFoundError:
        return True
    except IsADirectoryError:
        raise DocumentError("%s: is a directory" % path) from None
    except OSError as exc:
        raise DocumentError("%s: cannot read: %s" % (path, exc.strerror or exc)) from None


def write_if_changed(path, content, mode=0o644):
    """Atomically write ``content`` (``str`` is UTF-8 encoded) to ``path`` if its bytes differ.

    Returns ``False`` and leaves the file (and its mtime) untouched when the bytes are identical.
    Otherwise writes a temporary file in the same directory, fsyncs it, sets ``mode`` and
    ``os.replace``-s it over ``path`` (a symlink at ``path`` is replaced, never followed);
    missing parent directories are created. Returns ``True``.
    """
    path = os.fspath(path)
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if not differs(path, data):
        return False
    directory = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path)[:100] + ".", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise DocumentError("%s: cannot write: %s" % (path, exc.strerror or exc)) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    _fsync_dir(directory)
    return True
