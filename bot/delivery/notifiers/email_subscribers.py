"""Email subscribers an admin added (`tenderbot subscribe email`): the table and their channels.

An admin adds an address with rule sets; it gets a confirmation link first (double opt-in)
and receives nothing until it is followed. A confirmed subscriber becomes a channel named
``email:ADDRESS`` (sent through the configured email channel it was added to) with its own
subscription, exactly as chats become channels. Every message to a subscriber carries
signed links to its own page (`bot.delivery.notifiers.email_pages`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.config_delivery import ChannelConfig, SubscriptionConfig
from bot.radar.shown import RADAR_MONTHS, shown_lines
from bot.store.connection import Connection
from rules.errors import RuleFileError
from rules.library import resolve

if TYPE_CHECKING:
    from bot.config import Config

log = logging.getLogger("tenderbot.email")

PREFIX = "email:"


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscriber:
    """One address an admin added, with its own settings."""

    address: str
    channel: str
    """The configured email channel it is sent through."""
    rule_sets: tuple[str, ...]
    mode: str = "instant"
    regions: tuple[str, ...] = ()
    max_value: Decimal | None = None
    paused: bool = False
    confirmed: bool = False
    radar: bool = False
    """Opted in to re-tender radar items (a digest section, never instant)."""
    radar_months: int = RADAR_MONTHS

    @property
    def key(self) -> str:
        """Its channel's and subscription's name."""
        return PREFIX + self.address


class Subscribers:
    """The ``email_subscribers`` table, through the store's connection."""

    def __init__(self, db: Connection, transaction: Callable[[], Any]) -> None:
        self._db = db
        self._transaction = transaction

    def add(
        self,
        address: str,
        channel: str,
        rule_sets: tuple[str, ...],
        now: datetime,
        *,
        radar_months: int | None = None,
    ) -> None:
        """Add (or re-add, unconfirmed) an address with its rule sets.

        `radar_months`: opt it in to the re-tender radar, so many months ahead (None leaves
        its radar as it was: off for a new address).
        """
        with self._transaction():
            self._db.execute(
                "INSERT INTO email_subscribers (address, channel, rule_sets, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (address) DO UPDATE SET channel = "
                "excluded.channel, rule_sets = excluded.rule_sets",
                (address.lower(), channel, json.dumps(list(rule_sets)), now.isoformat()),
            )
            if radar_months is not None:
                self._db.execute(
                    "UPDATE email_subscribers SET radar = 1, radar_months = ? WHERE address = ?",
                    (radar_months, address.lower()),
                )

    def get(self, address: str) -> Subscriber | None:
        """The subscriber with `address`, if any."""
        row = self._db.execute(
            "SELECT * FROM email_subscribers WHERE address = ?", (address.lower(),)
        ).fetchone()
        return None if row is None else _subscriber(row)

    def all(self) -> list[Subscriber]:
        """Every subscriber, confirmed or not."""
        rows = self._db.execute("SELECT * FROM email_subscribers ORDER BY address")
        return [_subscriber(row) for row in rows]

    def confirm(self, address: str, now: datetime) -> bool:
        """Mark `address` confirmed (it may be mailed again); False if it is unknown."""
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE email_subscribers SET confirmed_at = ? WHERE address = ?",
                (now.isoformat(), address.lower()),
            )
            self._db.execute("DELETE FROM email_unsubscribed WHERE address = ?", (address.lower(),))
        return cursor.rowcount > 0

    def radar_lines(self, address: str) -> list[str]:
        """The radar items made for `address`'s subscription, newest first (as `radar list`)."""
        return shown_lines(self._db, PREFIX + address.lower())

    def update(self, address: str, **changes: object) -> None:
        """Change some of `mode`, `regions`, `max_value`, `paused`, `radar`, `radar_months`."""
        with self._transaction():
            for name, value in changes.items():
                self._db.execute(
                    f"UPDATE email_subscribers SET {name} = ? WHERE address = ?",
                    (_column(name, value), address.lower()),
                )


def _column(name: str, value: object) -> object:
    """A changed setting as its column holds it (only the names below are accepted)."""
    if name == "mode":
        return str(value)
    if name == "regions":
        assert isinstance(value, tuple)
        return json.dumps(list(value))
    if name == "max_value":
        return None if value is None else str(value)
    if name in ("paused", "radar"):
        return int(bool(value))
    if name == "radar_months":
        assert isinstance(value, int)
        return value
    raise KeyError(name)


def _subscriber(row: Any) -> Subscriber:
    return Subscriber(
        address=row["address"],
        channel=row["channel"],
        rule_sets=tuple(json.loads(row["rule_sets"])),
        mode=row["mode"],
        regions=tuple(json.loads(row["regions"])),
        max_value=None if row["max_value"] is None else Decimal(row["max_value"]),
        paused=bool(row["paused"]),
        confirmed=row["confirmed_at"] is not None,
        radar=bool(row["radar"]),
        radar_months=int(row["radar_months"]),
    )


def _loadable(ref: str, config: Config) -> bool:
    try:
        resolve(ref, config.path.parent)
    except RuleFileError:
        return False
    return True


def subscriber_channels(
    config: Config, subscribers: list[Subscriber], unsubscribed: set[str]
) -> tuple[list[ChannelConfig], list[SubscriptionConfig]]:
    """The channel and subscription of every confirmed, active subscriber.

    A paused subscriber keeps neither (its queued alerts wait until it resumes); one whose
    email channel left the config is skipped; a rule set that no longer exists is left out.
    """
    templates = {c.name: c for c in config.channels if c.kind == "email"}
    channels: list[ChannelConfig] = []
    subscriptions: list[SubscriptionConfig] = []
    for subscriber in subscribers:
        template = templates.get(subscriber.channel)
        if (
            template is None
            or not subscriber.confirmed
            or subscriber.paused
            or subscriber.address in unsubscribed
        ):
            continue
        settings = dataclasses.replace(template.settings, to=(subscriber.address,))  # type: ignore[type-var]
        channels.append(dataclasses.replace(template, name=subscriber.key, settings=settings))
        rule_sets = tuple(r for r in subscriber.rule_sets if _loadable(r, config))
        if rule_sets != subscriber.rule_sets:
            log.warning("%s: rule set(s) no longer exist; left out", subscriber.key)
        if not rule_sets:
            continue
        subscriptions.append(
            SubscriptionConfig(
                name=subscriber.key,
                channel=subscriber.key,
                rules=rule_sets,
                mode=subscriber.mode,
                regions=subscriber.regions,
                max_value=subscriber.max_value,
                radar=subscriber.radar,
                radar_months=subscriber.radar_months,
                index=len(config.subscriptions) + len(subscriptions),
            )
        )
    return channels, subscriptions
