# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""flowops.flows.apply end to end: one git tree of portable flows applied to dev, staging and prod, each with its
own values (connector ids, URLs, client ids, variables), for Descope, PingOne DaVinci and Kore.ai, against the
emulator. The estate here has three stages (examples/ has two): ``shop_<provider>_<stage>``."""

from __future__ import annotations

import copy
import glob
import json
import os

import pytest
import yaml

from e2e_helpers import estate, writes  # pylint: disable=import-error

STAGES = ("dev", "staging", "prod")
TAG = {"dev": "DEV", "staging": "STG", "prod": "PRD"}
DESCOPE = {s: {"project_id": "P2shop%sxxxxxxxxxxxxxxxxxxx" % TAG[s], "management_key": "K2shop-%s-management-key" % s} for s in STAGES}
DAVINCI = {s: {"environment_id": "0e0e0e0e-{0}{0}{0}{0}-4{0}{0}{0}-8{0}{0}{0}-00000000000{0}".format(i), "client_id": "shop-worker-%s" % s,
               "client_secret": "shop-secret-%s-5e6f" % s} for i, s in enumerate(STAGES, 1)}
KOREAI = {s: {"account": "acct-shop-%s" % s, "api_key": "kg-shop-%s-000%d" % (s, i),
              "workflow_id": "a-0e0e0e0e-{0}{0}{0}{0}-4{0}{0}{0}-8{0}{0}{0}-00000000000{0}".format(i)}
          for i, s in enumerate(STAGES, 1)}
# What differs between the stages: the values of the tree's placeholders (group_vars/<stage>.yml: flow_values).
VALUES = {s: {"HTTP_CONNECTOR_ID": "CI%sHttpConnector000000000%d" % (TAG[s].lower(), i), "APP_HOST": "app.%s.shop.example" % s,
              "OAUTH_CLIENT_ID": "client-%s-410%d" % (s, i), "API_HOST": "api.%s.shop.example" % s,
              "ORDERS_HOST": "orders.%s.shop.example" % s} for i, s in enumerate(STAGES, 1)}
DAVINCI_MESSAGE = "Calling https://%s/hello"


# --- the estate: dev holds the new flows with its own values; staging and prod an older state ----------------------

def descope_dev_flows(values):
    flows = estate.descope_flows("dev")
    flow = flows["connector-flow"]
    flow["references"]["connectors"] = {"My HTTP Connector": values["HTTP_CONNECTOR_ID"]}
    args = flow["contents"]["tasks"]["1"]["arguments"]
    args["redirectUrl"] = {"type": "inline", "value": "https://%s/oauth/callback" % values["APP_HOST"]}
    args["clientId"] = {"type": "inline", "value": values["OAUTH_CLIENT_ID"]}
    return flows


def davinci_environment(stage, index):
    env = estate.davinci_environment("dev")
    env["id"] = DAVINCI[stage]["environment_id"]
    env["name"] = "shop-%s" % stage
    for number, instance in enumerate(env["connector_instances"]):
        if stage != "dev":
            instance["id"] = "%032x" % (0xabc00000 + index * 0x100 + number)
    if stage != "dev":
        del env["flows"]
        return env
    for flow in env["flows"]:
        for node in flow["graphData"]["elements"]["nodes"]:
            message = (node["data"].get("properties") or {}).get("message")
            if message and flow["name"] == "full-basic":
                message["value"] = DAVINCI_MESSAGE % VALUES["dev"]["API_HOST"]
    return env


def koreai_account(stage):
    account = estate.koreai_account("prod" if stage != "dev" else "dev")
    account.update(id=KOREAI[stage]["account"], api_keys=[KOREAI[stage]["api_key"]])
    workflow = account["workflows"][0]
    workflow["id"] = KOREAI[stage]["workflow_id"]
    version = workflow["versions"][0]
    version["env_variables"] = [{"key": "ORDERS_API_URL", "value": "https://%s/api" % VALUES[stage]["ORDERS_HOST"], "isSecured": False}]
    return account


def build_seed():
    return {
        "descope": {"projects": [dict(DESCOPE[s], flows=descope_dev_flows(VALUES["dev"]) if s == "dev" else estate.descope_flows("prod"))
                                 for s in STAGES]},
        "davinci": {
            "environments": [davinci_environment(s, i) for i, s in enumerate(STAGES)],
            "workers": [{"environment_id": DAVINCI[s]["environment_id"], "client_id": DAVINCI[s]["client_id"],
                         "client_secret": DAVINCI[s]["client_secret"], "environments": [DAVINCI[s]["environment_id"]]} for s in STAGES],
        },
        "koreai": {"accounts": [koreai_account(s) for s in STAGES]},
    }


def build_inventory():
    children = {}
    for stage in STAGES:
        hosts = {
            "shop_descope_%s" % stage: {"flow_provider": "descope", "descope_project_id": DESCOPE[stage]["project_id"],
                                        "descope_management_key": DESCOPE[stage]["management_key"]},
            "shop_davinci_%s" % stage: {"flow_provider": "davinci", "pingone_environment_id": DAVINCI[stage]["environment_id"],
                                        "pingone_client_id": DAVINCI[stage]["client_id"],
                                        "pingone_client_secret": DAVINCI[stage]["client_secret"]},
            "shop_koreai_%s" % stage: {"flow_provider": "koreai", "koreai_api_key": KOREAI[stage]["api_key"],
                                       "koreai_workflows": {"orders-assistant": KOREAI[stage]["workflow_id"]}},
        }
        children[stage] = {"hosts": hosts, "vars": {"flow_stage": stage, "flow_project": "shop", "flow_values": dict(VALUES[stage])}}
    return {"all": {"vars": {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "flowops_emulator_url": "{{ lookup('ansible.builtin.env', 'FLOWOPS_EMULATOR_URL') }}",
        "descope_base_url": "{{ flowops_emulator_url }}",
        "pingone_api_url": "{{ flowops_emulator_url }}/v1",
        "pingone_auth_url": "{{ flowops_emulator_url }}",
        "koreai_base_url": "{{ flowops_emulator_url }}",
        "koreai_poll_interval": 0.2,
        "flow_stages": list(STAGES),
    }, "children": children}}


@pytest.fixture()
def shop(emulator):
    """The three-stage estate seeded into a freshly reset emulator, and its inventory."""
    emulator.seed(build_seed())
    emulator.clear_requests()
    return build_inventory()


# --- what each stage holds -------------------------------------------------------------------------------------------

def descope_project(snapshot, stage):
    return next(p for p in snapshot["descope"]["projects"] if p["project_id"] == DESCOPE[stage]["project_id"])["flows"]


def davinci_current(snapshot, stage):
    env = next(e for e in snapshot["davinci"]["environments"] if e["id"] == DAVINCI[stage]["environment_id"])
    out = {}
    for flow in env.get("flows") or []:
        current = next(v for v in flow["versions"] if v["version"] == flow["currentVersion"])["doc"]
        out[current["name"]] = current
    return out, {i["name"]: i["id"] for i in env["connector_instances"]}


def koreai_deployed(snapshot, stage):
    account = next(a for a in snapshot["koreai"]["accounts"] if a["id"] == KOREAI[stage]["account"])
    workflow = account["workflows"][0]
    return next(v for v in workflow["versions"] if v["version"] == workflow["deployed_version"])


def tenant_text(snapshot, stage):
    """Everything a stage holds, as text (to look for another stage's values)."""
    flows, _instances = davinci_current(snapshot, stage)
    return json.dumps([descope_project(snapshot, stage), flows, koreai_deployed(snapshot, stage)], sort_keys=True)


def assert_holds_its_own_values(snapshot, stage):
    values = VALUES[stage]
    connector = descope_project(snapshot, stage)["connector-flow"]
    assert connector["references"]["connectors"] == {"My HTTP Connector": values["HTTP_CONNECTOR_ID"]}
    args = connector["contents"]["tasks"]["1"]["arguments"]
    assert args["redirectUrl"]["value"] == "https://%s/oauth/callback" % values["APP_HOST"]
    assert args["clientId"]["value"] == values["OAUTH_CLIENT_ID"]
    assert sorted(descope_project(snapshot, stage)) == ["connector-flow", "role-flow", "sign-in-oauth"]

    flows, instances = davinci_current(snapshot, stage)
    assert sorted(flows) == ["abcd123-subflow-1", "abcd123-subflow-2", "full-basic"]
    messages = [n["data"]["properties"]["message"]["value"] for n in flows["full-basic"]["graphData"]["elements"]["nodes"]
                if (n["data"].get("properties") or {}).get("message")]
    assert DAVINCI_MESSAGE % values["API_HOST"] in messages
    for flow in flows.values():
        for node in flow["graphData"]["elements"]["nodes"]:
            if node["data"].get("connectionId"):
                assert node["data"]["connectionId"] == instances[node["data"]["name"]]

    deployed = koreai_deployed(snapshot, stage)
    assert [n["id"] for n in deployed["flow_definition"]["nodes"]] == ["start", "lookup", "answer"]
    assert {v["key"]: v["value"] for v in deployed["env_variables"]} == {"ORDERS_API_URL": "https://%s/api" % values["ORDERS_HOST"]}

    text = tenant_text(snapshot, stage)
    for other in STAGES:
        if other != stage:
            leaked = [v for v in VALUES[other].values() if v in text]
            assert not leaked, (stage, other, leaked)


def tree_text(tree):
    texts = {}
    for path in glob.glob(os.path.join(str(tree), "**", "*"), recursive=True):
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                texts[os.path.relpath(path, str(tree))] = handle.read()
    return texts


def reports(tmp_path, host):
    out = []
    for path in sorted(glob.glob(str(tmp_path / "reports" / ("*-%s-apply.json" % host)))):
        with open(path, encoding="utf-8") as handle:
            out.append(json.load(handle))
    return out


def failures(run):
    return [t["result"].get("msg", "") for t in run.tasks if t["status"] == "failed"]


def write_descope_tree(tree, tags=None):
    """A hand-written portable Descope tree (the dev flows with placeholders instead of dev's values)."""
    placeholders = {key: "@@%s@@" % key for key in VALUES["dev"]}
    flows = descope_dev_flows(placeholders)
    flows["connector-flow"]["contents"]["tasks"]["1"]["arguments"]["redirectUrl"]["value"] = "https://##APP_HOST##/oauth/callback"
    folder = tree / "shop" / "descope" / "flows"
    folder.mkdir(parents=True, exist_ok=True)
    for flow_id, doc in flows.items():
        (folder / ("%s.json" % flow_id)).write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")
    if tags is not None:
        (tree / "shop" / "descope" / "tags.yml").write_text(yaml.safe_dump(tags), encoding="utf-8")
    return folder


# --- the tests -------------------------------------------------------------------------------------------------------

def test_one_tree_applied_to_dev_staging_and_prod_each_with_its_own_values(emulator, shop, play, tmp_path):
    tree = tmp_path / "flows"
    backup = play("backup", shop, {"backup_dir": str(tree), "backup_portable": True, "backup_include_theme": False}, limit="dev")
    assert backup.rc == 0, backup.text()
    texts = tree_text(tree)
    assert sorted(texts) == [
        "shop/davinci/flows/abcd123-subflow-1.json", "shop/davinci/flows/abcd123-subflow-2.json", "shop/davinci/flows/full-basic.json",
        "shop/descope/flows/connector-flow.json", "shop/descope/flows/role-flow.json", "shop/descope/flows/sign-in-oauth.json",
        "shop/koreai/workflows/orders-assistant/app_definition.json", "shop/koreai/workflows/orders-assistant/env_variables.json",
        "shop/koreai/workflows/orders-assistant/flow_definition.json"]
    everything = "\n".join(texts.values())
    assert not [v for v in VALUES["dev"].values() if v in everything]   # portable: no dev value left in the tree
    assert "@@HTTP_CONNECTOR_ID@@" in texts["shop/descope/flows/connector-flow.json"]
    assert "https://##APP_HOST##/oauth/callback" in texts["shop/descope/flows/connector-flow.json"]
    assert "@@OAUTH_CLIENT_ID@@" in texts["shop/descope/flows/connector-flow.json"]
    assert "##API_HOST##" in texts["shop/davinci/flows/full-basic.json"]
    assert "https://##ORDERS_HOST##/api" in texts["shop/koreai/workflows/orders-assistant/env_variables.json"]
    assert writes(emulator) == 0

    # dev already holds what the tree says: applying it changes nothing
    same = play("apply", shop, {"tree": str(tree), "to": "dev"})
    assert same.rc == 0, same.text()
    assert same.changed() == 0 and writes(emulator) == 0

    for stage in ("staging", "prod"):
        emulator.clear_requests()
        run = play("apply", shop, {"tree": str(tree), "to": stage})
        assert run.rc == 0, run.text()
        assert writes(emulator) > 0
        assert_holds_its_own_values(emulator.snapshot(), stage)
        report = reports(tmp_path, "shop_descope_%s" % stage)[-1]
        assert report["status"] == "applied" and report["to"] == stage
        assert {f["name"]: f["action"] for f in report["flows"]} == {
            "Sign In Oauth": "updated", "Connector Flow": "created", "Role Flow": "created"}

    for stage in STAGES:
        emulator.clear_requests()
        again = play("apply", shop, {"tree": str(tree), "to": stage})
        assert again.rc == 0, again.text()
        assert again.changed() == 0, (stage, again.text())
        assert writes(emulator) == 0, stage
    summary = again.custom["_run"]["flowops"]["apply"]
    assert sorted(summary) == ["shop_davinci_prod", "shop_descope_prod", "shop_koreai_prod"]
    assert all(s["created"] + s["updated"] == 0 and s["unchanged"] > 0 for s in summary.values())


def test_an_unresolved_placeholder_fails_before_any_write(emulator, shop, play, tmp_path):
    tree = tmp_path / "flows"
    write_descope_tree(tree)
    del shop["all"]["children"]["staging"]["vars"]["flow_values"]["APP_HOST"]
    before = emulator.snapshot()
    run = play("apply", shop, {"tree": str(tree), "to": "staging", "force": True}, limit="shop_descope_staging")
    assert run.rc != 0
    msgs = [m for m in failures(run) if m.startswith("Apply of")]
    assert msgs, run.text()
    assert "APP_HOST" in msgs[0] and "connector-flow.json" in msgs[0], msgs[0]
    assert "Nothing was written to the target" in msgs[0] and "restored" not in msgs[0], msgs[0]
    assert writes(emulator) == 0
    assert descope_project(emulator.snapshot(), "staging") == descope_project(before, "staging")


def test_an_unresolved_placeholder_fails_before_any_write_for_davinci_and_kore_ai(emulator, shop, play, tmp_path):
    tree = tmp_path / "flows"
    backup = play("backup", shop, {"backup_dir": str(tree), "backup_portable": True, "backup_include_theme": False},
                  limit="shop_davinci_dev,shop_koreai_dev")
    assert backup.rc == 0, backup.text()
    for name in ("API_HOST", "ORDERS_HOST"):
        del shop["all"]["children"]["staging"]["vars"]["flow_values"][name]
    before = emulator.snapshot()
    emulator.clear_requests()
    run = play("apply", shop, {"tree": str(tree), "to": "staging", "force": True}, limit="shop_davinci_staging,shop_koreai_staging")
    assert run.rc != 0
    assert run.failed_hosts() == ["shop_davinci_staging", "shop_koreai_staging"]
    for host, name, path in (("shop_davinci_staging", "API_HOST", "full-basic.json"),
                             ("shop_koreai_staging", "ORDERS_HOST", "env_variables.json")):
        msg = next(m for m in failures(run) if m.startswith("Apply of") and " to %s failed" % host in m)
        assert name in msg and path in msg, msg
        assert "Nothing was written to the target" in msg and "restored" not in msg, msg
    assert writes(emulator) == 0
    after = emulator.snapshot()
    assert davinci_current(after, "staging") == davinci_current(before, "staging")
    assert koreai_deployed(after, "staging") == koreai_deployed(before, "staging")


def test_tags_and_exclusion_select_the_flows_of_the_tree(emulator, shop, play, tmp_path):
    tree = tmp_path / "flows"
    write_descope_tree(tree, tags={"sign-in-oauth": ["login"], "connector-flow": ["login", "partners"], "role-flow": ["admin"]})
    run = play("apply", shop, {"tree": str(tree), "to": "staging", "force": True, "flow_select_tags": ["login"],
                               "flow_exclude": ["tag:partners"]}, limit="shop_descope_staging")
    assert run.rc == 0, run.text()
    assert {f["id"]: f["action"] for f in reports(tmp_path, "shop_descope_staging")[-1]["flows"]} == {"sign-in-oauth": "updated"}
    assert sorted(descope_project(emulator.snapshot(), "staging")) == ["sign-in-oauth"]

    run = play("apply", shop, {"tree": str(tree), "to": "staging", "force": True, "flow_exclude": ["sign-*", "role-flow"]},
               limit="shop_descope_staging")
    assert run.rc == 0, run.text()
    assert {f["id"]: f["action"] for f in reports(tmp_path, "shop_descope_staging")[-1]["flows"]} == {"connector-flow": "created"}
    assert sorted(descope_project(emulator.snapshot(), "staging")) == ["connector-flow", "sign-in-oauth"]

    emulator.clear_requests()
    unknown = play("apply", shop, {"tree": str(tree), "to": "staging", "force": True, "flow_select_tags": ["nope"],
                                   "flow_selection": ["no-such-flow"]}, limit="shop_descope_staging")
    assert unknown.rc != 0
    msg = next(m for m in failures(unknown) if m.startswith("Apply of"))
    assert "no-such-flow" in msg and "tag:nope" in msg and "Nothing was written" in msg, msg
    assert writes(emulator) == 0

    # a tags.yml that is not a mapping of flow -> list of tags is refused, naming the file, before any write
    for bad in (["login"], {"sign-in-oauth": {"nested": "x"}}):
        (tree / "shop" / "descope" / "tags.yml").write_text(yaml.safe_dump(bad), encoding="utf-8")
        bad_tags = play("apply", shop, {"tree": str(tree), "to": "staging", "force": True}, limit="shop_descope_staging")
        assert bad_tags.rc != 0
        msg = next(m for m in failures(bad_tags) if m.startswith("Apply of"))
        assert "tags.yml: expected a mapping of flow (file name without .json, or folder name) -> list of tags" in msg, msg
        assert "Nothing was written" in msg and writes(emulator) == 0


def test_kore_ai_and_davinci_selection_leaves_other_flows_alone(emulator, shop, play, tmp_path):
    tree = tmp_path / "flows"
    backup = play("backup", shop, {"backup_dir": str(tree), "backup_portable": True}, limit="shop_davinci_dev,shop_koreai_dev")
    assert backup.rc == 0, backup.text()
    emulator.clear_requests()
    run = play("apply", shop, {"tree": str(tree), "to": "staging", "flow_exclude": ["orders-assistant", "full-basic"]},
               limit="shop_davinci_staging,shop_koreai_staging")
    assert run.rc == 0, run.text()
    flows, _instances = davinci_current(emulator.snapshot(), "staging")
    assert sorted(flows) == ["abcd123-subflow-1", "abcd123-subflow-2"]
    assert reports(tmp_path, "shop_koreai_staging")[-1]["flows"] == []
    assert not emulator.requests(provider="koreai", write=True)


def test_stage_order_is_enforced_unless_forced(emulator, shop, play, tmp_path):
    tree = tmp_path / "flows"
    write_descope_tree(tree)
    limit = "shop_descope_prod"
    blocked = play("apply", shop, {"tree": str(tree), "to": "prod"}, limit=limit)
    assert blocked.rc != 0
    msg = next(m for m in failures(blocked) if m.startswith("Apply of"))
    assert "Stage order dev -> staging -> prod" in msg and "shop_descope_staging (staging)" in msg, msg
    assert "Connector Flow" in msg and "force" in msg and "Nothing was written" in msg, msg
    assert writes(emulator) == 0

    staged = play("apply", shop, {"tree": str(tree), "to": "staging"}, limit="shop_descope_staging")
    assert staged.rc == 0, staged.text()
    emulator.clear_requests()
    after_staging = play("apply", shop, {"tree": str(tree), "to": "prod"}, limit=limit)
    assert after_staging.rc == 0, after_staging.text()
    assert writes(emulator) > 0

    # a hotfix straight to prod: forced
    hotfix = copy.deepcopy(json.loads((tree / "shop" / "descope" / "flows" / "role-flow.json").read_text(encoding="utf-8")))
    hotfix["metadata"]["description"] = "hotfix"
    (tree / "shop" / "descope" / "flows" / "role-flow.json").write_text(json.dumps(hotfix), encoding="utf-8")
    refused = play("apply", shop, {"tree": str(tree), "to": "prod"}, limit=limit)
    assert refused.rc != 0 and "Role Flow" in next(m for m in failures(refused) if m.startswith("Apply of"))
    forced = play("apply", shop, {"tree": str(tree), "to": "prod", "force": True}, limit=limit)
    assert forced.rc == 0, forced.text()
    assert descope_project(emulator.snapshot(), "prod")["role-flow"]["metadata"]["description"] == "hotfix"


@pytest.mark.parametrize("playbook, extra", [
    ("apply", {"tree": "flows", "to": "qa"}),
    ("promote", {"from": "dev", "to": "qa"}),
])
def test_an_unknown_stage_is_an_error_listing_the_stages(emulator, shop, play, playbook, extra):
    run = play(playbook, shop, extra)
    assert run.rc != 0
    failed = [t for t in run.tasks if t["status"] == "failed"]
    assert len(failed) == 1, [(t["host"], t["task"]) for t in failed]
    msg = failed[0]["result"]["msg"]
    assert "'qa'" in msg and "dev, staging, prod" in msg, msg
    assert writes(emulator) == 0


def test_a_stage_with_no_host_is_an_error(emulator, shop, play, tmp_path):
    shop["all"]["vars"]["flow_stages"] = ["dev", "qa", "staging", "prod"]
    run = play("apply", shop, {"tree": str(tmp_path), "to": "qa"})
    assert run.rc != 0
    msg = [t for t in run.tasks if t["status"] == "failed"][0]["result"]["msg"]
    assert "'qa'" in msg and "dev, prod, staging" in msg, msg
    assert writes(emulator) == 0


def test_promote_honours_the_stage_order(emulator, shop, play):
    run = play("promote", shop, {"from": "dev", "to": "prod"}, limit="shop_descope_prod")
    assert run.rc != 0
    msg = next(m for m in failures(run) if m.startswith("Promotion of"))
    assert "Stage order dev -> staging -> prod" in msg and "Nothing was written" in msg, msg
    assert writes(emulator) == 0
    forced = play("promote", shop, {"from": "dev", "to": "prod", "force": True}, limit="shop_descope_prod")
    assert forced.rc == 0, forced.text()


def test_kore_ai_plan_is_refused_when_the_workflow_changed_since_and_applied_exactly_otherwise(emulator, shop, play, tmp_path):
    """The exact plan for Kore.ai (the other providers: test_plan.py): plan -> the target workflow changes (as an edit in
    the console would) -> apply refuses, names the workflow, zero writes; a new plan is applied exactly."""
    tree = tmp_path / "flows"
    backup = play("backup", shop, {"backup_dir": str(tree), "backup_portable": True}, limit="shop_koreai_dev")
    assert backup.rc == 0, backup.text()
    planned = play("apply", shop, {"tree": str(tree), "to": "staging", "plan_out": "plan.json"}, check=True, limit="shop_koreai_staging")
    assert planned.rc == 0, planned.text()
    assert writes(emulator) == 0
    with open(os.path.join(str(tmp_path), "plan.json"), encoding="utf-8") as handle:
        entries = json.load(handle)["hosts"]["shop_koreai_staging"]["flows"]
    assert [(f["name"], f["action"]) for f in entries] == [("orders-assistant", "updated")]

    snapshot = emulator.snapshot()
    account = next(a for a in snapshot["koreai"]["accounts"] if a["id"] == KOREAI["staging"]["account"])
    for version in account["workflows"][0]["versions"]:
        version["flow_definition"]["nodes"].append({"id": "hotfix", "type": "message", "text": "edited in the console"})
    emulator.restore(snapshot)
    emulator.clear_requests()
    refused = play("apply", shop, {"tree": str(tree), "to": "staging", "plan": "plan.json"}, limit="shop_koreai_staging")
    assert refused.rc != 0
    assert "orders-assistant" in refused.text() and "the target changed since the plan" in refused.text()
    assert writes(emulator) == 0

    replanned = play("apply", shop, {"tree": str(tree), "to": "staging", "plan_out": "again.json"}, check=True, limit="shop_koreai_staging")
    assert replanned.rc == 0, replanned.text()
    applied = play("apply", shop, {"tree": str(tree), "to": "staging", "plan": "again.json"}, limit="shop_koreai_staging")
    assert applied.rc == 0, applied.text()
    deployed = koreai_deployed(emulator.snapshot(), "staging")
    assert [n["id"] for n in deployed["flow_definition"]["nodes"]] == ["start", "lookup", "answer"]
    assert {v["key"]: v["value"] for v in deployed["env_variables"]} == {"ORDERS_API_URL": "https://%s/api" % VALUES["staging"]["ORDERS_HOST"]}
    # ... and a second apply of the same tree changes nothing and makes zero write calls
    emulator.clear_requests()
    again = play("apply", shop, {"tree": str(tree), "to": "staging"}, limit="shop_koreai_staging")
    assert again.rc == 0, again.text()
    assert again.changed() == 0 and writes(emulator) == 0
