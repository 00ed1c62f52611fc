"""Moments typed by people on the command line, and moments shown to them.

A moment typed is a date, a date and time, or a duration ago (`parse_when`); a moment shown
(`local_moment`) is in the configured timezone, never UTC.

A bare date or wall-clock time is read in the configured timezone (Europe/London unless
`[bot] timezone` says otherwise), the same zone the report and alerts show times in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.config_table import ConfigError
from bot.durations import parse_duration

DEFAULT_ZONE = ZoneInfo("Europe/London")


def local_moment(moment: datetime, zone: ZoneInfo, *, seconds: bool = False) -> str:
    """A moment as people read it: ``2026-08-10 09:02 BST`` in `zone` (with seconds if asked)."""
    local = moment.astimezone(zone)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return f"{local:%Y-%m-%d} {local.strftime(clock)} {local.tzname()}"


def parse_when(text: str, now: datetime, option: str, zone: ZoneInfo = DEFAULT_ZONE) -> datetime:
    """A moment typed by a person, as an aware UTC datetime.

    ``30d`` is a duration before `now`; ``2026-08-10`` is the midnight that starts that day in
    `zone`, and ``2026-08-10T09:00`` that wall-clock time there; a time with an offset
    (``2026-08-10T09:00+00:00``) is taken as written.

    Raises:
        ConfigError: `text` is none of these; the message names `option`.
    """
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"{option}: {text!r} is not a date (2026-08-10, 2026-08-10T09:00) or a duration (30d)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)
