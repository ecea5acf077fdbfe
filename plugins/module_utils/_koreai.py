# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kore.ai "AI for Process" workflows: connection, client, adapter and plans.

Private to this collection: its API may change without notice. The package rules (environment
variables, normal form, files, zip) are pure and live in ``_koreai_documents``.

A workflow travels as a *package* of three JSON documents (``flow_definition.json``,
``app_definition.json``, ``env_variables.json``), either as a directory or as a zip.
The public API has no list/get call: the current state of a workflow is read by an
export job (POST export -> poll the dock status -> download the zip).

What the API lets us tell, and what this module therefore does (reference koreai.md 3.3-3.6):

- An export without ``flowId`` returns the *deployed* version of a workflow, or its
  latest version when it was never deployed. Import into an existing workflow adds a new
  in-development version and does not deploy it. So with ``deploy: true`` the comparison
  is against the deployed version, and a difference means "import and deploy"; with
  ``deploy: false`` an import into a deployed workflow cannot be seen by the next export
  (the module warns; the next run imports again until the version is deployed).
- There is no way to ask whether a workflow is deployed, so "deployed version behind"
  is detected only through that comparison.

Environment variables marked secure (``SECURE_FLAGS``) hold per-environment secrets that cannot be
promoted between environments (reference 11: encrypted, may not survive export/import across tenants):

- their value is left out of the normal form, so it is neither compared nor written to exported files
  or backups (``include_secure_values`` writes it), except for variables set by ``env_overrides``,
  whose value is compared (and masked in diffs as ``******** (tag)``, the tag a keyed hash with a
  per-run key, so a change shows). Only secure variables are secret: a non-secure variable set by
  ``env_overrides`` shows its value, so a change made only through env_overrides shows in the diff;
