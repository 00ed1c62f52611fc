"""Telegram: HTML messages through python-telegram-bot's `Bot` (`sendMessage`).

Every value from a feed goes through `html.escape`, so ``<b>`` in a title shows as text.
Messages stay within 4096 characters after entity parsing: long descriptions are cut with
an ellipsis and the buttons still link to the full notice.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

# Opt in to python-telegram-bot's timedelta time periods (its deprecated int form warns).
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import ChatMigrated, TelegramError
from telegram.request import HTTPXRequest

from bot.config_table import TomlTable
from bot.delivery.alerts import Alert, Digest, doubt
from bot.delivery.notifiers import SendError
from bot.delivery.notifiers.content import content_of, cut, digest_line, safe_url, units
from bot.delivery.notifiers.registry import (
    BuildContext,
    ChannelKind,
    ChannelOptions,
    read_chat_keys,
)
from bot.delivery.notifiers.telegram_errors import classify
from bot.delivery.pacing import RateLimits, account_key
from bot.moments import local_moment
from sources.text import strip_unsafe

if TYPE_CHECKING:
    from bot.config_delivery import ChannelConfig

log = logging.getLogger("tenderbot")
DEFAULT_API_URL = "https://api.telegram.org/bot"
MESSAGE_LIMIT = 4096
GROUP_PER_MINUTE = 20
"""Telegram allows a bot at most twenty messages a minute to one group."""
BOT_PER_SECOND = 30.0
"""Telegram allows a bot about thirty messages a second overall."""
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True, kw_only=True)
class TelegramMessage:
    """HTML text and inline buttons (label, URL)."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()
    callbacks: tuple[tuple[str, str], ...] = ()
    """Buttons (label, callback data) on a row of their own, answered by the chat bot."""


def visible_length(text: str) -> int:
    """Length after entity parsing, in the UTF-16 units Telegram counts."""
    return units(html.unescape(_TAG.sub("", text)))


def e(text: str) -> str:
    """Escape feed text for Telegram HTML."""
    return html.escape(text, quote=True)


def render(alert: Alert, *, now: datetime, zone: ZoneInfo) -> TelegramMessage:
    """The message for an alert."""
    content = content_of(alert, now=now, zone=zone)
    lines = [f"<b>{e(content.label)}</b> · <b>{e(content.title)}</b>", ""]
    lines += [f"<b>{e(label)}:</b> {e(value)}" for label, value in content.fields]
    if content.changes:
        lines += ["", "<b>What changed</b>"] + [f"• {e(c)}" for c in content.changes]
    tail = [""]
    if content.also:
        tail.append(
            "Also published at "
            + ", ".join(
                f'<a href="{e(u)}">{e(urlsplit(u).hostname or u)}</a>' for u in content.also
            )
        )
    if content.why:
        tail.append("<i>Why it matched: " + e(content.why) + "</i>")
    head = "\n".join(lines)
    end = "\n".join(tail) if len(tail) > 1 else ""
    budget = MESSAGE_LIMIT - visible_length(head) - visible_length(end) - 4
    if budget < 0:  # absurdly long title or reasons: cut the whole text
        text = cut(html.unescape(_TAG.sub("", head + end)), MESSAGE_LIMIT)
        return TelegramMessage(
            text=e(text), buttons=_buttons(content.notice_url, content.portal_url)
        )
    description = cut(content.description, budget) if content.description else ""
    body = head + (f"\n\n{e(description)}" if description else "") + ("\n" + end if end else "")
    return TelegramMessage(text=body, buttons=_buttons(content.notice_url, content.portal_url))


def _buttons(notice_url: str | None, portal_url: str | None) -> tuple[tuple[str, str], ...]:
    buttons = []
    if notice_url:
        buttons.append(("View notice", notice_url))
    if portal_url:
        buttons.append(("Bid on portal", portal_url))
    return tuple(buttons)


def _digest_entry(alert: Alert, *, now: datetime, zone: ZoneInfo) -> str:
    title, details = digest_line(alert, now=now, zone=zone)
    why = doubt(alert)
    if why:
        details += f" · {strip_unsafe(why)}"
    url = safe_url(alert.notice.url)
    name = f'<a href="{e(url)}">{e(cut(title, 300))}</a>' if url else f"<b>{e(cut(title, 300))}</b>"
    return f"• {name}\n  {e(details)}"


