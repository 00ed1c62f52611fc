"""A local imitation of the Contracts Finder OCDS search endpoint, on 127.0.0.1 port 0.

It serves a list of pages (each a list of real recorded releases), paged by `links.next`,
and can be told to misbehave for chosen pages: 403 throttling with an HTML body, 429 with
Retry-After, 500, a slow response, truncated JSON, an HTML error page, a dropped connection.
Every request it receives is recorded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http_base import DRIP, DROP, FakeService, Reply

SEARCH_PATH = "/Published/Notices/OCDS/Search"
THROTTLE_PAGE = b"<html><head><title>403 Forbidden</title></head><body>Slow down</body></html>"
ERROR_PAGE = b"<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>"
JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html"}


class FakeContractsFinder(FakeService):
    """Serve pages of releases; `fail(page, ...)` queues misbehaviours, one per request."""

    def __init__(self, pages: Iterable[list[dict[str, Any]]] = ()) -> None:
        super().__init__()
        self.pages: list[list[dict[str, Any]]] = [list(p) for p in pages]
        self.faults: dict[int, list[str]] = {}
        self.delays: dict[int, float] = {}
        self.retry_after: str | None = None
        self.next_base: str | None = None
        self.raw_pages: dict[int, bytes] = {}  # bodies served as they are (hostile JSON)
        self.requests: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return self.base_url

    def start(self) -> FakeContractsFinder:
        return self.__enter__()

    def stop(self) -> None:
        self.__exit__()

    def fail(self, page: int, *faults: str) -> None:
        with self._server.lock:
            self.faults.setdefault(page, []).extend(faults)

    def page_requests(self) -> list[int]:
        return [r["page"] for r in self.requests]

    def _next_fault(self, page: int) -> str | None:
        with self._server.lock:
            queue = self.faults.get(page)
            return queue.pop(0) if queue else None

    def _body(self, page: int) -> bytes:
        if page in self.raw_pages:
            return self.raw_pages[page]
        package: dict[str, Any] = {"uri": f"{self.url}{SEARCH_PATH}", "version": "1.1"}
        package["releases"] = self.pages[page] if page < len(self.pages) else []
        if page + 1 < len(self.pages):
            base = self.next_base or self.url
            package["links"] = {"next": f"{base}{SEARCH_PATH}?cursor={page + 1}"}
        return json.dumps(package).encode()

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        page = int(query.get("cursor", "0"))
        with self._server.lock:
            self.requests.append(
                {
                    "path": parts.path,
                    "query": query,
                    "page": page,
                    "user_agent": headers.get("User-Agent", ""),
                }
            )
        if parts.path != SEARCH_PATH:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        if self.delays.get(page):
            time.sleep(self.delays[page])
        fault = self._next_fault(page)
        payload = self._body(page)
        if fault == "throttle":
            return (
                403,
                {**HTML, **({"Retry-After": self.retry_after} if self.retry_after else {})},
                THROTTLE_PAGE,
            )
        if fault == "429":
            return (
                429,
                {"Content-Type": "text/plain", "Retry-After": self.retry_after or "120"},
                b"",
            )
        if fault == "500":
            return 500, HTML, ERROR_PAGE
        if fault == "html":
            return 200, HTML, ERROR_PAGE
        if fault == "truncated":
            return 200, JSON, payload[: len(payload) // 2]
        if fault == "slow":
            time.sleep(1.5)
        if fault == "reset":
            return DROP, {}, b""
        if fault == "drip":
            return 200, {**JSON, DRIP: "1"}, payload
        return 200, JSON, payload
