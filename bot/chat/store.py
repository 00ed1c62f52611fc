"""What chats chose, in the database, with the bots' update offsets and people's feedback.

Chats' rule sets, filters, digest mode and pauses; the first update each bot has not
handled; the verdict people gave each alert.

Every write commits at once (a command's effect survives a restart straight after it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from bot.store import Store
from bot.store.records import from_text, to_text

REMOVED = "the bot was removed from the chat"
"""The pause reason when a chat removed the bot (adding it back resumes)."""
USEFUL = "useful"
NOT_FOR_US = "not_for_us"
VERDICTS = (USEFUL, NOT_FOR_US)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatSettings:
    """One chat's self-service subscription: its rule sets and how it wants alerts."""

    bot: str
    chat: str
    rule_sets: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    max_value: Decimal | None = None
    mutes: tuple[str, ...] = ()
    mode: str = "instant"
    digest_at: time = time(8, 0)
    digest_day: int = 0
    paused: str | None = None
    possible: str = "digest"
    """What the chat gets of the `possible` tier: digest, instant or off."""
    radar: bool = False
    radar_months: int = 9
    created_by: tuple[tuple[str, str, datetime], ...] = ()
    """(rule set, who subscribed it, when)."""

    @property
    def key(self) -> str:
        """The chat's channel and subscription name: ``chat:BOT:CHAT``."""
        return chat_key(self.bot, self.chat)


CHAT_PREFIX = "chat:"


def chat_key(bot: str, chat: str) -> str:
    """The channel and subscription name of a chat of a bot."""
    return f"{CHAT_PREFIX}{bot}:{chat}"


def parse_chat_key(name: str) -> tuple[str, str] | None:
    """(bot, chat) of a chat's channel or subscription name; None for the config's own."""
    if not name.startswith(CHAT_PREFIX):
        return None
    bot, _, chat = name[len(CHAT_PREFIX) :].partition(":")
    return (bot, chat) if chat else None


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackRow:
    """One person's verdict on one alert."""

    outbox_id: int
    voter: str
    verdict: str
    subscription: str
    rule_sets: tuple[str, ...]
    source: str
    notice_id: str
    title: str
    reasons: tuple[str, ...]
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    """A chat that used a bot not open to it: when it first and last asked, how often, who."""

    bot: str
    chat: str
    first_at: datetime
    last_at: datetime
    asks: int
    last_user: str


