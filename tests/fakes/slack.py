"""A local imitation of the Slack Web API: `auth.test` and `chat.postMessage`.

Errors come as Slack sends them: HTTP 200 with ``{"ok": false, "error": ...}``, HTTP 429 with
``Retry-After``, or a 500. Queue them with `fail(...)`; every message received is recorded.
"""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.http_base import FakeService, Reply, json_reply, request_data


class FakeSlack(FakeService):
    """Faults for `fail`: ("error", "channel_not_found"), ("429", seconds), ("500", None),
    ("502", body) (a proxy's answer: JSON content type, `body` not JSON, possibly empty),
    ("down", None) (stays until `faults` is cleared). `delay`: seconds every post takes."""

    def __init__(self, token: str = "xoxb-test-token") -> None:
        self.token = token
        self.messages: list[dict[str, Any]] = []
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []
        self._ts = 0
        super().__init__()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        data = request_data(headers, body)
        with self._server.lock:
            self.requests.append({"path": path, "data": data, "auth": headers.get("Authorization")})
        if headers.get("Authorization") != f"Bearer {self.token}":
            return json_reply(200, {"ok": False, "error": "invalid_auth"})
        if path.endswith("/auth.test"):
            return json_reply(200, {"ok": True, "user_id": "UBOT", "team": "Test"})
        if not path.endswith("/chat.postMessage"):
            return json_reply(404, {"ok": False, "error": "unknown_method"})
        with self._server.lock:
            fault = self.faults[0] if self.faults else None
            if fault and fault[0] != "down":
                self.faults.pop(0)
        if self.delay:
            time.sleep(self.delay)
        if fault:
            kind, arg = fault
            if kind == "error":
                return json_reply(200, {"ok": False, "error": arg})
            if kind == "429":
                return json_reply(
                    429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(arg)}
                )
            if kind == "502":
                return 502, {"Content-Type": "application/json"}, arg
            return 500, {"Content-Type": "text/html"}, b"<html>Internal error</html>"
        with self._server.lock:
            self._ts += 1
            ts = f"{int(time.time())}.{self._ts:06d}"
            self.messages.append({**data, "ts": ts})
        return json_reply(
            200, {"ok": True, "channel": data.get("channel"), "ts": ts, "message": {}}
        )
