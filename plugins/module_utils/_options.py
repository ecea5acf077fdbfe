# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Option groups shared by every module: argspec, environment fallbacks, HTTP and engine options.

Private to this collection. Nothing here takes the AnsibleModule object (the model is
community.hashi_vault's ``_connection_options.py``): functions take the module parameters
(a dict) and plain callables, so provider files and unit tests use them without a module.
"""

from __future__ import annotations

import copy

from ansible.module_utils.basic import env_fallback

from ansible_collections.flowops.flows.plugins.module_utils._http import RateLimiter, WindowLimiter
from ansible_collections.flowops.flows.plugins.module_utils._sync import FlowError

# The options documented in the flowops.flows.common doc fragment.
COMMON_ARGSPEC = {
    "timeout": {"type": "float", "default": 30},
    "validate_certs": {"type": "bool", "default": True},
    "retries": {"type": "int", "default": 3},
    "parallel": {"type": "int", "default": 4},
    "rate_limit": {"type": "float"},
    "rate_limit_window": {"type": "float"},
    "backup_dir": {"type": "path"},
}


def env(*names):
    """An argspec ``fallback`` reading the first set environment variable of ``names``."""
    return (env_fallback, list(names))


def argument_spec(connection_spec=None, module_spec=None):
    """The full argspec of a module: the common options, then the provider's connection options, then the module's own."""
    spec = copy.deepcopy(COMMON_ARGSPEC)
    spec.update(copy.deepcopy(connection_spec or {}))
    spec.update(module_spec or {})
    return spec


def check_common(params):
    """The first problem with the common options, or None (argspec types cannot express these ranges)."""
    if params.get("parallel") is not None and params["parallel"] < 1:
        return "parallel must be 1 or more, got %s" % params["parallel"]
    if params.get("retries") is not None and params["retries"] < 0:
        return "retries must be 0 or more, got %s" % params["retries"]
    if params.get("rate_limit") is not None and params["rate_limit"] <= 0:
        return "rate_limit must be a number of requests per second above 0, got %s" % params["rate_limit"]
    if params.get("rate_limit_window") is not None:
        if params.get("rate_limit") is None:
            return "rate_limit_window needs rate_limit (the window holds rate_limit x rate_limit_window calls)"
        if params["rate_limit_window"] <= 0 or params["rate_limit"] * params["rate_limit_window"] < 1:
            return ("rate_limit_window must be a number of seconds above 0 in which rate_limit x rate_limit_window is at least one call, got %s"
                    % params["rate_limit_window"])
    return None


def http_options(params, on_retry=None):
    """The common options as keyword arguments for ``HttpClient`` (``on_retry`` receives each retry warning)."""
    return {
        "timeout": params["timeout"],
        "validate_certs": params["validate_certs"],
        "retries": params["retries"],
        "pool_size": params["parallel"],
        "on_retry": on_retry,
        "rate_limit": rate_limiter(params),
    }


def rate_limiter(params):
    """One limiter for every call of this module run, whichever thread makes it: a window shared with the other module
    runs on this machine that call the same API host (rate_limit_window), a token bucket (rate_limit alone), or None."""
    if not params.get("rate_limit"):
        return None
    if params.get("rate_limit_window"):
        # + 1e-9: 1.67 x 60 is 100.2 calls, 100/60 x 60 must not round down to 99
        return WindowLimiter(int(params["rate_limit"] * params["rate_limit_window"] + 1e-9), params["rate_limit_window"])
    return RateLimiter(params["rate_limit"])


def engine_options(params, check_mode=False, diff_mode=False):
    """The common options as keyword arguments for ``Engine``."""
    return {
        "check_mode": check_mode,
        "diff_mode": diff_mode,
        "parallel": params["parallel"],
        "backup_dir": params.get("backup_dir"),
    }


# The plan options (documented in the flowops.flows.plan doc fragment): O(expect) on every module that writes flows,
# O(prune) on those whose provider can delete a flow.
EXPECT_ARGSPEC = {
    "expect": {"type": "list", "elements": "dict"},
}
PRUNE_ARGSPEC = {
    "prune": {"type": "bool", "default": False},
}
# "enabled", "disabled", "deployed": a DaVinci flow whose document is as desired but whose state the run changes
PLAN_ACTIONS = ("created", "updated", "unchanged", "deleted", "absent", "enabled", "disabled", "deployed")


def plan_options(params):
    """``{"expect": entries or None, "prune": bool}`` from the module parameters; raises ``FlowError`` naming the
    bad entry of ``expect`` (each is a plan entry: ``id`` or ``name``, ``action``, ``fingerprint``, ``current_fingerprint``)."""
    expect = params.get("expect")
    if expect is not None:
        for index, entry in enumerate(expect):
            where = "expect[%d]" % index
            if not any(isinstance(entry.get(key), str) and entry.get(key) for key in ("id", "name")):
                raise FlowError("%s: needs id or name (a non-empty string), got %s" % (where, sorted(entry)))
            if entry.get("action") not in PLAN_ACTIONS:
                raise FlowError("%s (%s): action must be one of %s, got %r"
                                % (where, entry.get("name") or entry.get("id"), ", ".join(PLAN_ACTIONS), entry.get("action")))
            for key in ("fingerprint", "current_fingerprint"):
                if entry.get(key) is not None and not isinstance(entry.get(key), str):
                    raise FlowError("%s (%s): %s must be a string or null, got %r"
                                    % (where, entry.get("name") or entry.get("id"), key, entry.get(key)))
    return {"expect": expect, "prune": bool(params.get("prune"))}
