"""Which tenderbot processes use the database now: leases that live processes keep renewing.

Every process that may claim alerts joins as an *instance* (a row with a lease expiry) and
renews its lease while it runs; outbox claims belong to an instance. A claim is another
instance's to take only when its owner's lease has expired (or the owner has left), so a
process starting never frees a live process's claims. The single-daemon rule is kept here too:
an *exclusive* instance (`run`, `poll`) is refused while another live exclusive instance holds
the database. Both live in the database itself, so the same design carries over to a shared
server database, where no lock file can be seen by every host.
"""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.moments import local_moment
from bot.store.connection import Connection
from bot.store.records import from_text, to_text

INSTANCE_LEASE = timedelta(seconds=60)
"""How long an instance counts as alive after its last renewal."""
HEARTBEAT_EVERY = timedelta(seconds=15)
"""How often a running instance renews its lease (a quarter of the lease)."""
PENDING = "pending"


@dataclass(frozen=True, slots=True, kw_only=True)
class Instance:
    """One tenderbot process using the database."""

    id: str
    command: str
    pid: int
    host: str
    started_at: datetime

    @classmethod
    def this_process(cls, command: str, now: datetime) -> Instance:
        """A new instance for the running process."""
        return cls(
            id=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}",
            command=command,
            pid=os.getpid(),
            host=socket.gethostname(),
            started_at=now,
        )

    def describe(self, zone: ZoneInfo) -> str:
        """How a message names it: "tenderbot run (pid 123 on host, since ...)", in `zone`."""
        return (
            f"tenderbot {self.command} (pid {self.pid} on {self.host}, "
            f"since {local_moment(self.started_at, zone, seconds=True)})"
        )


class InstanceStore:
    """The instances half of `Store` (it needs `db` and `transaction`)."""

    db: Connection

    def transaction(self) -> AbstractContextManager[Connection]:
        """Provided by `Store`."""
        raise NotImplementedError

    def join(
        self,
        instance: Instance,
        now: datetime,
        *,
        exclusive: bool,
        lease: timedelta = INSTANCE_LEASE,
    ) -> Instance | None:
        """Record `instance` as live until `now + lease`.

        With `exclusive`, it joins only if no other live exclusive instance holds the
        database; an exclusive holder on this host whose process is gone does not count.

        Returns:
            None when it joined; otherwise the live instance that holds the database.
        """
        with self.transaction():
            if exclusive:
                holder = self.exclusive_holder(instance.id, now)
                if holder is not None:
                    return holder
            self.db.execute(
                "INSERT INTO instances (id, command, pid, host, started_at, lease_until, "
                "exclusive) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "command = excluded.command, pid = excluded.pid, host = excluded.host, "
                "started_at = excluded.started_at, lease_until = excluded.lease_until, "
                "exclusive = excluded.exclusive",
                (
                    instance.id,
                    instance.command,
                    instance.pid,
                    instance.host,
                    to_text(instance.started_at),
                    to_text(now + lease),
                    int(exclusive),
                ),
            )
        return None

    def exclusive_holder(self, instance_id: str, now: datetime) -> Instance | None:
        """The live exclusive instance other than `instance_id`, if any (call in a transaction).

        One on this host whose process no longer exists has left without saying so (killed),
        and so has one of this very process (an earlier start that could not write its
        leaving; a live one would hold the lock file): its row is removed, freeing its claims.
        """
        rows = self.db.execute(
            "SELECT id, command, pid, host, started_at FROM instances "
            "WHERE exclusive = 1 AND lease_until > ? AND id != ?",
            (to_text(now), instance_id),
        ).fetchall()
        for row in rows:
            holder = Instance(
                id=str(row[0]),
                command=str(row[1]),
                pid=int(row[2]),
                host=str(row[3]),
                started_at=from_text(row[4]) or now,
            )
            here = holder.host == socket.gethostname()
            if here and (holder.pid == os.getpid() or not _running(holder.pid)):
                self.db.execute("DELETE FROM instances WHERE id = ?", (holder.id,))
                continue
            return holder
        return None

    def renew(
        self, instance: Instance, now: datetime, *, lease: timedelta = INSTANCE_LEASE
    ) -> bool:
        """Extend the instance's lease to `now + lease`.

        Returns:
            False when its row had gone (its lease had expired and another process took
            it for dead); the row is written again.
        """
        with self.transaction():
            renewed = self.db.execute(
                "UPDATE instances SET lease_until = ? WHERE id = ?",
                (to_text(now + lease), instance.id),
            ).rowcount
            if not renewed:
                keep_alive(self.db, instance, now, lease)
        return bool(renewed)

    def leave(self, instance: Instance) -> None:
        """Remove the instance (a clean stop); claims it still held are free at once."""
        with self.transaction():
            self.db.execute("DELETE FROM instances WHERE id = ?", (instance.id,))
            self.db.execute(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL "
                "WHERE claimed_by = ? AND status = ?",
                (instance.id, PENDING),
            )

    def free_dead_claims(self, now: datetime) -> int:
        """Forget instances whose lease has expired and free their claims; how many were freed.

        Claims of live instances are never touched.
        """
        stamp = to_text(now)
        with self.transaction():
            self.db.execute("DELETE FROM instances WHERE lease_until <= ?", (stamp,))
            freed = self.db.execute(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL "
                "WHERE claimed_by IS NOT NULL AND status = ? AND claimed_by NOT IN "
                "(SELECT id FROM instances)",
                (PENDING,),
            ).rowcount
        return int(freed)

    def live_instances(self, now: datetime) -> list[Instance]:
        """The instances whose lease runs past `now`."""
        rows = self.db.execute(
            "SELECT id, command, pid, host, started_at FROM instances WHERE lease_until > ? "
            "ORDER BY started_at",
            (to_text(now),),
        ).fetchall()
        return [
            Instance(
                id=str(r[0]),
                command=str(r[1]),
                pid=int(r[2]),
                host=str(r[3]),
                started_at=from_text(r[4]) or now,
            )
            for r in rows
        ]


def keep_alive(
    db: Connection, instance: Instance, now: datetime, lease: timedelta = INSTANCE_LEASE
) -> None:
    """Write or extend the instance's lease (call inside a transaction)."""
    db.execute(
        "INSERT INTO instances (id, command, pid, host, started_at, lease_until) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET lease_until = "
        "excluded.lease_until",
        (
            instance.id,
            instance.command,
            instance.pid,
            instance.host,
            to_text(instance.started_at),
            to_text(now + lease),
        ),
    )


def _running(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
