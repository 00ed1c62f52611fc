"""A tiny threaded HTTP server on 127.0.0.1 port 0 for the imitations in this folder."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

Reply = tuple[int, dict[str, str], bytes]
DROP = 0
"""A reply status meaning: hang up without answering (a connection reset)."""
DRIP = "X-Fake-Drip"
"""A reply header (seconds per byte): send the body one byte at a time, that slowly."""


class FakeServer:
    """Calls `handle(method, path, headers, body)` for every request; records them all."""

    def __init__(
        self,
        handle: Callable[[str, str, dict[str, str], bytes], Reply],
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.lock = threading.Lock()
        self.scheme = "https" if tls else "http"
        self._handle = handle
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = server._handle(
                    self.command, self.path, dict(self.headers.items()), body
                )
                if status == DROP:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                drip = float(headers.pop(DRIP, 0) or 0)
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if drip:
                        for index in range(len(payload)):
                            self.wfile.write(payload[index : index + 1])
                            self.wfile.flush()
                            time.sleep(drip)
                    else:
                        self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client hung up (a size cap at work)

            do_GET = do_POST = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def json_reply(status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(data).encode(),
    )


def request_data(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """A request's parameters, whether sent as JSON or form-encoded."""
    if "json" in headers.get("Content-Type", ""):
        return dict(json.loads(body or b"{}"))
    return {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}


class FakeService:
    """Base of the imitations: owns a `FakeServer` and starts/stops it as a context manager.

    `fail(...)` queues misbehaviours in `faults` for the subclass to act on.
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.faults: list[tuple[str, Any]] = []
        self._server = FakeServer(self._handle, tls)

    def fail(self, *faults: tuple[str, Any]) -> None:
        with self._server.lock:
            self.faults.extend(faults)

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return self._server.url

    def __enter__(self):
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
