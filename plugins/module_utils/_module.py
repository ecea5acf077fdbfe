# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FlowModule: the shared module base. Private to this collection.

Owns what every flow module does the same way: the common options (documented in the
``flowops.flows.common`` doc fragment), dependency checks reported with
``missing_required_lib``, secrets obtained at run time added to ``no_log_values``,
and uniform result / error assembly.
"""

from __future__ import annotations

import copy

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.flowops.flows.plugins.module_utils._document import DocumentError
from ansible_collections.flowops.flows.plugins.module_utils._http import ApiError, HAS_REQUESTS, REQUESTS_IMPORT_ERROR, RateLimiter
from ansible_collections.flowops.flows.plugins.module_utils._models import DocumentInvalid, HAS_PYDANTIC, PYDANTIC_IMPORT_ERROR
from ansible_collections.flowops.flows.plugins.module_utils._sync import FlowError, SyncError

COMMON_ARGSPEC = {
    "timeout": {"type": "float", "default": 30},
    "validate_certs": {"type": "bool", "default": True},
    "retries": {"type": "int", "default": 3},
    "parallel": {"type": "int", "default": 4},
    "rate_limit": {"type": "float"},
    "backup_dir": {"type": "path"},
}


def env(*names):
    """Shorthand for an argspec ``fallback`` reading the first set environment variable."""
    return (env_fallback, list(names))


class FlowModule:
    """Wraps AnsibleModule with the collection's conventions."""

    def __init__(self, argument_spec, connection_spec=None, supports_check_mode=True, **kwargs):
        spec = copy.deepcopy(COMMON_ARGSPEC)
        spec.update(copy.deepcopy(connection_spec or {}))
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        self.params = self.module.params
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests", reason="to call the provider API"), exception=REQUESTS_IMPORT_ERROR)
        if not HAS_PYDANTIC:
            self.module.fail_json(msg=missing_required_lib("pydantic>=2", reason="to validate flow documents"), exception=PYDANTIC_IMPORT_ERROR)
        if self.params.get("parallel") is not None and self.params["parallel"] < 1:
            self.fail("parallel must be 1 or more, got %s" % self.params["parallel"])
        if self.params.get("retries") is not None and self.params["retries"] < 0:
            self.fail("retries must be 0 or more, got %s" % self.params["retries"])
        if self.params.get("rate_limit") is not None and self.params["rate_limit"] <= 0:
            self.fail("rate_limit must be a number of requests per second above 0, got %s" % self.params["rate_limit"])

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return self.module._diff  # pylint: disable=protected-access

    def add_secret(self, value):
        """Mask a secret obtained at run time (access token ...) in every output."""
        if value:
            self.module.no_log_values.add(value)

    def warn(self, msg):
        self.module.warn(msg)

    def http_options(self):
        """The common HTTP options as keyword arguments for ``HttpClient``."""
        return {
            "timeout": self.params["timeout"],
            "validate_certs": self.params["validate_certs"],
            "retries": self.params["retries"],
            "pool_size": self.params["parallel"],
            "on_retry": self.module.warn,
            # one token bucket for every call of this module run, whichever thread makes it
            "rate_limit": RateLimiter(self.params["rate_limit"]) if self.params.get("rate_limit") else None,
        }

    def engine_options(self):
        return {
            "check_mode": self.check_mode,
            "diff_mode": self.diff_mode,
            "parallel": self.params["parallel"],
            "backup_dir": self.params.get("backup_dir"),
        }

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, **kwargs)

    def exit_report(self, report, msg=None, **extra):
        """Exit with the engine's report: ``changed``, ``flows`` and (diff mode only) ``diff``."""
        result = {"changed": bool(report.get("changed")), "flows": report.get("flows", [])}
        if self.diff_mode and report.get("diff"):
            result["diff"] = report["diff"]
        if msg is None:
            counts = {}
            for flow in result["flows"]:
                counts[flow.get("action")] = counts.get(flow.get("action"), 0) + 1
            msg = ", ".join("%d %s" % (n, action) for action, n in sorted(counts.items())) or "nothing to do"
            if self.check_mode:
                msg = "check mode: " + msg
        result.update(extra)
        self.module.exit_json(msg=msg, **result)

    def run(self, func):
        """Call ``func()`` and turn the collection's errors into a clean ``fail_json``."""
        try:
            return func()
        except SyncError as exc:
            return self.fail(str(exc), flows=exc.report.get("flows", []), rolled_back=exc.report.get("rolled_back", []))
        except ApiError as exc:
            return self.fail(str(exc), error=exc.to_dict())
        except (FlowError, DocumentError, DocumentInvalid) as exc:
            return self.fail(str(exc))
