"""Command line entry point: ``python -m emulator --port 0 [--host 127.0.0.1] [--demo] [--seed FILE.json]``.

Binds, prints exactly one line ``FLOWOPS_EMULATOR_URL=http://<host>:<port>`` (flushed) and serves until
SIGTERM/SIGINT, then exits 0. ``--demo`` loads the sandbox estate of ``examples/estate.py``. A bad command line,
an unreadable or invalid seed, or an address that cannot be bound is one line on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import typing as t
from types import FrameType

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from emulator.core import ALL_PROVIDERS, TRANSPORT_SCOPE_KEY, ControlError, Emulator, available_providers, create_app, loads

PROG = "python -m emulator"
# examples/estate.py of the repository this package lives in (tests/emulator/ -> repository root).
DEMO_ESTATE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples", "estate.py")


class StartupError(Exception):
    """A problem with the command line or the seed: reported as one line on stderr, exit code 2."""


class EmulatorH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that also hands the connection's transport to the app (for reset/truncate faults)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # uvicorn writes headers and body separately: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms per response.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        inner = self.app

        async def app_with_transport(scope: t.Any, receive: t.Any, send: t.Any) -> None:
            scope[TRANSPORT_SCOPE_KEY] = transport
            await inner(scope, receive, send)

        self.app = app_with_transport


class EmulatorServer(uvicorn.Server):
    """uvicorn server that announces its URL once it accepts connections and exits 0 on SIGTERM/SIGINT."""

    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self.url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        print(f"FLOWOPS_EMULATOR_URL={self.url}", flush=True)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:  # pylint: disable=unused-argument
        # Shut down gracefully like uvicorn, but do not re-raise the signal afterwards: a requested stop is a clean exit 0.
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument("--seed", help="JSON file {provider: seed data} loaded at start (after --demo, if both are given)")
    parser.add_argument("--demo", action="store_true",
                        help="load the sandbox estate of examples/estate.py (credentials in examples/inventory.yml), no seed file needed")
    parser.add_argument("--providers", default=",".join(available_providers()),
                        help=f"comma-separated providers to serve (default: every available one of {', '.join(ALL_PROVIDERS)})")
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--exit-with-parent", action="store_true",
                        help="stop when the process that started the emulator is gone (test harnesses whose teardown may not run)")
    return parser.parse_args(argv)


def demo_seed(path: str = DEMO_ESTATE) -> dict:
    """The seed of the sandbox estate: ``build_seed()`` of examples/estate.py (a data module, not collection code)."""
    spec = importlib.util.spec_from_file_location("flowops_demo_estate", path)
    if spec is None or spec.loader is None or not os.path.isfile(path):
        raise StartupError(f"--demo: the demo estate {path} is missing (run from a checkout of the repository)")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        return module.build_seed()
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise StartupError(f"--demo: cannot build the demo estate from {path}: {exc}") from exc


def read_seed(path: str) -> dict:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise StartupError(f"--seed {path}: cannot read it: {exc.strerror or exc}") from exc
    try:
        data = loads(raw)
    except json.JSONDecodeError as exc:
        raise StartupError(f"--seed {path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise StartupError(f"--seed {path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise StartupError(f"--seed {path}: expected a JSON object {{provider: seed data}}, got {type(data).__name__}")
    return data


def build_emulator(args: argparse.Namespace) -> Emulator:
    providers = [p.strip() for p in args.providers.split(",") if p.strip()]
    try:
        emulator = Emulator(providers=providers)
    except ValueError as exc:
        raise StartupError(f"--providers: {exc}") from exc
    seeds: list[tuple[str, dict]] = []
    if args.demo:
        seeds.append(("--demo", {name: data for name, data in demo_seed().items() if name in emulator.providers}))
    if args.seed:
        seeds.append((f"--seed {args.seed}", read_seed(args.seed)))
    for origin, data in seeds:
        try:
            emulator.seed(data)
        except ControlError as exc:
            raise StartupError(f"{origin}: {exc}") from exc
    return emulator


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except (OSError, OverflowError) as exc:
        sock.close()
        raise StartupError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from exc
    return sock


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        emulator = build_emulator(args)
        sock = bind(args.host, args.port)
    except StartupError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr, flush=True)
        return 2
    host, port = sock.getsockname()[:2]
    url_host = f"[{host}]" if sock.family == socket.AF_INET6 else host
    emulator.base_url = f"http://{url_host}:{port}"
    if args.demo:
        print(f"{PROG}: demo estate loaded ({', '.join(sorted(emulator.providers))}); its sandbox credentials are in "
              "examples/inventory.yml and examples/estate.py", file=sys.stderr, flush=True)

    config = uvicorn.Config(
        create_app(emulator), http=EmulatorH11Protocol, loop="asyncio", lifespan="off", access_log=False,
        log_level=args.log_level, timeout_graceful_shutdown=2, backlog=1024, timeout_keep_alive=30,
    )
    server = EmulatorServer(config, emulator.base_url)
    if args.exit_with_parent:
        watch_parent(server)
    server.run(sockets=[sock])
    return 0


def watch_parent(server: EmulatorServer, interval: float = 1.0) -> threading.Thread:
    """Stop ``server`` gracefully once the parent process is gone (the emulator is re-parented)."""
    parent = os.getppid()

    def watch() -> None:
        while not server.should_exit:
            if os.getppid() != parent:
                server.should_exit = True
                return
            time.sleep(interval)

    thread = threading.Thread(target=watch, name="watch-parent", daemon=True)
    thread.start()
    return thread


if __name__ == "__main__":
    sys.exit(main())
