# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one registry of file shapes: what a file of each provider looks like. Private to this collection.

Standard library only, pure functions on parsed JSON, so that a filter or a role can use it too.
Every provider refuses another provider's file through ``refuse()``, with one message::

    <file>: this looks like <what the file is>, not <what was expected>; use <the module for it>

Rules (the first shape that matches wins; a shape is recognised by keys only its provider writes):

- ``davinci``: ``graphData``, ``flowInfo`` or ``flowStatus``; ``companyId`` with ``flowId``; a ``flows``
  list holding an object with ``graphData`` or ``flowId`` (legacy multi-flow export); a PingOne API
  object (``_links`` with ``environment``).
- ``koreai``: ``botDefinition``, ``streamId``, ``dialogs``, ``resourceDefinitions`` or ``workflowId``
  (Kore.ai bot and workflow exports).
- ``descope`` (v2 flow): ``contents`` with ``metadata``, ``flowId`` or ``screens``; or ``screens`` with
  ``flowId`` or ``metadata``; or the export envelope ``{"flow": {...}}`` around such a flow.
- ``descope`` (v1 console export): ``{"flow": {"dsl": ...}}`` or ``{"flow": {...}, "screens": [...]}``.
- ``descope`` (theme): ``styles`` without ``contents``, or the envelope ``{"theme": {...}}``.
- Only when the content says nothing, the file name: ``flow_definition.json``, ``app_definition.json``,
  ``env_variables.json`` (a Kore.ai workflow package) and ``botdefinition.json``, ``config.json``
  (a Kore.ai bot export) are Kore.ai files.
"""

from __future__ import annotations

import os

KOREAI_FILE_NAMES = ("flow_definition.json", "app_definition.json", "env_variables.json", "botdefinition.json", "config.json")


class Shape:  # pylint: disable=too-few-public-methods
    """One kind of file: its provider, its kind, how it is described in messages and the module that takes it."""

    def __init__(self, provider, kind, description, module):
        self.provider = provider
        self.kind = kind
        self.description = description
        self.module = module

    def __repr__(self):
        return "Shape(%s, %s)" % (self.provider, self.kind)


# The registry: (provider, kind) -> Shape.
SHAPES = dict(((shape.provider, shape.kind), shape) for shape in (
    Shape("descope", "flow", "a Descope flow export (v2: flowId, metadata, contents, screens)", "flowops.flows.descope_flow"),
    Shape("descope", "flow-v1", "a legacy v1 (console) Descope export {flow, screens}",
          "descope flow convert (to the v2 format), then flowops.flows.descope_flow"),
    Shape("descope", "theme", "a Descope theme export (styles)", "flowops.flows.descope_theme"),
    Shape("davinci", "flow", "a PingOne DaVinci flow export (DaVinci keys such as graphData/companyId/flowInfo)", "flowops.flows.davinci_flow"),
    Shape("davinci", "api-object", "a PingOne DaVinci API object (_links/environment)", "flowops.flows.davinci_flow"),
    Shape("koreai", "workflow", "a Kore.ai bot or workflow export", "flowops.flows.koreai_workflow"),
    Shape("koreai", "package-file", "a Kore.ai workflow file (by its name)", "flowops.flows.koreai_workflow"),
))

# What each provider expects, for the refusal message.
EXPECTED = {
    "descope": "a Descope file",
    "davinci": "a DaVinci flow document",
    "koreai": "a Kore.ai workflow package file",
}

_DAVINCI_KEYS = ("graphData", "flowInfo", "flowStatus")
_KOREAI_KEYS = ("botDefinition", "streamId", "dialogs", "resourceDefinitions", "workflowId")


def _is_davinci(doc):
    if any(key in doc for key in _DAVINCI_KEYS) or ("companyId" in doc and "flowId" in doc):
        return "flow"
    flows = doc.get("flows")
    if isinstance(flows, list) and any(isinstance(f, dict) and ("graphData" in f or "flowId" in f) for f in flows):
        return "flow"
    if "_links" in doc and "environment" in doc:
        return "api-object"
    return None


def _is_descope(doc):
    flow = doc.get("flow")
    if isinstance(flow, dict) and ("dsl" in flow or "screens" in doc):
        return "flow-v1"
    if "contents" in doc and ("metadata" in doc or "flowId" in doc or "screens" in doc):
        return "flow"
    if "screens" in doc and ("flowId" in doc or "metadata" in doc):
        return "flow"
    if set(doc) == {"flow"} and isinstance(flow, dict) and _is_descope(flow) == "flow":
        return "flow"
    theme = doc.get("theme")
    if ("styles" in doc and "contents" not in doc) or (set(doc) == {"theme"} and isinstance(theme, dict) and "styles" in theme):
        return "theme"
    return None


def identify(doc, source=None):
    """The ``Shape`` of a parsed JSON document (``source``: its file name or path, optional), or None when unknown."""
    if isinstance(doc, dict):
        kind = _is_davinci(doc)
        if kind:
            return SHAPES[("davinci", kind)]
        if any(key in doc for key in _KOREAI_KEYS):
            return SHAPES[("koreai", "workflow")]
        kind = _is_descope(doc)
        if kind:
            return SHAPES[("descope", kind)]
    if source is not None and os.path.basename(str(source)).lower() in KOREAI_FILE_NAMES:
        return SHAPES[("koreai", "package-file")]
    return None


def refusal(shape, expected):
    """The one refusal message (without the file name) for a file of ``shape`` given where ``expected`` was wanted."""
    return "this looks like %s, not %s; use %s" % (shape.description, EXPECTED.get(expected, expected), shape.module)


def foreign(doc, provider, source=None, accept=(), what=None):
    """The refusal message (without the file name) when ``doc`` is not a file ``provider`` takes, else None.

    ``accept`` narrows the provider's own shapes to these kinds (a theme where a flow is expected is refused,
    naming the module that takes it); empty accepts every own shape. ``what`` says what was expected
    (default: ``EXPECTED[provider]``). A document of no known shape is not refused here: the provider's own
    validation then names the field that is wrong.
    """
    shape = identify(doc, source)
    if shape is None:
        return None
    if shape.provider == provider and (not accept or shape.kind in accept):
        return None
    return refusal(shape, what or provider)


def refuse(doc, provider, source, accept=(), what=None, error=ValueError):
    """Raise ``error("<source>: <refusal>")`` when ``doc`` is not a file ``provider`` takes (see ``foreign``)."""
    message = foreign(doc, provider, source, accept, what)
    if message:
        raise error("%s: %s" % (source, message))
