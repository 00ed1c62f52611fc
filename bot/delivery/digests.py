"""When digests go out: daily, or weekly on one day, at `digest_at` local time.

Weekly digests go out on Mondays unless a chat chose another day.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAILY = "daily"
WEEKLY = "weekly"
INSTANT = "instant"


def next_digest_time(
    mode: str, at: time, zone: ZoneInfo, now: datetime, weekday: int = 0
) -> datetime:
    """The first digest time strictly after `now` (UTC), for a daily or weekly subscription.

    `weekday`: the day of a weekly digest, Monday being 0.
    """
    local_now = now.astimezone(zone)
    day = local_now.date()
    for _ in range(9):
        candidate = datetime.combine(day, at, tzinfo=zone)
        if candidate > local_now and (mode == DAILY or candidate.weekday() == weekday):
            return candidate.astimezone(UTC)
        day += timedelta(days=1)
    raise ValueError(f"unknown digest mode {mode!r}")  # pragma: no cover


def due_time(mode: str, at: time, zone: ZoneInfo, now: datetime, weekday: int = 0) -> datetime:
    """When an alert queued at `now` is due: at once, or at the next digest."""
    return now if mode == INSTANT else next_digest_time(mode, at, zone, now, weekday)
