# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""flowops.flows.promote the way AWX / Automation Controller runs it: ansible-runner, a private data dir, an
inventory without secrets, and the secrets injected as the collection's credential types
(``extensions/awx/credential_types/``) inject them: the target's as environment variables (``env/envvars``), the
source's as extra vars (``env/extravars``, the "flowops promotion source" type). The inventory maps them onto the
roles' connection variables with the group_vars of the AWX guide (``docs/docsite/rst/awx.rst``), taken from the
guide itself so the guide stays true.

What ansible-runner itself writes: ``artifacts/<ident>/command`` holds the command line, the cwd and the whole
environment of the run, so an environment-variable secret is in it (AWX keeps that directory private to the job and
removes it; extra vars are passed as ``-e @env/extravars``, so they are not). The test checks that this is the only
place besides ``env/`` (where the secrets were put) that holds any secret.
"""

from __future__ import annotations

import copy
import os
import re
import sys

import pytest
import yaml

from e2e_helpers import EXAMPLES, estate, writes  # pylint: disable=import-error

ansible_runner = pytest.importorskip("ansible_runner")
jinja2 = pytest.importorskip("jinja2")

ROOT = os.path.dirname(EXAMPLES)
CREDENTIAL_TYPES = os.path.join(ROOT, "extensions", "awx", "credential_types")
AWX_GUIDE = os.path.join(ROOT, "docs", "docsite", "rst", "awx.rst")
COLLECTIONS = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.path.join(ROOT, ".build", "collections")
# runner runs the ansible-playbook it finds on PATH (in an execution environment, the image's)
BIN = os.path.dirname(sys.executable)
# Host variables that hold a secret or an id the credentials carry: none of them may stay in the inventory.
CREDENTIAL_VARS = ("descope_project_id", "descope_management_key", "pingone_environment_id", "pingone_client_id",
                   "pingone_client_secret", "koreai_api_key")
TARGETS = ("portal_descope_prod", "portal_davinci_prod", "assist_koreai_prod")


def credential_type(name):
    with open(os.path.join(CREDENTIAL_TYPES, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def inject(cred_type, inputs, kind):
    """What AWX injects for a credential of ``cred_type`` with ``inputs``: its ``injectors[kind]`` rendered."""
    missing = [f for f in cred_type["inputs"].get("required", []) if f not in inputs]
    assert not missing, "credential %r lacks required inputs %s" % (cred_type["name"], missing)
    fields = {f["id"]: f.get("default", "") for f in cred_type["inputs"]["fields"]}
    fields.update(inputs)
    return {key: jinja2.Template(value).render(**fields) for key, value in cred_type["injectors"][kind].items()}


def guide_group_vars():
    """The group_vars of the AWX guide's "One job, two environments" section (its YAML code block)."""
    with open(AWX_GUIDE, encoding="utf-8") as handle:
        text = handle.read()
    section = text.split("One job, two environments", 1)[1]
    block = re.search(r"\.\. code-block:: yaml\n\n((?:    .*\n|\n)+)", section).group(1)
    return yaml.safe_load("\n".join(line[4:] for line in block.splitlines()))


