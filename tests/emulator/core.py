"""Core of the flowops provider emulator: shared state, control API and request pipeline.

One Starlette application serves every registered provider on one port. A pure ASGI
middleware (:class:`EmulatorMiddleware`) runs each provider request through
latency -> per-tenant rate limit -> fault rules -> provider route, and logs it.
The control API lives under ``/_emulator/`` and only answers loopback clients.
"""
from __future__ import annotations

import asyncio
import collections
import importlib
import importlib.util
import ipaddress
import json
import logging
import math
import random
import re
import socket
import struct
import time
import typing as t
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

LOG = logging.getLogger("emulator")

# Provider name -> (module, class). A provider whose module does not exist yet is skipped.
PROVIDER_CLASSES: dict[str, tuple[str, str]] = {
    "descope": ("emulator.descope", "DescopeProvider"),
    "davinci": ("emulator.davinci", "DaVinciProvider"),
    "koreai": ("emulator.koreai", "KoreAIProvider"),
}
ALL_PROVIDERS: tuple[str, ...] = tuple(PROVIDER_CLASSES)

# Published per-tenant limits the emulator applies unless told otherwise: (requests, per_seconds).
DEFAULT_RATE_LIMITS: dict[str, tuple[int, float] | None] = {
    "descope": (100, 60.0),
    "koreai": (60, 60.0),
    "davinci": None,
}

TRANSPORT_SCOPE_KEY = "flowops.transport"
# Set on the ASGI scope when a "mark" fault fires: the request then runs normally and the provider reads the action.
FAULT_SCOPE_KEY = "flowops.fault"
# Faults the core applies itself, and faults it hands to the provider (a provider lists the ones it understands in
# its ``scope_faults`` attribute: DaVinci ``expire_token``, Kore.ai ``job_fail``/``job_stuck``).
CORE_FAULT_TYPES = ("respond", "reset", "stall", "truncate")
MARK_FAULT_TYPES = ("expire_token", "job_fail", "job_stuck")
FAULT_TYPES = CORE_FAULT_TYPES + MARK_FAULT_TYPES
REQUEST_LOG_MAX = 200_000

Scope = t.MutableMapping[str, t.Any]
Message = t.MutableMapping[str, t.Any]
Receive = t.Callable[[], t.Awaitable[Message]]
Send = t.Callable[[Message], t.Awaitable[None]]
ASGIApp = t.Callable[[Scope, Receive, Send], t.Awaitable[None]]


# ---------------------------------------------------------------------------------------------------
# JSON that keeps number literals as the client sent them (``1e-50`` stays ``1e-50``, ``1.0`` stays ``1.0``)
# ---------------------------------------------------------------------------------------------------
class RawFloat(float):
    """A float that remembers its JSON literal, so serialising it gives back exactly what was parsed."""

    __slots__ = ("raw",)
    raw: str

    def __new__(cls, raw: str) -> "RawFloat":
        obj = super().__new__(cls, raw)
        obj.raw = raw
        return obj

    def __reduce__(self) -> tuple:
        return (RawFloat, (self.raw,))

    def __copy__(self) -> "RawFloat":
        return self

    def __deepcopy__(self, memo: dict) -> "RawFloat":
        return self


def _reject_constant(name: str) -> t.NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def loads(text: str | bytes) -> t.Any:
    """Parse strict JSON (no NaN/Infinity), keeping float literals verbatim as :class:`RawFloat`. Raises ValueError."""
    return json.loads(text, parse_float=RawFloat, parse_constant=_reject_constant)


_encode_str = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


def _emit(obj: t.Any, out: list[str]) -> None:
    if isinstance(obj, str):
        out.append(_encode_str(obj))
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, RawFloat):
        out.append(obj.raw)
    elif isinstance(obj, (int, float)):
        out.append(json.dumps(obj))
    elif isinstance(obj, dict):
        out.append("{")
        first = True
        for key, value in obj.items():
            if not first:
                out.append(",")
            first = False
            out.append(_encode_str(str(key)))
            out.append(":")
            _emit(value, out)
        out.append("}")
    elif isinstance(obj, (list, tuple)):
        out.append("[")
        for index, value in enumerate(obj):
            if index:
                out.append(",")
            _emit(value, out)
        out.append("]")
    else:
        raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(obj: t.Any) -> str:
    """Compact JSON that writes :class:`RawFloat` values with their original literal and keeps key and list order."""
    out: list[str] = []
    _emit(obj, out)
    return "".join(out)


