# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one import point for pydantic, plus document-envelope validation. Private to this collection.

Models validate the *envelope* of a vendor document (the keys we rely on); they are
declared with ``extra="allow"`` and the raw dict is always what gets written, so
unknown keys survive export -> file -> import verbatim.
"""

from __future__ import annotations

import traceback

try:
    from pydantic import BaseModel, ConfigDict, ValidationError
    HAS_PYDANTIC = True
    PYDANTIC_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by ansible-test's import sanity test
    HAS_PYDANTIC = False
    PYDANTIC_IMPORT_ERROR = traceback.format_exc()

    class BaseModel:  # type: ignore[no-redef]  # pylint: disable=too-few-public-methods
        """Stand-in so model classes can be declared; modules fail early through missing_required_lib."""

        model_config = {}

    class ValidationError(Exception):  # type: ignore[no-redef]
        """Stand-in."""

    def ConfigDict(**kwargs):  # type: ignore[no-redef]  # pylint: disable=invalid-name
        return dict(kwargs)


class Envelope(BaseModel):
    """Base for envelope models: unknown keys are allowed and kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


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
    except ValidationError as exc:
        problems = ["%s: %s" % (_location(err.get("loc", ())), err.get("msg", "invalid")) for err in exc.errors()]
        raise DocumentInvalid("%s: not a valid %s: %s" % (source, what, "; ".join(problems))) from None
