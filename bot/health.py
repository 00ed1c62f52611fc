"""The database write check behind `/healthz`, made at most once every few seconds.

A load balancer or monitor may probe `/healthz` many times a second. Each real check writes one
row, and every write grows the WAL until the next checkpoint, so the check is made at most
once per `WRITE_CHECK_EVERY`; probes in between are answered from the last result.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.store.records import StoreError
from sources.clock import Clock

WRITE_CHECK_EVERY = timedelta(seconds=5)
"""How often `/healthz` really writes to the database; probes in between reuse the answer."""


class WriteCheck:
    """Proves the database takes writes, at most once per interval."""

    def __init__(
        self,
        write: Callable[[datetime], None],
        clock: Clock,
        *,
        every: timedelta = WRITE_CHECK_EVERY,
    ) -> None:
        """Check with `write(now)` (it raises `StoreError` when the database refuses writes)."""
        self._write = write
        self._clock = clock
        self._every = every
        self._checked_at: datetime | None = None
        self._reasons: tuple[str, ...] = ()

    def reasons(self) -> list[str]:
        """Why the database cannot be written (empty when it can), as of the latest check.

        A real write is made when none was made in the last interval (or the clock went
        back); otherwise the last check's answer is given again.
        """
        now = self._clock.now()
        last = self._checked_at
        if last is None or not timedelta(0) <= now - last < self._every:
            try:
                self._write(now)
            except StoreError as exc:
                self._reasons = (str(exc),)
            else:
                self._reasons = ()
            self._checked_at = now
        return list(self._reasons)
