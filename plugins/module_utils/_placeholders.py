# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Placeholders in flow documents: one portable file for every stage. Private to this collection.

Provider-neutral and pure (standard library only, plus the floor's ``DocumentError``), so a filter
plugin or a role can use it. The syntax is auth0-deploy-cli's keyword replacement:

- a JSON string value that is exactly ``@@NAME@@`` is replaced by the value of NAME, of any JSON type
  (string, number, bool, null, list, object);
- ``##NAME##`` anywhere inside a string is replaced by the value of NAME as text (the value must be a
  string or a number);
- NAME is ``[A-Za-z_][A-Za-z0-9_]*``; nothing else is a placeholder, object keys are never substituted,
  and a substituted value is not scanned again;
- ``##NAME##`` next to a further ``#`` is not a placeholder, and a provider may reserve names that are part
  of its own file format (``reserved``): DaVinci's variable names hold ``##SK##`` (``companyLogo##SK##flowInstance``).

``resolve(doc, values, source)`` fails (``PlaceholderError``) when a placeholder has no value, naming the
source, the JSON path of each unresolved placeholder (``$.tasks[3].args.url``, the style of
``_document.loads``) and the names that do have values. ``make_portable(doc, values, source)`` is the
way back for an export: known values become placeholders (longest first) and the result is checked to
resolve to exactly ``doc`` again.
"""

from __future__ import annotations

import copy
import json
import re

from ansible_collections.flowops.flows.plugins.module_utils._document import DocumentError, JsonNumber, json_type, path_text

__all__ = ["NAME_PATTERN", "PlaceholderError", "check_values", "find_placeholders", "make_portable", "portable_values", "resolve"]

NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"
_WHOLE_RE = re.compile(r"@@(%s)@@\Z" % NAME_PATTERN)
# Not next to another '#': DaVinci's own markup holds ``[[[skcomponent###<base64>###]]]``.
_INLINE_RE = re.compile(r"(?<!#)##(%s)##(?!#)" % NAME_PATTERN)
_NAME_RE = re.compile(NAME_PATTERN + r"\Z")
_MAX_LISTED = 20


class PlaceholderError(DocumentError):
    """A placeholder without a value, a value that cannot go where its placeholder is, or an export that
    cannot be made portable. The message names the source, the JSON path and the placeholder."""


def _names_text(values):
    names = sorted(values)
    return ", ".join(names) if names else "none (set values)"


def check_values(values, what="values", reserved=()):
    """``values`` as a dict, or a ``PlaceholderError`` naming the first key that is not a placeholder name."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise PlaceholderError("%s must be a dict of placeholder names to values, got %s" % (what, type(values).__name__))
    for name in values:
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise PlaceholderError("%s: %r is not a placeholder name (expected %s: a letter or '_', then letters, digits or '_')"
                                   % (what, name, NAME_PATTERN))
        if name in reserved:
            raise PlaceholderError("%s: %s is not available as a placeholder name here: ##%s## is part of this provider's own file format"
                                   % (what, name, name))
    return values


def portable_values(params, reserved=()):
    """For a module's ``state=exported``: the checked ``values`` when ``portable`` is true, else None."""
    if not params.get("portable"):
        return None
    return check_values(params.get("values"), reserved=reserved)


def _text_of(value):
    """The text a ``##NAME##`` placeholder becomes, or None when the value is not a string or a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, JsonNumber):
        return value.text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)   # NaN/Infinity are refused below by the caller's JSON rules
    return None


def _walk(node, path, visit):
    """Rebuild ``node`` with ``visit(text, path)`` applied to every string value (never to keys)."""
    if isinstance(node, dict):
        return {key: _walk(value, path + (key,), visit) for key, value in node.items()}
    if isinstance(node, list):
        return [_walk(value, path + (index,), visit) for index, value in enumerate(node)]
    if isinstance(node, str):
        return visit(node, path)
    return node


def _may_hold_placeholders(doc):
    """False when no string of ``doc`` can hold a placeholder: its JSON text has neither ``@@`` nor ``##`` (one C-speed
    encode instead of a walk over every value; a marker in a key or a number only costs the walk)."""
    text = json.dumps(doc, ensure_ascii=False, default=str)
    return "@@" in text or "##" in text


def find_placeholders(doc, reserved=()):
    """Every placeholder of ``doc`` as ``(json_path, placeholder_text, name)``, in document order."""
    found = []
    if not _may_hold_placeholders(doc):
        return found

    def visit(text, path):
        whole = _WHOLE_RE.match(text)
        if whole:
            found.append((path_text(path), text, whole.group(1)))
        else:
            for match in _INLINE_RE.finditer(text):
                if match.group(1) not in reserved:
                    found.append((path_text(path), match.group(0), match.group(1)))
        return text
    _walk(doc, (), visit)
    return found


def resolve(doc, values, source, reserved=()):
    """A copy of ``doc`` with every placeholder replaced by its value from ``values`` (``doc`` itself when it holds none).

    Fails before returning anything when a placeholder has no value or a ``##NAME##`` value is not text;
    every such problem of the document is named (up to 20), with its JSON path.
    """
    values = check_values(values, reserved=reserved)
    if not _may_hold_placeholders(doc):
        return doc
    missing = []
    wrong = []

    def visit(text, path):
        whole = _WHOLE_RE.match(text)
        if whole:
            name = whole.group(1)
            if name not in values:
                missing.append("%s at %s" % (text, path_text(path)))
                return text
            return copy.deepcopy(values[name])

        def inline(match):
            name = match.group(1)
            if name in reserved:
                return match.group(0)
            if name not in values:
                missing.append("%s at %s" % (match.group(0), path_text(path)))
                return match.group(0)
            text_value = _text_of(values[name])
            if text_value is None:
                wrong.append("%s at %s (the value of %s is %s)" % (match.group(0), path_text(path), name, json_type(values[name])))
                return match.group(0)
            return text_value
        return _INLINE_RE.sub(inline, text)

    out = _walk(doc, (), visit)
    problems = []
    if missing:
        problems.append("no value for placeholder%s %s; names with values: %s"
                        % ("s" if len(missing) > 1 else "", _first(missing), _names_text(values)))
    if wrong:
        problems.append("##NAME## is replaced by text, so its value must be a string or a number: %s (use @@NAME@@ as the whole "
                        "string for a value of another type)" % _first(wrong))
    if problems:
        raise PlaceholderError("%s: %s" % (source, "; ".join(problems)))
    return out


def _first(entries):
    shown = ", ".join(entries[:_MAX_LISTED])
    if len(entries) > _MAX_LISTED:
        shown += " and %d more" % (len(entries) - _MAX_LISTED)
    return shown


def same(left, right):
    """Strict JSON equality: ``true`` is not ``1``, ``1`` is not ``"1"`` (Python's ``==`` says both are)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, dict):
        return isinstance(right, dict) and set(left) == set(right) and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return isinstance(right, list) and len(left) == len(right) and all(same(a, b) for a, b in zip(left, right))
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str) and left == right
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    return left == right