class RawJSONResponse(Response):
    """JSON response rendered with :func:`dumps` (number literals preserved)."""

    media_type = "application/json"

    def render(self, content: t.Any) -> bytes:
        return dumps(content).encode("utf-8")


class Provider(t.Protocol):
    """The interface every provider module implements (see CONTRACT.md)."""

    name: str

    def routes(self) -> list[BaseRoute]: ...
    def owns(self, path: str) -> bool: ...
    def tenant_of(self, request: Request) -> str | None: ...
    def is_write(self, method: str, path: str) -> bool: ...
    def error_response(self, status: int, message: str, retry_after: str | None = None) -> Response: ...
    def seed(self, data: dict) -> None: ...
    def snapshot(self) -> dict: ...
    def reset(self) -> None: ...


class ControlError(Exception):
    """A bad control API request (answered with 400 and a plain JSON error)."""


def available_providers() -> tuple[str, ...]:
    """Names of the providers whose module is importable right now."""
    return tuple(name for name, (mod, _cls) in PROVIDER_CLASSES.items() if importlib.util.find_spec(mod) is not None)


@dataclass
class Latency:
    fixed_ms: float = 0.0
    jitter_ms: float = 0.0

    def delay(self) -> float:
        extra = random.uniform(0.0, self.jitter_ms) if self.jitter_ms > 0 else 0.0
        return (self.fixed_ms + extra) / 1000.0


@dataclass
class RateLimit:
    """Fixed window per tenant, measured on the emulator clock (advancing the clock opens a new window)."""

    requests: int
    per_seconds: float
    windows: dict[str | None, tuple[float, int]] = field(default_factory=dict)

    def hit(self, tenant: str | None, now: float) -> float | None:
        """Count one request; return None if allowed, else the seconds until the window reopens."""
        start, count = self.windows.get(tenant, (now, 0))
        if now - start >= self.per_seconds:
            start, count = now, 0
        if count >= self.requests:
            return max(start + self.per_seconds - now, 0.0)
        self.windows[tenant] = (start, count + 1)
        return None


@dataclass
class FaultRule:
    id: int
    path: str
    action: dict
    provider: str | None = None
    tenant: str | None = None
    method: str | None = None
    nth: int | None = None
    every: bool = False
    probability: float | None = None
    times: int | None = None
    content_type: str | None = None
    body: str | None = None
    matched: int = 0
    fired: int = 0
    pattern: re.Pattern = field(init=False, repr=False)
    content_type_pattern: re.Pattern | None = field(init=False, repr=False)
    body_pattern: re.Pattern | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.pattern = re.compile(self.path)
        self.content_type_pattern = re.compile(self.content_type, re.IGNORECASE) if self.content_type is not None else None
        self.body_pattern = re.compile(self.body) if self.body is not None else None

    def matches(self, provider: str, tenant: str | None, method: str, path: str, content_type: str = "", body: str = "") -> bool:
        if self.provider is not None and self.provider != provider:
            return False
        if self.tenant is not None and self.tenant != tenant:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.content_type_pattern is not None and self.content_type_pattern.search(content_type) is None:
            return False
        if self.body_pattern is not None and self.body_pattern.search(body) is None:
            return False
        return self.pattern.search(path) is not None

    def should_fire(self) -> bool:
        """Called for a matching request: count it and decide whether the fault fires."""
        self.matched += 1
        if self.times is not None and self.fired >= self.times:
            return False
        if self.nth is not None:
            hit = self.matched % self.nth == 0 if self.every else self.matched == self.nth
            if not hit:
                return False
        if self.probability is not None and random.random() >= self.probability:
            return False
        self.fired += 1
        return True

    def to_dict(self) -> dict:
        return {
            "id": self.id, "provider": self.provider, "tenant": self.tenant, "method": self.method, "path": self.path,
            "nth": self.nth, "every": self.every, "probability": self.probability, "times": self.times,
            "content_type": self.content_type, "body": self.body,
            "action": self.action, "matched": self.matched, "fired": self.fired,
        }


