"""Loopback endpoints that fail a channel each in one way, for the notifier's failure tests: a server that
redirects, one that answers 500 echoing the request back (as careless servers do), one that throttles its
first request as Security Hub does (HTTP 429) and takes the next import, a port that accepts connections and
never answers, and a port nobody listens on."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from vpce_guard_local.serving import ServingThread

HOST = "127.0.0.1"


class Server:
    """Answers every request the same way (``redirect`` to ``location``, ``echo_error``, ``throttle_once``, or
    ``ok``) and keeps each request's method, path and headers in ``requests``."""

    def __init__(self, answer: str, location: str = "") -> None:
        self.answer = answer
        self.location = location
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        server = ThreadingHTTPServer((HOST, 0), _handler_for(self))
        server.daemon_threads = True
        self._serving = ServingThread(server, name=f"misbehaving-{answer}")
        self.url = f"http://{HOST}:{server.server_address[1]}"

    def stop(self) -> None:
        self._serving.stop()


@contextmanager
def serving(answer: str, location: str = "") -> Iterator[Server]:
    server = Server(answer, location)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def silent_port() -> Iterator[str]:
    """The URL of a port whose connections are accepted (by the kernel) and never answered."""
    with socket.socket() as listening:
        listening.bind((HOST, 0))
        listening.listen(8)
        yield f"http://{HOST}:{listening.getsockname()[1]}"


def closed_port() -> str:
    """The URL of a port nobody listens on: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return f"http://{HOST}:{probe.getsockname()[1]}"


def _handler_for(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            server.requests.append((self.command, self.path, dict(self.headers)))
            if server.answer == "redirect":
                self._reply(302, b"", {"Location": server.location + self.path})
            elif server.answer == "throttle_once" and len(server.requests) == 1:
                throttled = b'{"__type": "TooManyRequestsException", "Message": "Rate exceeded"}'
                self._reply(429, throttled, {"Content-Type": "application/json"})
            elif server.answer == "throttle_once":
                imported = b'{"FailedCount": 0, "SuccessCount": 1, "FailedFindings": []}'
                self._reply(200, imported, {"Content-Type": "application/json"})
            elif server.answer == "echo_error":
                echoed = json.dumps({"error": "failed", "path": self.path, "headers": dict(self.headers)})
                self._reply(500, echoed.encode(), {"Content-Type": "application/json"})
            else:
                self._reply(200, b'{"key": "OPS-1"}', {"Content-Type": "application/json"})

        def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
