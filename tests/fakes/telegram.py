"""A local imitation of the Telegram Bot API: `getMe`, `sendMessage`, and for the chat bot
`getUpdates` (served from a queue the test fills), `getChatMember` (a status per chat and
user) and `answerCallbackQuery` (recorded).

Requests are form-encoded as python-telegram-bot sends them. Errors as Telegram sends them:
429 with ``parameters.retry_after``, 403 Forbidden, 400 chat not found, a group upgraded to
a supergroup (``parameters.migrate_to_chat_id``), and for ``parse_mode=HTML`` text with an
unknown tag, a tag left open or closed out of turn, or a ``<`` that starts no tag, 400 "Bad
Request: can't parse entities: ..." (see `html_problem`). Every message received is recorded.
"""

from __future__ import annotations

import html
import json
import re
import time
from typing import Any, ClassVar

from tests.fakes.http_base import FakeService, Reply, json_reply, request_data


class FakeTelegram(FakeService):
    """Faults for `fail`: ("429", seconds), ("403", None), ("chat_not_found", None),
    ("500", None), ("503", None) (an HTML page, as a proxy sends)."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.messages: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.migrated: dict[str, str] = {}
        self._next_id = 100
        self.updates: list[dict[str, Any]] = []
        self.members: dict[tuple[str, str], str] = {}
        self.answers: list[dict[str, Any]] = []
        self._update_id = 1000
        super().__init__()

    USER: ClassVar[dict[str, Any]] = {
        "id": 123456,
        "is_bot": True,
        "first_name": "tenderbot",
        "username": "tenderbot_test_bot",
    }

    def push(self, kind: str, body: dict[str, Any]) -> int:
        """Queue an update (`kind`: message, callback_query, my_chat_member); its id."""
        with self._server.lock:
            self._update_id += 1
            self.updates.append({"update_id": self._update_id, kind: body})
            return self._update_id

    def command(self, chat: str, user: int, text: str) -> int:
        """Queue a message typed in `chat` by `user` (a command when it starts with /)."""
        word = text.split()[0]
        entities = (
            [{"type": "bot_command", "offset": 0, "length": len(word)}] if text[:1] == "/" else []
        )
        return self.push(
            "message",
            {
                "message_id": self._update_id,
                "date": int(time.time()),
                "chat": _chat(chat),
                "from": {"id": user, "is_bot": False, "first_name": f"User{user}"},
                "text": text,
                "entities": entities,
            },
        )

    def press(self, chat: str, user: int, data: str) -> int:
        """Queue a press of an inline button carrying `data`, under a message in `chat`."""
        return self.push(
            "callback_query",
            {
                "id": f"cq{self._update_id}",
                "from": {"id": user, "is_bot": False, "first_name": f"User{user}"},
                "chat_instance": "ci",
                "data": data,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": _chat(chat),
                    "text": "x",
                },
            },
        )

    def membership(self, chat: str, user: int, old: str, new: str) -> int:
        """Queue a change of the bot's own membership of `chat`."""
        return self.push(
            "my_chat_member",
            {
                "chat": _chat(chat),
                "from": {"id": user, "is_bot": False, "first_name": f"User{user}"},
                "date": int(time.time()),
                "old_chat_member": {"status": old, "user": self.USER},
                "new_chat_member": {
                    "status": new,
                    "user": self.USER,
                    **({"until_date": 0} if new == "kicked" else {}),
                },
            },
        )

    def sent_to(self, chat: str) -> list[dict[str, Any]]:
        with self._server.lock:
            return [m for m in self.messages if str(m.get("chat_id")) == chat]

    def _get_updates(self, data: dict[str, Any]) -> Reply:
        offset = int(data.get("offset") or 0)
        deadline = time.monotonic() + min(float(data.get("timeout") or 0), 0.3)
        while True:
            with self._server.lock:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                ready = list(self.updates)
            if ready or time.monotonic() >= deadline:
                return json_reply(200, {"ok": True, "result": ready})
            time.sleep(0.02)

    def _chat_member(self, data: dict[str, Any]) -> Reply:
        key = (str(data.get("chat_id")), str(data.get("user_id")))
        status = self.members.get(key, "member")
        user = {"id": int(key[1]), "is_bot": False, "first_name": f"User{key[1]}"}
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        if status == "administrator":
            member.update({k: False for k in ADMIN_RIGHTS})
            member["can_be_edited"] = False
        return json_reply(200, {"ok": True, "result": member})

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
        if name == "getUpdates":
            return self._get_updates(data)
        if name == "getChatMember":
            return self._chat_member(data)
        if name == "answerCallbackQuery":
            with self._server.lock:
                self.answers.append(data)
            return json_reply(200, {"ok": True, "result": True})
        if name != "sendMessage":
            return json_reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if not data.get("chat_id"):  # also a request its client gave up on mid-way
            empty = "Bad Request: chat_id is empty"
            return json_reply(400, {"ok": False, "error_code": 400, "description": empty})
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
        if str(data.get("parse_mode", "")).upper() == "HTML":
            problem = html_problem(str(data.get("text", "")))
            if problem is not None:
                description = f"Bad Request: can't parse entities: {problem}"
                return json_reply(400, {"ok": False, "error_code": 400, "description": description})
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
            if kind == "503":  # a proxy in front of the Bot API: an HTML page
                page = (
                    b"<html><head><title>503 Service Temporarily Unavailable</title></head></html>"
                )
                return 503, {"Content-Type": "text/html"}, page
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


ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
"""The tags the Bot API's HTML parse mode accepts (https://core.telegram.org/bots/api)."""
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^>]*)?)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


def html_problem(text: str) -> str | None:
    """What Telegram's HTML parser would refuse in `text` (its wording), or None."""
    stack: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        offset = len(text[:index].encode())
        if char == "&":
            if not _ENTITY.match(text, index):
                return f"Unsupported HTML entity at byte offset {offset}"
        elif char == "<":
            tag = _TAG.match(text, index)
            if tag is None:
                return f"Unsupported start tag at byte offset {offset}"
            closing, name, attributes = tag[1], tag[2].lower(), tag[3]
            if closing:
                if not stack:
                    return f"Unexpected end tag at byte offset {offset}"
                if stack[-1] != name:
                    return (
                        f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                        f'found "</{name}>"'
                    )
                stack.pop()
            else:
                if name not in ALLOWED_TAGS:
                    return f'Unsupported start tag "{name}" at byte offset {offset}'
                if name == "span" and "tg-spoiler" not in attributes:
                    return 'Tag "span" must have class "tg-spoiler"'
                if name == "a" and "href=" not in attributes:
                    return f'Tag "a" must have attribute "href" at byte offset {offset}'
                stack.append(name)
            index = tag.end()
            continue
        index += 1
    if stack:
        return f'Can\'t find end tag corresponding to start tag "{stack[-1]}"'
    return None


ADMIN_RIGHTS = (
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


def _chat(chat: str) -> dict[str, Any]:
    kind = (
        "supergroup"
        if chat.startswith("-100")
        else ("group" if chat.startswith("-") else "private")
    )
    return (
        {"id": int(chat), "type": kind, "title": "Test"}
        if kind != "private"
        else {"id": int(chat), "type": "private", "first_name": "Someone"}
    )
