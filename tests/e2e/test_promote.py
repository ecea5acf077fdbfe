# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""flowops.flows.promote end to end: ansible-playbook on the sandbox estate of examples/ (6 environments,
3 providers, 2 projects) against the emulator."""

from __future__ import annotations

import glob
import json
import os

import pytest

from e2e_helpers import estate, writes  # pylint: disable=import-error

DESCOPE_PROD = estate.DESCOPE["prod"]["project_id"]
DESCOPE_DEV = estate.DESCOPE["dev"]["project_id"]
DAVINCI_PROD = estate.DAVINCI["prod"]["environment_id"]
KOREAI_PROD = estate.KOREAI["prod"]["account"]
VOLATILE = {"id", "createdAt", "updatedAt", "deployedAt", "currentVersion", "publishedVersion", "versions", "version"}


@pytest.fixture()
def promote(play):
    def run(inventory, check=False, diff=False, limit=None, verbosity=0, **extra):
        return play("promote", inventory, dict({"from": "dev", "to": "prod"}, **extra), check=check, diff=diff, limit=limit, verbosity=verbosity)
    return run


def descope_flows(snapshot, project_id):
    project = next(p for p in snapshot["descope"]["projects"] if p["project_id"] == project_id)
    return {fid: _comparable(doc) for fid, doc in project["flows"].items()}


def _comparable(doc):
    """Descope treats an empty references/metadata value as absent (descopecli strips them on export)."""
    doc = {k: v for k, v in doc.items() if not (k == "references" and not v)}
    doc["metadata"] = {k: v for k, v in doc.get("metadata", {}).items() if v not in ("", None, False, [], {})}
    return doc


def davinci_flows(snapshot, env_id):
    """The current version of every flow of an environment (the emulator's snapshot keeps all versions)."""
    env = next(e for e in snapshot["davinci"]["environments"] if e["id"] == env_id)
    out = []
    for flow in env.get("flows") or []:
        current = next(v for v in flow["versions"] if v["version"] == flow["currentVersion"])
        out.append(dict(current["doc"], id=flow["id"]))
    return out


def koreai_workflow(snapshot, account):
    acct = next(a for a in snapshot["koreai"]["accounts"] if a["id"] == account)
    return acct["workflows"][0]


def targets(snapshot):
    """What every prod environment holds, without the counters and timestamps a write-and-restore bumps.

    For Kore.ai: the content of the deployed (live) version and of the newest version (what an import leaves in
    development); a restore is itself an import, so the version numbers move on.
    """
    def strip(obj):
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if k not in VOLATILE}
        if isinstance(obj, list):
            return [strip(v) for v in obj]
        return obj

    def package(version):
        return {name: version[name] for name in ("flow_definition", "app_definition", "env_variables")}
    workflow = koreai_workflow(snapshot, KOREAI_PROD)
    deployed = next(v for v in workflow["versions"] if v["version"] == workflow["deployed_version"])
    newest = max(workflow["versions"], key=lambda v: v["version"])
    return {"descope": descope_flows(snapshot, DESCOPE_PROD),
            "davinci": sorted((strip(f) for f in davinci_flows(snapshot, DAVINCI_PROD)), key=lambda f: f.get("name", "")),
            "koreai": {"deployed": package(deployed), "newest": package(newest)}}


def test_check_mode_shows_the_plan_for_every_provider_and_makes_no_write(emulator, inventory, promote, tmp_path):
    before = emulator.snapshot()
    run = promote(inventory, check=True, diff=True)
    assert run.rc == 0, run.text()
    assert writes(emulator) == 0
    assert targets(emulator.snapshot()) == targets(before)
    plans = {}
    for host in ("portal_descope_prod", "portal_davinci_prod", "assist_koreai_prod"):
        report = sorted(glob.glob(str(tmp_path / "reports" / ("*-%s-promote.json" % host))))[-1]
        with open(report, encoding="utf-8") as handle:
            data = json.load(handle)
        assert data["status"] == "planned" and data["check_mode"] is True
        # a report names only a backup that exists: Descope's reconcile writes its pre-run backup only when it writes,
        # and DaVinci's prod has none of the flows (all three are created)
        assert data["backup"] == "" if host != "assist_koreai_prod" else os.path.isdir(data["backup"]), data["backup"]
        plans[host] = {f["name"]: f["action"] for f in data["flows"]}
    assert plans["portal_descope_prod"] == {"Sign In Oauth": "updated", "Connector Flow": "created", "Role Flow": "created"}
    assert plans["portal_davinci_prod"] == {"full-basic": "created", "abcd123-subflow-1": "created", "abcd123-subflow-2": "created"}
    assert plans["assist_koreai_prod"] == {"orders-assistant": "updated"}
    markdown = open(sorted(glob.glob(str(tmp_path / "reports" / "*-portal_descope_prod-promote.md")))[-1], encoding="utf-8").read()
    assert "task 1 'Sign Up or In / OAuth' (oauth-start): arguments.defaultProvider.value changed from 'google' to 'apple'" in markdown
    assert "- Backup of the target: none (check mode" in markdown


