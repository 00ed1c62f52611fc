"""A local imitation of the Telegram Bot API: `/bot<token>/getMe` and `sendMessage`.

Requests are form-encoded as python-telegram-bot sends them. Errors as Telegram sends them:
429 with ``parameters.retry_after``, 403 Forbidden, 400 chat not found, and a group upgraded to
a supergroup (``parameters.migrate_to_chat_id``). Every message received is recorded.
"""

from __future__ import annotations

import html
import json
import re
import time
from typing import Any

from tests.fakes.http_base import FakeService, Reply, json_reply, request_data


class FakeTelegram(FakeService):
    """Faults for `fail`: ("429", seconds), ("403", None), ("chat_not_found", None),
    ("500", None)."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.messages: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.migrated: dict[str, str] = {}
        self._next_id = 100
        super().__init__()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/bot"

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        ctype = headers.get("Content-Type", "")
        data = request_data(headers, body)
        with self._server.lock:
            self.requests.append({"path": path, "data": data, "content_type": ctype})
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return json_reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        name = path[len(prefix) :]
        if name == "getMe":
            return json_reply(
                200,
                {
                    "ok": True,
                    "result": {
                        "id": 123456,
                        "is_bot": True,
                        "first_name": "tenderbot",
                        "username": "tenderbot_test_bot",
                    },
                },
            )
        if name != "sendMessage":
            return json_reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        chat_id = str(data.get("chat_id"))
        if chat_id in self.migrated:
            return json_reply(
                400,
                {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: group chat was upgraded to a supergroup chat",
                    "parameters": {"migrate_to_chat_id": int(self.migrated[chat_id])},
                },
            )
        shown = html.unescape(re.sub(r"<[^>]+>", "", str(data.get("text", ""))))
        if len(shown.encode("utf-16-le")) // 2 > 4096:  # Telegram counts UTF-16 code units
            too_long = "Bad Request: message is too long"
            return json_reply(400, {"ok": False, "error_code": 400, "description": too_long})
        with self._server.lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault:
            kind, arg = fault
            if kind == "429":
                return json_reply(
                    429,
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {arg}",
                        "parameters": {"retry_after": arg},
                    },
                )
            if kind == "403":
                return json_reply(
                    403,
                    {
                        "ok": False,
                        "error_code": 403,
                        "description": "Forbidden: bot was kicked from the group chat",
                    },
                )
            if kind == "chat_not_found":
                return json_reply(
                    400,
                    {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
                )
            return json_reply(
                500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            )
        with self._server.lock:
            self._next_id += 1
            message_id = self._next_id
            record = dict(data)
            for key in ("reply_markup", "reply_parameters", "link_preview_options"):
                if isinstance(record.get(key), str):
                    record[key] = json.loads(record[key])
            record["message_id"] = message_id
            self.messages.append(record)
        chat_type = (
            "supergroup"
            if chat_id.startswith("-100")
            else ("group" if chat_id.startswith("-") else "private")
        )
        return json_reply(
            200,
            {
                "ok": True,
                "result": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": int(chat_id), "type": chat_type, "title": "Test"},
                    "text": str(data.get("text", "")),
                },
            },
        )
