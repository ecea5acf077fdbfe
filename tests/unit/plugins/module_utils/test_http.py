# -*- coding: utf-8 -*-
# Copyright (c) 2025, flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests for ``_http`` against a real local HTTP server (see conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from email.utils import formatdate

import pytest

from ansible_collections.flowops.flows.plugins.module_utils import _http
from ansible_collections.flowops.flows.plugins.module_utils._document import JsonNumber, loads
from ansible_collections.flowops.flows.plugins.module_utils._http import (
    ApiError,
    HttpClient,
    RateLimiter,
    WindowLimiter,
)
from ansible_collections.flowops.flows.plugins.module_utils._options import check_common, rate_limiter
from ansible_collections.flowops.flows.plugins.module_utils._davinci import parse_pingone_error
from ansible_collections.flowops.flows.plugins.module_utils._descope import parse_descope_error
from ansible_collections.flowops.flows.plugins.module_utils._koreai import parse_koreai_error

DESCOPE_PROJECT = "P2abcdefghijklmnopqrstuvwxyz01"
DESCOPE_KEY = "K2zyxwvutsrqponmlkjihgfedcba98765432"
PINGONE_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3b3JrZXIifQ.c2lnbmF0dXJlLXNlY3JldA"
KOREAI_KEY = "kg-1b2c3d4e-5f60-7a8b-9c0d-ef1234567890-aa11bb22"


class Recorder:
    """Injected sleep: records the delays instead of sleeping."""

    def __init__(self):
        self.delays = []

    def __call__(self, seconds):
        self.delays.append(seconds)


# Each provider file passes its own parser to HttpClient.
PARSERS = {"descope": parse_descope_error, "davinci": parse_pingone_error, "koreai": parse_koreai_error}


def make_client(server_url, provider="descope", fake_sleep=True, **kwargs):
    warnings = []
    kwargs.setdefault("error_parser", PARSERS.get(provider))
    kwargs.setdefault("on_retry", warnings.append)
    kwargs.setdefault("timeout", 5)
    client = HttpClient(provider, server_url, **kwargs)
    client.warnings = warnings
    if fake_sleep:
        client._sleep = Recorder()  # pylint: disable=protected-access
    return client


def descope_error(code, description, message=None):
    body = {"errorCode": code, "errorDescription": description}
    if message is not None:
        body["errorMessage"] = message
    return body


# ---------------------------------------------------------------------------
# Retry-After and status retries


def test_429_retry_after_seconds_with_real_sleep(http_server):
    http_server.script(
        {"status": 429, "headers": {"Retry-After": "1"}, "json": descope_error("E130429", "Rate limit exceeded")},
        {"status": 200, "json": {"ok": True}},
    )
    client = make_client(http_server.url, fake_sleep=False)
    started = time.monotonic()
    assert client.json("POST", "/v2/mgmt/flow/export", safe_to_retry=True, json={"flowId": "a"}) == {"ok": True}
    elapsed = time.monotonic() - started
    reqs = http_server.requests
    assert len(reqs) == 2
    assert elapsed >= 0.95
    assert reqs[1]["time"] - reqs[0]["time"] >= 0.95
    assert client.warnings == ["descope: HTTP 429 on POST /v2/mgmt/flow/export; retry 1/3 in 1.0 s"]


def test_429_retry_after_http_date(http_server):
    http_server.script(
        {"status": 429, "headers": {"Retry-After": formatdate(time.time() + 3, usegmt=True)}},
        {"status": 200, "json": {}},
    )
    client = make_client(http_server.url)
    client.request("GET", "/v1/x", safe_to_retry=True)
    assert len(http_server.requests) == 2
    (delay,) = client._sleep.delays  # pylint: disable=protected-access
    assert 1.0 <= delay <= 3.01


def test_429_http_date_with_real_sleep(http_server):
    # one-second resolution: a date 2 s ahead means a wait of 1..2 s
    http_server.script({"status": 429, "headers": {"Retry-After": formatdate(time.time() + 2, usegmt=True)}}, {"status": 200, "json": {}})
    client = make_client(http_server.url, fake_sleep=False)
    started = time.monotonic()
    client.request("GET", "/v1/x", safe_to_retry=True)
    assert 0.9 <= time.monotonic() - started <= 4