class Emulator:
    """Shared state of one emulator instance."""

    def __init__(self, providers: t.Iterable[str] | None = None, base_url: str = "http://127.0.0.1:0") -> None:
        self.base_url = base_url
        self.clock_offset = 0.0
        self.providers: dict[str, Provider] = {}
        names = available_providers() if providers is None else tuple(providers)
        for name in names:
            if name not in PROVIDER_CLASSES:
                raise ValueError(f"unknown provider {name!r}; known: {', '.join(ALL_PROVIDERS)}")
            module_name, class_name = PROVIDER_CLASSES[name]
            if importlib.util.find_spec(module_name) is None:
                LOG.warning("provider %s is not available (no module %s); skipped", name, module_name)
                continue
            cls = getattr(importlib.import_module(module_name), class_name)
            self.providers[name] = cls(self)
        self.latency: dict[str, Latency] = {}
        self.rate_limits: dict[str, RateLimit | None] = {}
        self.faults: dict[int, FaultRule] = {}
        self._fault_seq = 0
        self.request_log: collections.deque[dict] = collections.deque(maxlen=REQUEST_LOG_MAX)
        self._request_seq = 0
        self.counts: dict[str, dict[str, dict[str, int]]] = {}
        self.reset_rate_limits()

    # -- clock -----------------------------------------------------------------------------------------
    def now(self) -> float:
        """Epoch seconds on the emulator clock (wall clock plus every advance made through the control API)."""
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> float:
        if seconds < 0:
            raise ControlError("advance_seconds must be >= 0 (the clock never goes back)")
        self.clock_offset += seconds
        return self.now()

    # -- providers -------------------------------------------------------------------------------------
    def provider_for(self, path: str) -> Provider | None:
        for provider in self.providers.values():
            if provider.owns(path):
                return provider
        return None

    def _provider_names(self, names: t.Iterable[str] | None) -> list[str]:
        if names is None:
            return list(self.providers)
        names = list(names)
        unknown = [n for n in names if n not in self.providers]
        if unknown:
            raise ControlError(f"unknown or unavailable provider(s): {', '.join(map(str, unknown))}")
        return names

    def reset(self, providers: t.Iterable[str] | None = None) -> None:
        """Drop provider state (and the rate-limit windows of those providers)."""
        for name in self._provider_names(providers):
            self.providers[name].reset()
            limit = self.rate_limits.get(name)
            if limit is not None:
                limit.windows.clear()

    def seed(self, data: dict) -> None:
        if not isinstance(data, dict):
            raise ControlError("seed body must be an object {provider: data}")
        names = self._provider_names(data)
        for name in names:
            if not isinstance(data[name], dict):
                raise ControlError(f"seed for {name} must be an object")
        for name in names:
            try:
                self.providers[name].seed(data[name])
            except (KeyError, TypeError, ValueError) as exc:
                raise ControlError(f"bad seed for {name}: {exc}") from exc

    def snapshot(self) -> dict:
        return {name: provider.snapshot() for name, provider in self.providers.items()}

    # -- latency / rate limits ------------------------------------------------------------------------
    def set_latency(self, config: dict) -> None:
        if not isinstance(config, dict):
            raise ControlError("latency body must be an object {provider: {fixed_ms, jitter_ms} | null}")
        for name in self._provider_names(config):
            value = config[name]
            if value is None:
                self.latency.pop(name, None)
                continue
            try:
                lat = Latency(float(value.get("fixed_ms", 0)), float(value.get("jitter_ms", 0)))
            except (AttributeError, TypeError, ValueError) as exc:
                raise ControlError(f"bad latency for {name}: {exc}") from exc
            if lat.fixed_ms < 0 or lat.jitter_ms < 0:
                raise ControlError("latency values must be >= 0")
            self.latency[name] = lat

    def latency_dict(self) -> dict:
        return {name: {"fixed_ms": lat.fixed_ms, "jitter_ms": lat.jitter_ms} for name, lat in self.latency.items()}

    def reset_rate_limits(self) -> None:
        self.rate_limits = {}
        for name in self.providers:
            default = DEFAULT_RATE_LIMITS.get(name)
            self.rate_limits[name] = RateLimit(*default) if default else None

    def set_rate_limits(self, config: dict) -> None:
        if not isinstance(config, dict):
            raise ControlError("rate_limits body must be an object {provider: {requests, per_seconds} | null}")
        for name in self._provider_names(config):
            value = config[name]
            if value is None:
                self.rate_limits[name] = None
                continue
            try:
                limit = RateLimit(int(value["requests"]), float(value.get("per_seconds", 60)))
            except (KeyError, TypeError, ValueError) as exc:
                raise ControlError(f"bad rate limit for {name}: {exc!r}") from exc
            if limit.requests < 0 or limit.per_seconds <= 0:
                raise ControlError("requests must be >= 0 and per_seconds > 0")
            self.rate_limits[name] = limit

    def rate_limits_dict(self) -> dict:
        return {name: (None if lim is None else {"requests": lim.requests, "per_seconds": lim.per_seconds})
                for name, lim in self.rate_limits.items()}

    # -- faults ---------------------------------------------------------------------------------------
    def add_fault(self, body: dict) -> FaultRule:
        if not isinstance(body, dict):
            raise ControlError("fault rule must be an object")
        action = body.get("action")
        if not isinstance(action, dict) or action.get("type") not in FAULT_TYPES:
            raise ControlError(f"action.type must be one of {', '.join(FAULT_TYPES)}")
        if action["type"] == "respond" and not isinstance(action.get("status", 500), int):
            raise ControlError("action.status must be an integer")
        if "seconds" in action and not isinstance(action["seconds"], (int, float)):
            raise ControlError("action.seconds must be a number")
        if "headers" in action and not isinstance(action["headers"], dict):
            raise ControlError("action.headers must be an object")
        for flag in ("apply", "graceful"):
            if flag in action and not isinstance(action[flag], bool):
                raise ControlError(f"action.{flag} must be a boolean")
        if "reason" in action and not isinstance(action["reason"], str):
            raise ControlError("action.reason must be a string")
        for key in ("content_type", "body"):
            if body.get(key) is not None and not isinstance(body[key], str):
                raise ControlError(f"{key} must be a string (a regular expression)")
        provider = body.get("provider")
        if provider is not None:
            self._provider_names([provider])
        if action["type"] in MARK_FAULT_TYPES:
            supported = getattr(self.providers.get(provider or ""), "scope_faults", ())
            if action["type"] not in supported:
                owners = [name for name, prov in self.providers.items() if action["type"] in getattr(prov, "scope_faults", ())]
                raise ControlError(f"action {action['type']} needs \"provider\": one of {', '.join(owners) or '(none available)'}")
        for key in ("nth", "times"):
            if body.get(key) is not None and (not isinstance(body[key], int) or body[key] < 1):
                raise ControlError(f"{key} must be a positive integer")
        probability = body.get("probability")
        if probability is not None and (not isinstance(probability, (int, float)) or not 0 <= probability <= 1):
            raise ControlError("probability must be a number in [0, 1]")
        self._fault_seq += 1
        try:
            rule = FaultRule(
                id=self._fault_seq, path=str(body.get("path", "")), action=dict(action), provider=provider,
                tenant=body.get("tenant"), method=body.get("method"), nth=body.get("nth"), every=bool(body.get("every", False)),
                probability=probability, times=body.get("times"), content_type=body.get("content_type"), body=body.get("body"),
            )
        except re.error as exc:
            raise ControlError(f"bad regex in path, content_type or body: {exc}") from exc
        self.faults[rule.id] = rule
        return rule

    def needs_body(self) -> bool:
        """True when a fault rule matches on the request body (the pipeline then reads it before the route)."""
        return any(rule.body_pattern is not None for rule in self.faults.values())

    def match_fault(self, provider: str, tenant: str | None, method: str, path: str, content_type: str = "", body: str = "") -> FaultRule | None:
        for rule in self.faults.values():
            if rule.matches(provider, tenant, method, path, content_type, body) and rule.should_fire():
                return rule
        return None

    # -- request log ----------------------------------------------------------------------------------
    def log_request(self, entry: dict) -> dict:
        self._request_seq += 1
        entry = {"seq": self._request_seq, **entry}
        self.request_log.append(entry)
        tenant_key = entry["tenant"] if entry["tenant"] is not None else ""
        bucket = self.counts.setdefault(entry["provider"], {}).setdefault(tenant_key, {"reads": 0, "writes": 0, "writes_ok": 0})
        if entry["write"]:
            bucket["writes"] += 1
            # writes_ok counts writes the server applied, even when a fault lost the answer (reset/truncate after apply)
            applied = entry.get("applied_status")
            if isinstance(applied, int) and 200 <= applied < 300:
                bucket["writes_ok"] += 1
        else:
            bucket["reads"] += 1
        return entry

    def clear_requests(self) -> None:
        self.request_log.clear()
        self.counts = {}

    def requests(self, provider: str | None = None, tenant: str | None = None, write: bool | None = None, since: int = 0) -> list[dict]:
        return [e for e in self.request_log
                if e["seq"] > since
                and (provider is None or e["provider"] == provider)
                and (tenant is None or e["tenant"] == tenant)
                and (write is None or e["write"] == write)]


