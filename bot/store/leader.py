"""Which instance acts: one leader row with a lease, heartbeats and a fencing epoch.

With PostgreSQL, several `tenderbot run` processes may share one database; exactly one (the
*leader*) polls, delivers, sends reminders, digests and reports and listens to chats, and the
others stand by. The leader row names the holder, its lease expiry and an *epoch* that grows
by one at every take-over. The holder renews the lease every heartbeat; a standby takes the
row once the lease has run out.

Fencing: while this process leads, `Store.transaction` calls `check_fence` first, which reads
the leader row ``FOR SHARE`` and refuses (`Fenced`) unless it still names this process at its
epoch. A take-over must update that row, so it waits for a write already under way to commit,
and every write after it fails: a leader that froze (SIGSTOP, a long pause) and wakes up after
a standby took over can neither claim alerts nor write. An advisory lock alone would not do
it: a hung process keeps its session, and so its lock, alive.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.connection import POSTGRESQL, Connection
from bot.store.records import from_text, to_text

LEADER_ROW = "daemon"


class Fenced(sqlite3.DatabaseError):
    """Raised when this process no longer leads: it must not write or send (`check_fence`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Leadership:
    """The leader row: who holds it, at which epoch, and until when."""

    holder: str | None
    epoch: int
    lease_until: datetime | None
    heartbeat_at: datetime | None

    def live(self, now: datetime) -> bool:
        """Whether the holder's lease runs past `now`."""
        return self.holder is not None and self.lease_until is not None and self.lease_until > now


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadSummary:
    """What `status` and `/metrics` show of the lead."""

    backend: str
    holder: str | None
    """The instance holding a live lead (None: nobody, a standby takes over)."""
    epoch: int
    lease_until: str | None
    standbys: int
    """Live `tenderbot run` instances other than the leader (always 0 with SQLite)."""


class LeaderStore:
    """The leader half of `Store` (it needs `db`, `backend` and `transaction`)."""

    db: Connection
    backend: str
    fence: tuple[str, int] | None = None
    """(holder, epoch) while this process leads: every write transaction checks it."""

    def transaction(self) -> AbstractContextManager[Connection]:
        """Provided by `Store`."""
        raise NotImplementedError

    def check_fence(self) -> None:
        """Refuse a write unless this process still leads at its epoch (inside a transaction).

        Raises:
            Fenced: another instance has taken over (or the row was cleared).
        """
        if self.fence is None:
            return
        lock = " FOR SHARE" if self.backend == POSTGRESQL else ""
        row = self.db.execute(
            f"SELECT holder, epoch FROM leader WHERE name = ?{lock}", (LEADER_ROW,)
        ).fetchone()
        holder, epoch = self.fence
        if row is None or row[0] != holder or int(row[1]) != epoch:
            raise Fenced(
                f"instance {holder} lost the lead (epoch {epoch}; now "
                f"{'nobody' if row is None else row[0]} at epoch "
                f"{'-' if row is None else row[1]}): nothing more is written or sent"
            )

    def leadership(self) -> Leadership:
        """The leader row as it stands."""
        row = self.db.execute(
            "SELECT holder, epoch, lease_until, heartbeat_at FROM leader WHERE name = ?",
            (LEADER_ROW,),
        ).fetchone()
        if row is None:
            return Leadership(holder=None, epoch=0, lease_until=None, heartbeat_at=None)
        return Leadership(
            holder=row[0],
            epoch=int(row[1]),
            lease_until=from_text(row[2]),
            heartbeat_at=from_text(row[3]),
        )

    def lead_summary(self, now: datetime) -> LeadSummary:
        """The backend, the leader (holder, epoch, lease) and how many daemons stand by."""
        state = self.leadership()
        live = self.db.execute(
            "SELECT COUNT(*) FROM instances WHERE command = 'run' AND lease_until > ? AND id != ?",
            (to_text(now), state.holder or ""),
        ).fetchone()
        return LeadSummary(
            backend=self.backend,
            holder=state.holder if state.live(now) else None,
            epoch=state.epoch,
            lease_until=None if state.lease_until is None else state.lease_until.isoformat(),
            standbys=int(live[0]) if self.backend == POSTGRESQL else 0,
        )

    def take_lead(self, holder: str, now: datetime, lease: timedelta) -> int | None:
        """Become the leader if nobody holds a live lease (or renew it if `holder` does).

        Returns:
            The epoch this process leads at (a new one on a take-over), or None when
            another instance holds a live lease.
        """
        self.fence = None
        with self.transaction():
            row = self.db.execute(
                "UPDATE leader SET epoch = CASE WHEN holder = ? THEN epoch ELSE epoch + 1 END, "
                "holder = ?, lease_until = ?, heartbeat_at = ? "
                "WHERE name = ? AND (holder IS NULL OR holder = ? OR lease_until IS NULL "
                "OR lease_until <= ?) RETURNING epoch",
                (
                    holder,
                    holder,
                    to_text(now + lease),
                    to_text(now),
                    LEADER_ROW,
                    holder,
                    to_text(now),
                ),
            ).fetchone()
            if row is not None:
                # The former leader's unsent claims are this one's now: fencing keeps the
                # former leader from recording anything, and it sends only inside its lease.
                self.db.execute(
                    "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL "
                    "WHERE status = 'pending' AND claimed_by IS NOT NULL AND claimed_by != ?",
                    (holder,),
                )
        if row is None:
            return None
        self.fence = (holder, int(row[0]))
        return int(row[0])

    def renew_lead(self, holder: str, epoch: int, now: datetime, lease: timedelta) -> bool:
        """Extend the leader's lease (heartbeat); False when it has been taken over."""
        try:
            with self.transaction():
                renewed = self.db.execute(
                    "UPDATE leader SET lease_until = ?, heartbeat_at = ? "
                    "WHERE name = ? AND holder = ? AND epoch = ?",
                    (to_text(now + lease), to_text(now), LEADER_ROW, holder, epoch),
                ).rowcount
        except Fenced:
            return False
        return bool(renewed)

    def resign_lead(self, holder: str, epoch: int) -> None:
        """Give the lead up at once (a clean stop), so a standby need not wait out the lease."""
        self.fence = None
        with self.transaction():
            self.db.execute(
                "UPDATE leader SET holder = NULL, lease_until = NULL "
                "WHERE name = ? AND holder = ? AND epoch = ?",
                (LEADER_ROW, holder, epoch),
            )