def split_digest(digest: Digest, *, now: datetime, zone: ZoneInfo) -> list[Digest]:
    """Cut a digest into parts that each fit in one message; nothing is dropped."""
    heading_room = 120
    chunks: list[list[Alert]] = [[]]
    size = 0
    for alert in digest.alerts:
        entry = visible_length(_digest_entry(alert, now=now, zone=zone)) + 2
        if chunks[-1] and size + entry > MESSAGE_LIMIT - heading_room:
            chunks.append([])
            size = 0
        chunks[-1].append(alert)
        size += entry
    return [
        Digest(title=digest.title, alerts=tuple(chunk), part=n, parts=len(chunks))
        for n, chunk in enumerate(chunks, start=1)
    ]


def render_digest(digest: Digest, *, now: datetime, zone: ZoneInfo) -> TelegramMessage:
    """The message for one digest part."""
    part = f" (part {digest.part} of {digest.parts})" if digest.parts > 1 else ""
    lines = [f"<b>{e(digest.title)}{e(part)}</b>", ""]
    for heading, alerts in digest.sections():
        if heading:
            lines += ["", f"<b>{e(heading)}</b>"]
        lines += [_digest_entry(a, now=now, zone=zone) for a in alerts]
    text = "\n".join(lines)
    if visible_length(text) > MESSAGE_LIMIT:  # one entry alone too long: plain and cut
        text = e(cut(html.unescape(_TAG.sub("", text)), MESSAGE_LIMIT))
    return TelegramMessage(text=text)


FEEDBACK_PREFIX = "f:"
WHY_PREFIX = "w:"
VERDICT_CODES = {"u": "useful", "n": "not_for_us"}


def feedback_buttons(outbox_id: int) -> tuple[tuple[str, str], ...]:
    """The callback buttons of an alert sent to a bot's chat.

    "Useful" / "Not for us" (``f:u:ID``, ``f:n:ID``), and "Why?" (``w:ID``), which the chat
    bot answers with every reason, grouped.
    """
    return (
        ("Useful", f"{FEEDBACK_PREFIX}u:{outbox_id}"),
        ("Not for us", f"{FEEDBACK_PREFIX}n:{outbox_id}"),
        ("Why?", f"{WHY_PREFIX}{outbox_id}"),
    )


class TelegramRequests:
    """The HTTP clients python-telegram-bot sends through, shared by every chat of a process.

    One client per process instead of two per chat keeps the daemon's memory flat however
    many Telegram channels it serves (each client holds its own TLS context and pool).
    """

    def __init__(self) -> None:
        # Every chat delivers at once: sends wait their turn for a connection (pacing
        # already keeps them under the bot's limit) rather than fail after a second.
        self.request = HTTPXRequest(
            connection_pool_size=16,
            connect_timeout=10,
            read_timeout=30,
            write_timeout=30,
            pool_timeout=60,
        )
        self.updates = HTTPXRequest(connection_pool_size=1)

    async def aclose(self) -> None:
        """Close both clients."""
        await self.request.shutdown()
        await self.updates.shutdown()


