# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kore.ai workflow packages: environment variables, normalisation, files and zip. Private to this collection.

Standard library only (with the collection's pure ``_document``, ``_shapes`` and ``_sync`` errors): no API
calls and no pydantic, so the rules can be used and tested on their own. A workflow travels as a *package*
of three JSON documents (``flow_definition.json``, ``app_definition.json``, ``env_variables.json``), as a
directory or a zip. The envelope models and the API live in ``_koreai``; why secure values are handled
this way is explained there.
"""

from __future__ import annotations

import copy
import io
import os
import re
import zipfile

from ansible_collections.flowops.flows.plugins.module_utils._document import dumps, json_type, load_file, loads
from ansible_collections.flowops.flows.plugins.module_utils._placeholders import make_portable
from ansible_collections.flowops.flows.plugins.module_utils._placeholders import resolve as resolve_placeholders
from ansible_collections.flowops.flows.plugins.module_utils._shapes import refuse
from ansible_collections.flowops.flows.plugins.module_utils._sync import FlowError

PROVIDER = "koreai"
PACKAGE_FILES = ("flow_definition.json", "app_definition.json", "env_variables.json")
DOC_KEYS = ("flow_definition", "app_definition", "env_variables")
FILE_OF = dict(zip(DOC_KEYS, PACKAGE_FILES))
MASK = "********"
# Fixed timestamp of every zip member: the zip of an unchanged workflow is byte-identical.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)

# Server-owned metadata dropped (top level of flow_definition / app_definition, and of each
# environment variable) before comparing and before writing files (reference 4, 7.7, 11).
VOLATILE_KEYS = frozenset([
    "_id", "__v", "accountId", "workflowId", "toolId", "streamId", "createdOn", "createdBy", "createdAt", "updatedOn",
    "updatedBy", "updatedAt", "modifiedOn", "modifiedBy", "lMod", "lastModifiedOn", "exportedOn", "exportedBy", "exportJobId",
])
ENV_LIST_KEYS = ("envVariables", "env_variables", "variables")
SECURE_FLAGS = ("isSecured", "isSecure", "secure", "secured", "is_secure", "isSecret")


class PackageError(FlowError):
    """A package (directory or zip) is not a valid Kore.ai workflow package."""


# ---------------------------------------------------------------------------------------------------
# environment variables


def pick(doc, *keys):
    """The first non-empty value of ``keys`` in ``doc`` (tolerates the docs' different spellings)."""
    if not isinstance(doc, dict):
        return None
    for key in keys:
        value = doc.get(key)
        if value not in (None, ""):
            return value
    return None


def _env_container(doc):
    """``(list of variable dicts, None)`` or ``(None, mapping)`` for the accepted env_variables shapes."""
    if isinstance(doc, list):
        return doc, None
    if isinstance(doc, dict):
        for key in ENV_LIST_KEYS:
            if isinstance(doc.get(key), list):
                return doc[key], None
        return None, doc
    return None, None


def _var_name(item):
    if isinstance(item, dict):
        name = pick(item, "key", "name")
        return name if isinstance(name, str) else None
    return None


def _is_secure(item):
    return isinstance(item, dict) and any(item.get(flag) in (True, "true", "True", 1) for flag in SECURE_FLAGS)


def env_names(doc):
    items, mapping = _env_container(doc)
    if items is not None:
        return [n for n in (_var_name(i) for i in items) if n]
    return list(mapping) if mapping is not None else []


def secure_names(doc):
    """Names of the variables marked secure."""
    items, mapping = _env_container(doc)
    if items is not None:
        return [_var_name(i) for i in items if _is_secure(i) and _var_name(i)]
    if mapping is not None:
        return [k for k, v in mapping.items() if _is_secure(v)]
    return []


def env_values(doc, names):
    """String values of the variables in ``names``."""
    out = []
    items, mapping = _env_container(doc)
    for name in names:
        value = None
        if items is not None:
            for item in items:
                if _var_name(item) == name:
                    value = item.get("value")
        elif mapping is not None and name in mapping:
            value = mapping[name].get("value") if isinstance(mapping[name], dict) else mapping[name]
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value):
            out.append(str(value))
    return out


def override_text(value):
    """Environment variable values are strings: YAML ``8080`` / ``true`` become ``"8080"`` / ``"true"``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    raise PackageError("env_overrides: values must be strings, numbers or booleans, got %s" % type(value).__name__)


def apply_env_overrides(doc, overrides, source="env_variables.json"):
    """Copy of ``doc`` with each override's value set. An unknown variable is an error (typo protection)."""
    if not overrides:
        return doc
    result = copy.deepcopy(doc)
    items, mapping = _env_container(result)
    known = env_names(result)
    unknown = sorted(k for k in overrides if k not in known)
    if unknown:
        raise PackageError("env_overrides: %s not defined in %s (defined: %s)"
                           % (", ".join("'%s'" % k for k in unknown), source, ", ".join(sorted(known)) or "none"))
    for name, value in overrides.items():
        text = override_text(value)
        if items is not None:
            for item in items:
                if _var_name(item) == name:
                    item["value"] = text
        elif isinstance(mapping.get(name), dict):
            mapping[name]["value"] = text
        else:
            mapping[name] = text
    return result


def strip_secure_values(doc, keep=()):
    """Copy of an env_variables document without the ``value`` of variables marked secure.

    The variables and their flags stay (the package still declares them); names in ``keep`` (variables set by
    ``env_overrides``) keep their value.
    """
    keep = set(keep or ())
    result = copy.deepcopy(doc)
    items, mapping = _env_container(result)
    if items is not None:
        for item in items:
            if _is_secure(item) and _var_name(item) not in keep:
                item.pop("value", None)
    elif mapping is not None:
        for name, item in mapping.items():
            if _is_secure(item) and name not in keep:
                item.pop("value", None)
    return result


def _value_of(doc, name):
    """``(True, value)`` when variable ``name`` of ``doc`` holds a value (not null), else ``(False, None)``."""
    items, mapping = _env_container(doc)
    if items is not None:
        for item in items:
            if _var_name(item) == name:
                return ("value" in item and item["value"] is not None), item.get("value")
    elif mapping is not None and name in mapping:
        item = mapping[name]
        if isinstance(item, dict):
            return ("value" in item and item["value"] is not None), item.get("value")
        return item is not None, item
    return False, None


def keep_target_secure_values(doc, target, keep=()):
    """Copy of a desired env_variables document for an import into an existing workflow.

    For every variable marked secure and not in ``keep`` (set by env_overrides), the package's value is replaced
    by the target's own value (read by this run's export), or left out when the target holds none. Whatever the
    API's conflict policy on import (reference koreai.md 3.3, 12.7), the target keeps its secret and a value
    from another environment is never imported.
    """
    keep = set(keep or ())
    result = copy.deepcopy(doc)
    items, mapping = _env_container(result)
    if items is not None:
        variables = [(_var_name(item), item) for item in items]
    else:
        variables = list((mapping or {}).items())
    for name, item in variables:
        if not _is_secure(item) or name in keep:
            continue
        found, value = _value_of(target, name)
        item.pop("value", None)
        if found:
            item["value"] = copy.deepcopy(value)
    return result


def secure_without_value(doc):
    """Names of secure variables that hold no value."""
    return sorted(name for name in secure_names(doc) if _value_of(doc, name)[1] in (None, ""))


def mask_env(doc, names, tag=None):
    """Copy of an env_variables document with the values of ``names`` replaced by ``********``.

    With ``tag`` (a function of the value), the mask is ``******** (<tag>)``: a diff of two masked documents then
    shows that a secret changed without showing it (``KoreAIAdapter`` tags with a keyed hash whose key lives
    only for one run, so equal values get equal tags within the run and the tag says nothing else).
    """
    names = set(names)
    if not names:
        return doc

    def masked(value):
        return "%s (%s)" % (MASK, tag(value)) if tag is not None else MASK
    result = copy.deepcopy(doc)
    items, mapping = _env_container(result)
    if items is not None:
        for item in items:
            if _var_name(item) in names and item.get("value") not in (None, ""):
                item["value"] = masked(item["value"])
    elif mapping is not None:
        for name in names & set(mapping):
            if isinstance(mapping[name], dict):
                if mapping[name].get("value") not in (None, ""):
                    mapping[name]["value"] = masked(mapping[name]["value"])
            elif mapping[name] not in (None, ""):
                mapping[name] = masked(mapping[name])
    return result


def env_differences(got, want):
    """Names of the variables whose values differ between two env_variables documents."""
    def values(doc):
        items, mapping = _env_container(doc)
        if items is not None:
            return {_var_name(i): i.get("value") for i in items if isinstance(i, dict)}
        if mapping is not None:
            return {k: (v.get("value") if isinstance(v, dict) else v) for k, v in mapping.items()}
        return {}
    have, wanted = values(got), values(want)
    return sorted(str(k) for k in set(have) | set(wanted) if have.get(k) != wanted.get(k))


def scrub(node, values):
    """Copy of ``node`` with every string in ``values`` replaced by ``********`` (keys included)."""
    if not values:
        return node
    if isinstance(node, dict):
        return {(scrub(k, values) if isinstance(k, str) else k): scrub(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [scrub(v, values) for v in node]
    if isinstance(node, str):
        for value in values:
            if value in node:
                node = node.replace(value, MASK)
    return node


# ---------------------------------------------------------------------------------------------------
# package: shape checks, files, zip, normal form


def check_package(docs, sources):
    """The checks that need no model: another provider's file refused, env_variables' shape; returns ``docs``.

    ``sources`` maps each doc key to a file name used in messages. ``_koreai.validate_package`` adds the envelope models.
    """
    refuse_foreign(docs, sources)
    check_env_variables(docs["env_variables"], sources["env_variables"])
    return docs


def refuse_foreign(docs, sources):
    """Refuse a package file that is another provider's file (the file-shape registry's message)."""
    for key in DOC_KEYS:
        refuse(docs.get(key), PROVIDER, sources[key], what="a Kore.ai workflow file (%s)" % FILE_OF[key], error=PackageError)


def check_env_variables(env, source):
    """env_variables.json must be the documented JSON array of variables: objects with a string 'key' (or 'name'), no name twice."""
    if not isinstance(env, list):
        raise PackageError("%s: expected a JSON array of variables ([{\"key\": ..., \"value\": ...}, ...]), got %s"
                           % (source, json_type(env)))
    for index, item in enumerate(env):
        if not _var_name(item):
            raise PackageError("%s: variable [%d]: expected an object with a string 'key' (or 'name'), got %s"
                               % (source, index, json_type(item) if not isinstance(item, dict) else "an object without one"))
    names = [_var_name(i) for i in env]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise PackageError("%s: duplicate variables: %s" % (source, ", ".join(dupes)))


def read_zip_documents(data, source):
    """``(docs, sources)``: the three documents of a zip (members matched by base name, at any depth), not validated."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PackageError("%s: not a zip archive" % source) from None
    members = {}
    with archive:
        for info in archive.infolist():
            name = info.filename.replace("\\", "/")
            base = name.rsplit("/", 1)[-1]
            if name.startswith("/") or ".." in name.split("/") or "\0" in name or re.match(r"[A-Za-z]:", name):
                raise PackageError("%s: entry %r leaves the archive (absolute path, drive or '..'); expected a zip of %s"
                                   % (source, info.filename, ", ".join(PACKAGE_FILES)))
            if info.is_dir() or info.filename.startswith("__MACOSX/") or base not in PACKAGE_FILES:
                continue
            if base in members:
                raise PackageError("%s: contains %s twice (%s and %s)" % (source, base, members[base].filename, info.filename))
            members[base] = info
        missing = [name for name in PACKAGE_FILES if name not in members]
        if missing:
            raise PackageError("%s: missing %s (a Kore.ai workflow package holds %s)" % (source, ", ".join(missing), ", ".join(PACKAGE_FILES)))
        docs, sources = {}, {}
        for key in DOC_KEYS:
            info = members[FILE_OF[key]]
            sources[key] = "%s!%s" % (source, info.filename)
            try:
                raw = archive.read(info)
            except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                raise PackageError("%s: cannot read: %s" % (sources[key], exc)) from None
            docs[key] = loads(raw, source=sources[key])
    return docs, sources


def load_package_documents(src):
    """``(docs, sources)`` of a package in a directory holding the three files or in a zip file, not validated."""
    if os.path.isdir(src):
        docs, sources = {}, {}
        missing = [name for name in PACKAGE_FILES if not os.path.isfile(os.path.join(src, name))]
        if missing:
            raise PackageError("%s: missing %s (a Kore.ai workflow package holds %s)" % (src, ", ".join(missing), ", ".join(PACKAGE_FILES)))
        for key in DOC_KEYS:
            sources[key] = os.path.join(src, FILE_OF[key])
            docs[key] = load_file(sources[key])
        return docs, sources
    if not os.path.exists(src):
        raise PackageError("%s: no such file or directory" % src)
    try:
        with open(src, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise PackageError("%s: cannot read: %s" % (src, exc.strerror or exc)) from None
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise PackageError("%s: expected a directory with %s, or a zip of them" % (src, ", ".join(PACKAGE_FILES)))
    return read_zip_documents(data, src)


def _strip_top(doc):
    if isinstance(doc, dict):
        return {k: v for k, v in doc.items() if k not in VOLATILE_KEYS}
    return doc


def _env_sort_key(item):
    return (_var_name(item) or "", dumps(item))


def normalise_package(docs, secure_values=False, keep=()):
    """Comparable (and file) form: server metadata dropped, variables sorted by key.

    The value of a variable marked secure is left out (it is not compared and not written to files) unless
    ``secure_values`` is true or its name is in ``keep`` (variables set by env_overrides).
    """
    if docs is None:
        return None
    env = copy.deepcopy(docs.get("env_variables"))
    if not secure_values:
        env = strip_secure_values(env, keep)
    items, _mapping = _env_container(env)
    if items is not None:
        items[:] = sorted((_strip_top(i) for i in items), key=_env_sort_key)
    return {
        "flow_definition": _strip_top(copy.deepcopy(docs.get("flow_definition"))),
        "app_definition": _strip_top(copy.deepcopy(docs.get("app_definition"))),
        "env_variables": env,
    }


def build_zip(docs):
    """A deterministic zip of the three documents: sorted entries, fixed timestamps and modes, canonical JSON."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(PACKAGE_FILES):
            key = DOC_KEYS[PACKAGE_FILES.index(name)]
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, dumps(docs[key]).encode("utf-8"), compresslevel=6)
    return buffer.getvalue()


def resolve_package(docs, sources, values=None):
    """The three documents with their placeholders resolved from ``values`` (``_placeholders.resolve``)."""
    return {key: resolve_placeholders(doc, values, sources.get(key, key)) for key, doc in docs.items()}


def package_files(dest, docs, fmt, portable_values=None):
    """``[(path, content)]`` for the engine's export: three canonical JSON files, or one zip.

    With ``portable_values`` (a dict), the known values are written back as placeholders in each document
    (``_placeholders.make_portable``, checked to resolve to exactly the exported document).
    """
    if portable_values is not None:
        docs = dict(docs)
        for key in DOC_KEYS:
            source = "%s!%s" % (dest, FILE_OF[key]) if fmt == "zip" else os.path.join(dest, FILE_OF[key])
            docs[key] = make_portable(docs[key], portable_values, source)[0]
    if fmt == "zip":
        return [(dest, build_zip(docs))]
    return [(os.path.join(dest, FILE_OF[key]), docs[key]) for key in DOC_KEYS]


def check_dest(dest, fmt):
    if fmt == "zip" and os.path.isdir(dest):
        raise FlowError("dest %s is a directory; with format=zip dest is the zip file to write" % dest)
    if fmt == "files" and os.path.exists(dest) and not os.path.isdir(dest):
        raise FlowError("dest %s exists and is not a directory; with format=files dest is the directory for %s" % (dest, ", ".join(PACKAGE_FILES)))
