"""Local imitations of the other publishers: Find a Tender, the Scottish and Welsh notice
APIs, and council web servers serving feeds and listing pages (with ETag / 304), plus
hostile bodies (huge, invalid UTF-8, an XML entity bomb)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http_base import FakeService, Reply, json_reply

ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title></channel></rss>
"""


class FakePublisher(FakeService):
    """Routes requests by path; records every request (with the test clock's time)."""

    def __init__(self, clock: Any = None, tls: Any = None) -> None:
        self.clock = clock
        self.routes: dict[str, Callable[[dict[str, str], dict[str, str]], Reply]] = {}
        self.requests: list[dict[str, Any]] = []
        super().__init__(tls)

    @property
    def url(self) -> str:
        return self.base_url

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self._server.lock:
            self.requests.append(
                {
                    "path": parts.path,
                    "query": query,
                    "headers": headers,
                    "at": self.clock.now() if self.clock else datetime.now(),
                }
            )
        route = self.routes.get(parts.path)
        if route is None:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        return route(query, headers)

    def serve(self, path: str, body: bytes, content_type: str = "application/xml") -> None:
        """Serve a fixed body with an ETag, answering 304 to a matching If-None-Match."""
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'

        def reply(query: dict[str, str], headers: dict[str, str]) -> Reply:
            if headers.get("If-None-Match") == etag:
                return 304, {"ETag": etag}, b""
            return 200, {"Content-Type": content_type, "ETag": etag}, body

        self.routes[path] = reply

    def serve_pages(
        self, path: str, pages: list[list[dict[str, Any]]], *, limit: int | None = None
    ) -> None:
        """Serve OCDS release packages paged by `links.next` (cursor = page number)."""

        def reply(query: dict[str, str], headers: dict[str, str]) -> Reply:
            if limit is not None:
                now = self.clock.now()
                recent = [
                    r for r in self.requests_to(path) if (now - r["at"]).total_seconds() < 120
                ]
                if len(recent) > limit:
                    return json_reply(429, {"error": "rate limited"})
            page = int(query.get("cursor", "0"))
            package: dict[str, Any] = {
                "version": "1.1",
                "releases": pages[page] if page < len(pages) else [],
            }
            if page + 1 < len(pages):
                package["links"] = {"next": f"{self.url}{path}?cursor={page + 1}"}
            return json_reply(200, package)

        self.routes[path] = reply

    def serve_months(self, path: str, by_month: dict[str, list[dict[str, Any]]]) -> None:
        """Serve `/v1/Notices?dateFrom=MM-YYYY&noticeType=N&outputType=0` from a month table."""

        def reply(query: dict[str, str], headers: dict[str, str]) -> Reply:
            if query.get("outputType") != "0" or "noticeType" not in query:
                return json_reply(400, {"error": "bad request"})
            return json_reply(200, {"releases": by_month.get(query.get("dateFrom", ""), [])})

        self.routes[path] = reply


def release_json(path: Any) -> dict[str, Any]:
    return json.loads(path.read_text())
