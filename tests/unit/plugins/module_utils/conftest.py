# -*- coding: utf-8 -*-
# Copyright (c) 2025, flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A real, scripted HTTP server for the module_utils tests (stdlib ``ThreadingHTTPServer``)."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lock = threading.Lock()
        self.actions = []
        self.default = {"status": 200, "json": {}}
        self.requests = []


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server = self.server
        with server.lock:
            server.requests.append({
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers.items()),
                "body": body,
                "client_port": self.client_address[1],
                "time": time.monotonic(),
            })
            action = server.actions.pop(0) if server.actions else server.default
        if action.get("delay"):
            time.sleep(action["delay"])
        if action.get("reset"):
            # drop the connection without an answer (RST)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        status = action.get("status", 200)
        headers = dict(action.get("headers") or {})
        if "json" in action:
            payload = json.dumps(action["json"]).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            payload = action.get("body", b"")
            if isinstance(payload, str):
                payload = payload.encode("utf-8")
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if action.get("truncate"):
                # full Content-Length, half the body, then close
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True  # the client gave up (read timeout test)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class ScriptedServer:
    """``script(action, ...)`` queues responses; when the queue is empty ``default`` answers.

    An action is a dict: ``status``, ``headers``, ``json`` or ``body``, ``delay`` (seconds before
    answering), ``reset`` (close the connection without answering) and ``truncate`` (announce the
    full Content-Length, send half of the body, close).
    """

    def __init__(self, host="127.0.0.1"):
        self._server = _Server((host, 0), _Handler)
        self.host = host
        self.port = self._server.server_address[1]
        self.url = "http://%s:%d" % (host, self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def script(self, *actions):
        with self._server.lock:
            self._server.actions.extend(actions)

    def set_default(self, action):
        self._server.default = action

    @property
    def requests(self):
        with self._server.lock:
            return list(self._server.requests)

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def http_server():
    server = ScriptedServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def closed_port():
    """A local TCP port with nothing listening (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
