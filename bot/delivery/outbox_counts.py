"""What the outbox holds, counted: pending rows per channel, alerts sent and refused.

The counting half of `Outbox` (it needs `_store` and `_db`), kept apart so the claiming half
stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store import Store, to_text
from bot.store.connection import Connection

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxDepth:
    """How many rows wait in the outbox, per channel, and how many of them are retries."""

    pending: dict[str, int]
    retrying: int = 0

    @property
    def total(self) -> int:
        """All pending rows."""
        return sum(self.pending.values())


class OutboxCounts:
    """Counts and listings of outbox rows, and putting refused ones back in the queue."""

    _store: Store
    _db: Connection

    def failed(self, limit: int = 20) -> list[dict[str, str]]:
        """The most recent alerts a service refused: channel, notice, error."""
        rows = self._db.execute(
            "SELECT channel, source, notice_id, kind, last_error FROM outbox WHERE status = ? "
            "ORDER BY id DESC LIMIT ?",
            (FAILED, limit),
        ).fetchall()
        return [
            {
                "channel": str(r["channel"]),
                "notice": f"{r['source']} {r['notice_id']}",
                "kind": str(r["kind"]),
                "error": str(r["last_error"] or ""),
            }
            for r in rows
        ]

    def depth(self) -> OutboxDepth:
        """Pending rows per channel, and how many pending rows have failed before."""
        rows = self._db.execute(
            "SELECT channel, COUNT(*), COUNT(*) FILTER (WHERE attempts > 0) FROM outbox "
            "WHERE status = ? "
            "GROUP BY channel",
            (PENDING,),
        ).fetchall()
        return OutboxDepth(
            pending={str(r[0]): int(r[1]) for r in rows},
            retrying=sum(int(r[2] or 0) for r in rows),
        )

    def count_sent(self, channel: str | None = None) -> int:
        """How many alerts were delivered (to one channel, or all)."""
        if channel is None:
            row = self._db.execute("SELECT COUNT(*) FROM outbox WHERE status = ?", (SENT,))
        else:
            row = self._db.execute(
                "SELECT COUNT(*) FROM outbox WHERE status = ? AND channel = ?", (SENT, channel)
            )
        return int(row.fetchone()[0])

    def count_failed(self) -> int:
        """How many alerts were given up on."""
        row = self._db.execute("SELECT COUNT(*) FROM outbox WHERE status = ?", (FAILED,))
        return int(row.fetchone()[0])

    def due_now(self, channel: str, now: datetime) -> bool:
        """Whether a pending row for `channel` is due at `now` (claimed or not).

        Only rows a claim could take (their event is stored), so a caller never waits on one
        that can never be sent.
        """
        row = self._db.execute(
            "SELECT 1 FROM outbox o JOIN events e ON e.id = o.event_id "
            "WHERE o.status = ? AND o.channel = ? AND o.due_at <= ? LIMIT 1",
            (PENDING, channel, to_text(now)),
        ).fetchone()
        return row is not None
