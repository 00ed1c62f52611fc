"""A Teams Workflows trigger on 127.0.0.1 port 0 that validates the Adaptive Card envelope."""

from __future__ import annotations

import json
import threading

from tests.fakes.http_base import FakeServer

TEAMS_LIMIT = 28 * 1024
"""The most a Teams message may hold, in bytes."""
ELEMENTS = {"TextBlock", "FactSet", "ColumnSet", "Container", "Image", "RichTextBlock"}


def envelope_problems(body: bytes) -> list[str]:
    """What a Workflows "post card" flow would reject in a request body."""
    problems = []
    if len(body) > TEAMS_LIMIT:
        problems.append(f"message of {len(body)} bytes is over Teams' 28 KB")
    message = json.loads(body)
    if message.get("type") != "message":
        problems.append("type is not message")
    attachments = message.get("attachments")
    if not isinstance(attachments, list) or len(attachments) != 1:
        return [*problems, "expected one attachment"]
    attachment = attachments[0]
    if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
        problems.append("contentType is not an adaptive card")
    card = attachment.get("content") or {}
    if card.get("type") != "AdaptiveCard" or card.get("version") != "1.4":
        problems.append("not an AdaptiveCard 1.4")
    for element in card.get("body", []):
        if element.get("type") not in ELEMENTS:
            problems.append(f"unknown element {element.get('type')}")
        if element.get("type") == "TextBlock" and not isinstance(element.get("text"), str):
            problems.append("TextBlock without text")
    for action in card.get("actions", []):
        if action.get("type") != "Action.OpenUrl" or not action["url"].startswith("http"):
            problems.append(f"bad action {action}")
    return problems


class Workflow:
    def __init__(self) -> None:
        self.cards: list[dict] = []
        self.replies: list[tuple[int, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.server = FakeServer(self._handle)

    def _handle(self, method, path, headers, body):
        problems = envelope_problems(body)
        if problems:
            return 400, {}, json.dumps({"error": problems}).encode()
        with self.lock:
            if self.replies:
                status, extra = self.replies.pop(0)
                return status, extra, b""
            self.cards.append(json.loads(body)["attachments"][0]["content"])
        return 202, {}, b""

    @property
    def url(self) -> str:
        return self.server.url + "/workflows/abc/triggers/manual/paths/invoke?sig=x"
