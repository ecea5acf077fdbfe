# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cells of the fault matrix: one source and one target tenant per cell, seeded like the sandbox estate of
examples/ (the same documents under ids of their own), so that many cells run in one ansible-playbook run and a
fault rule scoped by tenant hits exactly one cell."""

from __future__ import annotations

import email.utils
import time

from e2e_helpers import estate  # pylint: disable=import-error

PROVIDERS = ("descope", "davinci", "koreai")
FAULTS = ("429-seconds", "429-date", "500", "502", "503", "504", "reset", "timeout", "truncated-after-apply", "token-expiry")
STEPS = ("source-read", "target-read", "write", "deploy", "verify")
PERSISTENCE = ("once", "persistent")

# The default matrix leaves out the cells whose code path is that of a cell it keeps, so that `make faults` costs about
# a third of the full matrix (FLOWOPS_FAULT_MATRIX_FULL=1 runs every cell of it). What is left out, and why:
# - 502, 503 and 504, at every step: handled as 500 everywhere. All four are in _http.DEFAULT_RETRY_STATUSES and none
#   is in unsafe_retry_statuses (so a read is retried and a create is not, alike); no provider file tells them apart
#   (the only 5xx test in plugins/ is Kore.ai's `status >= 500` after a lost create); the emulator answers each with
#   the provider's error body under that status. 500 stays at every step, once and persistent.
# - 429 with an HTTP-date Retry-After, except at REPRESENTATIVE_READ: it differs from 429 with seconds only in how
#   urllib3's Retry.parse_retry_after turns the header into a delay (both forms are unit-tested in
#   tests/unit/plugins/module_utils/test_http.py); after that the path is the same.
# - at the read steps other than REPRESENTATIVE_READ (source read, verify):
#   - every "once" fault: every read is safe_to_retry, so HttpClient.request retries it and returns the answer of the
#     retry; the caller (module, engine, role step) runs exactly as without the fault, whatever the step.
#     REPRESENTATIVE_READ keeps every once cell.
#   - persistent 429, timeout and truncated-after-apply: after the retries a read ends in the same ApiError as a
#     persistent 500 (status) or reset (no answer): _http._classify puts read timeouts, resets and truncated bodies
#     in one class ("read"), and a read that the server applied changes nothing. 500, reset and (PingOne) token
#     expiry stay, persistent, at each of these steps; REPRESENTATIVE_READ keeps every persistent cell.
# The write and deploy steps keep every fault class, once and persistent: there the server may have applied the call.
EQUIVALENT = {"502": "500", "503": "500", "504": "500"}
REPRESENTATIVE_READ = "target-read"
READ_STEPS = ("source-read", "target-read", "verify")
PERSISTENT_READ_FAULTS = ("500", "reset", "token-expiry")


def in_default_matrix(fault, step, persistence):
    """Whether a cell is in the default matrix (see above); the full matrix has every cell."""
    if fault in EQUIVALENT:
        return False
    if step in READ_STEPS and step != REPRESENTATIVE_READ:
        return persistence == "persistent" and fault in PERSISTENT_READ_FAULTS
    if fault == "429-date":
        return step == REPRESENTATIVE_READ
    return True


# Where each step exists; token expiry only where the provider has tokens (PingOne).
PROVIDER_STEPS = {
    "descope": ("source-read", "target-read", "write", "verify"),
    "davinci": STEPS,
    "koreai": STEPS,
}
PROVIDER_FAULTS = {
    "descope": FAULTS[:-1],
    "davinci": FAULTS,
    "koreai": FAULTS[:-1],
}

# Requests of each kind, per provider, as fields of an emulator fault rule (method, path regex, content-type regex).
# "verify" faults match VERIFY_READS from the nth on, n counted in a fault-free run of the same estate: the first
# such read after the target's first write (test_fault_matrix.py). The modules verify each write by reading the flow
# again (the roles have no second check-mode pass), so these are the verify reads and, for a provider that reads a
# target flow again before writing it once earlier writes landed (DaVinci), those reads too.
READS = {
    "descope": {"path": r"^/v[12]/mgmt/(flow/(list|export)|theme/export)$"},
    "davinci": {"method": "GET", "path": r"^/v1/environments/"},
    "koreai": {"path": r"(/export$|/dock-status/|^/api/v1/account/)"},
}
# The reads a verify fault counts: for Kore.ai only the export calls, since the number of job-status polls before
# them depends on the machine's speed.
VERIFY_READS = dict(READS, koreai={"path": r"/export$"})
WRITES = {
    "descope": {"path": r"^/v[12]/mgmt/flow/import$"},
    # creates, imports and updates; not the deploy (its own step) nor export/validate (reads by content type)
    # creates and updates of flows and variables (POST or PUT with a JSON body), not the deploy or export calls
    # on the same URL (told apart by their content type) and not the DELETEs of a rollback
    "davinci": {"path": r"^/v1/environments/[^/]+/(flows|variables)(/[^/]+)?$", "content_type": r"^(?!.*(deploy|export)).*json"},
    "koreai": {"path": r"(/api/public/files(/|$)|/import$)"},
}
DEPLOYS = {
    "davinci": {"method": "POST", "path": r"^/v1/environments/[^/]+/flows/[^/]+$", "content_type": r"flow\.deploy\+json"},
    "koreai": {"path": r"/deploy$"},
}
# Every request of a source tenant is a read.
SOURCE = {"descope": {"path": "^/"}, "davinci": {"path": "^/"}, "koreai": {"path": "^/"}}

# HTTP behaviour of the modules in the matrix run: small, so that a persistent fault fails fast; "timeout" stalls
# for many times the client timeout, so its outcome does not depend on the machine's speed.
CLIENT_TIMEOUT = 4
CLIENT_RETRIES = 2
STALL_SECONDS = 30
# A persistent fault of a step counted by call number (verify) is this many consecutive once-rules.
PERSISTENT_RUN = 40


class Cell:
    """One cell: provider x fault x step x persistence, with its own source and target tenants."""

    def __init__(self, index, provider, fault, step, persistence):
        self.index = index
        self.provider = provider
        self.fault = fault
        self.step = step
        self.persistence = persistence
        self.project = "fm%03d" % index
        self.source_host = "%s_%s_dev" % (self.project, provider)
        self.target_host = "%s_%s_prod" % (self.project, provider)
        if provider == "descope":
            self.source = {"project_id": ("P2fm%03dDEV" % index).ljust(28, "x"), "management_key": "K2fm-%03d-dev-key" % index}
            self.target = {"project_id": ("P2fm%03dPRD" % index).ljust(28, "x"), "management_key": "K2fm-%03d-prod-key" % index}
            self.source_tenant, self.target_tenant = self.source["project_id"], self.target["project_id"]
        elif provider == "davinci":
            self.source = {"environment_id": "0d0d0d0d-%04d-4111-8111-000000000001" % index, "client_id": "fm-%03d-dev" % index,
                           "client_secret": "fm-secret-%03d-dev" % index}
            self.target = {"environment_id": "0d0d0d0d-%04d-4222-8222-000000000002" % index, "client_id": "fm-%03d-prod" % index,
                           "client_secret": "fm-secret-%03d-prod" % index}
            self.source_tenant, self.target_tenant = self.source["environment_id"], self.target["environment_id"]
        else:
            self.source = {"account": "acct-fm%03d-dev" % index, "api_key": "kg-fm-%03d-dev" % index,
                           "workflow_id": "a-0a0a0a0a-%04d-4111-8111-000000000001" % index}
            self.target = {"account": "acct-fm%03d-prod" % index, "api_key": "kg-fm-%03d-prod" % index,
                           "workflow_id": "a-0a0a0a0a-%04d-4222-8222-000000000002" % index}
            self.source_tenant, self.target_tenant = self.source["account"], self.target["account"]

    @property
    def name(self):
        return "%s/%s/%s/%s" % (self.provider, self.fault, self.step, self.persistence)

    # -- seed and inventory -----------------------------------------------------------------------------
    def seed(self):
        if self.provider == "descope":
            return {"descope": {"projects": [dict(self.source, flows=estate.descope_flows("dev")),
                                             dict(self.target, flows=estate.descope_flows("prod"))]}}
        if self.provider == "davinci":
            envs = []
            for stage, ids in (("dev", self.source), ("prod", self.target)):
                env = estate.davinci_environment(stage)
                env["id"] = ids["environment_id"]
                env["name"] = "%s-%s" % (self.project, stage)
                envs.append(env)
            workers = [{"environment_id": ids["environment_id"], "client_id": ids["client_id"], "client_secret": ids["client_secret"],
                        "environments": [ids["environment_id"]]} for ids in (self.source, self.target)]
            return {"davinci": {"environments": envs, "workers": workers}}
        accounts = []
        for stage, ids in (("dev", self.source), ("prod", self.target)):
            account = estate.koreai_account(stage)
            account["id"] = ids["account"]
            account["api_keys"] = [ids["api_key"]]
            account["workflows"][0]["id"] = ids["workflow_id"]
            accounts.append(account)
        return {"koreai": {"accounts": accounts}}

    def hosts(self):
        common = {"flow_provider": self.provider, "flow_project": self.project}
        if self.provider == "descope":
            return {self.source_host: dict(common, flow_stage="dev", descope_project_id=self.source["project_id"],
                                           descope_management_key=self.source["management_key"]),
                    self.target_host: dict(common, flow_stage="prod", descope_project_id=self.target["project_id"],
                                           descope_management_key=self.target["management_key"])}
        if self.provider == "davinci":
            return {self.source_host: dict(common, flow_stage="dev", flow_selection=["full-basic"],
                                           pingone_environment_id=self.source["environment_id"],
                                           pingone_client_id=self.source["client_id"], pingone_client_secret=self.source["client_secret"]),
                    self.target_host: dict(common, flow_stage="prod", pingone_environment_id=self.target["environment_id"],
                                           pingone_client_id=self.target["client_id"], pingone_client_secret=self.target["client_secret"])}
        return {self.source_host: dict(common, flow_stage="dev", koreai_api_key=self.source["api_key"],
                                       koreai_workflows={"orders-assistant": self.source["workflow_id"]}),
                self.target_host: dict(common, flow_stage="prod", koreai_api_key=self.target["api_key"],
                                       koreai_workflows={"orders-assistant": self.target["workflow_id"]},
                                       flow_mappings={"env_overrides": {"orders-assistant": {
                                           "ORDERS_API_URL": "https://orders.example.com/api",
                                           "ORDERS_API_TOKEN": "token-prod-9f8e7d6c"}}})}

    # -- the fault ---------------------------------------------------------------------------------------
    def _action(self):
        fault = self.fault
        if fault == "429-seconds":
            return {"type": "respond", "status": 429, "headers": {"Retry-After": "1"}}
        if fault == "429-date":
            # an HTTP-date one second ahead when the rule is made; a date already past means "retry now"
            return {"type": "respond", "status": 429, "headers": {"Retry-After": email.utils.formatdate(time.time() + 1, usegmt=True)}}
        if fault in ("500", "502", "503", "504"):
            return {"type": "respond", "status": int(fault)}
        if fault == "reset":
            return {"type": "reset"}
        if fault == "timeout":
            return {"type": "stall", "seconds": STALL_SECONDS}
        if fault == "truncated-after-apply":
            return {"type": "truncate"}
        if fault == "token-expiry":
            return {"type": "expire_token"}
        raise ValueError(fault)

    def rules(self, verify_offset=None):
        """The emulator fault rules of this cell (scoped to its own tenants)."""
        if self.step == "source-read":
            match, tenant = SOURCE[self.provider], self.source_tenant
        elif self.step == "target-read":
            match, tenant = READS[self.provider], self.target_tenant
        elif self.step == "verify":
            match, tenant = VERIFY_READS[self.provider], self.target_tenant
        elif self.step == "write":
            match, tenant = WRITES[self.provider], self.target_tenant
        else:
            match, tenant = DEPLOYS[self.provider], self.target_tenant
        if self.fault == "token-expiry":
            # the token is checked on API calls only (a token request itself is not "expired" by this rule)
            match = dict(match, path=match["path"] if self.step != "source-read" else "^/v1/environments/")
        base = dict(match, provider=self.provider, tenant=tenant, action=self._action())
        if self.step == "verify":
            if verify_offset is None:
                raise ValueError("verify needs the offset of its first read")
            if self.persistence == "once":
                return [dict(base, nth=verify_offset, times=1)]
            # The emulator tries rules in order and stops at the first that fires, so a later rule does not count
            # the calls an earlier one took: PERSISTENT_RUN rules, all "nth", fire on consecutive calls from the nth.
            return [dict(base, nth=verify_offset, times=1) for _i in range(PERSISTENT_RUN)]
        if self.persistence == "once":
            return [dict(base, times=1)]
        return [base]


def all_cells(start=1, full=False):
    """The cells of the default matrix (see in_default_matrix), or with ``full`` every cell of the issue's matrix."""
    cells = []
    index = start
    for provider in PROVIDERS:
        for fault in PROVIDER_FAULTS[provider]:
            for step in PROVIDER_STEPS[provider]:
                for persistence in PERSISTENCE:
                    if full or in_default_matrix(fault, step, persistence):
                        cells.append(Cell(index, provider, fault, step, persistence))
                        index += 1
    return cells


def inventory(cells, common_vars):
    hosts = {}
    dev, prod = {}, {}
    for cell in cells:
        for host, hostvars in cell.hosts().items():
            (dev if hostvars["flow_stage"] == "dev" else prod)[host] = hostvars
    hosts = {"all": {"vars": common_vars, "children": {"dev": {"hosts": dev}, "prod": {"hosts": prod}}}}
    return hosts
