"""Who acts among the tenderbot processes sharing one PostgreSQL database.

`LeadKeeper` runs one heartbeat step every quarter of ``[bot] heartbeat``: the leader renews
its lease (the lease is one heartbeat long), a standby tries to take the lead (it succeeds
once the leader's lease has run out). So a standby takes over within 1¼ heartbeats of the
leader dying, freezing or losing the database: inside the promised two.

The leader acts only while its own clock is inside the lease it last wrote (`may_act`); the
store's fencing epoch (`bot.store.leader`) refuses the writes of a leader that was taken over
while it was frozen. With SQLite there is one daemon (its lock file says so): it always acts.

Database faults: a step that cannot reach the database counts as an outage; the connection
is reopened by a later step, the attempts backing off from a quarter heartbeat, doubling, to
one heartbeat apart (each bounded by the connect timeout); nothing is sent meanwhile (the
lease runs out), and `outage_over` tells the caller once when it ends.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.instance import InstanceError
from bot.moments import DEFAULT_ZONE, local_moment
from bot.store import Fenced, Store
from bot.store.connection import POSTGRESQL
from bot.store.instances import Instance
from sources.clock import Clock

log = logging.getLogger("tenderbot")

STEPS_PER_HEARTBEAT = 4


@dataclass(slots=True)
class Outage:
    """When the database stopped answering, and the last error it gave."""

    since: datetime
    error: str
    failures: int = 1
    retry_at: datetime | None = None
    """No attempt to reach the database before this (backoff doubling up to a heartbeat)."""

    def back_again(self, label: str, redact: Callable[[str], str], zone: ZoneInfo) -> str:
        """What the admin channel hears once the database answers again (times in `zone`)."""
        return (
            f"tenderbot: the database ({label}) was unreachable from "
            f"{local_moment(self.since, zone, seconds=True)} ({redact(self.error)}); nothing was "
            "sent meanwhile, and delivery has resumed."
        )


class LeadKeeper:
    """Taking, keeping and losing the lead for this process; and database outages."""

    def __init__(
        self,
        store: Store,
        instance: Instance,
        clock: Clock,
        heartbeat: timedelta,
        *,
        zone: ZoneInfo = DEFAULT_ZONE,
    ):
        """Keep the lead for `instance` in `store`, renewing every `heartbeat`.

        Messages and logs show times in `zone` (the config's timezone).
        """
        self._zone = zone
        self.store = store
        self.instance = instance
        self.clock = clock
        self.heartbeat = heartbeat
        self.shared = store.backend == POSTGRESQL
        self.epoch: int | None = None
        self.lead_until: datetime | None = None
        self.outage: Outage | None = None
        self.outage_over: Outage | None = None
        """Set by the step that found the database again (the caller clears it)."""

    @property
    def step_every(self) -> timedelta:
        """How often `step` should run."""
        return self.heartbeat / STEPS_PER_HEARTBEAT

    def may_act(self) -> bool:
        """Whether this process may poll, send and write now (always, with SQLite)."""
        if not self.shared:
            return True
        return (
            self.epoch is not None
            and self.lead_until is not None
            and self.clock.now() < self.lead_until
        )

    def step(self) -> str | None:
        """One heartbeat step; what changed, in words for the log (None: nothing changed)."""
        if not self.shared:
            return None
        now = self.clock.now()
        if self.outage is not None and self.outage.retry_at and now < self.outage.retry_at:
            return None
        try:
            if self.store.db_broken():
                self.store.reconnect()
            if self.epoch is not None and self._renewed(now):
                self.lead_until = now + self.heartbeat
                changed = None
            else:
                changed = self._try_to_lead(now)
            self.store.renew(self.instance, now)
        except sqlite3.Error as exc:
            return self._unreachable(now, exc)
        if self.outage is not None:
            self.outage_over, self.outage = self.outage, None
            log.warning(
                "the database answers again (it was unreachable since %s)",
                local_moment(self.outage_over.since, self._zone, seconds=True),
            )
        return changed

    def lead_or_refuse(self, label: str) -> None:
        """Lead for a one-pass command (`poll`, `import`) on a shared database, or refuse.

        Raises:
            InstanceError: another tenderbot leads the database now.
        """
        self.step()
        if self.may_act():
            return
        state = self.store.leadership()
        raise InstanceError(
            f"{label}: another tenderbot leads this database (instance {state.holder}, epoch "
            f"{state.epoch}); a one-pass command would race it. Let the running daemon do the "
            "work, or stop it first."
        )

    def _renewed(self, now: datetime) -> bool:
        assert self.epoch is not None
        try:
            return self.store.renew_lead(self.instance.id, self.epoch, now, self.heartbeat)
        except Fenced:
            return False

    def _try_to_lead(self, now: datetime) -> str | None:
        had = self.epoch
        self.epoch = self.store.take_lead(self.instance.id, now, self.heartbeat)
        if self.epoch is None:
            self.lead_until = None
            if had is not None:
                return f"lost the lead (epoch {had}): standing by"
            return None
        self.lead_until = now + self.heartbeat
        if had == self.epoch:
            return None
        return f"took the lead at epoch {self.epoch}"

    def _unreachable(self, now: datetime, exc: sqlite3.Error) -> str | None:
        if self.outage is None:
            self.outage = Outage(since=now, error=str(exc), retry_at=now + self.step_every)
            return f"the database is unreachable ({exc}); nothing is sent until it answers"
        self.outage.error = str(exc)
        self.outage.failures += 1
        wait = min(self.heartbeat, self.step_every * 2 ** (self.outage.failures - 1))
        self.outage.retry_at = now + wait
        return None

    def resign(self) -> None:
        """Give the lead up (a clean stop), so a standby takes over at its next step."""
        if self.shared and self.epoch is not None:
            epoch, self.epoch, self.lead_until = self.epoch, None, None
            try:
                self.store.resign_lead(self.instance.id, epoch)
            except sqlite3.Error as exc:
                log.warning("could not give up the lead (it expires on its own): %s", exc)

    def health(self) -> list[str]:
        """Why this process is not healthy now (a database outage), for /healthz."""
        if self.outage is None:
            return []
        return [
            "the database is unreachable since "
            f"{local_moment(self.outage.since, self._zone, seconds=True)}: {self.outage.error}"
        ]
