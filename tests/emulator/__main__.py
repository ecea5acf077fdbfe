"""Command line entry point: ``python -m emulator --port 0 [--host 127.0.0.1] [--seed FILE.json]``.

Binds, prints exactly one line ``FLOWOPS_EMULATOR_URL=http://<host>:<port>`` (flushed) and serves until
SIGTERM/SIGINT, then exits 0.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket
import sys
import typing as t
from types import FrameType

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from emulator.core import ALL_PROVIDERS, TRANSPORT_SCOPE_KEY, Emulator, available_providers, create_app, loads


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
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument("--seed", help="JSON file {provider: seed data} loaded at start")
    parser.add_argument("--providers", default=",".join(available_providers()),
                        help=f"comma-separated providers to serve (default: every available one of {', '.join(ALL_PROVIDERS)})")
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    providers = [p.strip() for p in args.providers.split(",") if p.strip()]
    emulator = Emulator(providers=providers)
    if args.seed:
        with open(args.seed, encoding="utf-8") as handle:
            emulator.seed(loads(handle.read()))

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(1024)
    host, port = sock.getsockname()[:2]
    url_host = f"[{host}]" if family == socket.AF_INET6 else host
    emulator.base_url = f"http://{url_host}:{port}"

    config = uvicorn.Config(
        create_app(emulator), http=EmulatorH11Protocol, loop="asyncio", lifespan="off", access_log=False,
        log_level=args.log_level, timeout_graceful_shutdown=2, backlog=1024, timeout_keep_alive=30,
    )
    EmulatorServer(config, emulator.base_url).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
