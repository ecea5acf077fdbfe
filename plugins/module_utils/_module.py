# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FlowModule: the shared module base. Private to this collection.

Owns what every flow module does the same way: the common options (documented in the
``flowops.flows.common`` doc fragment), dependency checks reported with
``missing_required_lib``, secrets obtained at run time added to ``no_log_values``,
and uniform result / error assembly.

``run_module`` is the one runner every module calls (the model is kubernetes.core's
``module_utils/k8s/runner.py``)::

    client = connect(params, http_options, on_secret)        # the provider's client_from_params
    plan = plans[state](client, params, context)             # the provider's plan_<state>_<resource>
    report = Engine(plan.adapter, ...).run(plan)             # or, for an info module, plan is the result
    exit_report(report)
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.flowops.flows.plugins.module_utils._document import DocumentError
from ansible_collections.flowops.flows.plugins.module_utils._http import ApiError, HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.flowops.flows.plugins.module_utils._models import DocumentInvalid, HAS_PYDANTIC, MissingLibrary, PYDANTIC_IMPORT_ERROR
from ansible_collections.flowops.flows.plugins.module_utils._options import argument_spec as full_argument_spec, check_common
from ansible_collections.flowops.flows.plugins.module_utils._options import engine_options, http_options
from ansible_collections.flowops.flows.plugins.module_utils._sync import Context, Engine, FlowError, SyncError


class FlowModule:
    """Wraps AnsibleModule with the collection's conventions."""

    def __init__(self, argument_spec, connection_spec=None, supports_check_mode=True, **kwargs):
        spec = full_argument_spec(connection_spec, argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        self.params = self.module.params
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests", reason="to call the provider API"), exception=REQUESTS_IMPORT_ERROR)
        if not HAS_PYDANTIC:  # found, not imported: it is imported by the first document validation (MissingLibrary below)
            self.missing_pydantic(PYDANTIC_IMPORT_ERROR)
        problem = check_common(self.params)
        if problem:
            self.fail(problem)

    def missing_pydantic(self, why):
        self.module.fail_json(msg=missing_required_lib("pydantic>=2", reason="to validate flow documents"), exception=why)

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
        msg = extra.pop("msg", msg)
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

    def context(self):
        """The run as planners see it (``_sync.Context``)."""
        return Context(self.check_mode, self.diff_mode, self.warn, self.add_secret)

    def run_plan(self, connect, plans, state=None):
        """Build the client, plan ``state`` (default: the ``state`` option, else ``info``), run the engine, exit."""
        state = state or self.params.get("state") or "info"
        context = self.context()
        client = connect(self.params, self.http_options(), self.add_secret)
        try:
            plan = plans[state](client, self.params, context)
            if isinstance(plan, dict):   # an info module: the plan is the result
                self.module.exit_json(changed=False, **plan)
            report = collapse_auth_error(client, lambda: Engine(plan.adapter, **self.engine_options()).run(plan))
        finally:
            client.close()
        self.exit_report(report, **plan.exit_fields(report, context))

    def run(self, func):
        """Call ``func()`` and turn the collection's errors into a clean ``fail_json``."""
        try:
            return func()
        except SyncError as exc:
            # changed=true when a flow may hold a write of this run (a failed rollback, a lost answer): the failure contract
            return self.fail(str(exc), changed=bool(exc.report.get("changed")), flows=exc.report.get("flows", []),
                             rolled_back=exc.report.get("rolled_back", []))
        except ApiError as exc:
            return self.fail(str(exc), error=exc.to_dict())
        except (FlowError, DocumentError, DocumentInvalid) as exc:
            return self.fail(str(exc))
        except MissingLibrary as exc:
            return self.missing_pydantic(exc.traceback)


def collapse_auth_error(client, call):
    """Run an engine call; when the client recorded that its credentials were rejected (``client.auth_error``),
    fail with that one message instead of one per flow."""
    try:
        return call()
    except SyncError as exc:
        auth_error = getattr(client, "auth_error", None)
        if auth_error is not None:
            message = str(auth_error)
            short = "%s (see msg)" % getattr(auth_error, "short", "credentials rejected")
            for flow in exc.report.get("flows", []):
                if flow.get("error") == message:
                    flow["error"] = short
            raise SyncError(message, exc.report) from None
        raise


def run_module(argument_spec, connection_spec, connect, plans, **module_kwargs):
    """The one module runner: ``FlowModule`` -> ``connect`` -> ``plans[state]`` -> ``Engine`` -> ``exit_report``.

    ``connect(params, http_options, on_secret)`` is the provider's ``client_from_params``; ``plans`` maps each
    ``state`` (``info`` for a module without one) to the provider's ``plan_*`` function
    ``(client, params, context) -> Plan`` (or, for ``info``, the result dict).
    """
    flow_module = FlowModule(argument_spec, connection_spec, **module_kwargs)
    flow_module.run(lambda: flow_module.run_plan(connect, plans))
