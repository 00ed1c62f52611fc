"""The `[[bots]]` tables: self-service bots that chats subscribe through."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config_table import TomlTable, type_name

BOT_KINDS = ("telegram", "slack")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatBotConfig:
    """One `[[bots]]` entry.

    `open`: any chat may use the bot (on Slack, anyone in a channel may also change its
    subscriptions); otherwise only the chats in `chats`. `admins`: user ids who may use
    `status` and manage any chat.
    """

    name: str
    kind: str
    token_env: str
    app_token_env: str | None = None
    api_url: str | None = None
    open: bool = False
    chats: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()
    default_rules: tuple[str, ...] = ("small-charities",)
    commands_per_minute: int = 10
    index: int = 0

    def allows_chat(self, chat: str) -> bool:
        """Whether the bot answers in `chat` at all."""
        return self.open or chat in self.chats

    def is_admin(self, user: str) -> bool:
        """Whether `user` is one of the bot's admins."""
        return user in self.admins


def _ids(table: TomlTable, key: str) -> tuple[str, ...]:
    values = table.get(key, list, [])
    assert values is not None
    found = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
            raise table.error(key, f"expected ids (strings or integers), got {type_name(value)}")
        found.append(str(value).strip())
    return tuple(found)


def load_bot(file: Path, index: int, data: object) -> ChatBotConfig:
    """One `[[bots]]` table.

    Raises:
        ConfigError: a key is missing, unknown or has a bad value.
    """
    table = TomlTable(file, f"bots[{index}]", data)
    name = table.require("name", str).strip()
    if not name or ":" in name:
        raise table.error("name", "must be non-empty and contain no ':'")
    table.where = f"bots[{index}] ({name})"
    kind = table.one_of("kind", BOT_KINDS)
    token_env = table.require("token_env", str)
    app_token_env = table.text("app_token_env")
    if kind == "slack" and app_token_env is None:
        raise table.error("app_token_env", "is required for a slack bot (its Socket Mode token)")
    api_url = table.http_url("api_url")
    is_open = table.get("open", bool, False)
    rules = table.get("default_rules", list, ["small-charities"])
    assert rules is not None
    if not all(isinstance(r, str) and r.strip() for r in rules):
        raise table.error("default_rules", "expected an array of rule-set names")
    per_minute = table.positive_int("commands_per_minute", 10)
    bot = ChatBotConfig(
        name=name,
        kind=kind,
        token_env=token_env,
        app_token_env=app_token_env,
        api_url=api_url,
        open=bool(is_open),
        chats=_ids(table, "chats"),
        admins=_ids(table, "admins"),
        default_rules=tuple(rules),
        commands_per_minute=per_minute,
        index=index,
    )
    table.finish()
    return bot


def load_bots(file: Path, root: Mapping[str, Any]) -> tuple[ChatBotConfig, ...]:
    """Every `[[bots]]` table of `file`.

    Raises:
        ConfigError: one is invalid, or two share a name.
    """
    from bot.config_table import ConfigError

    value = root.get("bots", [])
    if not isinstance(value, list):
        raise ConfigError(f"{file}: bots: expected an array of tables ([[bots]])")
    bots = tuple(load_bot(file, i, data) for i, data in enumerate(value))
    seen: set[str] = set()
    for bot in bots:
        if bot.name in seen:
            raise ConfigError(f"{file}: bots[{bot.index}].name: {bot.name!r} is used twice")
        seen.add(bot.name)
    return bots