def test_retry_after_is_capped(http_server):
    past = formatdate(time.time() - 60, usegmt=True)
    http_server.script(
        {"status": 503, "headers": {"Retry-After": "3600"}},
        {"status": 503, "headers": {"Retry-After": formatdate(time.time() + 7200, usegmt=True)}},
        {"status": 503, "headers": {"Retry-After": past}},
        {"status": 200},
    )
    client = make_client(http_server.url, retry_after_max=7)
    client.request("GET", "/x", safe_to_retry=True)
    assert client._sleep.delays == [7.0, 7.0, 0.0]  # pylint: disable=protected-access


def test_429_pauses_the_whole_client(http_server):
    http_server.script({"status": 429, "headers": {"Retry-After": "2"}})
    client = make_client(http_server.url)
    now = [100.0]
    client._clock = lambda: now[0]  # pylint: disable=protected-access
    client.request("GET", "/a", safe_to_retry=True)
    # another call right after: it waits for what is left of the pause first
    now[0] += 0.5
    client.request("GET", "/b", safe_to_retry=True)
    assert client._sleep.delays == [2.0, 1.5]  # pylint: disable=protected-access


def test_503_then_200_backoff_with_jitter(http_server):
    http_server.script({"status": 503}, {"status": 502}, {"status": 200, "json": {"v": 1}})
    client = make_client(http_server.url, backoff_factor=0.5, backoff_jitter=0.25)
    assert client.json("GET", "/v1/flows", safe_to_retry=True) == {"v": 1}
    delays = client._sleep.delays  # pylint: disable=protected-access
    assert len(delays) == 2
    assert 0 <= delays[0] < 0.25  # urllib3: first retry immediate (+ our jitter)
    assert 1.0 <= delays[1] < 1.25  # 0.5 * 2 ** 1 + jitter
    assert client.warnings[0].startswith("descope: HTTP 503 on GET /v1/flows; retry 1/3 in ")
    assert client.warnings[1].startswith("descope: HTTP 502 on GET /v1/flows; retry 2/3 in ")


def test_descope_520_family_is_retried(http_server):
    http_server.script({"status": 522}, {"status": 530}, {"status": 200})
    client = make_client(http_server.url)
    assert client.request("GET", "/x", safe_to_retry=True).status_code == 200
    assert len(http_server.requests) == 3


def test_no_retry_on_4xx(http_server):
    http_server.script({"status": 400, "json": descope_error("E011003", "Request is invalid", "flowId is required")})
    client = make_client(http_server.url)
    with pytest.raises(ApiError) as info:
        client.request("POST", "/v2/mgmt/flow/import", safe_to_retry=True, json={})
    assert len(http_server.requests) == 1
    assert info.value.status == 400
    assert info.value.code == "E011003"
    assert info.value.message == "Request is invalid: flowId is required"
    assert info.value.retryable is False


def test_retries_zero(http_server):
    http_server.set_default({"status": 503})
    client = make_client(http_server.url, retries=0)
    with pytest.raises(ApiError) as info:
        client.request("GET", "/x", safe_to_retry=True)
    assert len(http_server.requests) == 1
    assert info.value.status == 503


def test_expected_status_is_returned_not_raised(http_server):
    http_server.script({"status": 404, "json": descope_error("E000404", "not found")})
    client = make_client(http_server.url)
    assert client.request("POST", "/v2/mgmt/flow/export", safe_to_retry=True, expected=(200, 404)).status_code == 404


# ---------------------------------------------------------------------------
# connection failures and timeouts


def test_reset_connection_is_retried_when_safe(http_server):
    http_server.script({"reset": True}, {"status": 200, "json": {"ok": 1}})
    client = make_client(http_server.url)
    assert client.json("GET", "/x", safe_to_retry=True) == {"ok": 1}
    assert len(http_server.requests) == 2
    assert "retry 1/3" in client.warnings[0]


def test_reset_connection_is_not_retried_when_unsafe(http_server):
    http_server.script({"reset": True}, {"status": 200})
    client = make_client(http_server.url)
    with pytest.raises(ApiError) as info:
        client.request("POST", "/api/public/workflows/import", safe_to_retry=False, json={"a": 1})
    assert len(http_server.requests) == 1
    assert info.value.status is None
    assert info.value.retryable is False
    assert info.value.outcome_unknown is True   # the import may have landed: the caller must re-read
    assert info.value.to_dict()["outcome_unknown"] is True
    assert client.warnings == []


def test_read_timeout_retried_when_safe(http_server):
    http_server.script({"delay": 1.5, "status": 200, "json": {"late": True}}, {"status": 200, "json": {"late": False}})
    client = make_client(http_server.url, timeout=0.4)
    assert client.json("GET", "/slow", safe_to_retry=True) == {"late": False}
    assert len(http_server.requests) == 2
    assert client.warnings[0].startswith("descope: read timeout after 0.4 s on GET /slow; retry 1/3")


