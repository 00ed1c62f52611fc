"""The Slack app: Socket Mode (no public URL needed), the `/tenderbot` command, buttons, events.

slack-sdk's `SocketModeClient` opens the connection with the app-level token and reconnects
on its own. Each envelope is acknowledged after it is handled, so one that arrives while the
daemon stops is sent again by Slack; a slash command's reply travels in its acknowledgement
(seen only by the person who typed it), a button's as an ephemeral message.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.arguments import MAX_DATABASE_ID, read_number
from bot.chat.command_records import Asker, Reply
from bot.chat.commands import ChatCommands
from bot.chat.feedback import Feedback
from bot.chat.settings import ChatBotConfig
from bot.chat.store import REMOVED, ChatStore
from bot.delivery.notifiers.content import cut
from bot.delivery.notifiers.slack import DEFAULT_API_URL, FEEDBACK_ACTIONS, escape
from sources.text import strip_unsafe

log = logging.getLogger("tenderbot.chat")

COMMAND_ACTION = "tenderbot_command"
TEXT_LIMIT = 2900


def blocks(reply: Reply) -> list[dict[str, Any]]:
    """A reply as Block Kit: its text (escaped), then its buttons."""
    text = cut(escape(strip_unsafe(reply.text)), TEXT_LIMIT)
    found: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if reply.buttons:
        found.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": b.label[:70]},
                        "action_id": f"{COMMAND_ACTION}_{index}",
                        "value": b.command[:2000],
                    }
                    for index, b in enumerate(reply.buttons[:25])
                ],
            }
        )
    return found


class SlackChatBot:
    """Serves one `[[bots]]` entry of kind slack."""

    def __init__(
        self,
        config: ChatBotConfig,
        token: str,
        app_token: str,
        commands: ChatCommands,
        chats: ChatStore,
        *,
        on_change: Any,
        feedback: Feedback,
    ) -> None:
        """`on_change` runs after a chat's subscriptions changed."""
        self.config = config
        self.commands = commands
        self.chats = chats
        self._on_change = on_change
        self._feedback = feedback
        base = config.api_url or DEFAULT_API_URL
        self.web = AsyncWebClient(
            token=token, base_url=base if base.endswith("/") else base + "/", timeout=30
        )
        self.socket = SocketModeClient(app_token=app_token, web_client=self.web)
        self.socket.socket_mode_request_listeners.append(self._on_request)
        self._bot_user: str | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Connect (slack-sdk keeps reconnecting) and serve until `stop` is set."""
        try:
            identity = await self.web.auth_test()
            self._bot_user = str(identity.get("user_id") or "") or None
        except SlackApiError as exc:
            log.error("%s: Slack refused the bot token: %s", self.config.name, exc)
        await self.socket.connect()  # type: ignore[no-untyped-call]
        await stop.wait()

    async def aclose(self) -> None:
        """Close the Socket Mode connection."""
        await self.socket.close()  # type: ignore[no-untyped-call]

    async def _on_request(
        self, client: AsyncBaseSocketModeClient, request: SocketModeRequest
    ) -> None:
        payload: dict[str, Any] | None = None
        try:
            payload = await self.handle(request.type, request.payload)
        except asyncio.CancelledError:
            raise  # not acknowledged: Slack sends it again after the restart
        except Exception:  # one bad envelope must not stop the others
            log.exception("%s: %s envelope skipped", self.config.name, request.type)
        await client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=payload)
        )

    async def handle(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Handle one envelope; returns what its acknowledgement carries (a command's reply)."""
        if kind == "slash_commands":
            reply = await self._run(
                str(payload.get("channel_id", "")),
                str(payload.get("user_id", "")),
                str(payload.get("text", "")) or "help",
            )
            if reply is None:
                return None
            text = cut(escape(strip_unsafe(reply.text)), TEXT_LIMIT)
            return {"response_type": "ephemeral", "text": text, "blocks": blocks(reply)}
        if kind == "interactive" and payload.get("type") == "block_actions":
            await self._pressed(payload)
        elif kind == "events_api":
            self._event(dict(payload.get("event") or {}))
        return None

    async def _pressed(self, payload: dict[str, Any]) -> None:
        channel = str((payload.get("channel") or {}).get("id", ""))
        user = str((payload.get("user") or {}).get("id", ""))
        for action in payload.get("actions") or []:
            action_id = str(action.get("action_id", ""))
            value = str(action.get("value", ""))
            if action_id in FEEDBACK_ACTIONS:
                outbox_id = read_number(value, low=1, high=MAX_DATABASE_ID)
                text = (
                    "Unknown button."
                    if outbox_id is None
                    else self._feedback(outbox_id, channel, user, FEEDBACK_ACTIONS[action_id])
                )
                await self._ephemeral(channel, user, Reply(text))
            elif action_id.startswith(COMMAND_ACTION):
                reply = await self._run(channel, user, value)
                if reply is not None:
                    await self._ephemeral(channel, user, reply)

    async def _ephemeral(self, channel: str, user: str, reply: Reply) -> None:
        await self.web.chat_postEphemeral(
            channel=channel,
            user=user,
            text=cut(escape(strip_unsafe(reply.text)), TEXT_LIMIT),
            blocks=blocks(reply),
        )

    async def _run(self, channel: str, user: str, text: str) -> Reply | None:
        async def manage() -> bool:
            if self.config.open:
                return True
            try:
                info = await self.web.users_info(user=user)
            except SlackApiError as exc:
                log.warning(
                    "%s: cannot tell whether %s is an admin: %s", self.config.name, user, exc
                )
                return False
            person = info.get("user") or {}
            return any(person.get(k) for k in ("is_admin", "is_owner", "is_primary_owner"))

        asker = Asker(user=user, bot_admin=self.config.is_admin(user), manage=manage)
        reply = await self.commands.run(channel, asker, text)
        if reply is not None and reply.changed:
            self._on_change()
            if text.split()[0].lower() == "subscribe" and not await self._is_member(channel):
                hint = (
                    " I am not in this channel yet: invite me (/invite @tenderbot) to get alerts."
                )
                reply = Reply(reply.text + hint, reply.buttons, reply.changed)
        return reply

    async def _is_member(self, channel: str) -> bool:
        """Whether the bot can post in `channel` (True when Slack will not say)."""
        try:
            info = await self.web.conversations_info(channel=channel)
        except SlackApiError:
            return True
        return bool((info.get("channel") or {}).get("is_member", True))

    def _event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        channel = str(event.get("channel", ""))
        settings = self.chats.chat(self.config.name, channel)
        if not settings.rule_sets:
            return
        now = self.commands.clock.now()
        if kind == "channel_left" and settings.paused is None:
            self.chats.update(self.config.name, channel, "slack", now, paused=REMOVED)
            log.info("%s: removed from %s; its subscriptions are paused", self.config.name, channel)
            self._on_change()
        elif (
            kind == "member_joined_channel"
            and event.get("user") == self._bot_user
            and settings.paused == REMOVED
        ):
            self.chats.update(self.config.name, channel, "slack", now, paused=None)
            self._on_change()
