"""A local imitation of the Slack Web API: `auth.test` and `chat.postMessage`, and for the
Slack app `apps.connections.open` (with the app-level token: the Socket Mode URL, see
`slack_socket`), `users.info` (workspace admins) and `chat.postEphemeral` (recorded).

Errors come as Slack sends them: HTTP 200 with ``{"ok": false, "error": ...}``, HTTP 429 with
``Retry-After``, or a 500. Queue them with `fail(...)`; every message received is recorded.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.http_base import FakeService, Reply, json_reply, request_data


class FakeSlack(FakeService):
    """Faults for `fail`: ("error", "channel_not_found"), ("429", seconds), ("500", None),
    ("502", body) (a proxy's answer: JSON content type, `body` not JSON, possibly empty),
    ("down", None) (stays until `faults` is cleared). `delay`: seconds every post takes.
    `held`: channel id → event; a post to that channel is answered only once the event is set
    (a slow channel, for as long as the test wants)."""

    def __init__(self, token: str = "xoxb-test-token", app_token: str = "xapp-test-token") -> None:
        self.token = token
        self.app_token = app_token
        self.socket_url = ""
        self.workspace_admins: set[str] = set()
        self.ephemeral: list[dict[str, Any]] = []
        self.not_member: set[str] = set()
        self.messages: list[dict[str, Any]] = []
        self.delay = 0.0
        self.held: dict[str, threading.Event] = {}
        self.requests: list[dict[str, Any]] = []
        self._ts = 0
        super().__init__()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        data = request_data(headers, body)
        path, _, query = path.partition("?")
        data.update({k: v[0] for k, v in parse_qs(query).items()})
        with self._server.lock:
            self.requests.append({"path": path, "data": data, "auth": headers.get("Authorization")})
        if path.endswith("/apps.connections.open"):
            if headers.get("Authorization") != f"Bearer {self.app_token}":
                return json_reply(200, {"ok": False, "error": "invalid_auth"})
            return json_reply(200, {"ok": True, "url": self.socket_url})
        if headers.get("Authorization") != f"Bearer {self.token}":
            return json_reply(200, {"ok": False, "error": "invalid_auth"})
        if path.endswith("/auth.test"):
            return json_reply(200, {"ok": True, "user_id": "UBOT", "team": "Test"})
        if path.endswith("/users.info"):
            user = str(data.get("user"))
            person = {"id": user, "is_admin": user in self.workspace_admins, "is_owner": False}
            return json_reply(200, {"ok": True, "user": person})
        if path.endswith("/conversations.info"):
            channel = str(data.get("channel"))
            info = {"id": channel, "is_member": channel not in self.not_member}
            return json_reply(200, {"ok": True, "channel": info})
        if path.endswith("/chat.postEphemeral"):
            with self._server.lock:
                self.ephemeral.append(data)
            return json_reply(200, {"ok": True, "message_ts": "1.000001"})
        if not path.endswith("/chat.postMessage"):
            return json_reply(404, {"ok": False, "error": "unknown_method"})
        with self._server.lock:
            fault = self.faults[0] if self.faults else None
            if fault and fault[0] != "down":
                self.faults.pop(0)
        if self.delay:
            time.sleep(self.delay)
        hold = self.held.get(str(data.get("channel")))
        if hold is not None:
            hold.wait(timeout=60)
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