def test_read_timeout_not_retried_when_unsafe(http_server):
    http_server.script({"delay": 1.5, "status": 201}, {"status": 201})
    client = make_client(http_server.url, timeout=0.4)
    with pytest.raises(ApiError) as info:
        client.request("POST", "/create", safe_to_retry=False, json={})
    assert len(http_server.requests) == 1
    assert info.value.status is None
    assert info.value.outcome_unknown is True
    assert "read timeout" in info.value.message
    assert str(info.value) == "descope API error: no HTTP response: read timeout after 0.4 s (POST /create)"


def test_truncated_body_retried_when_safe_only(http_server):
    http_server.script({"truncate": True, "json": {"flow": "x" * 100}}, {"status": 200, "json": {"ok": True}})
    client = make_client(http_server.url)
    assert client.json("GET", "/export", safe_to_retry=True) == {"ok": True}
    assert "response body incomplete" in client.warnings[0]
    http_server.script({"truncate": True, "json": {"flow": "x" * 100}}, {"status": 200, "json": {"ok": True}})
    with pytest.raises(ApiError) as info:
        client.json("POST", "/create", safe_to_retry=False)
    assert info.value.status is None
    assert info.value.outcome_unknown is True
    assert len(http_server.requests) == 3


def test_lost_answer_of_a_read_is_not_an_unknown_outcome(http_server):
    http_server.set_default({"reset": True})
    client = make_client(http_server.url, retries=0)
    with pytest.raises(ApiError) as info:
        client.request("GET", "/x", safe_to_retry=True)
    assert info.value.status is None
    assert info.value.outcome_unknown is False


def test_invalid_json_answer_of_a_write_is_an_unknown_outcome(http_server):
    http_server.script({"status": 200, "body": b"{not json"})
    client = make_client(http_server.url)
    with pytest.raises(ApiError) as info:
        client.json("PUT", "/flows/a", safe_to_retry=True, json={})
    assert info.value.code == "invalid_json"
    assert info.value.outcome_unknown is True


def test_500_on_unsafe_call_reaches_server_once(http_server):
    http_server.set_default({"status": 500, "json": {"id": "r-1", "code": "UNEXPECTED_ERROR", "message": "boom"}})
    client = make_client(http_server.url, provider="davinci", error_parser=parse_pingone_error)
    with pytest.raises(ApiError) as info:
        client.request("POST", "/v1/environments/e/flows", safe_to_retry=False, json={"name": "x"})
    assert len(http_server.requests) == 1
    assert info.value.status == 500
    assert info.value.code == "UNEXPECTED_ERROR"
    assert info.value.request_id == "r-1"
    assert client.warnings == []


def test_503_with_retry_after_on_unsafe_call_is_not_retried(http_server):
    http_server.set_default({"status": 503, "headers": {"Retry-After": "1"}})
    client = make_client(http_server.url)
    with pytest.raises(ApiError):
        client.request("POST", "/create", safe_to_retry=False)
    assert len(http_server.requests) == 1


def test_429_on_unsafe_call_is_retried(http_server):
    # a 429 means the server rejected the call without processing it
    http_server.script({"status": 429, "headers": {"Retry-After": "1"}}, {"status": 201, "json": {"id": "new"}})
    client = make_client(http_server.url)
    assert client.json("POST", "/create", safe_to_retry=False, json={}) == {"id": "new"}
    assert len(http_server.requests) == 2
    assert client._sleep.delays == [pytest.approx(1.0, abs=0.05)]  # pylint: disable=protected-access


def test_connection_refused_is_retried_even_when_unsafe(closed_port):
    client = make_client("http://127.0.0.1:%d" % closed_port, retries=2)
    with pytest.raises(ApiError) as info:
        client.request("POST", "/create?token=QUERYSECRET", safe_to_retry=False, json={})
    err = info.value
    assert err.status is None
    assert err.attempts == 3
    assert err.retryable is True
    assert len(client.warnings) == 2
    assert err.url == "/create"
    assert "connection failed" in err.message
    for text in [str(err), json.dumps(err.to_dict())] + client.warnings:
        assert "QUERYSECRET" not in text
        assert "?" not in text


# ---------------------------------------------------------------------------
# error bodies per provider