class TelegramNotifier:
    """Sends to one Telegram chat with a bot token."""

    def __init__(
        self,
        *,
        token: str,
        chat_id: str,
        zone: ZoneInfo,
        api_url: str | None = None,
        on_migrate: Callable[[str], None] | None = None,
        requests: TelegramRequests | None = None,
        feedback: bool = False,
    ) -> None:
        """One chat. `requests`: HTTP clients shared with other chats (their owner closes them).

        `feedback`: alerts carry "Useful" / "Not for us" buttons.
        """
        self._feedback = feedback
        self._owns_requests = requests is None
        self._requests = requests or TelegramRequests()
        self._bot = Bot(
            token=token,
            base_url=api_url or DEFAULT_API_URL,
            request=self._requests.request,
            get_updates_request=self._requests.updates,
        )
        self.chat_id = chat_id
        self._zone = zone
        self._on_migrate = on_migrate
        self._ready = False
        self._account = account_key("telegram", token)

    @property
    def limits(self) -> RateLimits:
        """Telegram's limits (Bot API FAQ) for this chat and bot.

        About one message a second per chat, twenty a minute per group (groups and channels
        have negative ids), thirty a second per bot overall.
        """
        group = self.chat_id.startswith("-")
        return RateLimits(
            account=self._account,
            per_chat_gap=1.0,
            per_chat_per_minute=GROUP_PER_MINUTE if group else None,
            account_per_second=BOT_PER_SECOND,
        )

    async def _send(self, message: TelegramMessage, reply_to: str | None = None) -> str:
        rows = []
        if message.buttons:
            rows.append([InlineKeyboardButton(label, url=url) for label, url in message.buttons])
        if message.callbacks:
            rows.append(
                [
                    InlineKeyboardButton(label, callback_data=data)
                    for label, data in message.callbacks
                ]
            )
        markup = InlineKeyboardMarkup(rows) if rows else None
        reply = None
        if reply_to and reply_to.isdigit():
            reply = ReplyParameters(message_id=int(reply_to), allow_sending_without_reply=True)
        for _ in range(2):
            try:
                if not self._ready:
                    await self._bot.initialize()
                    self._ready = True
                sent = await self._bot.send_message(
                    chat_id=self.chat_id,
                    text=message.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    reply_parameters=reply,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            except ChatMigrated as exc:
                self.chat_id = str(exc.new_chat_id)
                if self._on_migrate is not None:
                    self._on_migrate(self.chat_id)
                continue
            except TelegramError as exc:
                raise classify(exc) from exc
            return str(sent.message_id)
        raise SendError("telegram: the chat migrated twice in a row", retryable=True)

    async def send(self, alert: Alert, *, now: datetime) -> str | None:
        """Send one alert (an update or reminder as a reply); returns its message id."""
        message = render(alert, now=now, zone=self._zone)
        if self._feedback:
            message = dataclasses.replace(message, callbacks=feedback_buttons(alert.outbox_id))
        return await self._send(message, alert.reply_to)

    def digest_parts(self, digest: Digest, *, now: datetime) -> list[Digest]:
        """Split a digest into message-sized parts."""
        return split_digest(digest, now=now, zone=self._zone)

    async def send_digest(self, digest: Digest, *, now: datetime) -> str | None:
        """Send one digest part."""
        return await self._send(render_digest(digest, now=now, zone=self._zone))

    async def send_test(self, *, now: datetime) -> str | None:
        """Send a clearly marked test message."""
        text = (
            f"<b>Test</b> · tenderbot test message ({local_moment(now, self._zone)}): "
            "this chat receives alerts."
        )
        return await self._send(TelegramMessage(text=text))

    async def send_admin(self, text: str, *, now: datetime) -> str | None:
        """Send an admin message (escaped, within the length limit)."""
        body = e(cut(strip_unsafe(text), MESSAGE_LIMIT - 40))
        return await self._send(TelegramMessage(text=f"<b>tenderbot admin</b> · {body}"))

    async def aclose(self) -> None:
        """Close the bot's HTTP clients, unless they are shared (their owner closes them)."""
        if self._owns_requests:
            await self._requests.aclose()


def _read(table: TomlTable) -> ChannelOptions:
    options = read_chat_keys(table)
    if options.token_env is None:
        raise table.error("token_env", "is required for a telegram channel (the variable's name)")
    if options.chat_id is None:
        raise table.error("chat_id", "is required for a telegram channel")
    return options


def _build(channel: ChannelConfig, context: BuildContext) -> TelegramNotifier:
    assert channel.chat_id is not None
    remember = context.remember_chat_id

    def moved(new_chat_id: str) -> None:
        log.warning(
            "%s: the chat moved to %s (group upgraded); using it", channel.name, new_chat_id
        )
        if remember is not None:
            remember(channel.name, new_chat_id)

    saved = context.saved_chat_id(channel.name) if context.saved_chat_id else None
    return TelegramNotifier(
        token=os.environ.get(channel.token_env or "", ""),
        chat_id=saved or channel.chat_id,
        zone=context.zone,
        api_url=channel.api_url,
        on_migrate=moved,
        requests=context.resource("telegram", TelegramRequests),
        feedback=channel.feedback,
    )


CHANNEL = ChannelKind(name="telegram", read=_read, build=_build)
"""The telegram kind: ``token_env`` and ``chat_id``, optional ``api_url``."""
