"""The Telegram bot: long polling with python-telegram-bot, commands, buttons, membership.

Updates are fetched with ``getUpdates`` and handled one by one; after each, the next offset
is committed to the database, so an update that arrived while the daemon was down is
handled when it starts, and one already handled is never handled twice. One update that
cannot be handled is logged and skipped; it never blocks the ones after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Callable
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot.chat.arguments import MAX_DATABASE_ID, read_number
from bot.chat.command_records import Asker, Reply
from bot.chat.commands import ChatCommands
from bot.chat.feedback import Feedback
from bot.chat.settings import ChatBotConfig
from bot.chat.store import REMOVED, ChatStore
from bot.delivery.notifiers.content import cut
from bot.delivery.notifiers.telegram import (
    DEFAULT_API_URL,
    FEEDBACK_PREFIX,
    VERDICT_CODES,
    WHY_PREFIX,
)
from bot.delivery.notifiers.telegram_errors import seconds
from sources.text import strip_unsafe

log = logging.getLogger("tenderbot.chat")

LONG_POLL_SECONDS = 25
MAX_BACKOFF_SECONDS = 60.0
COMMAND_PREFIX = "c:"
MAX_CALLBACK_BYTES = 64
MAX_UPDATE_ID = 2**53 - 1
"""Update ids beyond this cannot be committed as an offset (nor come from Telegram)."""
BAD_UPDATE_PAUSE_SECONDS = 1.0
REPLY_LIMIT = 4000
MANAGERS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    """A reply's buttons, two to a row, each sending its command back as callback data."""
    buttons = [
        InlineKeyboardButton(b.label[:60], callback_data=f"{COMMAND_PREFIX}{b.command}")
        for b in reply.buttons
        if len(f"{COMMAND_PREFIX}{b.command}".encode()) <= MAX_CALLBACK_BYTES
    ]
    if not buttons:
        return None
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


