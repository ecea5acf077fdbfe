# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox estate used by `make demo` and the end-to-end tests: six environments, three providers, two projects.

    portal  Descope   portal_descope_dev  -> portal_descope_prod
    portal  DaVinci   portal_davinci_dev  -> portal_davinci_prod
    assist  Kore.ai   assist_koreai_dev   -> assist_koreai_prod

dev holds the newer flows; prod an older state with its own connection ids and values, so a promotion has real
work to do. The flows are real public exports (tests/fixtures/samples, licences beside them); the Kore.ai workflow
is synthetic (no public AI for Process export exists). inventory.yml beside this file describes the same estate.

Run as a script to write the emulator seed: ``python examples/estate.py > seed.json``; or start the emulator with
this estate already loaded: ``cd tests && python -m emulator --demo``.
"""

from __future__ import annotations

import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(os.path.dirname(HERE), "tests", "fixtures", "samples")

# Credentials of the emulated environments: sandbox values, valid only against the local emulator.
DESCOPE = {
    "dev": {"project_id": "P2portalDEVxxxxxxxxxxxxxxxxx", "management_key": "K2demo-portal-dev-management-key"},
    "prod": {"project_id": "P2portalPRDxxxxxxxxxxxxxxxxx", "management_key": "K2demo-portal-prod-management-key"},
}
DAVINCI = {
    "dev": {"environment_id": "0d0d0d0d-1111-4111-8111-000000000001", "client_id": "demo-worker-dev", "client_secret": "demo-secret-dev-4f1c9e"},
    "prod": {"environment_id": "0d0d0d0d-2222-4222-8222-000000000002", "client_id": "demo-worker-prod", "client_secret": "demo-secret-prod-7a2b5d"},
}
KOREAI = {
    "dev": {"account": "acct-assist-dev", "api_key": "kg-demo-assist-dev-0001", "workflow_id": "a-0a0a0a0a-1111-4111-8111-000000000001"},
    "prod": {"account": "acct-assist-prod", "api_key": "kg-demo-assist-prod-0002", "workflow_id": "a-0a0a0a0a-2222-4222-8222-000000000002"},
}
# Connector instances: the same names in both environments, different ids (what promotion must remap).
CONNECTIONS = [("HTTP", "httpConnector"), ("abcd123-functions", "functionsConnector"), ("abcd123-error", "errorConnector"),
               ("abcd123-flow", "flowConnector"), ("abcd123-variables", "variablesConnector"), ("abcd123-http", "httpConnector")]


def _load(*parts):
    with open(os.path.join(SAMPLES, *parts), encoding="utf-8") as handle:
        return json.load(handle)


def descope_flows(stage):
    flows = {}
    for flow_id, name in (("sign-in-oauth", "basicflow.json"), ("connector-flow", "connectorflow.json"), ("role-flow", "roleflow.json")):
        doc = _load("descope", name)
        doc["flowId"] = flow_id
        doc["metadata"]["name"] = flow_id.replace("-", " ").title()
        flows[flow_id] = doc
    if stage == "prod":
        old = flows["sign-in-oauth"]
        old["metadata"]["description"] = "previous release"
        old["contents"]["tasks"]["1"]["arguments"]["defaultProvider"]["value"] = "google"
        return {"sign-in-oauth": old}
    return flows


def davinci_environment(stage):
    """dev: a parent flow with two subflows (real export); prod: only the connector instances, other ids."""
    tree = _load("davinci", "multiple-flows.json")
    instances = {}
    for flow in tree["flows"]:
        for node in flow["graphData"]["elements"]["nodes"]:
            data = node["data"]
            if data.get("connectionId"):
                instances[data["name"]] = (data["connectionId"], data["connectorId"])
    connector_instances = []
    for index, (name, connector) in enumerate(CONNECTIONS):
        instance_id = instances.get(name, ("%032x" % (index + 1), connector))[0] if stage == "dev" else "%032x" % (0xfeed0000 + index)
        connector_instances.append({"id": instance_id, "name": name, "connector": {"id": connector}})
    env = {"id": DAVINCI[stage]["environment_id"], "name": "portal-%s" % stage, "connector_instances": connector_instances}
    if stage == "dev":
        flows = copy.deepcopy(tree["flows"])
        for flow in flows:
            flow["publishedVersion"] = flow.get("currentVersion")
        env["flows"] = flows
    return env


def koreai_account(stage):
    """One workflow; dev has a newer definition, both keep their own URL and token values."""
    url = {"dev": "https://orders.dev.example.com/api", "prod": "https://orders.example.com/api"}[stage]
    nodes = [{"id": "start", "type": "start", "next": "lookup"},
             {"id": "lookup", "type": "api", "method": "GET", "url": "{{env.ORDERS_API_URL}}/orders/{{context.orderId}}", "next": "answer"},
             {"id": "answer", "type": "message", "text": "Your order {{context.orderId}} is {{lookup.status}}."}]
    if stage == "prod":  # the previous release: no lookup step
        nodes = [{"id": "start", "type": "start", "next": "answer"}, {"id": "answer", "type": "message", "text": "Please call us."}]
    version = {
        "flow_definition": {"name": "orders-assistant", "nodes": nodes},
        "app_definition": {"name": "orders-assistant", "description": "Answers order status questions", "guardrails": []},
        "env_variables": [{"key": "ORDERS_API_URL", "value": url, "isSecured": False},
                          {"key": "ORDERS_API_TOKEN", "value": "token-%s-9f8e7d6c" % stage, "isSecured": True}],
    }
    return {"id": KOREAI[stage]["account"], "api_keys": [KOREAI[stage]["api_key"]], "job_delay_seconds": 0.2,
            "workflows": [{"id": KOREAI[stage]["workflow_id"], "name": "orders-assistant", "deployed_version": 1, "versions": [version]}]}


def build_seed():
    return {
        "descope": {"projects": [dict(DESCOPE[stage], flows=descope_flows(stage)) for stage in ("dev", "prod")]},
        "davinci": {
            "environments": [davinci_environment("dev"), davinci_environment("prod")],
            "workers": [{"environment_id": DAVINCI[stage]["environment_id"], "client_id": DAVINCI[stage]["client_id"],
                         "client_secret": DAVINCI[stage]["client_secret"], "environments": [DAVINCI[stage]["environment_id"]]}
                        for stage in ("dev", "prod")],
        },
        "koreai": {"accounts": [koreai_account("dev"), koreai_account("prod")]},
    }


def secrets():
    """Every credential in the estate (tests assert none of them is ever printed or written)."""
    return ([v["management_key"] for v in DESCOPE.values()] + [v["client_secret"] for v in DAVINCI.values()]
            + [v["api_key"] for v in KOREAI.values()] + ["token-dev-9f8e7d6c", "token-prod-9f8e7d6c"])


if __name__ == "__main__":
    json.dump(build_seed(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
