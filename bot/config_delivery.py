"""The config's delivery tables: `[[channels]]` (where alerts go) and `[[subscriptions]]`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from pathlib import Path

from bot.chat.arguments import ArgumentError, read_amount
from bot.config_table import TomlTable
from bot.delivery.notifiers.registry import channel_kind

MODES = ("instant", "daily", "weekly")
POSSIBLE_DIGEST, POSSIBLE_INSTANT, POSSIBLE_OFF = "digest", "instant", "off"
POSSIBLE_CHOICES = (POSSIBLE_DIGEST, POSSIBLE_INSTANT, POSSIBLE_OFF)
"""What a subscription gets of the `possible` tier (the `possible` key; digest by default)."""
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
    settings: object = None
    """The kind's own settings (a frozen dataclass of its notifier module), if it has any."""
    secrets: tuple[tuple[str, str], ...] = ()
    """(config key, environment variable) of each secret the kind declared."""

    @property
    def secret_envs(self) -> tuple[tuple[str, str], ...]:
        """(config key, environment variable) of every secret this channel needs."""
        if self.secrets:
            return self.secrets
        return (("token_env", self.token_env),) if self.token_env else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionConfig:
    """One `[[subscriptions]]` entry; `name` is its stable key in the outbox.

    `regions`, `max_value`, `keywords` and `exclude_keywords` narrow the rule sets further.
    `possible` says what it gets of the `possible` tier: ``digest`` (an "Also worth a look"
    section of its next digest, or a daily digest of its own when it is instant),
    ``instant`` (as its matches) or ``off``.
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
    possible: str = "digest"
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
    kind_name = table.require("kind", str)
    try:
        kind = channel_kind(kind_name)
    except KeyError as exc:
        raise table.error("kind", str(exc.args[0])) from None
    options = kind.read(table)
    table.finish()
    return ChannelConfig(
        name=name,
        kind=kind_name,
        token_env=options.token_env,
        channel=options.channel,
        chat_id=options.chat_id,
        api_url=options.api_url,
        settings=options.settings,
        secrets=options.secrets,
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
    max_value = _max_value(table)
    narrowing = {
        key: _string_list(table, key) for key in ("regions", "keywords", "exclude_keywords")
    }
    digest_text = table.text("digest_at", "08:00") or "08:00"
    try:
        digest_at = time.fromisoformat(digest_text)
    except ValueError:
        raise table.error("digest_at", f"{digest_text!r} is not a time of day (HH:MM)") from None
    remind_days = table.positive_int("remind_days", 3, minimum=0)
    possible = table.one_of("possible", POSSIBLE_CHOICES, POSSIBLE_DIGEST)
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
        max_value=max_value,
        index=index,
        digest_at=digest_at,
        remind_days=remind_days,
        possible=possible,
        regions=narrowing["regions"],
        keywords=narrowing["keywords"],
        exclude_keywords=narrowing["exclude_keywords"],
        radar=bool(radar),
        radar_months=radar_months,
    )


def _max_value(table: TomlTable) -> Decimal | None:
    """`max_value`: a number, or an amount as chat takes it ("100k", "£50,000", "1.5m")."""
    value = table.data.get("max_value")
    if isinstance(value, str):
        table.used.add("max_value")
        try:
            return read_amount(value)
        except ArgumentError as exc:
            raise table.error("max_value", str(exc).replace(" (or 'any')", "")) from None
    number = table.get("max_value", float)
    if number is None:
        return None
    if number < 0:
        raise table.error("max_value", f"must not be negative, got {number}")
    return Decimal(str(number))


def _string_list(table: TomlTable, key: str) -> tuple[str, ...]:
    values = table.get(key, list, [])
    assert values is not None
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise table.error(key, "expected an array of non-empty strings")
    return tuple(v.strip() for v in values)