@pytest.mark.parametrize(
    "provider, parser, body, code, message, request_id",
    [
        ("descope", parse_descope_error, descope_error("E130503", "Service unavailable", "try later"),
         "E130503", "Service unavailable: try later", None),
        ("davinci", parse_pingone_error,
         {"id": "5f1c", "code": "INVALID_DATA", "message": "The request could not be completed.",
          "details": [{"code": "INVALID_VALUE", "target": "name", "message": "too long"}]},
         "INVALID_DATA", "The request could not be completed. [name: too long (INVALID_VALUE)]", "5f1c"),
        ("davinci", parse_pingone_error, {"error": "invalid_client", "error_description": "Client authentication failed"},
         "invalid_client", "Client authentication failed", "corr-9"),
        ("koreai", parse_koreai_error, {"errors": [{"msg": "Invalid SDK credentials", "code": 4002}]}, "4002", "Invalid SDK credentials", None),
        ("koreai", parse_koreai_error, {"message": "Rate limit for this API has been reached"}, None, "Rate limit for this API has been reached", None),
    ],
)
def test_retries_exhausted_error_per_provider(http_server, provider, parser, body, code, message, request_id):
    http_server.set_default({"status": 503, "json": body, "headers": {"Correlation-Id": "corr-9"}})
    client = make_client(http_server.url, provider=provider, error_parser=parser, retries=2)
    with pytest.raises(ApiError) as info:
        client.request("GET", "/some/path?x=1", safe_to_retry=True)
    err = info.value
    assert len(http_server.requests) == 3
    assert err.status == 503
    assert err.code == code
    assert err.message == message
    assert err.request_id == (request_id or "corr-9")
    assert err.retryable is True
    assert err.attempts == 3
    assert err.url == "/some/path"
    data = err.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["provider"] == provider and data["status"] == 503


