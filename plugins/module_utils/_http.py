# -*- coding: utf-8 -*-
# Copyright (c) 2025, flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""HTTP client shared by every provider client of this collection.

This module is private to this collection: its API may change without notice.

One ``requests.Session`` per client (connection pool sized to the module's ``parallel``),
TLS verification, per-call timeouts, an optional rate limit (a token bucket, or a call window shared by
every module run on the machine: ``WindowLimiter``), bounded retries
driven by a urllib3 ``Retry`` object per call, error parsing into ``ApiError`` (each provider
file passes its own ``error_parser``; ``parse_generic_error`` is the fallback), and redaction
of every secret from messages.

Retry policy (per call, ``retries`` = retries after the first attempt):

- ``safe_to_retry=True`` (reads, exports, idempotent writes): retry on the statuses in
  ``retry_statuses`` (408, 429, 500, 502, 503, 504, 520-530), on connection failures and
  on timeouts/dropped connections.
- ``safe_to_retry=False`` (create-new style writes): never resend once the request may
  have reached the server. Only connection failures where nothing was sent (refused,
  DNS, connect timeout) and statuses in ``unsafe_retry_statuses`` (default: 429 only,
  because a 429 means the server rejected the call without processing it) are retried;
  never 5xx, read timeouts or dropped connections.
- A ``Retry-After`` header (seconds or HTTP-date) is honoured, capped at
  ``retry_after_max``, and also pauses every other call of the same client; otherwise
  urllib3's exponential backoff (``backoff_factor * 2 ** (n - 1)``, capped at
  ``backoff_max``) plus uniform jitter in ``[0, backoff_jitter)`` (urllib3 makes the first
  retry immediate; we still add the jitter there).
