"""A local imitation of the Contracts Finder OCDS search endpoint, on 127.0.0.1 port 0.

It serves a list of pages (each a list of real recorded releases), paged by `links.next`,
and can be told to misbehave for chosen pages: 403 throttling with an HTML body, 429 with
Retry-After, 500, a slow response, truncated JSON, an HTML error page, a dropped connection.
Every request it receives is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SEARCH_PATH = "/Published/Notices/OCDS/Search"
THROTTLE_PAGE = (
    b"<html><head><title>403 Forbidden</title></head><body>Too many requests</body></html>"
)
ERROR_PAGE = b"<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>"


class FakeContractsFinder:
    """Serve pages of releases; `faults[page]` is a queue of misbehaviours, one per request."""

    def __init__(
        self, pages: Iterable[list[dict[str, Any]]] = (), meta: dict[str, Any] | None = None
    ):
        self.pages: list[list[dict[str, Any]]] = [list(p) for p in pages]
        self.meta = dict(meta or {})
        self.faults: dict[int, list[str]] = {}
        self.delays: dict[int, float] = {}
        self.retry_after: str | None = None
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeContractsFinder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeContractsFinder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail(self, page: int, *faults: str) -> None:
        with self._lock:
            self.faults.setdefault(page, []).extend(faults)

    def page_requests(self) -> list[int]:
        return [r["page"] for r in self.requests]

    def _next_fault(self, page: int) -> str | None:
        with self._lock:
            queue = self.faults.get(page)
            return queue.pop(0) if queue else None

    def _body(self, page: int) -> bytes:
        package = {"uri": f"{self.url}{SEARCH_PATH}", "version": "1.1", **self.meta}
        package["releases"] = self.pages[page] if page < len(self.pages) else []
        if page + 1 < len(self.pages):
            package["links"] = {"next": f"{self.url}{SEARCH_PATH}?cursor={page + 1}"}
        return json.dumps(package).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                page = int(query.get("cursor", "0"))
                with fake._lock:
                    fake.requests.append(
                        {
                            "path": parts.path,
                            "query": query,
                            "page": page,
                            "user_agent": self.headers.get("User-Agent", ""),
                        }
                    )
                if parts.path != SEARCH_PATH:
                    self._send(404, b"not found", "text/plain")
                    return
                delay = fake.delays.get(page)
                if delay:
                    time.sleep(delay)
                fault = fake._next_fault(page)
                body = fake._body(page)
                if fault == "throttle":
                    headers = {"Retry-After": fake.retry_after} if fake.retry_after else {}
                    self._send(403, THROTTLE_PAGE, "text/html", headers)
                elif fault == "429":
                    self._send(429, b"", "text/plain", {"Retry-After": fake.retry_after or "120"})
                elif fault == "500":
                    self._send(500, ERROR_PAGE, "text/html")
                elif fault == "html":
                    self._send(200, ERROR_PAGE, "text/html")
                elif fault == "truncated":
                    self._send(200, body[: len(body) // 2], "application/json")
                elif fault == "slow":
                    time.sleep(1.5)
                    self._send(200, body, "application/json")
                elif fault == "reset":
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.shutdown(2)
                else:
                    self._send(200, body, "application/json")

            def _send(
                self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler
