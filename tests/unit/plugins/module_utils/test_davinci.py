# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DaVinciClient token handling against a scripted HTTP server, and source loading."""

from __future__ import annotations

import base64
import json
import os

import pytest

from ansible_collections.flowops.flows.plugins.module_utils._davinci import DaVinciClient, load_sources, urls_for
from ansible_collections.flowops.flows.plugins.module_utils._document import DocumentError
from ansible_collections.flowops.flows.plugins.module_utils._http import ApiError
from ansible_collections.flowops.flows.plugins.module_utils._models import DocumentInvalid
from ansible_collections.flowops.flows.plugins.module_utils._sync import FlowError

SECRET = "very-secret-value-42"
TOKEN = {"access_token": "tok-1-abcdefgh", "token_type": "Bearer", "expires_in": 3600}
EMPTY_FLOWS = {"_embedded": {"flows": []}, "count": 0}


def client_for(server, method="client_secret_basic", secrets=None):
    return DaVinciClient("env-1", "cid", SECRET, worker_environment_id="admin-env", api_url=server.url + "/v1", auth_url=server.url,
                         token_auth_method=method, on_secret=(secrets.append if secrets is not None else None), retries=0)


def test_region_urls():
    assert urls_for("EU") == ("https://api.pingone.eu/v1", "https://auth.pingone.eu")
    assert urls_for(None) == ("https://api.pingone.com/v1", "https://auth.pingone.com")
    assert urls_for("AU", api_url="http://x/v1/") == ("http://x/v1", "https://auth.pingone.com.au")


def test_token_basic_fetched_once_and_reported_as_secret(http_server):
    http_server.script({"json": TOKEN}, {"json": EMPTY_FLOWS}, {"json": EMPTY_FLOWS})
    secrets = []
    client = client_for(http_server, secrets=secrets)
    assert client.list_flows() == []
    assert client.list_flows() == []
    token_call, api_call, _unused = http_server.requests
    assert token_call["path"] == "/admin-env/as/token"
    assert token_call["body"] == b"grant_type=client_credentials"
    assert token_call["headers"]["Authorization"] == "Basic " + base64.b64encode(("cid:" + SECRET).encode()).decode()
    assert api_call["path"] == "/v1/environments/env-1/flows"
    assert api_call["headers"]["Authorization"] == "Bearer tok-1-abcdefgh"
    assert secrets == ["tok-1-abcdefgh"]
    assert client.token_fetches == 1


def test_token_post_sends_form_credentials(http_server):
    http_server.script({"json": TOKEN}, {"json": EMPTY_FLOWS})
    client_for(http_server, method="client_secret_post").list_flows()
    token_call = http_server.requests[0]
    assert "Authorization" not in token_call["headers"]
    assert b"client_secret=" + SECRET.encode() in token_call["body"]


def test_expired_token_is_fetched_again_once(http_server):
    expired = {"status": 401, "json": {"id": "x", "code": "ACCESS_FAILED", "message": "expired", "details": [{"code": "INVALID_TOKEN"}]}}
    http_server.script({"json": TOKEN}, {"json": EMPTY_FLOWS}, expired, {"json": dict(TOKEN, access_token="tok-2-abcdefgh")}, {"json": EMPTY_FLOWS})
    client = client_for(http_server)
    client.list_flows()
    # the token dies a moment after it was issued: it is renewed all the same (no de-duplication window)
    assert client.list_flows() == []
    assert client.token_fetches == 2
    assert http_server.requests[-1]["headers"]["Authorization"] == "Bearer tok-2-abcdefgh"


