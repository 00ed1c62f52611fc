"""Channel delivery state: paused (and why), backed off until when, a moved chat id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.store import Store, from_text, to_text
from bot.store.connection import Connection


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelState:
    """A channel's delivery state: paused (and why), and a replacement chat id.

    The chat id replaces the configured one after a Telegram group became a supergroup.
    """

    channel: str
    paused_reason: str | None = None
    paused_at: datetime | None = None
    chat_id: str | None = None
    retry_at: datetime | None = None
    failures: int = 0


class ChannelStates:
    """The channel-state half of `Outbox` (it needs `_store`, `_db` and `_redact`)."""

    _store: Store
    _db: Connection
    _redact: Callable[[str], str]

    def next_retry_at(self, *, after: datetime | None = None) -> datetime | None:
        """The earliest time a backed-off (not paused) channel may be tried again.

        `after`: only backoffs that end later than this (not those already over).
        """
        query = (
            "SELECT MIN(retry_at) FROM channel_state WHERE paused_reason IS NULL "
            "AND retry_at IS NOT NULL"
        )
        args: tuple[object, ...] = ()
        if after is not None:
            query += " AND retry_at > ?"
            args = (to_text(after),)
        row = self._db.execute(query, args).fetchone()
        return from_text(row[0]) if row and row[0] else None

    def channel_state(self, channel: str) -> ChannelState:
        """The delivery state of `channel`."""
        row = self._db.execute(
            "SELECT paused_reason, paused_at, chat_id, retry_at, failures FROM channel_state "
            "WHERE channel = ?",
            (channel,),
        ).fetchone()
        if row is None:
            return ChannelState(channel=channel)
        return ChannelState(
            channel=channel,
            paused_reason=row["paused_reason"],
            paused_at=from_text(row["paused_at"]),
            chat_id=row["chat_id"],
            retry_at=from_text(row["retry_at"]),
            failures=int(row["failures"]),
        )

    def _upsert_channel(self, channel: str, assignments: str, values: tuple[object, ...]) -> None:
        with self._store.transaction():
            self._db.execute(
                "INSERT INTO channel_state (channel) VALUES (?) ON CONFLICT DO NOTHING", (channel,)
            )
            self._db.execute(
                f"UPDATE channel_state SET {assignments} WHERE channel = ?", (*values, channel)
            )

    def pause(self, channel: str, reason: str, now: datetime) -> None:
        """Stop sending to `channel`; its alerts stay queued."""
        self._upsert_channel(
            channel, "paused_reason = ?, paused_at = ?", (self._redact(reason), to_text(now))
        )

    def resume(self, channel: str) -> None:
        """Send to `channel` again."""
        self._upsert_channel(
            channel, "paused_reason = NULL, paused_at = NULL, retry_at = NULL, failures = 0", ()
        )

    def back_off(self, channel: str, until: datetime) -> None:
        """Send nothing to `channel` before `until`, and count one more failure in a row."""
        self._upsert_channel(channel, "retry_at = ?, failures = failures + 1", (to_text(until),))

    def channel_ok(self, channel: str) -> None:
        """A send to `channel` worked: forget its failures."""
        if self.channel_state(channel).failures:
            self._upsert_channel(channel, "retry_at = NULL, failures = 0", ())

    def set_chat_id(self, channel: str, chat_id: str) -> None:
        """Remember the chat id that replaced the configured one."""
        self._upsert_channel(channel, "chat_id = ?", (chat_id,))

    def paused(self) -> dict[str, str]:
        """Paused channels and why."""
        rows = self._db.execute(
            "SELECT channel, paused_reason FROM channel_state WHERE paused_reason IS NOT NULL"
        ).fetchall()
        return {str(r[0]): str(r[1]) for r in rows}
