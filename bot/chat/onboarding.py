"""Letting a chat in: what a refused chat is told, what the log and the admin see.

With the defaults (``open = false``, ``chats = []``) a bot refuses every chat. The refusal
says the chat's id, so whoever asked can pass it to the bot's admin; the first refusal of a
chat is logged (once, however often it asks again) and every refusal is kept in the chat
store, where `tenderbot bots` lists them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.chat.settings import ChatBotConfig
from bot.chat.store import ChatStore, Refusal

log = logging.getLogger("tenderbot.chat")


def refusal_text(chat: str) -> str:
    """What a chat the bot is not open to is told."""
    return (
        f"This bot is not open to this chat (chat id {chat}). Ask the bot's administrator "
        f'to allow it: they add "{chat}" to chats in its [[bots]] table.'
    )


def admin_note(bot: str, chat: str) -> str:
    """Added to a bot admin's replies in a chat the bot is not open to."""
    return (
        f"(Note for the bot's admin: this chat, id {chat}, is not in the chats of the bot "
        f'{bot!r}, so its other members are refused. Add "{chat}" to chats in that '
        "[[bots]] table to open it to them.)"
    )


def note_refusal(chats: ChatStore, bot: str, chat: str, user: str, now: datetime) -> None:
    """Keep the refusal in the chat store, and log it the first time this chat is refused."""
    if chats.record_refusal(bot, chat, user, now):
        log.warning(
            "%s: refused chat %s (user %s): it is not in this bot's chats and open is false; "
            'to allow it, add "%s" to chats in its [[bots]] table (or set open = true); '
            "`tenderbot bots` lists the chats refused",
            bot,
            chat,
            user,
            chat,
        )


def render_bots(bots: Sequence[ChatBotConfig], refusals: Sequence[Refusal], zone: ZoneInfo) -> str:
    """`tenderbot bots`: each configured bot, who may use it, and the chats it refused.

    A refused chat that has since been allowed (its id is in `chats`, or the bot is open)
    is marked so.
    """
    lines = ["Bots:" if bots else "Bots: none configured (no [[bots]] table)"]
    by_name = {bot.name: bot for bot in bots}
    for bot in bots:
        who = "open to every chat" if bot.open else f"{len(bot.chats)} chat(s) allowed"
        lines.append(f"  {bot.name} ({bot.kind}): {who}; {len(bot.admins)} admin(s)")
    lines.append("")
    if not refusals:
        lines.append("Chats refused: none")
        return "\n".join(lines)
    lines.append("Chats refused (to allow one, add its id to chats in its [[bots]] table):")
    for refusal in refusals:
        configured = by_name.get(refusal.bot)
        now_allowed = configured is not None and configured.allows_chat(refusal.chat)
        first = refusal.first_at.astimezone(zone)
        last = refusal.last_at.astimezone(zone)
        lines.append(
            f"  {refusal.bot}: chat {refusal.chat}: asked {refusal.asks} time(s), first "
            f"{first:%Y-%m-%d %H:%M}, last {last:%Y-%m-%d %H:%M %Z} (by user "
            f"{refusal.last_user})" + (" — allowed since" if now_allowed else "")
        )
    return "\n".join(lines)
