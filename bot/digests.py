"""When digests go out: daily at `digest_at`, or weekly on Monday at `digest_at`, local time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAILY = "daily"
WEEKLY = "weekly"
INSTANT = "instant"


def next_digest_time(mode: str, at: time, zone: ZoneInfo, now: datetime) -> datetime:
    """The first digest time strictly after `now` (UTC), for a daily or weekly subscription."""
    local_now = now.astimezone(zone)
    day = local_now.date()
    for _ in range(9):
        candidate = datetime.combine(day, at, tzinfo=zone)
        if candidate > local_now and (mode == DAILY or candidate.weekday() == 0):
            return candidate.astimezone(UTC)
        day += timedelta(days=1)
    raise ValueError(f"unknown digest mode {mode!r}")  # pragma: no cover


def due_time(mode: str, at: time, zone: ZoneInfo, now: datetime) -> datetime:
    """When an alert queued at `now` is due: at once, or at the next digest."""
    return now if mode == INSTANT else next_digest_time(mode, at, zone, now)