def make_portable(doc, values, source, reserved=()):
    """``doc`` with the known ``values`` written back as placeholders, and the names used.

    - a string (or a list / object) equal to a value becomes ``"@@NAME@@"``;
    - a string value found inside a longer string becomes ``##NAME##`` (longest values first);
    - numbers, bools, null and empty values are never turned into placeholders (``true`` or ``0`` would match
      everywhere), and object keys are left alone.

    Two names with the same value that occurs in ``doc`` are an error (which one was meant cannot be told), and
    so is a result that does not resolve with ``values`` to exactly ``doc`` (a value that also occurs in text
    that is not it, text that already looks like a placeholder): the message names the source and the value.
    """
    values = check_values(values, reserved=reserved)
    strings = {}     # value text -> [names]
    containers = []  # (name, value)
    for name in sorted(values):
        value = values[name]
        if isinstance(value, str) and value:
            strings.setdefault(value, []).append(name)
        elif isinstance(value, (dict, list)) and value:
            containers.append((name, value))
    used = set()
    ambiguous = {}

    def name_for(value_text):
        names = strings[value_text]
        if len(names) > 1:
            ambiguous[value_text] = names
        used.add(names[0])
        return names[0]

    pattern = None
    if strings:
        ordered = sorted(strings, key=lambda v: (-len(v), v))
        pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def convert(node):
        for name, value in containers:
            if same(node, value):
                used.add(name)
                return "@@%s@@" % name
        if isinstance(node, dict):
            return {key: convert(value) for key, value in node.items()}
        if isinstance(node, list):
            return [convert(value) for value in node]
        if isinstance(node, str) and pattern is not None:
            if node in strings:
                return "@@%s@@" % name_for(node)
            return pattern.sub(lambda m: "##%s##" % name_for(m.group(0)), node)
        return node

    portable = convert(doc)
    if ambiguous:
        raise PlaceholderError("%s: cannot write a portable file: %s" % (source, "; ".join(
            "the values of %s are the same (%s), so which placeholder to write is unclear; give each name its own value"
            % (" and ".join(names), json.dumps(text, ensure_ascii=False)) for text, names in sorted(ambiguous.items()))))
    try:
        back = resolve(portable, values, source, reserved)
    except PlaceholderError as exc:
        raise PlaceholderError("%s: cannot write a portable file: the document already holds text that reads as a placeholder (%s)"
                               % (source, str(exc)[len(source) + 2:])) from None
    if not same(back, doc):
        raise PlaceholderError("%s: cannot write a portable file: %s" % (source, _first_difference(doc, back, values)))
    return portable, sorted(used)


def _first_difference(doc, back, values, path=()):
    """Why resolving the portable form does not give ``doc`` back, naming the JSON path and the value."""
    if isinstance(doc, dict) and isinstance(back, dict) and set(doc) == set(back):
        for key in doc:
            if not same(doc[key], back[key]):
                return _first_difference(doc[key], back[key], values, path + (key,))
    if isinstance(doc, list) and isinstance(back, list) and len(doc) == len(back):
        for index, (left, right) in enumerate(zip(doc, back)):
            if not same(left, right):
                return _first_difference(left, right, values, path + (index,))
    suspects = [name for name in sorted(values) if isinstance(values[name], str) and values[name]
                and isinstance(doc, str) and values[name] in doc]
    return ("at %s the exported %s would come back as %s%s" % (
        path_text(path), json.dumps(doc, ensure_ascii=False)[:200], json.dumps(back, ensure_ascii=False)[:200],
        "; the value of %s is ambiguous there" % " / ".join(suspects) if suspects else ""))
