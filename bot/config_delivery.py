"""The config's delivery tables: `[[channels]]` (where alerts go) and `[[subscriptions]]`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from pathlib import Path

from bot.config_table import TomlTable, type_name

CHANNEL_KINDS = ("console", "slack", "telegram")
MODES = ("instant", "daily", "weekly")
MAX_RADAR_MONTHS = 36


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelConfig:
    """One `[[channels]]` entry."""

    name: str
    kind: str
    token_env: str | None = None
    channel: str | None = None
    chat_id: str | None = None
    api_url: str | None = None
    feedback: bool = False
    """Alerts carry "Useful" / "Not for us" buttons (a bot of the same token listens)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionConfig:
    """One `[[subscriptions]]` entry; `name` is its stable key in the outbox.

    `regions`, `max_value`, `keywords` and `exclude_keywords` narrow the rule sets further.
    """

    name: str
    channel: str
    rules: tuple[str, ...] = ()
    mode: str = "instant"
    regions: tuple[str, ...] = ()
    max_value: Decimal | None = None
    keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    digest_at: time = time(8, 0)
    digest_day: int = 0
    remind_days: int = 3
    index: int = 0
    radar: bool = False
    """Opted in to re-tender radar items (a digest section, never instant)."""
    radar_months: int = 9
    """How long before a contract's end its radar item is shown."""


def load_channel(file: Path, index: int, data: object) -> ChannelConfig:
    """One `[[channels]]` table.

    Raises:
        ConfigError: a key is missing, unknown or has a bad value.
    """
    table = TomlTable(file, f"channels[{index}]", data)
    name = table.name()
    kind = table.one_of("kind", CHANNEL_KINDS)
    token_env = table.text("token_env")
    channel = table.text("channel")
    table.used.add("chat_id")
    raw_chat_id = table.data.get("chat_id")
    if raw_chat_id is not None and (
        isinstance(raw_chat_id, bool) or not isinstance(raw_chat_id, str | int)
    ):
        raise table.error("chat_id", f"expected a string or integer, got {type_name(raw_chat_id)}")
    chat_id = None if raw_chat_id is None else str(raw_chat_id)
    api_url = table.http_url("api_url")
    if kind in ("slack", "telegram") and token_env is None:
        raise table.error("token_env", f"is required for a {kind} channel (the variable's name)")
    if kind == "slack" and channel is None:
        raise table.error("channel", "is required for a slack channel (a channel id)")
    if kind == "telegram" and chat_id is None:
        raise table.error("chat_id", "is required for a telegram channel")
    table.finish()
    return ChannelConfig(
        name=name, kind=kind, token_env=token_env, channel=channel, chat_id=chat_id, api_url=api_url
    )


def load_subscription(
    file: Path, index: int, data: object, channels: Mapping[str, ChannelConfig]
) -> SubscriptionConfig:
    """One `[[subscriptions]]` table; its channel must be one of `channels`.

    Raises:
        ConfigError: a key is missing, unknown or has a bad value.
    """
    table = TomlTable(file, f"subscriptions[{index}]", data)
    channel = table.require("channel", str)
    if channel not in channels:
        known = ", ".join(sorted(channels)) or "none are configured"
        raise table.error("channel", f"no channel named {channel!r} (channels: {known})")
    rules = table.get("rules", list, [])
    assert rules is not None
    if not all(isinstance(r, str) and r.strip() for r in rules):
        raise table.error("rules", "expected an array of rule-set names or file paths")
    mode = table.one_of("mode", MODES, "instant")
    default_name = f"{channel}:{','.join(rules) or '*'}:{mode}"
    name = table.text("name", default_name) or default_name
    max_value = table.get("max_value", float)
    if max_value is not None and max_value < 0:
        raise table.error("max_value", f"must not be negative, got {max_value}")
    narrowing = {
        key: _string_list(table, key) for key in ("regions", "keywords", "exclude_keywords")
    }
    digest_text = table.text("digest_at", "08:00") or "08:00"
    try:
        digest_at = time.fromisoformat(digest_text)
    except ValueError:
        raise table.error("digest_at", f"{digest_text!r} is not a time of day (HH:MM)") from None
    remind_days = table.positive_int("remind_days", 3, minimum=0)
    radar = table.get("radar", bool, False)
    radar_months = table.positive_int("radar_months", 9, minimum=1)
    if radar_months > MAX_RADAR_MONTHS:
        raise table.error("radar_months", f"must be at most {MAX_RADAR_MONTHS}, got {radar_months}")
    table.finish()
    return SubscriptionConfig(
        name=name,
        channel=channel,
        rules=tuple(rules),
        mode=mode,
        max_value=None if max_value is None else Decimal(str(max_value)),
        index=index,
        digest_at=digest_at,
        remind_days=remind_days,
        regions=narrowing["regions"],
        keywords=narrowing["keywords"],
        exclude_keywords=narrowing["exclude_keywords"],
        radar=bool(radar),
        radar_months=radar_months,
    )


def _string_list(table: TomlTable, key: str) -> tuple[str, ...]:
    values = table.get(key, list, [])
    assert values is not None
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise table.error(key, "expected an array of non-empty strings")
    return tuple(v.strip() for v in values)