class TelegramChatBot:
    """Serves one `[[bots]]` entry of kind telegram."""

    def __init__(
        self,
        config: ChatBotConfig,
        token: str,
        commands: ChatCommands,
        chats: ChatStore,
        *,
        on_change: Callable[[], None],
        feedback: Feedback,
        explain: Callable[[int, str], str] | None = None,
        long_poll: int = LONG_POLL_SECONDS,
    ) -> None:
        """Serve one bot.

        `on_change` runs after a chat's subscriptions changed; `explain` answers an alert's
        "Why?" button: (alert id, chat) -> every reason, grouped.
        """
        self.config = config
        self.commands = commands
        self.chats = chats
        self._on_change = on_change
        self._feedback = feedback
        self._explain = explain
        self._long_poll = long_poll
        self._requests = HTTPXRequest(connection_pool_size=4, read_timeout=30)
        self._updates = HTTPXRequest(connection_pool_size=1, read_timeout=long_poll + 10)
        self._ready = False
        self._skipped: set[str] = set()
        self.bot = Bot(
            token=token,
            base_url=config.api_url or DEFAULT_API_URL,
            request=self._requests,
            get_updates_request=self._updates,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Poll for updates and handle them until `stop` is set."""
        backoff = 1.0
        offset = self.chats.next_update(self.config.name)
        while not stop.is_set():
            try:
                if not self._ready:
                    await self.bot.initialize()
                    self._ready = True
                updates = await self._fetch(offset)
            except RetryAfter as exc:
                await _sleep(stop, seconds(exc.retry_after))
                continue
            except (Forbidden, InvalidToken) as exc:
                log.error("%s: Telegram refused the bot's token: %s", self.config.name, exc)
                await _sleep(stop, MAX_BACKOFF_SECONDS)
                continue
            except TelegramError as exc:
                log.warning("%s: getUpdates failed (%s); retrying", self.config.name, exc)
                await _sleep(stop, backoff)
                backoff = min(MAX_BACKOFF_SECONDS, backoff * 2)
                continue
            backoff = 1.0
            handled = 0
            for raw in updates:
                update_id = _update_id(raw)
                if update_id is None:
                    self._skip_bad(raw)
                    continue
                handled += 1
                try:
                    await self.handle(Update.de_json(raw, self.bot))
                except asyncio.CancelledError:
                    raise
                except Exception:  # one bad update must not block the rest
                    log.exception("%s: update %d skipped", self.config.name, update_id)
                self.chats.handled_update(self.config.name, update_id)
                offset = update_id + 1
            if updates and not handled:
                # Only updates that can never be confirmed came back: do not spin on them.
                await _sleep(stop, BAD_UPDATE_PAUSE_SECONDS)

    def _skip_bad(self, raw: object) -> None:
        """Log an update without a usable id once; it is never handled."""
        shown = repr(raw.get("update_id") if isinstance(raw, dict) else raw)[:40]
        if shown in self._skipped:
            return
        if len(self._skipped) > 1000:
            self._skipped.clear()
        self._skipped.add(shown)
        log.error(
            "%s: an update with id %s was skipped (an update id is a whole number from 0 to %d)",
            self.config.name,
            shown,
            MAX_UPDATE_ID,
        )

    async def _fetch(self, offset: int | None) -> list[Any]:
        """The next updates as raw JSON, so that one the library cannot read is skipped alone.

        (`Bot.get_updates` parses the whole batch at once: one odd update would stall it.)
        """
        arguments: dict[str, Any] = {
            "timeout": self._long_poll,
            "allowed_updates": ["message", "callback_query", "my_chat_member"],
        }
        if offset is not None:
            arguments["offset"] = offset
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PTBUserWarning)  # "use get_updates": see above
            result = await self.bot.do_api_request(
                "getUpdates", api_kwargs=arguments, read_timeout=self._long_poll + 10
            )
        return list(result) if isinstance(result, list) else []

    async def aclose(self) -> None:
        """Close the HTTP clients."""
        await self._requests.shutdown()
        await self._updates.shutdown()

    async def handle(self, update: Update) -> None:
        """Handle one update: a command, a button press, or the bot's membership changing."""
        if update.my_chat_member is not None:
            self._membership(update.my_chat_member)
        elif update.callback_query is not None:
            await self._pressed(update.callback_query)
        elif update.message is not None:
            await self._message(update.message)

    async def _message(self, message: Message) -> None:
        if message.migrate_to_chat_id is not None:
            self._migrated(str(message.chat.id), str(message.migrate_to_chat_id))
            return
        if message.migrate_from_chat_id is not None:
            self._migrated(str(message.migrate_from_chat_id), str(message.chat.id))
            return
        text = message.text or ""
        if not text.startswith("/") or message.from_user is None:
            return  # not a command: the bot reads nothing else
        mention = text.split(maxsplit=1)[0]
        if "@" in mention and mention.split("@", 1)[1].lower() != (self.bot.username or "").lower():
            return  # a command for another bot in the same group
        await self._run(str(message.chat.id), message.chat.type, message.from_user.id, text[1:])

    async def _pressed(self, query: CallbackQuery) -> None:
        data = query.data or ""
        message = query.message
        if message is None:
            await self.bot.answer_callback_query(query.id, text="That message is too old.")
            return
        chat = str(message.chat.id)
        if data.startswith(FEEDBACK_PREFIX):
            _, code, number = [*data.split(":"), "", ""][:3]
            verdict = VERDICT_CODES.get(code)
            outbox_id = read_number(number, low=1, high=MAX_DATABASE_ID)
            if verdict is None or outbox_id is None:
                await self.bot.answer_callback_query(query.id, text="Unknown button.")
                return
            answer = self._feedback(outbox_id, chat, str(query.from_user.id), verdict)
            await self.bot.answer_callback_query(query.id, text=answer)
            return
        if data.startswith(WHY_PREFIX):
            outbox_id = read_number(data[len(WHY_PREFIX) :], low=1, high=MAX_DATABASE_ID)
            if outbox_id is None or self._explain is None:
                await self.bot.answer_callback_query(query.id, text="Unknown button.")
                return
            await self.bot.answer_callback_query(query.id)
            text = self._explain(outbox_id, chat)
            await self.bot.send_message(
                chat_id=int(chat), text=cut(strip_unsafe(text), REPLY_LIMIT)
            )
            return
        await self.bot.answer_callback_query(query.id)
        if data.startswith(COMMAND_PREFIX):
            await self._run(
                chat, message.chat.type, query.from_user.id, data[len(COMMAND_PREFIX) :]
            )

    async def _run(self, chat: str, chat_type: str, user_id: int, command: str) -> None:
        async def manage() -> bool:
            if chat_type == ChatType.PRIVATE:
                return True
            try:
                member = await self.bot.get_chat_member(int(chat), user_id)
            except TelegramError as exc:
                log.warning(
                    "%s: cannot tell whether %s administers %s: %s",
                    self.config.name,
                    user_id,
                    chat,
                    exc,
                )
                return False
            return member.status in MANAGERS

        asker = Asker(
            user=str(user_id), bot_admin=self.config.is_admin(str(user_id)), manage=manage
        )
        reply = await self.commands.run(chat, asker, command)
        if reply is None:
            return
        if reply.changed:
            self._on_change()
        await self.bot.send_message(
            chat_id=int(chat),
            text=cut(strip_unsafe(reply.text), REPLY_LIMIT),
            reply_markup=markup(reply),
        )

    def _migrated(self, old: str, new: str) -> None:
        if self.chats.move_chat(self.config.name, old, new):
            log.info(
                "%s: chat %s became supergroup %s; its subscriptions moved",
                self.config.name,
                old,
                new,
            )
            self._on_change()

    def _membership(self, change: ChatMemberUpdated) -> None:
        chat = str(change.chat.id)
        status = change.new_chat_member.status
        settings = self.chats.chat(self.config.name, chat)
        if not settings.rule_sets:
            return
        who = str(change.from_user.id) if change.from_user else "telegram"
        now = self.commands.clock.now()
        if status in GONE and settings.paused is None:
            self.chats.update(self.config.name, chat, who, now, paused=REMOVED)
            log.info(
                "%s: removed from chat %s; its subscriptions are paused", self.config.name, chat
            )
            self._on_change()
        elif status not in GONE and settings.paused == REMOVED:
            self.chats.update(self.config.name, chat, who, now, paused=None)
            log.info("%s: back in chat %s; its subscriptions resume", self.config.name, chat)
            self._on_change()


def _update_id(raw: object) -> int | None:
    """A raw update's id, if it is one that can be handled and committed."""
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    if isinstance(update_id, bool) or not isinstance(update_id, int):
        return None
    return update_id if 0 <= update_id <= MAX_UPDATE_ID else None


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