def private_data_dir(root, emulator_url):
    """A private data dir as AWX builds one: project/ (a playbook), inventory/ (no secret), env/ (the credentials)."""
    pdd = root / "pdd"
    (pdd / "project").mkdir(parents=True)
    (pdd / "project" / "promote.yml").write_text(
        "---\n- name: Promote flows (the job template's playbook)\n  ansible.builtin.import_playbook: flowops.flows.promote\n",
        encoding="utf-8")

    with open(os.path.join(EXAMPLES, "inventory.yml"), encoding="utf-8") as handle:
        inventory = yaml.safe_load(handle)
    for group in inventory["all"]["children"].values():
        for host in group["hosts"].values():
            for var in CREDENTIAL_VARS:
                host.pop(var, None)
            overrides = host.get("flow_mappings", {}).get("env_overrides", {})
            for values in overrides.values():
                values.pop("ORDERS_API_TOKEN", None)   # a secure value: the target keeps its own
    (pdd / "inventory" / "group_vars").mkdir(parents=True)
    (pdd / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    (pdd / "inventory" / "group_vars" / "all.yml").write_text(yaml.safe_dump(guide_group_vars()), encoding="utf-8")

    # the job's credentials: the target (prod) as each provider's type, the source (dev) as "flowops promotion source"
    envvars = {}
    envvars.update(inject(credential_type("descope.yml"), estate.DESCOPE["prod"], "env"))
    envvars.update(inject(credential_type("pingone_davinci.yml"), dict(estate.DAVINCI["prod"], region_code="NA"), "env"))
    envvars.update(inject(credential_type("koreai.yml"), {"base_url": emulator_url, "api_key": estate.KOREAI["prod"]["api_key"]}, "env"))
    extravars = inject(credential_type("promotion_source.yml"), {
        "descope_project_id": estate.DESCOPE["dev"]["project_id"],
        "descope_management_key": estate.DESCOPE["dev"]["management_key"],
        "pingone_environment_id": estate.DAVINCI["dev"]["environment_id"],
        "pingone_client_id": estate.DAVINCI["dev"]["client_id"],
        "pingone_client_secret": estate.DAVINCI["dev"]["client_secret"],
        "koreai_api_key": estate.KOREAI["dev"]["api_key"],
    }, "extra_vars")
    # the job template's own extra vars (or its survey)
    extravars.update({"from": "dev", "to": "prod"})
    # not secrets: where the execution environment has the collection, and the sandbox's URL (examples/inventory.yml)
    envvars.update({"ANSIBLE_COLLECTIONS_PATH": COLLECTIONS, "FLOWOPS_EMULATOR_URL": emulator_url,
                    "ANSIBLE_LOCAL_TEMP": str(root / "ansible-tmp"),
                    "PATH": BIN + os.pathsep + os.environ.get("PATH", ""), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORKS": "6"})
    (pdd / "env").mkdir()
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(envvars), encoding="utf-8")
    (pdd / "env" / "extravars").write_text(yaml.safe_dump(extravars), encoding="utf-8")
    return pdd, inventory


def run_job(pdd, ident):
    return ansible_runner.run(private_data_dir=str(pdd), playbook="promote.yml", ident=ident,
                              quiet=True, rotate_artifacts=0, timeout=900)


def stats_event(runner):
    return next(e for e in runner.events if e["event"] == "playbook_on_stats")


def files_holding(root, secrets):
    """{relative path: [secrets it holds]} for every file under ``root``."""
    found = {}
    for folder, _dirs, names in os.walk(str(root)):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                data = handle.read()
            held = [s for s in secrets if s.encode("utf-8") in data]
            if held:
                found[os.path.relpath(path, str(root))] = held
    return found


def test_promote_through_ansible_runner_with_injected_credentials(emulator, tmp_path, monkeypatch):
    emulator.seed(estate.build_seed())
    emulator.clear_requests()
    pdd, inventory = private_data_dir(tmp_path, emulator.base_url)
    caller = tmp_path / "caller"
    caller.mkdir()
    monkeypatch.chdir(caller)
    monkeypatch.setenv("PWD", str(caller))   # as a shell sets it: what lookup('env', 'PWD') would see
    inventory_text = (pdd / "inventory" / "hosts.yml").read_text(encoding="utf-8")
    secrets = estate.secrets()
    assert not [s for s in secrets if s in inventory_text]
    assert all(var not in host for group in inventory["all"]["children"].values() for host in group["hosts"].values()
               for var in CREDENTIAL_VARS)

    before = copy.deepcopy(emulator.snapshot())
    job = run_job(pdd, "promote")
    stdout = job.stdout.read()
    assert job.status == "successful" and job.rc == 0, stdout[-3000:]

    # the promotion happened: every prod target was written, dev was only read
    dev = (estate.DESCOPE["dev"]["project_id"], estate.DAVINCI["dev"]["environment_id"], estate.KOREAI["dev"]["account"])
    prod = (estate.DESCOPE["prod"]["project_id"], estate.DAVINCI["prod"]["environment_id"], estate.KOREAI["prod"]["account"])
    assert [writes(emulator, tenant, ok_only=True) > 0 for tenant in prod] == [True] * 3, emulator.counts()
    assert [writes(emulator, tenant) for tenant in dev] == [0] * 3
    assert emulator.snapshot() != before

    # set_stats reaches the runner's artifacts: the playbook_on_stats event's artifact_data (what AWX shows as the
    # job's artifacts and passes to the next workflow node), in memory and in artifacts/<ident>/job_events/
    artifact = stats_event(job)["event_data"]["artifact_data"]
    summary = artifact["flowops"]["promote"]
    assert set(TARGETS) <= set(summary)
    assert all(summary[h]["status"] == "promoted" for h in TARGETS), summary
    assert summary["portal_descope_prod"]["created"] == 2 and summary["portal_descope_prod"]["updated"] == 1
    events_dir = pdd / "artifacts" / "promote" / "job_events"
    on_disk = [p for p in events_dir.iterdir() if p.name.endswith(".json") and "playbook_on_stats" in p.read_text(encoding="utf-8")]
    assert len(on_disk) == 1 and '"artifact_data"' in on_disk[0].read_text(encoding="utf-8")

    # reports land under the private data dir (the inventory's directory), never in the caller's cwd
    for host in TARGETS:
        reports = list(pdd.glob("**/reports/*-%s-promote.json" % host))
        assert reports, host
        assert all(str(r).startswith(str(pdd / "inventory")) for r in reports)
        assert any(path.endswith("-%s-promote.json" % host) for path in summary[host]["reports"])
    assert list(caller.iterdir()) == []

    # a re-run through runner: no write call, nothing changed
    emulator.clear_requests()
    again = run_job(pdd, "rerun")
    assert again.status == "successful", again.stdout.read()[-3000:]
    assert writes(emulator) == 0
    assert stats_event(again)["event_data"]["changed"] == {}
    resummary = stats_event(again)["event_data"]["artifact_data"]["flowops"]["promote"]
    assert all(resummary[h]["created"] == resummary[h]["updated"] == resummary[h]["deleted"] == 0 for h in TARGETS)
    assert list(caller.iterdir()) == []

    # no secret anywhere the job wrote, except env/ (where they were put) and runner's own artifacts/<ident>/command,
    # which holds the run's environment: the environment-variable secrets (target), never the extra vars (source)
    held = files_holding(pdd, secrets)
    env_secrets = {estate.DESCOPE["prod"]["management_key"], estate.DAVINCI["prod"]["client_secret"], estate.KOREAI["prod"]["api_key"]}
    extra_secrets = {estate.DESCOPE["dev"]["management_key"], estate.DAVINCI["dev"]["client_secret"], estate.KOREAI["dev"]["api_key"]}
    for ident in ("promote", "rerun"):
        command = os.path.join("artifacts", ident, "command")
        assert set(held.pop(command, [])) == env_secrets, command
    assert set(held.pop(os.path.join("env", "envvars"))) == env_secrets
    assert set(held.pop(os.path.join("env", "extravars"))) == extra_secrets
    assert held == {}
    for text in (stdout, again.stdout.read()):
        assert not [s for s in secrets if s in text]
    assert not [s for s in secrets if s in repr(job.events)]


ASYNC_PLAYBOOK = """---
- name: Long provider jobs under async and poll (what an AWX job shows while they run)
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    emulator_url: "{{ lookup('ansible.builtin.env', 'FLOWOPS_EMULATOR_URL') }}"
  tasks:
    - name: Export the Kore.ai workflow (its export job runs for minutes)
      flowops.flows.koreai_workflow:
        workflow_id: "%(workflow_id)s"
        state: exported
        dest: "{{ playbook_dir }}/exports/orders-assistant"
        poll_interval: 0.2
        wait_timeout: 280
      async: 300
      poll: 2
      register: koreai_export

    - name: Export the Descope flows (async works for every flow module)
      flowops.flows.descope_flow:
        flow_id: all
        state: exported
        dest: "{{ playbook_dir }}/exports/descope"
      async: 120
      poll: 1

    - name: Export a DaVinci flow
      flowops.flows.davinci_flow:
        api_url: "{{ emulator_url }}/v1"
        auth_url: "{{ emulator_url }}"
        name: full-basic
        state: exported
        dest: "{{ playbook_dir }}/exports/davinci"
      async: 120
      poll: 1

    - name: Start a Kore.ai export in the background (poll 0)
      flowops.flows.koreai_workflow:
        workflow_id: "%(workflow_id)s"
        state: exported
        dest: "{{ playbook_dir }}/exports/orders-background"
        poll_interval: 0.2
      async: 300
      poll: 0
      register: background

    - name: Wait for the background export
      ansible.builtin.async_status:
        jid: "{{ background.ansible_job_id }}"
      register: background_result
      until: background_result.finished
      retries: 150
      delay: 2
"""


def test_a_long_koreai_job_under_async_and_poll_through_runner(emulator, tmp_path):
    """`async`/`poll` on the flow modules: while a Kore.ai export job is still running (held IN_PROGRESS by the
    emulator until the job's events show Ansible polling it), the job page gets "ASYNC POLL" events; then the task
    ends with the module's result, whose ``jobs`` say how often and how long the module polled."""
    import requests  # pylint: disable=import-outside-toplevel

    emulator.seed(estate.build_seed())
    account = estate.KOREAI["dev"]["account"]
    emulator.add_fault({"provider": "koreai", "tenant": account, "path": "/export$", "times": 1, "action": {"type": "job_stuck"}})
    pdd = tmp_path / "pdd"
    (pdd / "project").mkdir(parents=True)
    (pdd / "project" / "long_jobs.yml").write_text(ASYNC_PLAYBOOK % {"workflow_id": estate.KOREAI["dev"]["workflow_id"]}, encoding="utf-8")
    (pdd / "inventory").mkdir()
    (pdd / "inventory" / "hosts.yml").write_text("all:\n  hosts:\n    localhost:\n", encoding="utf-8")
    envvars = {}
    envvars.update(inject(credential_type("koreai.yml"), {"base_url": emulator.base_url, "api_key": estate.KOREAI["dev"]["api_key"]}, "env"))
    envvars.update(inject(credential_type("descope.yml"), dict(estate.DESCOPE["dev"], base_url=emulator.base_url), "env"))
    envvars.update(inject(credential_type("pingone_davinci.yml"), dict(estate.DAVINCI["dev"], region_code="NA"), "env"))
    envvars.update({"ANSIBLE_COLLECTIONS_PATH": COLLECTIONS, "FLOWOPS_EMULATOR_URL": emulator.base_url, "ANSIBLE_NOCOLOR": "1",
                    "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"), "ANSIBLE_ASYNC_DIR": str(tmp_path / "async"),
                    "PATH": BIN + os.pathsep + os.environ.get("PATH", "")})
    (pdd / "env").mkdir()
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(envvars), encoding="utf-8")

    released = []

    def release_when_polled(event):
        """On the first async poll of the Kore.ai task, let the held export job finish."""
        if event.get("event") == "runner_on_async_poll" and not released:
            stuck = [r["path"].rsplit("/", 1)[-1] for r in emulator_requests() if "/dock-status/" in r["path"]]
            if stuck:
                answer = requests.put(emulator.url("/_emulator/koreai/jobs/" + stuck[0]), json={"stuck": False}, timeout=30)
                answer.raise_for_status()
                released.append(stuck[0])
        return True

    def emulator_requests():
        answer = requests.get(emulator.url("/_emulator/requests"), params={"provider": "koreai", "tenant": account}, timeout=30)
        answer.raise_for_status()
        return answer.json()["requests"]

    job = ansible_runner.run(private_data_dir=str(pdd), playbook="long_jobs.yml", ident="long", quiet=True, timeout=600,
                             event_handler=release_when_polled)
    stdout = job.stdout.read()
    assert job.status == "successful", stdout[-3000:]
    assert len(released) == 1

    # what the job page shows while the task runs: its async polls ("ASYNC POLL on localhost: jid=... started=1 finished=0")
    # ... and the module's result when it ends: the job it waited for, with its polls and seconds
    results = {e["event_data"]["task"]: e["event_data"]["res"] for e in job.events if e["event"] == "runner_on_ok"}
    koreai = results["Export the Kore.ai workflow (its export job runs for minutes)"]
    polls = [e for e in job.events if e["event"] == "runner_on_async_poll" and e["event_data"]["jid"] == koreai["ansible_job_id"]]
    assert polls and "ASYNC POLL on localhost: jid=%s started=True finished=False" % koreai["ansible_job_id"] in stdout
    assert koreai["finished"] == 1 and koreai["changed"] is True
    export_jobs = [j for f in koreai["flows"] for j in f.get("jobs", []) if j["action"] == "EXPORT"]
    assert export_jobs and export_jobs[0]["dock_status_id"] == released[0] and export_jobs[0]["status"] == "SUCCESS"
    assert export_jobs[0]["polls"] >= 2 and export_jobs[0]["seconds"] > 0
    assert sorted(os.listdir(str(pdd / "project" / "exports" / "orders-assistant"))) == [
        "app_definition.json", "env_variables.json", "flow_definition.json"]
    for task in ("Export the Descope flows (async works for every flow module)", "Export a DaVinci flow"):
        assert results[task]["finished"] == 1 and results[task]["flows"], task
    assert os.listdir(str(pdd / "project" / "exports" / "descope")) and os.listdir(str(pdd / "project" / "exports" / "davinci"))
    background = results["Wait for the background export"]
    assert background["finished"] == 1 and background["flows"][0]["jobs"][0]["status"] == "SUCCESS"
    # the background jobs' results (ANSIBLE_ASYNC_DIR: with poll 0 the result stays until a cleanup) and the job's
    # artifacts hold no secret
    assert os.listdir(str(tmp_path / "async"))
    assert files_holding(tmp_path / "async", estate.secrets()) == {}
    held = files_holding(pdd / "artifacts", estate.secrets())
    assert list(held) == [os.path.join("long", "command")], held   # runner's own record of the environment