- A 401 calls ``reauth(client, generation)`` once per call when given (``generation`` is the
  client's ``auth_generation`` when the rejected call was sent, so a caller can tell "another call
  already renewed the credential" from "renew it now" without a time window); if it returns true the
  call is resent once (a 401 was not processed, so this is safe for any call).
- Lost answers: an ``ApiError`` of a write (any method but GET/HEAD/OPTIONS) whose request may have
  been processed although no usable answer arrived (no HTTP response, connection reset or closed,
  truncated or invalid body) has ``outcome_unknown = True``: the caller must re-read the target to
  learn whether the write landed, and never blindly re-send a write that creates something.
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import re
import stat
import tempfile
import threading
import time
import traceback
from urllib.parse import quote, quote_plus, urlsplit

from ansible_collections.flowops.flows.plugins.module_utils._document import (
    DocumentError,
    dumps_compact,
    loads,
)

try:
    import requests
    import requests.exceptions
    from requests.adapters import HTTPAdapter
    from requests.structures import CaseInsensitiveDict
    from urllib3.exceptions import ConnectTimeoutError, InvalidHeader as _Urllib3InvalidHeader, MaxRetryError, ReadTimeoutError
    from urllib3.util.retry import Retry
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    requests = None
    HTTPAdapter = object
    Retry = None
    CaseInsensitiveDict = dict
    ConnectTimeoutError = ReadTimeoutError = MaxRetryError = _Urllib3InvalidHeader = Exception
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

__all__ = [
    "HAS_REQUESTS",
    "REQUESTS_IMPORT_ERROR",
    "ApiError",
    "RateLimiter",
    "WindowLimiter",
    "HttpClient",
    "parse_generic_error",
    "error_parser",
    "text_or_none",
    "DEFAULT_RETRY_STATUSES",
    "DEFAULT_UNSAFE_RETRY_STATUSES",
]

DEFAULT_RETRY_STATUSES = frozenset([408, 429, 500, 502, 503, 504] + list(range(520, 531)))
DEFAULT_UNSAFE_RETRY_STATUSES = frozenset([429])
SNIPPET_MAX = 300
REDACTED = "********"
# Header names whose values are credentials: never sent to another origin, always scrubbed.
READ_METHODS = frozenset(["GET", "HEAD", "OPTIONS"])
SENSITIVE_HEADERS = frozenset(["authorization", "proxy-authorization", "x-api-key", "api-key", "apikey", "x-auth-token", "cookie", "auth"])
REQUEST_ID_HEADERS = ("Correlation-Id", "X-Correlation-Id", "X-Request-Id", "Request-Id", "X-Amzn-Requestid", "Cf-Ray")


# ---------------------------------------------------------------------------
# errors


class ApiError(Exception):
    """An HTTP call failed.

    ``status`` is the HTTP status, or ``None`` when no response arrived (connection error,
    timeout). ``url`` is the request path only (no scheme, host, query or fragment). The
    message, code and request id are already scrubbed of secrets by the client.
    """

    def __init__(self, provider, status, code=None, message=None, request_id=None, method=None, url=None, retryable=False, attempts=None,
                 outcome_unknown=False):
        self.provider = provider
        self.outcome_unknown = bool(outcome_unknown)  # a write that may have landed although its answer was lost
        self.status = status
        self.code = None if code is None else str(code)
        self.message = message
        self.request_id = None if request_id is None else str(request_id)
        self.method = method
        self.url = _path_only(url) if url else None
        self.retryable = bool(retryable)
        self.attempts = attempts
        super().__init__(str(self))

    def __str__(self):
        text = "%s API error: " % self.provider
        text += ("HTTP %s" % self.status) if self.status is not None else "no HTTP response"
        if self.code:
            text += " %s" % self.code
        if self.message:
            text += ": %s" % self.message
        context = []
        if self.method or self.url:
            context.append(" ".join(x for x in (self.method, self.url) if x))
        if self.request_id:
            context.append("request id %s" % self.request_id)
        if self.attempts and self.attempts > 1:
            context.append("%d attempts" % self.attempts)
        if context:
            text += " (%s)" % ", ".join(context)
        return text

    def to_dict(self):
        """JSON-able description for ``fail_json(error=...)``."""
        return {
            "provider": self.provider,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "request_id": self.request_id,
            "method": self.method,
            "url": self.url,
            "retryable": self.retryable,
            "attempts": self.attempts,
            "outcome_unknown": self.outcome_unknown,
        }


def _path_only(url):
    """``/path`` of a URL or path: no scheme, host, credentials, query or fragment."""
    try:
        path = urlsplit(str(url)).path
    except ValueError:
        path = str(url).split("?", 1)[0].split("#", 1)[0]
    return path or "/"


def json_body(resp):
    """The parsed JSON body of an error response, or None when it is not JSON."""
    try:
        body = loads(resp.content or b"", source="response")
    except DocumentError:
        return None
    return body


def _snippet(resp):
    """A short, single-line snippet of a non-JSON body (the client scrubs secrets from it)."""
    try:
        text = resp.content.decode(resp.encoding or "utf-8", "replace")
    except (LookupError, AttributeError, TypeError):
        return None
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title:
        text = title.group(1)
    text = " ".join(text.split())
    if not text:
        return None
    if len(text) > SNIPPET_MAX:
        text = text[:SNIPPET_MAX] + "..."
    return text


def header_request_id(resp):
    """The request id from the usual response headers, or None."""
    for name in REQUEST_ID_HEADERS:
        value = resp.headers.get(name)
        if value:
            return value
    return None


def text_or_none(value):
    """``value`` as text, or None when it is None or empty."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def parse_generic_error(resp):
    """Best effort for an unknown error body: ``message``/``error``/``detail``, else a text snippet."""
    body = json_body(resp)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code = text_or_none(error.get("code"))
            message = text_or_none(error.get("message"))
        else:
            code = text_or_none(body.get("code") or error)
            message = text_or_none(body.get("message") or body.get("error_description") or body.get("detail") or body.get("msg"))
        if message or code:
            return code, message, text_or_none(body.get("requestId") or body.get("request_id")) or header_request_id(resp)
    return None, _snippet(resp), header_request_id(resp)


def error_parser(parse_body):
    """Make an ``HttpClient`` error parser from ``parse_body(body) -> (code, message, request_id)`` or None.

    ``parse_body`` gets the JSON error body when it is an object and recognises its provider's shape; when it
    returns None (or the body is not a JSON object) the generic parser answers. A missing request id is taken
    from the response headers.
    """
    def parse(resp):
        body = json_body(resp)
        parts = parse_body(body) if isinstance(body, dict) else None
        if parts is None:
            return parse_generic_error(resp)
        code, message, request_id = parts
        return code, message, request_id or header_request_id(resp)
    parse.__doc__ = parse_body.__doc__
    parse.__name__ = parse_body.__name__
    return parse


# ---------------------------------------------------------------------------
# rate limit


class RateLimiter:
    """Thread-safe token bucket: ``rate`` requests per second, bursts of up to ``burst``.

    ``acquire()`` reserves a token and sleeps just long enough for it (callers queue
    fairly: each waiter reserves its slot before sleeping). Returns the time waited.
    """

    def __init__(self, rate, burst=1, clock=None, sleep=None):
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.rate = float(rate)
        self.burst = max(1.0, float(burst))
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._last = self._clock()

    def acquire(self):
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait > 0:
            self._sleep(wait)
        return wait


class WindowLimiter:
    """At most ``calls`` API calls in any ``window`` seconds, counted across processes.

    The times of the calls still in the window are kept in a small file (``path``), read and
    rewritten under an exclusive ``flock`` at each call, so every module run of a play that calls
    the same API host shares one budget: a burst may use the whole window, and the next task knows
    what the last one spent. A call that would exceed the budget sleeps until the oldest call
    leaves the window, plus ``margin`` seconds for the time a call takes to reach the server.
    Safe against a server counting fixed windows, sliding windows, per project or per client
    address. ``acquire()`` returns the time waited.
    """

    def __init__(self, calls, window, path=None, margin=None, clock=None, sleep=None):
        if calls < 1 or window <= 0:
            raise ValueError("calls must be >= 1 and window > 0")
        self.calls = int(calls)
        self.window = float(window)
        self.path = path
        self.margin = min(1.0, 0.02 * self.window) if margin is None else float(margin)
        self._clock = clock or time.time   # wall clock: shared by every process
        self._sleep = sleep or time.sleep
        self._lock = threading.Lock()

    def bind(self, base_url, state_dir=None):
        """Count the calls to the API host of ``base_url`` (scheme, host and port), unless a ``path`` was given: the
        log is in ``state_dir`` (default: ``flowops.flows-rate-<uid>`` in the system's temporary folder, mode 0700).
        The first client bound fixes it; a module whose clients call two hosts counts them together."""
        if self.path is None:
            if state_dir is None:
                state_dir = os.path.join(tempfile.gettempdir(), "flowops.flows-rate-%s" % os.getuid())
            try:
                os.makedirs(state_dir, mode=0o700, exist_ok=True)
                info = os.lstat(state_dir)
            except OSError as exc:
                raise DocumentError("%s: cannot create the folder of the rate_limit_window call log: %s (point TMPDIR elsewhere)"
                                    % (state_dir, exc.strerror or exc)) from None
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
                # another user could stall every call with made-up times: refuse to share its folder
                raise DocumentError("%s: the rate_limit_window call log needs a folder of this user that no one else can "
                                    "write (remove it, or point TMPDIR elsewhere)" % state_dir)
            parts = urlsplit(str(base_url))
            key = hashlib.sha256(("%s://%s" % (parts.scheme, parts.netloc)).lower().encode("utf-8")).hexdigest()[:24]
            self.path = os.path.join(state_dir, key + ".calls")
        return self

    def _reserve(self):
        """Record a call now and return 0, or return how long to wait (nothing recorded)."""
        import fcntl  # pylint: disable=import-outside-toplevel  # POSIX only, like the controller

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError as exc:   # a symlink in its place (ELOOP), a folder, no permission: nothing was sent
            raise DocumentError("%s: cannot open the rate_limit_window call log: %s" % (self.path, exc.strerror or exc)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with os.fdopen(os.dup(fd), "r+", encoding="ascii") as handle:
                now = self._clock()
                times = []
                for line in handle.read().split():
                    try:
                        stamp = float(line)
                    except ValueError:
                        continue   # a torn line of a killed process: ignore it
                    if now - self.window < stamp <= now + self.window:
                        times.append(stamp)
                times.sort()
                if len(times) >= self.calls:
                    return max(0.001, times[-self.calls] + self.window + self.margin - now)
                times.append(now)
                handle.seek(0)
                handle.truncate()
                handle.write("".join("%.6f\n" % stamp for stamp in times))
                return 0.0
        finally:
            os.close(fd)   # releases the lock

    def acquire(self):
        waited = 0.0
        while True:
            with self._lock:
                wait = self._reserve()
            if wait <= 0:
                return waited
            self._sleep(wait)
            waited += wait


# ---------------------------------------------------------------------------
# client


def _classify(exc):
    """``"connect"`` (nothing was sent), ``"read"`` (the request may have reached the server) or ``None`` (do not retry)."""
    if isinstance(exc, requests.exceptions.SSLError):
        return None
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect"
    if isinstance(exc, (requests.exceptions.ReadTimeout, requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return "read"
    if isinstance(exc, requests.exceptions.ConnectionError):
        inner = exc.args[0] if exc.args else None
        if isinstance(inner, MaxRetryError):
            reason = inner.reason
            reason = getattr(reason, "original_error", reason)  # urllib3 ProxyError
            if isinstance(reason, ConnectTimeoutError):  # includes NewConnectionError, NameResolutionError
                return "connect"
        return "read"
    return None


def _describe_exception(exc, timeout):
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timeout after %s s" % (timeout,)
    if isinstance(exc, requests.exceptions.ReadTimeout) or (
        isinstance(exc, requests.exceptions.ConnectionError) and exc.args and isinstance(exc.args[0], ReadTimeoutError)
    ):
        return "read timeout after %s s" % (timeout,)
    if isinstance(exc, requests.exceptions.SSLError):
        kind = "TLS error"
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
        kind = "response body incomplete"
    elif isinstance(exc, requests.exceptions.ConnectionError):
        kind = "connection failed"
    else:
        kind = type(exc).__name__
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, MaxRetryError) and inner.reason is not None:
        inner = inner.reason
    detail = str(inner) if inner is not None else ""
    # urllib3 texts carry the request URL ("... with url: /x?token=..."): keep neither.
    detail = re.sub(r"\s*with url:\s*\S+", "", detail)
    detail = re.sub(r"https?://\S+", "<url>", detail)
    detail = re.sub(r"\?\S*", "", detail)
    detail = re.sub(r"<urllib3\.[^>]*>:?\s*", "", detail)
    detail = " ".join(detail.split())[:SNIPPET_MAX]
    return "%s: %s" % (kind, detail) if detail else kind


class HttpClient:
    """A ``requests`` session for one provider endpoint.

    ``path_or_url`` of ``request()`` is a path under ``base_url`` or an absolute URL (HAL
    links, signed download URLs). Credential headers (``Authorization``, ``x-api-key`` ...)
    and ``auth`` are only sent to ``base_url``'s origin, never to another host.
    """

    def __init__(self, provider, base_url, *, headers=None, auth=None, timeout=30, validate_certs=True,
                 retries=3, backoff_factor=0.5, backoff_jitter=0.25, backoff_max=30, retry_after_max=30, pool_size=4,
                 rate_limit=None, error_parser=None, secrets=(), on_retry=None, user_agent="flowops.flows",
                 retry_statuses=DEFAULT_RETRY_STATUSES, unsafe_retry_statuses=DEFAULT_UNSAFE_RETRY_STATUSES, reauth=None):
        if not HAS_REQUESTS:
            raise RuntimeError("the Python library 'requests' is required (check HAS_REQUESTS before creating an HttpClient)")
        self.provider = provider
        self.base_url = str(base_url).rstrip("/")
        self._origin = self._origin_of(self.base_url)
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff_factor = backoff_factor
        self.backoff_jitter = backoff_jitter
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.retry_statuses = frozenset(retry_statuses)
        self.unsafe_retry_statuses = frozenset(unsafe_retry_statuses)
        self.rate_limit = rate_limit.bind(self.base_url) if isinstance(rate_limit, WindowLimiter) else rate_limit
        self.error_parser = error_parser or parse_generic_error
        self.on_retry = on_retry
        self.reauth = reauth
        self.auth_generation = 0   # bumped by set_bearer_token / set_auth: which credential a call was sent with
        self.pool_size = max(1, int(pool_size))
        self._sleep = time.sleep
        self._clock = time.monotonic
        self._lock = threading.Lock()
        self._secrets = set()
        self._paused_until = 0.0
        self._auth = auth
        self._headers = CaseInsensitiveDict()

        self.session = requests.Session()
        self.session.verify = validate_certs
        self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept"] = "application/json"
        adapter = HTTPAdapter(pool_connections=self.pool_size, pool_maxsize=self.pool_size, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.adapter = adapter

        for secret in secrets or ():
            self.add_secret(secret)
        for name, value in (headers or {}).items():
            self.set_header(name, value)
        if auth is not None:
            self._add_auth_secrets(auth)

    # -- configuration -----------------------------------------------------

    @staticmethod
    def _origin_of(url):
        parts = urlsplit(url)
        return (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)

    def add_secret(self, value):
        """Scrub ``value`` (and its URL-encoded form) from every message from now on."""
        if value is None:
            return
        value = str(value)
        if not value:
            return
        with self._lock:
            self._secrets.add(value)
            for encoded in (quote(value, safe=""), quote_plus(value, safe="")):
                if encoded != value:
                    self._secrets.add(encoded)

    def _add_credential(self, value):
        """A credential header value: scrub it, its token and (for ``a:b`` tokens) each part."""
        if not value:
            return
        value = str(value)
        self.add_secret(value)
        scheme, _sep, token = value.partition(" ")
        if token and scheme.isalpha():
            self.add_secret(token.strip())
            if scheme.lower() == "basic":
                try:
                    decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    decoded = None
                if decoded:
                    self.add_secret(decoded)
                    token = decoded
        for part in token.split(":") if token else value.split(":"):
            if len(part.strip()) >= 6:
                self.add_secret(part.strip())

    def _add_auth_secrets(self, auth):
        if isinstance(auth, (tuple, list)):
            for item in auth:
                self.add_secret(item)
        for attr in ("username", "password", "token"):
            value = getattr(auth, attr, None)
            if isinstance(value, (str, bytes)):
                self.add_secret(value.decode("utf-8", "replace") if isinstance(value, bytes) else value)

    def set_header(self, name, value):
        """Set (or with ``None`` remove) a header sent on every call; credential headers are scrubbed."""
        with self._lock:
            if value is None:
                self._headers.pop(name, None)
                return
            self._headers[name] = value
        if name.lower() in SENSITIVE_HEADERS:
            self._add_credential(value)

    def set_bearer_token(self, token):
        """Replace the ``Authorization: Bearer`` token (e.g. after a re-auth); the old one stays scrubbed."""
        self.add_secret(token)
        self.set_header("Authorization", "Bearer %s" % token)
        with self._lock:
            self.auth_generation += 1

    def set_auth(self, auth):
        """Replace the ``requests`` auth object (or tuple) used for calls to ``base_url``."""
        if auth is not None:
            self._add_auth_secrets(auth)
        with self._lock:
            self._auth = auth
            self.auth_generation += 1

    def scrub(self, text):
        """``text`` with every known secret replaced by ``********``."""
        if text is None:
            return None
        text = str(text)
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- requests ----------------------------------------------------------

    def url_for(self, path_or_url):
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", path_or_url):
            return path_or_url
        return self.base_url + "/" + path_or_url.lstrip("/")

    def _new_retry(self, safe_to_retry):
        return Retry(
            total=self.retries,
            connect=self.retries,
            read=self.retries if safe_to_retry else 0,
            status=self.retries,
            other=0,
            redirect=0,
            allowed_methods=None,
            status_forcelist=self.retry_statuses if safe_to_retry else self.unsafe_retry_statuses,
            backoff_factor=self.backoff_factor,
            backoff_jitter=self.backoff_jitter,
            backoff_max=self.backoff_max,
            retry_after_max=self.retry_after_max,
            raise_on_status=False,
            respect_retry_after_header=True,
        )

    def _delay(self, retry, resp):
        """Seconds to wait before the next attempt, and whether they come from Retry-After."""
        if resp is not None:
            value = resp.headers.get("Retry-After")
            if value:
                try:
                    return float(retry.parse_retry_after(value.strip())), True
                except _Urllib3InvalidHeader:
                    pass  # unparsable: fall back to the backoff
        delay = retry.get_backoff_time()
        if delay <= 0 and self.backoff_jitter:
            # urllib3 makes the first retry immediate; jitter it so parallel workers do not retry in lockstep.
            delay = random.random() * self.backoff_jitter  # nosec - not cryptographic
        return float(delay), False

    def _wait_for_pause(self):
        with self._lock:
            wait = self._paused_until - self._clock()
        if wait > 0:
            self._sleep(wait)

    def _pause(self, seconds):
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _request_headers(self, url, headers, has_body):
        """Per-call headers merged over the client's; credentials dropped for another origin."""
        merged = CaseInsensitiveDict()
        with self._lock:
            merged.update(self._headers)
        if has_body == "json" and "Content-Type" not in merged:
            merged["Content-Type"] = "application/json"
        for name, value in (headers or {}).items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
                if name.lower() in SENSITIVE_HEADERS:
                    self._add_credential(value)
        same_origin = self._origin_of(url) == self._origin
        if not same_origin:
            for name in list(merged.keys()):
                if name.lower() in SENSITIVE_HEADERS:
                    del merged[name]
            # requests drops a session header whose per-request value is None
            for name in self.session.headers:
                if name.lower() in SENSITIVE_HEADERS:
                    merged[name] = None
        return merged, same_origin

    @staticmethod
    def _buffer_files(files):
        """Read file objects into bytes once, so that a retry resends the same content."""
        if not files:
            return files
        items = files.items() if isinstance(files, dict) else files
        out = []
        for field, value in items:
            if isinstance(value, tuple):
                value = list(value)
                if len(value) > 1 and hasattr(value[1], "read"):
                    value[1] = value[1].read()
                value = tuple(value)
            elif hasattr(value, "read"):
                name = getattr(value, "name", None)
                content = value.read()
                value = (str(name).rsplit("/", 1)[-1], content) if isinstance(name, str) else content
            out.append((field, value))
        return out

    def request(self, method, path_or_url, *, safe_to_retry, json=None, data=None, files=None, params=None, headers=None,
                expected=(200, 201, 202, 204), timeout=None):
        """Send one call with the retry policy; return the ``requests.Response`` if its status is in ``expected``.

        Raises ``ApiError`` for any other status (after retries) and for connection
        errors/timeouts (``status=None``). ``json`` bodies keep ``JsonNumber`` literals.
        """
        method = method.upper()
        url = self.url_for(path_or_url)
        path = _path_only(url)
        timeout = self.timeout if timeout is None else timeout
        body_kind = None
        if json is not None:
            data = dumps_compact(json).encode("utf-8")
            body_kind = "json"
        elif hasattr(data, "read"):
            data = data.read()
        files = self._buffer_files(files)
        expected = frozenset(expected)
        retry = self._new_retry(safe_to_retry)
        attempts = 0
        reauthed = False

        while True:
            attempts += 1
            self._wait_for_pause()
            if self.rate_limit is not None:
                self.rate_limit.acquire()
            generation = self.auth_generation
            call_headers, same_origin = self._request_headers(url, headers, body_kind)
            resp = None
            try:
                resp = self.session.request(
                    method, url, params=params, data=data, files=files, headers=call_headers,
                    auth=self._auth if same_origin else None, timeout=timeout, allow_redirects=True,
                )
            except requests.exceptions.RequestException as exc:
                kind = _classify(exc)
                reason = self.scrub(_describe_exception(exc, timeout))
                if kind is None:
                    raise ApiError(self.provider, None, message=reason, method=method, url=path, retryable=False, attempts=attempts) from None
                error = ConnectTimeoutError(reason) if kind == "connect" else ReadTimeoutError(None, path, reason)
                try:
                    retry = retry.increment(method, path, error=error)
                except MaxRetryError:  # out of retries (for an unsafe call: read=0, so at once)
                    raise ApiError(self.provider, None, message=reason, method=method, url=path,
                                   retryable=(kind == "connect" or safe_to_retry), attempts=attempts,
                                   outcome_unknown=(kind == "read" and method not in READ_METHODS)) from None
                delay, _from_header = self._delay(retry, None)
                self._notify("%s on %s %s" % (reason, method, path), retry, delay)
                self._sleep(delay)
                continue

            status = resp.status_code
            if status in expected:
                return resp

            if status == 401 and self.reauth is not None and not reauthed:
                reauthed = True
                if self.reauth(self, generation):
                    attempts -= 1  # the re-sent call is the same attempt, not a retry
                    continue

            has_retry_after = bool(resp.headers.get("Retry-After"))
            if retry.is_retry(method, status, has_retry_after) and (safe_to_retry or status in self.unsafe_retry_statuses):
                try:
                    retry = retry.increment(method, path, response=resp.raw)
                except MaxRetryError:
                    raise self._api_error(resp, method, path, True, attempts) from None
                delay, from_header = self._delay(retry, resp)
                self._notify("HTTP %d on %s %s" % (status, method, path), retry, delay)
                resp.close()
                if from_header and status == 429:
                    # the server asked every caller to slow down: pause the whole client (waited at the loop top)
                    self._pause(delay)
                else:
                    self._sleep(delay)
                continue

            raise self._api_error(resp, method, path, status in self.retry_statuses, attempts)

    def _notify(self, what, retry, delay):
        if self.on_retry is None:
            return
        used = len(retry.history)
        self.on_retry(self.scrub("%s: %s; retry %d/%d in %.1f s" % (self.provider, what, used, self.retries, delay)))

    def _api_error(self, resp, method, path, retryable, attempts):
        try:
            code, message, request_id = self.error_parser(resp)
        except Exception:  # pylint: disable=broad-exception-caught
            # A parser must never hide the HTTP error itself.
            code, message, request_id = None, _snippet(resp), header_request_id(resp)
        if not message and not code:
            message = resp.reason or None
        return ApiError(self.provider, resp.status_code, code=self.scrub(code), message=self.scrub(message),
                        request_id=self.scrub(request_id), method=method, url=path, retryable=retryable, attempts=attempts)

    def json(self, method, path, *, safe_to_retry, **kwargs):
        """``request()`` and parse the JSON body (``{}`` when empty), keeping number literals.

        An invalid JSON body raises ``ApiError`` (code ``invalid_json``).
        """
        resp = self.request(method, path, safe_to_retry=safe_to_retry, **kwargs)
        content = resp.content or b""
        if not content.strip():
            return {}
        try:
            return loads(content, source="response body")
        except DocumentError as exc:
            raise ApiError(self.provider, resp.status_code, code="invalid_json", message=self.scrub(str(exc)),
                           request_id=header_request_id(resp), method=method.upper(), url=_path_only(self.url_for(path)),
                           retryable=False, outcome_unknown=method.upper() not in READ_METHODS) from None
