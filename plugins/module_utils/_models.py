# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one import point for pydantic, plus document-envelope validation. Private to this collection.

Models validate the *envelope* of a vendor document (the keys we rely on); they are
declared with ``extra="allow"`` and the raw dict is always what gets written, so
unknown keys survive export -> file -> import verbatim.

pydantic is imported on the first validation, not when a module starts: a module run that reads
no document (list, export, info) does not pay for it (about a third of a module's import time).
An adapter declares its models in a function, ``lazy_models(build)``; ``build(Envelope)`` defines
the classes on the real base and returns them by name, once, when the first is needed.
"""

from __future__ import annotations

import importlib.util
import traceback

# Found without importing it: the module base reports a missing library before any API call.
HAS_PYDANTIC = importlib.util.find_spec("pydantic") is not None
PYDANTIC_IMPORT_ERROR = None if HAS_PYDANTIC else "ModuleNotFoundError: No module named 'pydantic'"

_PYDANTIC = {}


class MissingLibrary(Exception):
    """pydantic>=2 could not be imported when a document had to be validated (``traceback``: why)."""

    def __init__(self, traceback_text):
        super().__init__("pydantic>=2 could not be imported")
        self.traceback = traceback_text


def _pydantic():
    """``{"ValidationError": ..., "Envelope": ...}`` (the envelope base model), importing pydantic on the first call."""
    if not _PYDANTIC:
        try:
            from pydantic import BaseModel, ConfigDict, ValidationError  # pylint: disable=import-outside-toplevel
        except ImportError:  # not installed, or pydantic 1 (no ConfigDict)
            raise MissingLibrary(traceback.format_exc()) from None

        class Envelope(BaseModel):
            """Base for envelope models: unknown keys are allowed and kept."""

            model_config = ConfigDict(extra="allow", populate_by_name=True)

        _PYDANTIC.update(ValidationError=ValidationError, Envelope=Envelope)
    return _PYDANTIC


class lazy_models:  # pylint: disable=invalid-name,too-few-public-methods  # used like a decorator
    """``@lazy_models`` on ``def build(Envelope): ... return {name: model}``; ``MODELS[name]`` builds them on first use."""

    def __init__(self, build):
        self._build = build
        self._models = None

    def __getitem__(self, name):
        if self._models is None:
            self._models = self._build(_pydantic()["Envelope"])
        return self._models[name]


class DocumentInvalid(Exception):
    """A document failed validation; the message names the source and every bad field."""


def _location(loc):
    out = ""
    for part in loc:
        out += "[%d]" % part if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(document)"


def validate(model, data, source, what="document"):
    """Validate ``data`` against ``model``; return the model instance or raise DocumentInvalid.

    The message names the file (``source``) and each field with what was expected. Input
    values are deliberately left out of the message: flow documents may carry secrets.
    """
    if not isinstance(data, dict):
        raise DocumentInvalid("%s: expected a JSON object (%s), got %s" % (source, what, type(data).__name__ if data is not None else "null"))
    try:
        return model.model_validate(data)
    except _pydantic()["ValidationError"] as exc:
        problems = ["%s: %s" % (_location(err.get("loc", ())), err.get("msg", "invalid")) for err in exc.errors()]
        raise DocumentInvalid("%s: not a valid %s: %s" % (source, what, "; ".join(problems))) from None