class ChatStore:
    """Chat subscriptions, refused chats, bot offsets and feedback.

    Through the store's own connection: one database, one transaction at a time.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._db = store.db

    def chats(self, bot: str | None = None, chat: str | None = None) -> list[ChatSettings]:
        """Every chat that ever subscribed (of one bot, or all; or one chat), with its sets."""
        where = (
            "WHERE (CAST(? AS TEXT) IS NULL OR bot = ?) AND (CAST(? AS TEXT) IS NULL OR chat = ?)"
        )
        rows = self._db.execute(
            f"SELECT * FROM chat_settings {where} ORDER BY bot, chat", (bot, bot, chat, chat)
        ).fetchall()
        subscribed: dict[tuple[str, str], list[tuple[str, str, datetime]]] = {}
        for sub in self._db.execute(
            "SELECT bot, chat, rule_set, created_by, created_at FROM chat_subscriptions "
            f"{where} ORDER BY created_at, rowid",
            (bot, bot, chat, chat),
        ):
            when = from_text(sub["created_at"])
            assert when is not None
            subscribed.setdefault((sub["bot"], sub["chat"]), []).append(
                (str(sub["rule_set"]), str(sub["created_by"]), when)
            )
        return [_settings(row, subscribed.get((row["bot"], row["chat"]), [])) for row in rows]

    def chat(self, bot: str, chat: str) -> ChatSettings:
        """One chat's settings (defaults when it never subscribed)."""
        found = self.chats(bot, chat)
        return found[0] if found else ChatSettings(bot=bot, chat=chat)

    def _ensure(self, bot: str, chat: str, by: str, now: datetime) -> None:
        self._db.execute(
            "INSERT INTO chat_settings (bot, chat, updated_by, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (bot, chat, by, to_text(now)),
        )

    def subscribe(
        self, bot: str, chat: str, rule_sets: Sequence[str], by: str, now: datetime
    ) -> list[str]:
        """Add rule sets to a chat; returns those it did not have yet."""
        with self._store.transaction():
            self._ensure(bot, chat, by, now)
            added = []
            for rule_set in rule_sets:
                cursor = self._db.execute(
                    "INSERT INTO chat_subscriptions VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (bot, chat, rule_set, by, to_text(now)),
                )
                if cursor.rowcount:
                    added.append(rule_set)
        return added

    def unsubscribe(self, bot: str, chat: str, rule_set: str | None) -> list[str]:
        """Remove one rule set (or all) from a chat; returns those removed."""
        with self._store.transaction():
            rows = self._db.execute(
                "SELECT rule_set FROM chat_subscriptions WHERE bot = ? AND chat = ? "
                "AND (CAST(? AS TEXT) IS NULL OR rule_set = ?)",
                (bot, chat, rule_set, rule_set),
            ).fetchall()
            self._db.execute(
                "DELETE FROM chat_subscriptions WHERE bot = ? AND chat = ? "
                "AND (CAST(? AS TEXT) IS NULL OR rule_set = ?)",
                (bot, chat, rule_set, rule_set),
            )
        return [str(r[0]) for r in rows]

    def update(self, bot: str, chat: str, by: str, now: datetime, **changes: object) -> None:
        """Change a chat's filters, mode or pause (keys are `ChatSettings` field names)."""
        allowed = {
            "regions",
            "max_value",
            "mutes",
            "mode",
            "digest_at",
            "digest_day",
            "paused",
            "possible",
            "radar",
            "radar_months",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown chat settings: {sorted(unknown)}")
        values = {key: _column(value) for key, value in changes.items()}
        assignments = ", ".join(f"{key} = ?" for key in values)
        with self._store.transaction():
            self._ensure(bot, chat, by, now)
            self._db.execute(
                f"UPDATE chat_settings SET {assignments}, updated_by = ?, updated_at = ? "
                "WHERE bot = ? AND chat = ?",
                (*values.values(), by, to_text(now), bot, chat),
            )

    def move_chat(self, bot: str, old: str, new: str) -> bool:
        """A Telegram group became a supergroup with a new id: carry everything across.

        Its settings, subscriptions, queued and sent alerts (so updates still reply to the
        first alert) and channel state move to the new id; nothing moves when the new id
        already has settings of its own. Returns whether anything moved.
        """
        old_key, new_key = chat_key(bot, old), chat_key(bot, new)
        with self._store.transaction():
            exists = self._db.execute(
                "SELECT 1 FROM chat_settings WHERE bot = ? AND chat = ?", (bot, new)
            ).fetchone()
            if exists is not None:
                return False
            moved = self._db.execute(
                "UPDATE chat_settings SET chat = ? WHERE bot = ? AND chat = ?", (new, bot, old)
            ).rowcount
            self._db.execute(
                "UPDATE chat_subscriptions SET chat = ? WHERE bot = ? AND chat = ?",
                (new, bot, old),
            )
            self._db.execute(
                "UPDATE outbox SET channel = ?, subscription = ? WHERE channel = ?",
                (new_key, new_key, old_key),
            )
            self._db.execute(
                "UPDATE channel_state SET channel = ?, chat_id = NULL WHERE channel = ?",
                (new_key, old_key),
            )
            self._db.execute(
                "UPDATE radar_items SET subscription = ? WHERE subscription = ?",
                (new_key, old_key),
            )
        return bool(moved)

    def record_refusal(self, bot: str, chat: str, user: str, now: datetime) -> bool:
        """Note that `chat` was refused; True the first time (the caller logs it then)."""
        with self._store.transaction():
            cursor = self._db.execute(
                "INSERT INTO chat_refusals (bot, chat, first_at, last_at, last_user) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (bot, chat, to_text(now), to_text(now), user),
            )
            if cursor.rowcount:
                return True
            self._db.execute(
                "UPDATE chat_refusals SET last_at = ?, asks = asks + 1, last_user = ? "
                "WHERE bot = ? AND chat = ?",
                (to_text(now), user, bot, chat),
            )
        return False

    def refusals(self, bot: str | None = None) -> list[Refusal]:
        """The chats refused (by one bot, or all), the most recent first."""
        rows = self._db.execute(
            "SELECT * FROM chat_refusals WHERE CAST(? AS TEXT) IS NULL OR bot = ? "
            "ORDER BY last_at DESC, chat",
            (bot, bot),
        ).fetchall()
        found = []
        for row in rows:
            first, last = from_text(row["first_at"]), from_text(row["last_at"])
            assert first is not None and last is not None
            found.append(
                Refusal(
                    bot=row["bot"],
                    chat=row["chat"],
                    first_at=first,
                    last_at=last,
                    asks=int(row["asks"]),
                    last_user=row["last_user"],
                )
            )
        return found

    def next_update(self, bot: str) -> int | None:
        """The first update the bot has not handled yet (None: it never handled one)."""
        row = self._db.execute(
            "SELECT next_update FROM bot_offsets WHERE bot = ?", (bot,)
        ).fetchone()
        return None if row is None else int(row[0])

    def handled_update(self, bot: str, update_id: int) -> None:
        """Remember that every update up to `update_id` has been handled."""
        with self._store.transaction():
            self._db.execute(
                "INSERT INTO bot_offsets VALUES (?, ?) ON CONFLICT (bot) DO UPDATE "
                "SET next_update = CASE WHEN excluded.next_update > bot_offsets.next_update "
                "THEN excluded.next_update ELSE bot_offsets.next_update END",
                (bot, update_id + 1),
            )

    def record_feedback(self, row: FeedbackRow) -> None:
        """Store (or replace) one person's verdict on one alert."""
        with self._store.transaction():
            self._db.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (outbox_id, voter) DO UPDATE SET verdict = excluded.verdict, "
                "subscription = excluded.subscription, rule_sets = excluded.rule_sets, "
                "source = excluded.source, notice_id = excluded.notice_id, "
                "title = excluded.title, reasons = excluded.reasons, at = excluded.at",
                (
                    row.outbox_id,
                    row.voter,
                    row.verdict,
                    row.subscription,
                    json.dumps(list(row.rule_sets)),
                    row.source,
                    row.notice_id,
                    row.title,
                    json.dumps(list(row.reasons)),
                    to_text(row.at),
                ),
            )

    def feedback(self, since: datetime | None = None) -> list[FeedbackRow]:
        """Every verdict since `since`, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM feedback WHERE at >= ? ORDER BY at, outbox_id", (to_text(since) or "",)
        )
        return [
            FeedbackRow(
                outbox_id=int(r["outbox_id"]),
                voter=str(r["voter"]),
                verdict=str(r["verdict"]),
                subscription=str(r["subscription"]),
                rule_sets=tuple(json.loads(r["rule_sets"])),
                source=str(r["source"]),
                notice_id=str(r["notice_id"]),
                title=str(r["title"]),
                reasons=tuple(json.loads(r["reasons"])),
                at=from_text(r["at"]) or datetime.min,
            )
            for r in rows
        ]

    def counts(self) -> tuple[int, int, int]:
        """Chats with subscriptions, their rule-set subscriptions, and how many are paused."""
        chats, subs = self._db.execute(
            "SELECT COUNT(DISTINCT bot || ':' || chat), COUNT(*) FROM chat_subscriptions"
        ).fetchone()
        paused = self._db.execute(
            "SELECT COUNT(*) FROM chat_settings s WHERE paused IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM chat_subscriptions c WHERE c.bot = s.bot AND c.chat = s.chat)"
        ).fetchone()[0]
        return int(chats), int(subs), int(paused)


def _column(value: object) -> object:
    if isinstance(value, tuple | list):
        return json.dumps(list(value))
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


def _settings(row: Any, subscribed: list[tuple[str, str, datetime]]) -> ChatSettings:
    get = row.__getitem__
    return ChatSettings(
        bot=str(get("bot")),
        chat=str(get("chat")),
        rule_sets=tuple(name for name, _, _ in subscribed),
        regions=tuple(json.loads(get("regions"))),
        max_value=None if get("max_value") is None else Decimal(get("max_value")),
        mutes=tuple(json.loads(get("mutes"))),
        mode=str(get("mode")),
        digest_at=time.fromisoformat(get("digest_at")),
        digest_day=int(get("digest_day")),
        paused=get("paused"),
        possible=str(get("possible")),
        radar=bool(get("radar")),
        radar_months=int(get("radar_months")),
        created_by=tuple(subscribed),
    )