# ---------------------------------------------------------------------------------------------------
# Request pipeline
# ---------------------------------------------------------------------------------------------------
def _is_loopback(scope: Scope) -> bool:
    client = scope.get("client")
    if not client:
        return False
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


async def _buffer_body(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole request body; return it and a ``receive`` that hands the same body to the route."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _abort_connection(transport: t.Any) -> None:
    """Drop the TCP connection with a RST and without sending anything."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


class EmulatorMiddleware:
    """Pure ASGI middleware: control API guard, provider dispatch, latency, rate limit, faults and logging."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/_emulator" or path.startswith("/_emulator/"):
            if not _is_loopback(scope):
                await JSONResponse({"error": "the control API only answers loopback clients"}, status_code=403)(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        provider = self.emulator.provider_for(path)
        if provider is None:
            await JSONResponse({"error": f"no emulated provider serves {path}"}, status_code=404)(scope, receive, send)
            return
        await self._provider_request(provider, scope, receive, send)

    async def _provider_request(self, provider: Provider, scope: Scope, receive: Receive, send: Send) -> None:
        emu = self.emulator
        method: str = scope["method"]
        path: str = scope["path"]
        request = Request(scope)
        try:
            tenant = provider.tenant_of(request)
        except Exception:  # pylint: disable=broad-exception-caught  # a provider bug must not kill the pipeline
            LOG.exception("tenant_of failed")
            tenant = None
        entry: dict[str, t.Any] = {
            "time": emu.now(), "provider": provider.name, "tenant": tenant, "method": method, "path": path,
            "query": scope.get("query_string", b"").decode("latin-1"), "status": None, "applied_status": None,
            "write": bool(provider.is_write(method, path)), "fault": None,
        }
        status: list[int] = []

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        async def route_send(message: Message) -> None:  # what the provider route itself answered
            if message["type"] == "http.response.start":
                entry["applied_status"] = message["status"]
            await send_wrapper(message)

        try:
            latency = emu.latency.get(provider.name)
            if latency is not None:
                delay = latency.delay()
                if delay > 0:
                    await asyncio.sleep(delay)
            limit = emu.rate_limits.get(provider.name)
            if limit is not None:
                wait = limit.hit(tenant, emu.now())
                if wait is not None:
                    entry["fault"] = "rate_limit"
                    retry_after = str(max(1, math.ceil(wait)))
                    await provider.error_response(429, "Too many requests", retry_after=retry_after)(scope, receive, send_wrapper)
                    return
            body_text = ""
            if emu.needs_body():
                raw_body, receive = await _buffer_body(receive)
                body_text = raw_body.decode("utf-8", errors="replace")
            rule = emu.match_fault(provider.name, tenant, method, path, _header(scope, b"content-type"), body_text)
            if rule is not None:
                entry["fault"] = f"{rule.action['type']}:{rule.id}"
                if await self._apply_fault(rule, provider, scope, receive, send_wrapper, entry):
                    return
            try:
                await self.app(scope, receive, route_send)
            except Exception:  # pylint: disable=broad-exception-caught  # never leak a stack trace to the client
                LOG.exception("provider %s failed on %s %s", provider.name, method, path)
                if status:
                    raise
                await provider.error_response(500, "Internal emulator error")(scope, receive, route_send)
        finally:
            if not entry.pop("_logged", False):
                entry["status"] = status[0] if status else None
                emu.log_request(entry)

    async def _run_captured(self, scope: Scope, receive: Receive, entry: dict) -> tuple[Message, bytes]:
        """Run the real route (its effect happens) and return its response start message and body, unsent."""
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                entry["applied_status"] = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        return start, b"".join(chunks)

    async def _apply_fault(  # pylint: disable=too-many-arguments,too-many-positional-arguments
        self, rule: FaultRule, provider: Provider, scope: Scope, receive: Receive, send: Send, entry: dict,
    ) -> bool:
        """Apply a fired fault. Return True if the request is fully handled, False to continue normally."""
        action = rule.action
        kind = action["type"]
        transport = scope.get(TRANSPORT_SCOPE_KEY)
        if kind in MARK_FAULT_TYPES:
            scope[FAULT_SCOPE_KEY] = {**action, "rule": rule.id}
            return False
        if kind == "stall":
            await asyncio.sleep(float(action.get("seconds", 60)))
            return False
        if kind == "reset":
            if transport is None:
                raise RuntimeError("reset fault needs the emulator's uvicorn protocol (run via emulator.__main__)")
            if action.get("apply"):
                await self._run_captured(scope, receive, entry)  # the request takes effect; its answer is lost
            if action.get("graceful"):
                transport.close()  # FIN: the client sees the connection closed without a response
            else:
                _abort_connection(transport)
            await asyncio.sleep(0)  # let connection_lost run so the server does not try to answer
            await asyncio.sleep(0)
            return True
        if kind == "respond":
            status = int(action.get("status", 500))
            if "body" in action:
                body = action["body"]
                raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                headers = {"content-type": "application/json" if not isinstance(body, str) else "text/plain; charset=utf-8"}
                headers.update({str(k): str(v) for k, v in action.get("headers", {}).items()})
                await Response(raw, status_code=status, headers=headers)(scope, receive, send)
            else:
                headers = {str(k): str(v) for k, v in action.get("headers", {}).items()}
                retry_after = headers.pop("Retry-After", headers.pop("retry-after", None))
                response = provider.error_response(status, f"Injected fault {rule.id}", retry_after=retry_after)
                response.headers.update(headers)
                await response(scope, receive, send)
            return True
        # truncate: run the real route, buffer its answer, send headers with the full length and half the body.
        if transport is None:
            raise RuntimeError("truncate fault needs the emulator's uvicorn protocol (run via emulator.__main__)")
        start, body = await self._run_captured(scope, receive, entry)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": start.get("status", 200), "headers": headers})
        # logged now, not after the pauses below: the client may have gone on (and a test read the log) by then
        entry["status"] = start.get("status", 200)
        self.emulator.log_request(entry)
        entry["_logged"] = True
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        await asyncio.sleep(0.05)  # let the half body reach the socket
        transport.close()
        await asyncio.sleep(0.01)
        return True


# ---------------------------------------------------------------------------------------------------
# Control API
# ---------------------------------------------------------------------------------------------------
async def _json_body(request: Request, default: t.Any = None) -> t.Any:
    raw = await request.body()
    if not raw.strip():
        return default
    try:
        return loads(raw)
    except ValueError as exc:
        raise ControlError(f"body is not valid JSON: {exc}") from exc


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ControlError(f"bad boolean {value!r}")


def control_routes(emu: Emulator) -> list[BaseRoute]:
    """The ``/_emulator/...`` routes shared by all providers."""

    def handler(fn: t.Callable[[Request], t.Awaitable[t.Any]]) -> t.Callable[[Request], t.Awaitable[Response]]:
        async def wrapped(request: Request) -> Response:
            try:
                result = await fn(request)
            except ControlError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return result if isinstance(result, Response) else JSONResponse(result)
        return wrapped

    async def health(_request: Request) -> dict:
        return {"status": "ok", "providers": sorted(emu.providers), "base_url": emu.base_url, "now": emu.now()}

    async def reset(request: Request) -> dict:
        body = await _json_body(request, {}) or {}
        if not isinstance(body, dict):
            raise ControlError("reset body must be an object")
        emu.reset(body.get("providers"))
        return {"reset": emu._provider_names(body.get("providers"))}  # pylint: disable=protected-access

    async def seed(request: Request) -> dict:
        emu.seed(await _json_body(request, {}))
        return {"seeded": True}

    async def get_snapshot(_request: Request) -> Response:
        return RawJSONResponse(emu.snapshot())

    async def put_snapshot(request: Request) -> dict:
        body = await _json_body(request, {})
        if not isinstance(body, dict):
            raise ControlError("snapshot body must be an object {provider: data}")
        emu._provider_names(body)  # pylint: disable=protected-access  # validate before dropping anything
        emu.reset()
        emu.seed(body)
        return {"restored": True}

    async def get_requests(request: Request) -> dict:
        q = request.query_params
        try:
            since = int(q.get("since", 0))
        except ValueError as exc:
            raise ControlError("since must be an integer") from exc
        return {"requests": emu.requests(q.get("provider"), q.get("tenant"), _flag(q.get("write")), since)}

    async def delete_requests(_request: Request) -> dict:
        emu.clear_requests()
        return {"cleared": True}

    async def counts(_request: Request) -> dict:
        return emu.counts

    async def latency(request: Request) -> dict:
        if request.method == "PUT":
            emu.set_latency(await _json_body(request, {}))
        elif request.method == "DELETE":
            emu.latency.clear()
        return emu.latency_dict()

    async def rate_limits(request: Request) -> dict:
        if request.method == "PUT":
            emu.set_rate_limits(await _json_body(request, {}))
        elif request.method == "DELETE":
            emu.reset_rate_limits()
        return emu.rate_limits_dict()

    async def faults(request: Request) -> Response | dict:
        if request.method == "POST":
            rule = emu.add_fault(await _json_body(request, {}))
            return JSONResponse({"id": rule.id}, status_code=201)
        if request.method == "DELETE":
            emu.faults.clear()
            return {"cleared": True}
        return {"faults": [rule.to_dict() for rule in emu.faults.values()]}

    async def fault_one(request: Request) -> Response | dict:
        rule_id = int(request.path_params["fault_id"])
        rule = emu.faults.get(rule_id)
        if rule is None:
            return JSONResponse({"error": f"no fault {rule_id}"}, status_code=404)
        if request.method == "DELETE":
            del emu.faults[rule_id]
            return {"deleted": rule_id}
        return rule.to_dict()

    async def clock(request: Request) -> dict:
        if request.method == "POST":
            body = await _json_body(request, {}) or {}
            try:
                seconds = float(body.get("advance_seconds", 0))
            except (AttributeError, TypeError, ValueError) as exc:
                raise ControlError("advance_seconds must be a number") from exc
            emu.advance_clock(seconds)
        return {"now": emu.now(), "offset_seconds": emu.clock_offset}

    return [
        Route("/_emulator/health", handler(health), methods=["GET"]),
        Route("/_emulator/reset", handler(reset), methods=["POST"]),
        Route("/_emulator/seed", handler(seed), methods=["POST"]),
        Route("/_emulator/snapshot", handler(get_snapshot), methods=["GET"]),
        Route("/_emulator/snapshot", handler(put_snapshot), methods=["PUT"]),
        Route("/_emulator/requests", handler(get_requests), methods=["GET"]),
        Route("/_emulator/requests", handler(delete_requests), methods=["DELETE"]),
        Route("/_emulator/requests/counts", handler(counts), methods=["GET"]),
        Route("/_emulator/latency", handler(latency), methods=["GET", "PUT", "DELETE"]),
        Route("/_emulator/rate_limits", handler(rate_limits), methods=["GET", "PUT", "DELETE"]),
        Route("/_emulator/faults", handler(faults), methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/faults/{fault_id:int}", handler(fault_one), methods=["GET", "DELETE"]),
        Route("/_emulator/clock", handler(clock), methods=["GET", "POST"]),
    ]


def create_app(emulator: Emulator) -> Starlette:
    """Build the Starlette application serving the control API and every registered provider."""
    routes: list[BaseRoute] = control_routes(emulator)
    for provider in emulator.providers.values():
        extra = getattr(provider, "control_routes", None)
        if extra is not None:
            routes.extend(extra())
    for provider in emulator.providers.values():
        routes.extend(provider.routes())

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "Internal emulator error"
        provider = emulator.provider_for(request.url.path)
        if provider is None or request.url.path.startswith("/_emulator"):
            return JSONResponse({"error": detail}, status_code=status)
        return provider.error_response(status, detail)

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.add_middleware(EmulatorMiddleware, emulator=emulator)  # type: ignore[arg-type]
    app.state.emulator = emulator
    return app