def test_promotion_lands_on_every_provider_and_a_second_run_writes_nothing(emulator, inventory, promote):
    run = promote(inventory)
    assert run.rc == 0, run.text()
    snap = emulator.snapshot()

    # Descope: prod holds dev's flows
    assert descope_flows(snap, DESCOPE_PROD) == descope_flows(snap, DESCOPE_DEV)

    # DaVinci: three flows, every connection and subflow reference points at prod's own objects
    prod_instances = {i["name"]: i["id"] for i in estate.davinci_environment("prod")["connector_instances"]}
    dev_ids = {i["id"] for i in estate.davinci_environment("dev")["connector_instances"]}
    flows = davinci_flows(snap, DAVINCI_PROD)
    assert sorted(f["name"] for f in flows) == ["abcd123-subflow-1", "abcd123-subflow-2", "full-basic"]
    prod_flow_ids = {f["id"] for f in flows}
    text = json.dumps(flows)
    for dev_id in dev_ids:
        assert dev_id not in text
    for flow in flows:
        for node in flow["graphData"]["elements"]["nodes"]:
            data = node["data"]
            if data.get("connectionId"):
                assert data["connectionId"] == prod_instances[data["name"]]
            sub = (data.get("properties") or {}).get("subFlowId")
            if sub:
                assert sub["value"]["value"] in prod_flow_ids

    # Kore.ai: the deployed version carries dev's definition with prod's own values
    workflow = koreai_workflow(snap, KOREAI_PROD)
    deployed = next(v for v in workflow["versions"] if v["version"] == workflow["deployed_version"])
    assert [n["id"] for n in deployed["flow_definition"]["nodes"]] == ["start", "lookup", "answer"]
    values = {v["key"]: v["value"] for v in deployed["env_variables"]}
    assert values == {"ORDERS_API_URL": "https://orders.example.com/api", "ORDERS_API_TOKEN": "token-prod-9f8e7d6c"}

    emulator.clear_requests()
    again = promote(inventory)
    assert again.rc == 0, again.text()
    assert again.changed() == 0
    assert writes(emulator) == 0


@pytest.mark.parametrize("provider, host, tenant, path, nth", [
    ("descope", "portal_descope_prod", DESCOPE_PROD, "^/v2/mgmt/flow/import$", 3),   # the third flow's import
    ("davinci", "portal_davinci_prod", DAVINCI_PROD, "/flows", 3),                   # the third flow's creation
    ("koreai", "assist_koreai_prod", KOREAI_PROD, "/deploy$", 1),                    # the deploy after the import
])
def test_failure_mid_promotion_restores_the_target(emulator, inventory, promote, provider, host, tenant, path, nth):
    before = targets(emulator.snapshot())
    emulator.add_fault({"provider": provider, "tenant": tenant, "method": "POST", "path": path, "nth": nth,
                        "action": {"type": "respond", "status": 500}})
    source = host.replace("_prod", "_dev")
    run = promote(inventory, limit="%s,%s" % (host, source), promote_retries=0, promote_parallel=1)
    assert run.rc != 0
    failures = [t for t in run.tasks if t["status"] == "failed" and "Fail when the promotion failed" in t["task"]]
    assert failures, run.text()
    msg = failures[0]["result"]["msg"]
    assert "HTTP 500" in msg and "restored from" in msg and "verified" in msg, msg
    assert "flow '" in msg      # names the flow that failed
    assert targets(emulator.snapshot()) == before


def test_no_secret_in_output_reports_or_backups_at_high_verbosity(inventory, promote, tmp_path):
    run = promote(inventory, diff=True, verbosity=4)
    assert run.rc == 0, run.text()
    texts = {"stdout": run.stdout, "stderr": run.stderr}
    for root, _dirs, files in os.walk(tmp_path):
        for name in files:
            if name != "inventory.yml":
                with open(os.path.join(root, name), encoding="utf-8", errors="replace") as handle:
                    texts[os.path.join(root, name)] = handle.read()
    leaks = [(secret, where) for secret in estate.secrets() for where, text in texts.items() if secret in text]
    assert leaks == []
