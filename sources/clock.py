"""Time as a dependency: the real clock, and the seam tests use to drive time without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the time and waits; everything time-dependent takes one of these."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait for `seconds`."""
        ...


class SystemClock:
    """The wall clock and real `asyncio.sleep`."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """Wait for `seconds` of real time."""
        import asyncio  # here, so commands that never wait (`status`, `--help`) skip loading it

        await asyncio.sleep(max(0.0, seconds))