def test_non_json_error_body_is_a_short_snippet(http_server):
    http_server.script({"status": 502, "body": "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 5000 + "</body></html>"})
    client = make_client(http_server.url, retries=0, error_parser=parse_descope_error)
    with pytest.raises(ApiError) as info:
        client.request("GET", "/x", safe_to_retry=True)
    assert info.value.message == "502 Bad Gateway"
    http_server.script({"status": 500, "body": "y" * 5000, "headers": {"Content-Type": "text/plain"}})
    with pytest.raises(ApiError) as info:
        client.request("GET", "/x", safe_to_retry=True)
    assert len(info.value.message) <= 310


def test_api_error_str_format():
    err = ApiError("descope", 401, code="E061102", message="Invalid management key", request_id="abc", method="POST",
                   url="https://api.descope.com/v2/mgmt/flow/export?token=x")
    assert str(err) == "descope API error: HTTP 401 E061102: Invalid management key (POST /v2/mgmt/flow/export, request id abc)"
    assert err.to_dict()["url"] == "/v2/mgmt/flow/export"


# ---------------------------------------------------------------------------
# secrets


def _assert_no_secret(err, client, parts):
    texts = [str(err), repr(err), json.dumps(err.to_dict()), err.message or ""] + list(client.warnings)
    for text in texts:
        for part in parts:
            assert part not in text, (part, text)


def test_descope_401_never_shows_the_key(http_server):
    credential = "%s:%s" % (DESCOPE_PROJECT, DESCOPE_KEY)
    echo = descope_error("E061102", "Invalid management key", "got Bearer %s (key %s)" % (credential, DESCOPE_KEY))
    http_server.script({"status": 503, "body": "upstream saw " + DESCOPE_KEY}, {"status": 401, "json": echo})
    client = make_client(http_server.url, error_parser=parse_descope_error, headers={"Authorization": "Bearer " + credential})
    with pytest.raises(ApiError) as info:
        client.request("POST", "/v2/mgmt/flow/export", safe_to_retry=True, json={"flowId": "x"})
    assert http_server.requests[0]["headers"]["Authorization"] == "Bearer " + credential
    assert info.value.status == 401
    assert info.value.code == "E061102"
    assert "********" in info.value.message
    _assert_no_secret(info.value, client, [DESCOPE_KEY, credential, DESCOPE_PROJECT])


def test_pingone_401_never_shows_the_token(http_server):
    body = {"id": "abc", "code": "ACCESS_FAILED", "message": "token %s is invalid" % PINGONE_TOKEN,
            "details": [{"code": "INVALID_TOKEN", "message": "Bearer " + PINGONE_TOKEN}]}
    http_server.script({"status": 401, "json": body})
    client = make_client(http_server.url, provider="davinci", error_parser=parse_pingone_error)
    client.set_bearer_token(PINGONE_TOKEN)
    with pytest.raises(ApiError) as info:
        client.request("GET", "/v1/environments/e/flows", safe_to_retry=True)
    assert http_server.requests[0]["headers"]["Authorization"] == "Bearer " + PINGONE_TOKEN
    _assert_no_secret(info.value, client, [PINGONE_TOKEN, PINGONE_TOKEN[:20], PINGONE_TOKEN[-20:]])


def test_basic_auth_client_secret_is_scrubbed(http_server):
    http_server.script({"status": 401, "json": {"error": "invalid_client", "error_description": "bad secret s3cr3t-value-42 for worker-client"}})
    client = make_client(http_server.url, provider="davinci", error_parser=parse_pingone_error, auth=("worker-client", "s3cr3t-value-42"))
    with pytest.raises(ApiError) as info:
        client.request("POST", "/e/as/token", safe_to_retry=True, data={"grant_type": "client_credentials"})
    assert http_server.requests[0]["headers"]["Authorization"].startswith("Basic ")
    _assert_no_secret(info.value, client, ["s3cr3t-value-42"])


def test_koreai_api_key_echo_is_scrubbed(http_server):
    http_server.script({"status": 503, "body": "key=" + KOREAI_KEY}, {"status": 401, "json": {"errors": [{"msg": "bad key " + KOREAI_KEY, "code": 4002}]}})
    client = make_client(http_server.url, provider="koreai", error_parser=parse_koreai_error, headers={"x-api-key": KOREAI_KEY})
    with pytest.raises(ApiError) as info:
        client.request("GET", "/api/public/workflows", safe_to_retry=True)
    assert info.value.message == "bad key ********"
    _assert_no_secret(info.value, client, [KOREAI_KEY])


def test_extra_secret_and_url_encoded_form(http_server):
    http_server.script({"status": 400, "body": "bad value a%2Fb%3Dsecret%2Bx%20y, a%2Fb%3Dsecret%2Bx+y and a/b=secret+x y"})
    client = make_client(http_server.url, secrets=["a/b=secret+x y"])
    with pytest.raises(ApiError) as info:
        client.request("GET", "/x", safe_to_retry=True)
    assert "secret" not in info.value.message


def test_credentials_not_sent_to_another_origin(http_server):
    client = make_client(http_server.url, headers={"x-api-key": KOREAI_KEY}, auth=("user", "password-1"))
    other = "http://localhost:%d/download/f-1.json?sig=abc" % http_server.port  # same server, other origin
    client.request("GET", other, safe_to_retry=True)
    client.request("GET", "/api/public/files", safe_to_retry=True)
    foreign, home = http_server.requests
    assert "x-api-key" not in {k.lower() for k in foreign["headers"]}
    assert "authorization" not in {k.lower() for k in foreign["headers"]}
    assert home["headers"]["x-api-key"] == KOREAI_KEY
    assert home["headers"]["Authorization"].startswith("Basic ")


# ---------------------------------------------------------------------------
# re-auth, bodies, json


def test_reauth_on_401_replaces_the_token(http_server):
    http_server.script({"status": 401, "json": {"code": "ACCESS_FAILED", "message": "expired"}}, {"status": 200, "json": {"ok": True}})
    calls = []

    def reauth(client, generation):
        calls.append(generation)
        client.set_bearer_token("new-token-123456")
        return True

    client = make_client(http_server.url, provider="davinci", reauth=reauth)
    client.set_bearer_token("old-token-123456")
    old_generation = client.auth_generation
    assert client.json("POST", "/flows", safe_to_retry=False, json={}) == {"ok": True}
    assert calls == [old_generation]   # the generation the rejected call was sent with
    assert client.auth_generation == old_generation + 1
    assert [r["headers"]["Authorization"] for r in http_server.requests] == ["Bearer old-token-123456", "Bearer new-token-123456"]
    assert client.scrub("x new-token-123456 old-token-123456") == "x ******** ********"


def test_reauth_only_once(http_server):
    http_server.set_default({"status": 401, "json": {"code": "ACCESS_FAILED", "message": "no"}})
    client = make_client(http_server.url, provider="davinci", reauth=lambda c, g: True, error_parser=parse_pingone_error)
    with pytest.raises(ApiError) as info:
        client.request("GET", "/flows", safe_to_retry=True)
    assert info.value.status == 401
    assert len(http_server.requests) == 2


def test_json_body_keeps_number_literals(http_server):
    http_server.script({"status": 200, "body": '{"minZoom": 1e-50, "maxZoom": 1e+50, "zoom": 1.0}'})
    client = make_client(http_server.url)
    doc = client.json("PUT", "/flows/1", safe_to_retry=True, json={"minZoom": JsonNumber("1e-50"), "n": 1.0, "u": "é"})
    body = http_server.requests[0]["body"]
    assert body == '{"minZoom":1e-50,"n":1.0,"u":"é"}'.encode("utf-8")
    assert http_server.requests[0]["headers"]["Content-Type"] == "application/json"
    assert [doc[k].text for k in ("minZoom", "maxZoom", "zoom")] == ["1e-50", "1e+50", "1.0"]


def test_custom_content_type_wins(http_server):
    client = make_client(http_server.url)
    client.request("POST", "/flows/1", safe_to_retry=False, json={}, headers={"Content-Type": "application/vnd.pingidentity.flow.deploy+json"})
    assert http_server.requests[0]["headers"]["Content-Type"] == "application/vnd.pingidentity.flow.deploy+json"


def test_json_empty_and_invalid(http_server):
    http_server.script({"status": 204}, {"status": 200, "body": "not json"})
    client = make_client(http_server.url)
    assert client.json("DELETE", "/x", safe_to_retry=True) == {}
    with pytest.raises(ApiError) as info:
        client.json("GET", "/x", safe_to_retry=True)
    assert info.value.code == "invalid_json"
    assert info.value.status == 200
    assert "line 1, column 1" in info.value.message


def test_files_are_resent_on_retry(http_server, tmp_path):
    src = tmp_path / "flow_definition.json"
    src.write_text('{"a": 1}')
    http_server.script({"status": 503}, {"status": 200, "json": {"fileId": "f1"}})
    client = make_client(http_server.url, provider="koreai")
    with open(src, "rb") as handle:
        assert client.json("POST", "/api/public/files", safe_to_retry=True, files={"file": handle}, data={"fileContext": "workflows"}) == {"fileId": "f1"}
    first, second = http_server.requests
    assert b'{"a": 1}' in first["body"] and b'{"a": 1}' in second["body"]
    assert b'filename="flow_definition.json"' in second["body"]


# ---------------------------------------------------------------------------
# rate limit, pool, session


def test_rate_limiter_fake_clock():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(rate=2, burst=2, clock=lambda: now[0], sleep=sleep)
    waits = [limiter.acquire() for _i in range(5)]
    assert waits == [0.0, 0.0, 0.5, 0.5, 0.5]
    now[0] += 10  # idle: the bucket refills to burst, not beyond
    assert [limiter.acquire() for _i in range(3)] == [0.0, 0.0, 0.5]


def test_rate_limiter_spaces_real_calls(http_server):
    # A fake clock that the limiter's sleep advances: the spacing is checked without depending on how busy
    # the machine is (the server's arrival times of real requests are not a reliable measure under load).
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    client = make_client(http_server.url, rate_limit=RateLimiter(rate=10, burst=1, clock=lambda: now[0], sleep=sleep))
    for _i in range(6):
        client.request("GET", "/x", safe_to_retry=True)
    assert len(http_server.requests) == 6
    # the first call uses the burst token; each of the 5 others waits its 0.1 s slot
    assert slept == pytest.approx([0.1] * 5)
    assert now[0] - 100.0 == pytest.approx(0.5)


def test_rate_limiter_is_thread_safe():
    limiter = RateLimiter(rate=40, burst=1)
    started = time.monotonic()
    threads = [threading.Thread(target=lambda: [limiter.acquire() for _i in range(5)]) for _i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 20 tokens at 40/s with a burst of 1: at least 19 / 40 s
    assert time.monotonic() - started >= 0.45


class FakeTime:
    """A clock that the injected sleep advances (shared by limiters that stand for separate processes)."""

    def __init__(self, now=1000.0):
        self.now = now
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_window_limiter_allows_a_burst_then_waits_for_the_oldest_call_to_leave_the_window(tmp_path):
    fake = FakeTime()
    limiter = WindowLimiter(3, 10, str(tmp_path / "api.calls"), margin=0.5, clock=fake.clock, sleep=fake.sleep)
    assert [limiter.acquire() for _i in range(3)] == [0.0, 0.0, 0.0]   # the whole window at once
    fake.now += 4
    assert limiter.acquire() == pytest.approx(6.5)   # the first call (t=1000) leaves at 1010, + margin
    assert fake.now == pytest.approx(1010.5)
    assert limiter.acquire() == pytest.approx(0.0)   # the calls of 1000 are out of the window: two slots
    assert limiter.acquire() == pytest.approx(0.0)
    assert limiter.acquire() == pytest.approx(10.5)   # three calls at 1010.5: the next leaves at 1020.5, + margin


def test_window_limiter_budget_is_shared_through_its_file(tmp_path):
    # two limiters on one file stand for two module runs (processes) calling the same API host
    fake = FakeTime()
    path = str(tmp_path / "api.calls")
    first = WindowLimiter(4, 60, path, margin=0, clock=fake.clock, sleep=fake.sleep)
    second = WindowLimiter(4, 60, path, margin=0, clock=fake.clock, sleep=fake.sleep)
    assert [first.acquire() for _i in range(3)] == [0.0] * 3
    fake.now += 1
    assert second.acquire() == 0.0
    assert second.acquire() == pytest.approx(59.0)   # the fifth call of the window waits, whichever run makes it
    # a torn line (a run killed while writing) and stale times are dropped, not counted
    with open(path, "a", encoding="ascii") as handle:
        handle.write("12\nnot-a-time\n")
    assert first.acquire() == 0.0
    assert open(path, encoding="ascii").read().split() == ["1001.000000", "1060.000000", "1060.000000"]


def test_window_limiter_never_exceeds_its_budget_across_processes(tmp_path):
    # Real clock, real processes: whatever the machine's load, no window of the limit's length holds more calls than
    # the budget (a slow machine only spaces the calls further).
    path = str(tmp_path / "api.calls")
    code = ("import sys, time\n"
            "from ansible_collections.flowops.flows.plugins.module_utils._http import WindowLimiter\n"
            "seen = [0.0]\n"
            "def clock():\n"
            "    seen[0] = time.time()\n"
            "    return seen[0]\n"
            "limiter = WindowLimiter(5, 0.4, sys.argv[1], margin=0, clock=clock)\n"
            "for _i in range(6):\n"
            "    limiter.acquire()\n"
            "    print('%.6f' % seen[0], flush=True)\n")   # the time the call was recorded with
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    runs = [subprocess.Popen([sys.executable, "-c", code, path], stdout=subprocess.PIPE, text=True, env=env) for _i in range(3)]
    stamps = sorted(float(line) for run in runs for line in run.communicate(timeout=120)[0].split())
    assert all(run.returncode == 0 for run in runs) and len(stamps) == 18
    # 18 calls at 5 per 0.4 s: any 6 consecutive calls span at least one window
    assert all(stamps[i + 5] - stamps[i] >= 0.4 - 1e-6 for i in range(len(stamps) - 5)), stamps


def test_window_limiter_is_bound_to_the_api_host(tmp_path):
    one = WindowLimiter(100, 60).bind("https://api.descope.com/v2/mgmt", state_dir=str(tmp_path))
    same = WindowLimiter(100, 60).bind("HTTPS://api.descope.com", state_dir=str(tmp_path))
    other = WindowLimiter(100, 60).bind("https://api.descope.com:8443", state_dir=str(tmp_path))
    assert one.path == same.path != other.path and os.path.dirname(one.path) == str(tmp_path)
    assert WindowLimiter(1, 1, path="/given").bind("https://x", state_dir=str(tmp_path)).path == "/given"
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)   # others could write made-up call times into it
    with pytest.raises(_http.DocumentError, match="needs a folder of this user that no one else can write"):
        WindowLimiter(100, 60).bind("https://api.descope.com", state_dir=str(shared))


def test_window_limiter_reports_a_call_log_it_cannot_use_as_an_error_not_a_traceback(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(_http.DocumentError, match="cannot create the folder of the rate_limit_window call log"):
        WindowLimiter(100, 60).bind("https://api.descope.com", state_dir=str(blocker / "rate"))
    limiter = WindowLimiter(100, 60).bind("https://api.descope.com", state_dir=str(tmp_path))
    os.symlink(str(tmp_path / "elsewhere"), limiter.path)   # never followed: someone could point it at any file
    with pytest.raises(_http.DocumentError, match="cannot open the rate_limit_window call log"):
        limiter.acquire()
    assert not (tmp_path / "elsewhere").exists()


def test_http_client_binds_a_window_limiter_to_its_base_url(http_server, tmp_path, monkeypatch):
    monkeypatch.setattr(_http.tempfile, "tempdir", str(tmp_path))
    client = make_client(http_server.url, rate_limit=WindowLimiter(2, 60))
    client.request("GET", "/x", safe_to_retry=True)
    assert client.rate_limit.path.startswith(str(tmp_path / ("flowops.flows-rate-%d" % os.getuid())))
    assert len(open(client.rate_limit.path, encoding="ascii").read().split()) == 1
    assert (os.stat(os.path.dirname(client.rate_limit.path)).st_mode & 0o777) == 0o700


def test_rate_limit_options():
    window = rate_limiter({"rate_limit": 1.67, "rate_limit_window": 60})
    assert isinstance(window, WindowLimiter) and (window.calls, window.window) == (100, 60)
    assert rate_limiter({"rate_limit": 100 / 60, "rate_limit_window": 60}).calls == 100
    assert isinstance(rate_limiter({"rate_limit": 1.6}), RateLimiter) and rate_limiter({}) is None
    assert check_common({"rate_limit_window": 60}) == "rate_limit_window needs rate_limit (the window holds rate_limit x rate_limit_window calls)"
    assert "at least one call" in check_common({"rate_limit": 0.5, "rate_limit_window": 1})
    assert check_common({"rate_limit": 1.67, "rate_limit_window": 60}) is None


def test_pool_size_honoured(http_server):
    http_server.set_default({"status": 200, "json": {}, "delay": 0.2})
    client = make_client(http_server.url, pool_size=3, validate_certs=False)
    adapter = client.session.get_adapter(http_server.url)
    assert adapter is client.adapter
    assert adapter._pool_maxsize == 3  # pylint: disable=protected-access
    assert adapter.poolmanager.connection_pool_kw["maxsize"] == 3
    assert client.session.verify is False
    threads = [threading.Thread(target=lambda: [client.request("GET", "/x", safe_to_retry=True) for _i in range(3)]) for _i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(http_server.requests) == 9
    assert len({r["client_port"] for r in http_server.requests}) <= 3  # connections reused from the pool
    pool = adapter.poolmanager.connection_from_url(http_server.url)
    assert pool.pool.maxsize == 3


def test_defaults_and_user_agent(http_server):
    client = make_client(http_server.url)
    assert client.session.verify is True
    client.request("GET", "x", safe_to_retry=True)
    req = http_server.requests[0]
    assert req["path"] == "/x"
    assert req["headers"]["User-Agent"] == "flowops.flows"
    client.close()


def test_error_parser_failure_does_not_hide_the_error(http_server):
    def broken(resp):
        raise RuntimeError("parser bug")

    http_server.script({"status": 418, "body": "teapot"})
    client = make_client(http_server.url, error_parser=broken)
    with pytest.raises(ApiError) as info:
        client.request("GET", "/x", safe_to_retry=True)
    assert info.value.status == 418 and info.value.message == "teapot"


def test_parsers_accept_odd_bodies():
    class Resp:  # pylint: disable=too-few-public-methods
        def __init__(self, content):
            self.content = content
            self.encoding = "utf-8"
            self.headers = {}

    for parser in (parse_descope_error, parse_pingone_error, parse_koreai_error):
        for content in (b"", b"[]", b"null", b"\xff\xfe", b'{"errors": []}', b'{"errors": "x"}', b'{"details": 5, "code": 1}'):
            code, message, request_id = parser(Resp(content))
            assert code is None or isinstance(code, str)
            assert message is None or isinstance(message, str)
            assert request_id is None


def test_document_loads_used_for_responses():
    assert loads(b'{"a": 1e-50}')["a"].text == "1e-50"


def test_module_imports_without_requests():
    """The sanity ``import`` test imports module_utils without third-party libraries."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('requests', 'urllib3'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from ansible_collections.flowops.flows.plugins.module_utils import _http\n"
        "assert _http.HAS_REQUESTS is False\n"
        "assert 'ImportError' in _http.REQUESTS_IMPORT_ERROR\n"
        "print(_http.ApiError('descope', None, message='m'))\n"
        "try:\n"
        "    _http.HttpClient('descope', 'http://x')\n"
        "except RuntimeError as exc:\n"
        "    print('refused:', exc)\n"
    )
    # <root>/ansible_collections/flowops/flows/plugins/module_utils/_http.py -> <root>
    root = os.path.abspath(_http.__file__)
    for _level in range(6):
        root = os.path.dirname(root)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root] + [p for p in sys.path if p]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stderr
    assert "descope API error: no HTTP response: m" in out.stdout
    assert "refused: the Python library 'requests' is required" in out.stdout


def test_module_source_rules():
    """No assert statements, no runtime PEP 604 unions, the header the collection requires."""
    for mod in (_http,):
        with open(mod.__file__, encoding="utf-8") as handle:
            source = handle.read()
        assert source.startswith("# -*- coding: utf-8 -*-\n")
        assert "private to this collection" in source
        assert "\n    assert " not in source and "\nassert " not in source
