"""Politeness towards publishers: one request at a time per host (and port), with a gap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sources.clock import Clock


class HostGate:
    """Serialises requests per host and spaces their starts at least `min_gap` apart.

    One gate is shared by every source of a process, so two sources on the same host (a
    council feed and its portal page, say) still take turns.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_start: dict[str, float] = {}

    def remaining(self, host: str, min_gap: float) -> float:
        """Seconds from now until `host`'s next turn may start (0 when it may start now)."""
        last = self._last_start.get(host)
        if last is None:
            return 0.0
        return max(0.0, last + min_gap - self._clock.now().timestamp())

    @asynccontextmanager
    async def slot(self, host: str, min_gap: float) -> AsyncIterator[None]:
        """Hold the host's turn for one request."""
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            last = self._last_start.get(host)
            if last is not None:
                wait = last + min_gap - self._clock.now().timestamp()
                if wait > 0:
                    await self._clock.sleep(wait)
            self._last_start[host] = self._clock.now().timestamp()
            yield