- on import into an existing workflow, a secure variable not set by ``env_overrides`` is sent with the
  target's own value read by the export of this run (none when the target holds none). The API's
  conflict policy on import is undocumented (reference 3.3, 12.7: the UI keeps existing values, the
  emulator's default ``keep_existing``, reference 10.5, can also be ``overwrite``); sending the target's
  value keeps the secret under either policy, and a value from another environment is never imported;
- a new workflow gets the package's value, if any; a secure variable without a value is imported
  without one (the API documents no rule against it, reference 3.2) and the module warns.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from ansible_collections.flowops.flows.plugins.module_utils._document import DocumentError, check_id, dumps, fingerprint, safe_join, safe_name
from ansible_collections.flowops.flows.plugins.module_utils._http import ApiError, HttpClient, error_parser, text_or_none
from ansible_collections.flowops.flows.plugins.module_utils._koreai_documents import (
    DOC_KEYS,
    FILE_OF,
    apply_env_overrides,
    resolve_package,
    check_dest,
    check_package,
    env_differences,
    env_names,
    env_values,
    keep_target_secure_values,
    load_package_documents,
    mask_env,
    normalise_package,
    override_text,
    package_files,
    pick,
    read_zip_documents,
    refuse_foreign,
    scrub,
    secure_names,
    secure_without_value,
    strip_secure_values,
)
from ansible_collections.flowops.flows.plugins.module_utils._models import lazy_models, validate
from ansible_collections.flowops.flows.plugins.module_utils._options import env, plan_options
from ansible_collections.flowops.flows.plugins.module_utils._placeholders import portable_values
from ansible_collections.flowops.flows.plugins.module_utils._sync import Adapter, FlowError, Item, LostAnswer, Plan

PROVIDER = "koreai"
IN_PROGRESS, SUCCESS, FAILED = "IN_PROGRESS", "SUCCESS", "FAILED"
DOCK_ID_KEYS = ("dock-statusId", "dockStatusId", "dock_status_id", "dockStatusID", "_id")
URL_KEYS = ("downloadUrl", "downloadURL", "download_url", "fileUrl", "file_url")
EXPIRED_STATUSES = (403, 404, 410)


# ---------------------------------------------------------------------------------------------------
# connection: options, error parser, client

CONNECTION_SPEC = {
    "base_url": {"type": "str", "required": True, "fallback": env("KOREAI_BASE_URL")},
    "api_key": {"type": "str", "required": True, "no_log": True, "fallback": env("KOREAI_API_KEY")},
    "resource": {"type": "str", "default": "workflows", "choices": ["workflows", "tools"]},
    "poll_interval": {"type": "float", "default": 2},
    "wait_timeout": {"type": "float", "default": 600},
}


@error_parser
def parse_koreai_error(body):
    """Kore.ai XO ``{"errors": [{"msg", "code"}]}`` or ``{"message"}``."""
    if not (isinstance(body.get("errors"), list) and body["errors"]):
        return None
    messages, code = [], None
    for item in body["errors"]:
        if isinstance(item, dict):
            if code is None and item.get("code") is not None:
                code = text_or_none(item.get("code"))
            msg = text_or_none(item.get("msg") or item.get("message"))
            if msg:
                messages.append(msg)
        elif item:
            messages.append(str(item))
    return code, "; ".join(messages) or None, None


class KoreaiJobError(FlowError):
    """An asynchronous job ended FAILED or did not finish in time."""

    def __init__(self, message, job_id=None, status=None, reason=None):
        super().__init__(message)
        self.job_id = job_id
        self.status = status
        self.reason = reason


def download_url_of(doc):
    """``response.downloadUrl`` / ``response.downloadURL`` / top-level spellings, whitespace trimmed."""
    if not isinstance(doc, dict):
        return None
    value = pick(doc.get("response"), *URL_KEYS) or pick(doc, *URL_KEYS)
    return value.strip() if isinstance(value, str) and value.strip() else None


def failure_reason(doc):
    """Whatever reason a FAILED dock status carries (undocumented: message, reason, errors, statusLogs)."""
    if not isinstance(doc, dict):
        return None
    reason = pick(doc, "message", "reason", "error", "errorMessage", "msg")
    if isinstance(reason, dict):
        reason = pick(reason, "message", "msg")
    if reason:
        return str(reason)
    errors = doc.get("errors")
    if isinstance(errors, list):
        texts = [str(pick(e, "msg", "message") or "") if isinstance(e, dict) else str(e) for e in errors]
        texts = [x for x in texts if x]
        if texts:
            return "; ".join(texts)
    for log in reversed(doc.get("statusLogs") or []):
        if isinstance(log, dict) and str(log.get("status", "")).upper() == FAILED and pick(log, "message", "msg"):
            return str(pick(log, "message", "msg"))
    return None


class KoreAIClient:
    """The AI for Process public API (reference koreai.md section 3)."""

    def __init__(self, base_url, api_key, resource="workflows", poll_interval=2.0, wait_timeout=600.0,
                 sleep=None, clock=None, **http_options):
        if not base_url:
            raise FlowError("base_url is required (or set KOREAI_BASE_URL)")
        if not api_key:
            raise FlowError("api_key is required (or set KOREAI_API_KEY)")
        self.resource = resource
        self.poll_interval = max(0.0, float(poll_interval))
        self.wait_timeout = max(0.0, float(wait_timeout))
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        self.http = HttpClient(PROVIDER, base_url, headers={"x-api-key": api_key}, error_parser=parse_koreai_error,
                               secrets=(api_key,), **http_options)

    def close(self):
        self.http.close()

    def _item(self, workflow_id, action):
        return "/api/public/%s/%s/%s" % (self.resource, quote(str(workflow_id), safe=""), action)

    def _file_field(self):
        return "toolDataFileId" if self.resource == "tools" else "workflowDataFileId"

    @staticmethod
    def _job(response, action):
        job_id = pick(response, *DOCK_ID_KEYS)
        if not isinstance(job_id, str):
            raise FlowError("%s: the %s response carries no dock status id (dock-statusId / dockStatusId)" % (PROVIDER, action))
        return {
            "dock_status_id": job_id,
            "action": action,
            "status": str(response.get("status") or IN_PROGRESS).upper(),
            "workflow_id": pick(response, "workflowId", "toolId"),
            "export_job_id": response.get("exportJobId"),
            "download_url": download_url_of(response),
            "reason": failure_reason(response),
        }

    # -- jobs ---------------------------------------------------------------------------------------
    def dock_status(self, dock_status_id):
        return self.http.json("GET", "/api/public/dock-status/%s" % quote(str(dock_status_id), safe=""), safe_to_retry=True)

    def wait(self, job, what):
        """Poll the job's dock status to SUCCESS; FAILED or a timeout raises KoreaiJobError. Returns the job with timings.

        The job's ``status``, ``polls`` and ``seconds`` are recorded however the wait ends (a result's ``jobs``).
        """
        started = self._clock()
        polls = 0
        status = job["status"]
        doc = None
        deadline = started + self.wait_timeout
        try:
            while True:
                if status == SUCCESS:
                    break
                if status == FAILED:
                    reason = failure_reason(doc) if doc is not None else job.get("reason")
                    detail = ": %s" % reason if reason else " (no reason given)"
                    raise KoreaiJobError("%s %s failed: dock status %s is FAILED%s" % (PROVIDER, what, job["dock_status_id"], detail),
                                         job["dock_status_id"], status, reason)
                now = self._clock()
                if polls and now >= deadline:
                    raise KoreaiJobError("%s %s did not finish within wait_timeout=%ss: dock status %s is still %s"
                                         % (PROVIDER, what, _num(self.wait_timeout), job["dock_status_id"], status),
                                         job["dock_status_id"], status)
                if polls:
                    self._sleep(max(0.0, min(self.poll_interval, deadline - now)))
                doc = self.dock_status(job["dock_status_id"])
                polls += 1
                status = str(doc.get("status") or "").upper() or IN_PROGRESS
                job["download_url"] = download_url_of(doc) or job.get("download_url")
        finally:
            job["status"] = status
            job["polls"] = polls
            job["seconds"] = round(self._clock() - started, 3)
        return job

    # -- export -------------------------------------------------------------------------------------
    def start_export(self, workflow_id, flow_id=None):
        params = {"flowId": flow_id} if flow_id else None
        response = self.http.json("POST", self._item(workflow_id, "export"), safe_to_retry=True, params=params)
        return self._job(response, "EXPORT")

    def download(self, job):
        url = job.get("download_url")
        if not url:
            raise FlowError("%s export %s (dock status %s) finished without a download URL" % (PROVIDER, job.get("export_job_id"), job["dock_status_id"]))
        resp = self.http.request("GET", url, safe_to_retry=True, expected=(200,), headers={"Accept": "application/zip, application/octet-stream, */*"})
        return resp.content

    def export_package(self, workflow_id, flow_id=None, jobs=None):
        """Export ``workflow_id`` and return its three documents.

        A download URL that answers 403/404/410 (missing or expired) gets one fresh export job.
        """
        for attempt in (1, 2):
            job = self.wait(self.start_export(workflow_id, flow_id), "export of workflow %s" % workflow_id)
            if jobs is not None:
                jobs.append(_job_report(job))
            try:
                data = self.download(job)
            except ApiError as exc:
                if exc.status in EXPIRED_STATUSES and attempt == 1:
                    continue
                if exc.status in EXPIRED_STATUSES:
                    detail = ": %s" % exc.message if exc.message else ""
                    raise FlowError("%s export of workflow %s: the download URL of export job %s (dock status %s) is missing or expired "
                                    "(HTTP %s%s), also after a fresh export"
                                    % (PROVIDER, workflow_id, job.get("export_job_id"), job["dock_status_id"], exc.status, detail)) from None
                raise
            return read_zip(data, "export %s of workflow %s" % (job.get("export_job_id") or job["dock_status_id"], workflow_id))
        return None  # not reached: the second attempt returns or raises

    # -- import / deploy ----------------------------------------------------------------------------
    def upload(self, name, content):
        """Upload one package file (``fileContext=bulkImport``); returns its fileId.

        Safe to retry: an upload that is sent twice only leaves an unused file behind.
        """
        response = self.http.json("POST", "/api/public/files", safe_to_retry=True,
                                  files={"file": (name, content, "application/json")}, data={"fileContext": "bulkImport"})
        file_id = pick(response, "fileId", "_id", "id")
        if not isinstance(file_id, str):
            raise FlowError("%s: the upload of %s returned no fileId" % (PROVIDER, name))
        return file_id

    def upload_package(self, docs):
        ids = {}
        for key in DOC_KEYS:
            ids[key] = self.upload(FILE_OF[key], dumps(docs[key]).encode("utf-8"))
        return {self._file_field(): ids["app_definition"], "flowDataFileId": ids["flow_definition"], "envVariablesFileId": ids["env_variables"]}

    def import_existing(self, workflow_id, file_ids):
        """Import into an existing workflow. NOT safe to retry: every import that lands adds a new version, so a
        lost answer is never re-sent; the engine re-reads the workflow to learn whether it landed."""
        response = self.http.json("POST", self._item(workflow_id, "import"), safe_to_retry=False, json=file_ids)
        return self._job(response, "IMPORT")

    def import_new(self, name, file_ids):
        """Import as a new workflow. NOT safe to retry: each call may mint a new workflow."""
        body = dict(file_ids)
        body["toolName" if self.resource == "tools" else "workflowName"] = name
        response = self.http.json("POST", "/api/public/%s/import" % self.resource, safe_to_retry=False, json=body)
        return self._job(response, "IMPORT")

    def deploy(self, workflow_id):
        """Deploy the latest version (asynchronously; the caller polls). Deploying twice is harmless: safe to retry."""
        response = self.http.json("POST", self._item(workflow_id, "deploy"), safe_to_retry=True, json={"isAsync": True})
        return self._job(response, "DEPLOY")


def _num(value):
    return ("%g" % value) if isinstance(value, float) else str(value)


def _job_report(job):
    return {key: job.get(key) for key in ("dock_status_id", "action", "status", "export_job_id", "polls", "seconds")}


def client_from_params(params, http_options, on_secret=None):  # pylint: disable=unused-argument
    """A ``KoreAIClient`` from the module parameters and ``_options.http_options()``.

    ``on_secret`` is unused: the only credential, ``api_key``, is a no_log option already.
    """
    return KoreAIClient(params["base_url"], params["api_key"], resource=params["resource"], poll_interval=params["poll_interval"],
                        wait_timeout=params["wait_timeout"], **http_options)


# ---------------------------------------------------------------------------------------------------
# documents: envelope models and loading


@lazy_models
def MODELS(Envelope):  # noqa: N802,N803  pylint: disable=invalid-name  # the envelope models, built on first use
    class FlowDefinition(Envelope):
        """``flow_definition.json``: canvas and node definitions (schema unpublished: object only)."""

    class AppDefinition(Envelope):
        """``app_definition.json``: workflow version information and guardrails (schema unpublished: object only)."""

    return {"flow_definition": FlowDefinition, "app_definition": AppDefinition}


def validate_package(docs, sources):
    """Check the three documents; ``sources`` maps each doc key to a file name used in messages."""
    refuse_foreign(docs, sources)
    validate(MODELS["flow_definition"], docs["flow_definition"], sources["flow_definition"], "Kore.ai flow definition (a JSON object)")
    validate(MODELS["app_definition"], docs["app_definition"], sources["app_definition"], "Kore.ai app definition (a JSON object)")
    return check_package(docs, sources)


def read_zip(data, source):
    """The three documents of a zip, validated."""
    return validate_package(*read_zip_documents(data, source))


def load_package(src, values=None):
    """Load a package from a directory holding the three files or from a zip file, placeholders resolved from
    ``values`` in each of the three documents (before ``env_overrides``, which the adapter applies), validated."""
    docs, sources = load_package_documents(src)
    return validate_package(resolve_package(docs, sources, values), sources)


# ---------------------------------------------------------------------------------------------------
# adapters


class KoreAIAdapter(Adapter):
    """Reconciles one workflow package with one target workflow (see the module docstring for deploy semantics)."""

    provider = PROVIDER
    verify = False   # create/update verify themselves after the import (and deploy): see _deploy_and_verify

    def __init__(self, client, env_overrides=None, deploy=False, flow_id=None, add_secret=None, warn=None, include_secure_values=False):
        self.client = client
        self.env_overrides = dict(env_overrides or {})
        self.include_secure_values = include_secure_values
        self.deploy = deploy
        self.flow_id = flow_id
        self._add_secret = add_secret or (lambda value: None)
        self._warn = warn or (lambda msg: None)
        self._lock = threading.Lock()
        # Only variables marked secure (in the package or in the target) are secret, also when set by env_overrides:
        # the value of any other variable is shown in diffs and results, so a change made through env_overrides shows.
        self._masked_names = set()
        self._secret_values = set()
        self._tag_key = os.urandom(16)   # for this run only: a masked secret's tag says "changed" and nothing else

    # -- secrets ------------------------------------------------------------------------------------
    def _secret(self, value):
        if value in (None, ""):
            return
        value = str(value)
        with self._lock:
            self._secret_values.add(value)
        # Very short values (flags, ports) would mangle every output string; they are masked structurally.
        if len(value) >= 4:
            self._add_secret(value)
            self.client.http.add_secret(value)

    def learn_secrets(self, docs):
        """Record the secure variables of a package (desired or read from the target)."""
        if not docs:
            return
        env = docs.get("env_variables")
        names = secure_names(env)
        with self._lock:
            self._masked_names.update(names)
            secure = set(self._masked_names)
        for value in env_values(env, names) + [override_text(v) for k, v in self.env_overrides.items() if k in secure]:
            self._secret(value)

    def _tag(self, value):
        return hmac.new(self._tag_key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()[:8]

    def mask(self, doc):
        if doc is None:
            return None
        with self._lock:
            names = set(self._masked_names)
            values = sorted((v for v in self._secret_values if len(v) >= 4), key=len, reverse=True)
        out = copy.deepcopy(doc)
        if isinstance(out, dict) and "env_variables" in out:
            out["env_variables"] = mask_env(out["env_variables"], names, self._tag)
        return scrub(out, values)

    # -- engine interface ---------------------------------------------------------------------------
    def read(self, item):
        workflow_id = item.data.get("id")
        if not workflow_id:
            return None  # import as a new workflow: there is no lookup API
        docs = self.client.export_package(workflow_id, self.flow_id, jobs=item.data.setdefault("jobs", []))
        self.learn_secrets(docs)
        return docs

    def prepare(self, item):
        desired = dict(item.desired)
        source = item.data.get("env_source", FILE_OF["env_variables"])
        desired["env_variables"] = apply_env_overrides(desired["env_variables"], self.env_overrides, source)
        self.learn_secrets(desired)
        return desired

    def normalise(self, doc, item):
        # Secure values are not compared, except those set by env_overrides (the environment's own secret, managed explicitly).
        return normalise_package(doc, keep=self.env_overrides)

    def export_document(self, current):
        """What state=exported writes: the normal form, secure values left out unless include_secure_values."""
        return normalise_package(current, secure_values=self.include_secure_values)

    def backup_document(self, item, current):
        """The pre-write backup: the target's package as read, secure values left out unless include_secure_values."""
        if current is None or self.include_secure_values:
            return current
        out = dict(current)
        out["env_variables"] = strip_secure_values(current.get("env_variables"))
        return out

    def _run(self, item, job, what):
        try:
            return self.client.wait(job, what)
        finally:
            item.data.setdefault("jobs", []).append(_job_report(job))

    def _deploy_and_verify(self, item, desired, before):
        workflow_id = item.data["id"]
        if self.deploy:
            self._run(item, self.client.deploy(workflow_id), "deploy of workflow %s" % workflow_id)
            item.data["deployed"] = True
        # Not self.flow_id: that names the version read before, and the version meant here is the one just imported (the
        # latest, and after a deploy also the deployed one, whichever version the API exports by default).
        current = self.client.export_package(workflow_id, None, jobs=item.data["jobs"])
        self.learn_secrets(current)
        got, want = self.normalise(current, item), self.normalise(desired, item)
        if got == want:
            return
        if not self.deploy and before is not None and got == self.normalise(before, item):
            self._warn("koreai workflow %s: imported as a new in-development version, but the export API still returns the deployed version, "
                       "so the import cannot be verified and the next run will import again; deploy it (deploy: true) to publish it" % workflow_id)
            return
        differing = [FILE_OF[k] for k in DOC_KEYS if got.get(k) != want.get(k)]
        detail = ""
        if got.get("env_variables") != want.get("env_variables"):
            differ = env_differences(got.get("env_variables"), want.get("env_variables"))
            before_env = self.normalise(before, item).get("env_variables") if before is not None else None
            kept = [name for name in differ if before_env is not None and name not in env_differences(got.get("env_variables"), before_env)]
            if kept and kept == differ:
                detail = ("; the import API kept the workflow's existing value of %s (on import into an existing workflow it keeps the value "
                          "of a variable that both the package and the workflow hold, and has no parameter to change that): set %s in the "
                          "Kore.ai UI (the workflow's environment variables), then run again" % (", ".join(kept), "it" if len(kept) == 1 else "them"))
            elif differ:
                detail = "; variables whose value differs from the package: %s (the import API may keep existing values)" % ", ".join(differ)
        raise FlowError("%s workflow %s: after the import%s the exported workflow differs from the package in %s%s"
                        % (PROVIDER, workflow_id, " and deploy" if self.deploy else "", ", ".join(differing), detail))

    def create(self, item, desired):
        name = item.name
        empty = secure_without_value(desired.get("env_variables"))
        if empty:
            self._warn("koreai workflow '%s': secure variables %s have no value in the package, so the new workflow gets them without a value; "
                       "set them with env_overrides" % (name, ", ".join(empty)))
        ids = self.client.upload_package(desired)
        try:
            job = self.client.import_new(name, ids)
        except ApiError as exc:
            if exc.status is None or exc.status >= 500:
                # no list API to learn whether it landed: reported as may-have-changed (changed=true), never re-sent
                raise LostAnswer("%s: import of new workflow '%s' may or may not have reached the server (%s); it was not resent. "
                                 "Check the account for a workflow of that name before running again" % (PROVIDER, name, exc)) from None
            raise
        if job.get("workflow_id"):
            item.data["id"] = job["workflow_id"]
        self._run(item, job, "import of new workflow '%s'%s" % (name, " (%s)" % job["workflow_id"] if job.get("workflow_id") else ""))
        if not item.data.get("id"):
            raise FlowError("%s: the import of new workflow '%s' succeeded but returned no workflowId" % (PROVIDER, name))
        self._deploy_and_verify(item, desired, None)

    def update(self, item, desired, current):
        # A secure variable not set by env_overrides keeps the target's own value (see keep_target_secure_values).
        desired = dict(desired)
        desired["env_variables"] = keep_target_secure_values(desired["env_variables"], (current or {}).get("env_variables"), self.env_overrides)
        self._import(item, desired, current)

    def _import(self, item, desired, before):
        workflow_id = item.data["id"]
        ids = self.client.upload_package(desired)
        try:
            job = self.client.import_existing(workflow_id, ids)
        except ApiError as exc:
            if not exc.outcome_unknown:
                raise
            # Never re-sent (each import that lands adds a version), and an export cannot show an undeployed version:
            # reported as may-have-changed (changed=true, backup named) and rolled back from the package read before.
            raise LostAnswer("%s: the answer to the import into workflow %s was lost (%s); it was not resent"
                             % (PROVIDER, workflow_id, exc)) from None
        self._run(item, job, "import into workflow %s" % workflow_id)
        # The workflow now has a new in-development version: if the deploy or the verify fails, the engine
        # rolls it back by importing the package read before (a FAILED or unfinished import changed nothing).
        item.written = True
        self._deploy_and_verify(item, desired, before)

    def delete(self, item, current):
        raise FlowError("%s: the public API cannot delete a workflow (UI only)" % PROVIDER)

    def restore(self, item, previous):
        if previous is None:
            raise FlowError("%s: cannot remove workflow %s created in this run: the public API has no delete" % (PROVIDER, item.data.get("id")))
        self._import(item, previous, None)  # the target's own package as read before the write, secure values included

    def finalise(self, item, current, check_mode):
        return False, {}

    def result_fields(self, item, current):
        return {"workflow_id": item.data.get("id"), "deployed": bool(item.data.get("deployed")), "jobs": list(item.data.get("jobs") or [])}

    def backup_name(self, item):
        return safe_name(str(item.data.get("id") or item.name or item.key)) + ".json"


# ---------------------------------------------------------------------------------------------------
# plans: one per module state, (client, params, context) -> Plan (or the result dict of an info module)


def workflow_info(client, adapter, workflow_ids, include_content, parallel=4):
    """Export each workflow in memory: fingerprint, (masked) documents and job timings."""
    def one(workflow_id):
        jobs = []
        docs = client.export_package(workflow_id, None, jobs=jobs)
        adapter.learn_secrets(docs)
        normal = normalise_package(docs)
        entry = {"workflow_id": workflow_id, "fingerprint": fingerprint(normal), "jobs": jobs, "backup_file": None,
                 "files": {FILE_OF[k]: fingerprint(normal[k]) for k in DOC_KEYS},
                 "env_variables": sorted(env_names(normal["env_variables"])),
                 "secure_variables": sorted(secure_names(normal["env_variables"]))}
        if include_content:
            entry["content"] = {FILE_OF[k]: v for k, v in adapter.mask(normal).items()}
        return entry

    ids = list(workflow_ids)
    if len(ids) <= 1 or parallel <= 1:
        return [one(i) for i in ids]
    with ThreadPoolExecutor(max_workers=min(parallel, len(ids))) as pool:
        return list(pool.map(one, ids))


def dock_status_info(client, dock_status_id):
    doc = client.dock_status(dock_status_id)
    return {
        "dock_status_id": pick(doc, *DOCK_ID_KEYS) or dock_status_id,
        "status": str(doc.get("status") or "").upper() or None,
        "action": doc.get("action"),
        "job_type": doc.get("jobType"),
        "workflow_id": pick(doc, "workflowId", "toolId"),
        "export_job_id": doc.get("exportJobId"),
        "percentage_complete": doc.get("percentageComplete"),
        "reason": failure_reason(doc) if str(doc.get("status") or "").upper() == FAILED else None,
        "has_download_url": bool(download_url_of(doc)),
    }


def _workflow_adapter(client, params, context):
    for option in ("workflow_id", "flow_id"):
        if params[option]:
            check_id(params[option], option)
    adapter = KoreAIAdapter(client, env_overrides=params["env_overrides"], deploy=params["deploy"], flow_id=params["flow_id"],
                            add_secret=context.add_secret, warn=context.warn, include_secure_values=params["include_secure_values"])
    if params["include_secure_values"] and (params["state"] == "exported" or params["backup_dir"]):
        context.warn("include_secure_values: the values of secure environment variables are written to disk in clear text (%s)"
                     % ("exported files" if params["state"] == "exported" else "backup files"))
    return adapter


def _mask_overrides(params, context):
    """Treat every env_overrides value as secret: when it is not known which variables are secure (no package loaded)."""
    for value in (params["env_overrides"] or {}).values():
        text = override_text(value) if isinstance(value, (str, int, float, bool)) or value is None else ""
        if len(text) >= 4:
            context.add_secret(text)


def _workflow_result(report, context):  # pylint: disable=unused-argument
    return {"workflow_id": (report.get("flows") or [{}])[0].get("workflow_id")}


def _workflows_result(report, context):  # pylint: disable=unused-argument
    """The top-level ``workflow_id`` of an export of several workflows (option ``workflows``): none, each entry of ``flows`` has its own."""
    return {"workflow_id": None}


def _env_source(src):
    return os.path.join(src, FILE_OF["env_variables"]) if os.path.isdir(src) else "%s!%s" % (src, FILE_OF["env_variables"])


def plan_present_workflow(client, params, context):
    try:
        desired = load_package(params["src"], params.get("values"))
    except Exception:
        _mask_overrides(params, context)   # which variables are secure is unknown: the failure message must not show any override
        raise
    adapter = _workflow_adapter(client, params, context)
    adapter.learn_secrets(desired)   # the secure variables of the package, and their env_overrides values, are secret from here on
    data = {"env_source": _env_source(params["src"])}
    if params["workflow_id"]:
        data["id"] = params["workflow_id"]
    item = Item(params["workflow_id"] or params["name"], name=params["name"], desired=desired, source=params["src"], data=data)
    return Plan(adapter, [item], "present", result=_workflow_result, expect=plan_options(params)["expect"])


def _export_folders(dest, workflows, fmt):
    """``{folder: (workflow id, path)}`` for the ``workflows`` option, every folder name and id checked before any call.

    Each workflow goes to ``<dest>/<folder>``, where a single export with that ``dest`` would write it (a directory
    for ``format=files``, the zip file for ``format=zip``); ``dest`` itself is the directory holding them.
    """
    if not workflows:
        raise FlowError("workflows is empty: expected a dict of folder name -> workflow id with at least one entry")
    check_dest(dest, "files")
    folders = {}
    for folder, workflow_id in workflows.items():
        try:
            path = safe_join(dest, folder, strict=True)
        except DocumentError as exc:
            raise FlowError("workflows: the folder name %r cannot be used (%s): expected one file name, without '/', '\\', NUL, "
                            "control characters or <>:\"|?*, not empty, not starting with '.', not ending with '.' or a space"
                            % (folder, exc)) from None
        check_id(workflow_id, "workflows[%r]" % folder)
        check_dest(path, fmt)
        folders[folder] = (workflow_id, path)
    return folders


def plan_export_workflow(client, params, context):
    values = portable_values(params)   # checked before any call
    workflows = params.get("workflows")
    folders = _export_folders(params["dest"], workflows, params["format"]) if workflows is not None else None
    _mask_overrides(params, context)
    adapter = _workflow_adapter(client, params, context)
    if folders is None:
        check_dest(params["dest"], params["format"])
        items = [Item(params["workflow_id"], name=params["name"], data={"id": params["workflow_id"]})]
        return Plan(adapter, items, "exported", result=_workflow_result,
                    files_for=lambda _item, current: package_files(params["dest"], adapter.export_document(current), params["format"], values))
    # One item per folder, exported in parallel by the engine; name = the folder (unique, also when two folders hold the
    # same workflow), so each entry of flows is the workflow id and its folder.
    items = [Item(workflow_id, name=folder, data={"id": workflow_id}) for folder, (workflow_id, _path) in folders.items()]
    return Plan(adapter, items, "exported", result=_workflows_result,
                files_for=lambda item, current: package_files(folders[item.name][1], adapter.export_document(current), params["format"], values))


def plan_info_workflow(client, params, context):
    for workflow_id in params["workflow_ids"] or []:
        check_id(workflow_id, "workflow_ids")
    adapter = KoreAIAdapter(client, add_secret=context.add_secret)
    result = {"flows": workflow_info(client, adapter, params["workflow_ids"] or [], params["include_content"], params["parallel"])}
    if params["dock_status_id"]:
        result["dock_status"] = dock_status_info(client, params["dock_status_id"])
    return result
