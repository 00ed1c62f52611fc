"""A chat command's records: who asks, who may, what the daemon offers it, and the reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum


class Permission(Enum):
    """Who may use a command."""

    ANYONE = "anyone in the chat"
    MANAGER = "the chat's administrators (or the bot's admins)"
    BOT_ADMIN = "the bot's admins"


@dataclass(frozen=True, slots=True)
class Button:
    """A button that runs `command` in the chat when pressed."""

    label: str
    command: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot answers: plain text (the listener escapes it) and buttons."""

    text: str
    buttons: tuple[Button, ...] = ()
    changed: bool = False
    """The chat's subscriptions changed: routing must be rebuilt."""


@dataclass(slots=True)
class Asker:
    """Who sent a command, and how to find out whether they may manage the chat."""

    user: str
    bot_admin: bool
    manage: Callable[[], Awaitable[bool]]


@dataclass(slots=True)
class ChatServices:
    """What commands need from the running daemon."""

    preview: Callable[[str, int], tuple[int, list[tuple[str, str | None]]]]
    """(rule set, days) -> how many notices it matched, and the top five (title, link)."""
    catch_up: Callable[[str, int], int]
    """(chat key, days) -> how many notices were queued as one digest."""
    status: Callable[[], str]
    """A few lines on the daemon's health."""
    read_only: Callable[[str], list[str]]
    """(chat id) -> descriptions of the config file's subscriptions for this chat."""
    radar_items: Callable[[str], list[str]] = field(default=lambda key: [])
    """(chat key) -> the radar items made for the chat, one line each."""