def test_401_of_a_call_sent_before_another_renewal_resends_without_a_new_token(http_server):
    http_server.script({"json": TOKEN}, {"json": EMPTY_FLOWS}, {"json": dict(TOKEN, access_token="tok-2-abcdefgh")})
    client = client_for(http_server)
    client.list_flows()
    sent_with = client.api.auth_generation
    assert client._reauth(client.api, sent_with) is True  # pylint: disable=protected-access  # this call's token: renew
    assert client.token_fetches == 2
    assert client._reauth(client.api, sent_with) is True  # pylint: disable=protected-access  # renewed since: just re-send
    assert client.token_fetches == 2
    assert len(http_server.requests) == 3


def test_a_401_after_a_fresh_token_is_an_error_not_a_loop(http_server):
    expired = {"status": 401, "json": {"id": "x", "code": "ACCESS_FAILED", "message": "no"}}
    http_server.script({"json": TOKEN}, expired, {"json": dict(TOKEN, access_token="tok-2-abcdefgh")}, expired, {"json": TOKEN})
    client = client_for(http_server)
    with pytest.raises(ApiError) as exc:
        client.list_flows()
    assert exc.value.status == 401
    assert len(http_server.requests) == 4   # token, call, one fresh token, one resend: then the 401 is the answer
    assert client.token_fetches == 2


def test_wrong_secret_is_one_clear_error_without_the_secret(http_server):
    http_server.script({"status": 401, "json": {"error": "invalid_client", "error_description": "Client authentication failed (" + SECRET + ")"}})
    with pytest.raises(FlowError) as exc:
        client_for(http_server).list_flows()
    text = str(exc.value)
    assert "authentication failed for client_id 'cid'" in text and "invalid_client" in text
    assert SECRET not in text
    assert len(http_server.requests) == 1


def test_export_uses_vendor_content_type(http_server):
    http_server.script({"json": TOKEN}, {"json": {"flow": {"id": "f", "name": "n"}}})
    client_for(http_server).export_version("f", 3, include_subflows=True)
    call = http_server.requests[1]
    assert call["path"] == "/v1/environments/env-1/flows/f/versions/3"
    assert call["headers"]["Content-Type"] == "application/vnd.pingidentity.flowversion.export+json"
    assert json.loads(call["body"]) == {"includeSubFlows": True, "includeVariableValues": False}


def test_variables_follow_next_links(http_server):
    page2 = http_server.url + "/v1/environments/env-1/variables?cursor=2"
    http_server.script({"json": TOKEN}, {"json": {"_embedded": {"variables": [{"id": "1"}]}, "_links": {"next": {"href": page2}}}},
                       {"json": {"_embedded": {"variables": [{"id": "2"}]}, "_links": {}}})
    assert [v["id"] for v in client_for(http_server).list_variables()] == ["1", "2"]


def test_load_sources_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x",\n "graphData": }')
    with pytest.raises(DocumentError, match="bad.json: line 2"):
        load_sources(str(bad))
    descope = tmp_path / "descope.json"
    descope.write_text(json.dumps({"flowId": "sign-up", "screens": [], "contents": {}}))
    with pytest.raises(FlowError, match="descope.json.*Descope"):
        load_sources(str(descope))
    nodes = tmp_path / "nodes.json"
    nodes.write_text(json.dumps({"name": "x", "graphData": {"elements": {"nodes": [{"data": {}}]}}}))
    with pytest.raises(DocumentInvalid, match=r"nodes.json \(flow 'x'\).*graphData.elements.nodes\[0\].data.id"):
        load_sources(str(nodes))
    with pytest.raises(FlowError, match="no such file"):
        load_sources(str(tmp_path / "missing.json"))


def test_load_sources_directory_dedupes_identical_flows(tmp_path):
    flow = {"name": "x", "graphData": {"elements": {"nodes": []}}}
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(flow))
    assert [s.name for s in load_sources(str(tmp_path))] == ["x"]
    (tmp_path / "c.json").write_text(json.dumps(dict(flow, description="other")))
    with pytest.raises(FlowError, match="two different flows named 'x'"):
        load_sources(str(tmp_path))
    assert os.path.exists(tmp_path / "c.json")
