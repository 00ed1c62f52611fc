"""Window sizing from the rate already seen: windows that fill most of one page, not more.

A publisher that pages by time window (Find a Tender) costs one request per window, and a
window whose page comes back full is split and read again. Reading a long period as one
window and halving it until each half fits wastes up to half the requests; reading it in
windows sized to hold most of a page wastes few, if the count in a window can be foreseen.

Releases are published in office hours: the expected rate at a moment is a daily volume
spread by the share of a day's releases published in that hour of the day (London time),
`HOURLY_SHARE`. The daily volume starts from a typical day and follows every window read:
an exponentially weighted mean of the volumes each window implies, so a quiet weekend or a
busy week moves it within a few windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
HOURLY_SHARE = (
    0.0022, 0.0022, 0.0020, 0.0020, 0.0020, 0.0020, 0.0051, 0.0159, 0.0447, 0.0664, 0.1003, 0.1046,
    0.1068, 0.1010, 0.1147, 0.1248, 0.1039, 0.0592, 0.0224, 0.0051, 0.0043, 0.0036, 0.0029, 0.0022,
)  # fmt: skip
"""The share of a day's releases published in each hour of the day, London time.

Measured on the recorded Find a Tender day of 10 August 2026 (459 releases), smoothed over
three hours, floored at 0.2% an hour (so that no hour is ever taken to be empty) and
scaled to sum to one.
"""
DEFAULT_PER_DAY = 600.0
"""Releases a day assumed before any is seen (Find a Tender publishes 400-700 a weekday)."""
TARGET_FILL = 0.85
"""How full a window is planned to be: little waste, and seldom a page too many."""
WEIGHT = 0.5
"""The weight of the newest observation in the running daily volume."""
SMALLEST_TAIL = 0.25
"""A last window expected to hold less than this share of a page is folded into the one before."""
_STEP = timedelta(minutes=1)


def _share_per_second(moment: datetime) -> float:
    return HOURLY_SHARE[moment.astimezone(LONDON).hour] / 3600.0


def expected_share(start: datetime, end: datetime) -> float:
    """The share of a day's releases expected between `start` and `end`."""
    total = 0.0
    moment = start
    while moment < end:
        local = moment.astimezone(LONDON)
        boundary = (
            local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        ).astimezone(moment.tzinfo)
        stop = min(end, max(boundary, moment + _STEP))
        total += _share_per_second(moment) * (stop - moment).total_seconds()
        moment = stop
    return total


@dataclass(slots=True)
class RateEstimate:
    """A day's volume of releases, learnt window by window; windows planned from it."""

    per_day: float = DEFAULT_PER_DAY

    @property
    def per_second(self) -> float:
        """The mean rate a second over a whole day."""
        return self.per_day / 86400

    def expected(self, start: datetime, end: datetime) -> float:
        """Releases expected between `start` and `end`."""
        return self.per_day * expected_share(start, end)

    def next_window(self, start: datetime, until: datetime, limit: int) -> datetime:
        """The end of the next window from `start`: about `TARGET_FILL` of a page's worth."""
        target = TARGET_FILL * limit
        if self.expected(start, until) <= target * (1 + SMALLEST_TAIL):
            return until
        end, count = start, 0.0
        while end < until:
            local = end.astimezone(LONDON)
            boundary = (
                local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            ).astimezone(end.tzinfo)
            stop = min(until, max(boundary, end + _STEP))
            rate = self.per_day * _share_per_second(end)
            piece = rate * (stop - end).total_seconds()
            if count + piece >= target:
                seconds = (target - count) / rate
                end += timedelta(seconds=max(seconds, 1.0))
                break
            count, end = count + piece, stop
        if self.expected(end, until) < target * SMALLEST_TAIL:
            return until
        return min(end, until)

    def observe(self, releases: int, start: datetime, end: datetime, *, full: bool) -> None:
        """Learn from a window read: `releases` in it (a full page: at least that many)."""
        share = max(expected_share(start, end), 1e-6)
        # An empty window says "less than one": count it as half, so the volume never
        # reaches zero and the next window never spans everything left.
        implied = max(releases, 0.5) / share
        if full:
            # At least this many: a full page never lowers the estimate.
            self.per_day = max(self.per_day, implied * 1.5)
            return
        # An empty window is news enough on its own (a holiday, a quiet history): the next
        # window doubles at least, rather than creeping up on a long empty stretch.
        weight = 1.0 if releases == 0 else WEIGHT
        self.per_day = weight * implied + (1 - weight) * self.per_day
