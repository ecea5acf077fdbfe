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

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.flowops.flows.plugins.module_utils._document import DocumentError
from ansible_collections.flowops.flows.plugins.module_utils._http import ApiError, HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.flowops.flows.plugins.module_utils._models import DocumentInvalid, HAS_PYDANTIC, PYDANTIC_IMPORT_ERROR
from ansible_collections.flowops.flows.plugins.module_utils._options import argument_spec as full_argument_spec, check_common
from ansible_collections.flowops.flows.plugins.module_utils._options import engine_options, http_options
from ansible_collections.flowops.flows.plugins.module_utils._sync import FlowError, SyncError


class FlowModule:
    """Wraps AnsibleModule with the collection's conventions."""

    def __init__(self, argument_spec, connection_spec=None, supports_check_mode=True, **kwargs):
        spec = full_argument_spec(connection_spec, argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        self.params = self.module.params
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests", reason="to call the provider API"), exception=REQUESTS_IMPORT_ERROR)
        if not HAS_PYDANTIC:
            self.module.fail_json(msg=missing_required_lib("pydantic>=2", reason="to validate flow documents"), exception=PYDANTIC_IMPORT_ERROR)
        problem = check_common(self.params)
        if problem:
            self.fail(problem)

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
        """The common HTTP options as keyword arguments for ``HttpClient`` (retries are reported as warnings)."""
        return http_options(self.params, on_retry=self.module.warn)

    def engine_options(self):
        return engine_options(self.params, self.check_mode, self.diff_mode)

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
