"""The outbox: one durable row per (subscription, notice, event kind, release) to deliver.

Rows are written in the same transaction as the notices that caused them, and a unique key
makes queuing idempotent, so re-polling or restarting never queues an alert twice. Delivery
marks each row sent right after its send: at-least-once, with at most one repeat if the
process dies between a send and its record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.alerts import Alert
from bot.events import NEW, UPDATED, Event
from bot.store import Store, to_text

PENDING = "pending"
SENT = "sent"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxDepth:
    """How many rows wait in the outbox, per channel."""

    pending: dict[str, int]

    @property
    def total(self) -> int:
        """All pending rows."""
        return sum(self.pending.values())


class Outbox:
    """Queue and deliver alerts through the store's connection."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._db = store.db

    def enqueue(
        self,
        event: Event,
        *,
        subscription: str,
        channel: str,
        reasons: tuple[str, ...],
        now: datetime,
    ) -> bool:
        """Queue `event` for a subscription (call inside the store's transaction).

        An `updated` event for a notice the subscription was never told about is queued as
        `new`, so nobody receives an update about something they never saw.

        Returns:
            True if a row was added, False if an identical one was already queued.
        """
        kind = event.kind
        if kind == UPDATED and not self._was_queued(subscription, event):
            kind = NEW
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO outbox (subscription, channel, event_id, source, notice_id, "
            "kind, release_id, due_at, created_at, reasons) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?)",
            (
                subscription,
                channel,
                event.id,
                event.notice.source,
                event.notice.id,
                kind,
                event.notice.release_id,
                to_text(now),
                to_text(now),
                json.dumps(list(reasons)),
            ),
        )
        return cursor.rowcount == 1

    def _was_queued(self, subscription: str, event: Event) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM outbox WHERE subscription = ? AND source = ? AND notice_id = ?",
            (subscription, event.notice.source, event.notice.id),
        ).fetchone()
        return row is not None

    def due(self, channel: str, now: datetime, *, limit: int = 500) -> list[Alert]:
        """Pending alerts for `channel` that are due at `now`, oldest first."""
        rows = self._db.execute(
            "SELECT id, kind, subscription, channel, source, notice_id, release_id, reasons "
            "FROM outbox WHERE channel = ? AND status = ? AND due_at <= ? ORDER BY id LIMIT ?",
            (channel, PENDING, to_text(now), limit),
        ).fetchall()
        alerts = []
        for row in rows:
            notice = self._store.notice(row["source"], row["notice_id"], row["release_id"])
            if notice is None:
                continue
            alerts.append(
                Alert(
                    outbox_id=int(row["id"]),
                    kind=str(row["kind"]),
                    subscription=str(row["subscription"]),
                    channel=str(row["channel"]),
                    notice=notice,
                    reasons=_reasons(row["reasons"]),
                )
            )
        return alerts

    def mark_sent(self, outbox_id: int, now: datetime) -> None:
        """Record that an alert was delivered (its own small transaction)."""
        with self._store.transaction():
            self._db.execute(
                "UPDATE outbox SET status = ?, sent_at = ?, attempts = attempts + 1, "
                "last_error = NULL WHERE id = ?",
                (SENT, to_text(now), outbox_id),
            )

    def depth(self) -> OutboxDepth:
        """Pending rows per channel."""
        rows = self._db.execute(
            "SELECT channel, COUNT(*) FROM outbox WHERE status = ? GROUP BY channel", (PENDING,)
        ).fetchall()
        return OutboxDepth(pending={str(r[0]): int(r[1]) for r in rows})

    def count_sent(self, channel: str | None = None) -> int:
        """How many alerts were delivered (to one channel, or all)."""
        if channel is None:
            row = self._db.execute("SELECT COUNT(*) FROM outbox WHERE status = ?", (SENT,))
        else:
            row = self._db.execute(
                "SELECT COUNT(*) FROM outbox WHERE status = ? AND channel = ?", (SENT, channel)
            )
        return int(row.fetchone()[0])


def _reasons(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    try:
        data = json.loads(text)
    except ValueError:
        return ()
    return tuple(str(r) for r in data) if isinstance(data, list) else ()
