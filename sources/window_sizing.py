"""The rate of releases expected at a moment, learnt day by day from the windows read.

A publisher that pages by time window (Find a Tender) costs one request per window, and a
window whose page comes back full costs a request more; windows are planned
(`sources.window_plan`) from what this module expects a stretch of time to hold.

The model: releases are published in office hours, so the expected rate at a moment is the
volume of its day (London) spread by the share of a day's releases published in that hour of
the day, `HOURLY_SHARE`. A day's volume is not known in advance (Find a Tender publishes
400-700 releases a weekday, far fewer at weekends), so each day's volume is an estimate
with its uncertainty:

- before a day is read, it is the mean volume of the recent days of its kind (weekday or
  weekend), give or take `DAY_SPREAD` (a seed before any day of the kind is seen);
- as the day is read, the releases counted in it pull the estimate towards what the day
  really holds (a gamma-Poisson posterior: the count weighs as much as the spread allows),
  so a quiet holiday or a busy Monday is believed within a window or two, and the
  uncertainty shrinks as the day's count grows.

The hourly profile is not exact on any one day: `PROFILE_ERROR` is added to every
estimate's uncertainty, so that a window planned late in a well-known day still keeps a
margin.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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
"""Releases a weekday assumed before any is seen (Find a Tender publishes 400-700 a weekday)."""
DEFAULT_WEEKEND_SHARE = 0.2
"""A weekend day's volume as a share of a weekday's, assumed before any weekend is seen."""
DAY_SPREAD = 0.3
"""How far a day's volume strays from the mean of its kind (relative standard deviation),
assumed until days of the kind are seen (then learnt from them)."""
SPREAD_PRIOR_DAYS = 4.0
"""`DAY_SPREAD` weighs as much as this many days seen in the spread learnt for a kind."""
SMALLEST_SPREAD = 0.05
"""The least spread ever taken for a day's volume, however alike the days seen were."""
UNSEEN_SPREAD = 1.0
"""The spread of a kind of day none of which has been seen yet (its seed is a guess)."""
PROFILE_ERROR = 0.1
"""How far the hourly profile strays on a given day (relative), kept in every estimate."""
RECENT_DAYS = 10
"""The days of a kind whose volumes make the mean expected of the next day of that kind."""
SEED_WEIGHT = 0.25
"""The seed volume counts as this share of a day's observations in a kind's mean."""
SEEN_DAY = 0.5
"""A day counts as seen (for its kind's mean) once this share of its releases was read."""
SURPRISE = 0.05
"""The chance allowed that a day's volume is nothing like its kind's (a holiday, a bad seed)."""
PROFILE_PRIOR = 2000.0
"""The worth of `HOURLY_SHARE`, in releases, against the hours of the days read since."""
PROFILE_DAYS = 28
"""The most recent days read whole whose hours make the learnt profile."""


def day_kind(day: date) -> str:
    """``weekday`` or ``weekend``: the kinds of day whose volumes are learnt apart."""
    return "weekend" if day.weekday() >= 5 else "weekday"


def _hour_pieces(
    start: datetime, end: datetime, profile: Sequence[float] = HOURLY_SHARE
) -> Iterator[tuple[date, float, datetime]]:
    """(London day, share of that day, piece end) for each clock-hour piece of [start, end)."""
    moment = start
    while moment < end:
        local = moment.astimezone(LONDON)
        boundary = (
            local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        ).astimezone(moment.tzinfo)
        stop = min(end, boundary)
        seconds = (stop - moment).total_seconds()
        yield local.date(), profile[local.hour] * seconds / 3600.0, stop
        moment = stop


def day_shares(
    start: datetime, end: datetime, profile: Sequence[float] = HOURLY_SHARE
) -> dict[date, float]:
    """The share of each London day's releases expected between `start` and `end`.

    `profile` is the share of a day's releases published in each hour (London time).
    """
    shares: dict[date, float] = {}
    for day, share, _ in _hour_pieces(start, end, profile):
        shares[day] = shares.get(day, 0.0) + share
    return shares


def expected_share(start: datetime, end: datetime) -> float:
    """The share of a day's releases expected between `start` and `end` (days summed)."""
    return sum(day_shares(start, end).values())


@dataclass(frozen=True, slots=True, kw_only=True)
class Expectation:
    """Releases expected in one London day's part of a stretch, with their uncertainty."""

    day: date
    mean: float
    spread: float
    """The relative standard deviation of the day's volume (shared by all its parts)."""


@dataclass(slots=True)
class _Tally:
    releases: float = 0.0
    share: float = 0.0


@dataclass(slots=True)
class RateEstimate:
    """Each day's volume of releases, learnt from the windows read; see the module text."""

    seed: float = DEFAULT_PER_DAY
    """The weekday volume assumed before any weekday is seen (a caller may set `per_day`)."""
    _read: dict[date, _Tally] = field(default_factory=dict)
    _provisional: dict[date, _Tally] = field(default_factory=dict)
    _cache: dict[date, tuple[float, float]] = field(default_factory=dict)
    _hours: dict[date, list[int]] = field(default_factory=dict)
    """Releases read per London hour of each day (for the learnt profile)."""
    _span: tuple[datetime, datetime] | None = None
    """From the start of the first window read to the end of the last."""
    profile: tuple[float, ...] = HOURLY_SHARE
    """The share of a day's releases expected in each hour: `HOURLY_SHARE`, then learnt."""

    @property
    def per_day(self) -> float:
        """The volume expected of the next weekday (the seed until a weekday is read)."""
        return self._kind_mean("weekday", exclude=None)[0]

    @per_day.setter
    def per_day(self, volume: float) -> None:
        self.seed = max(volume, 1.0)
        self._cache.clear()

    def _kind_mean(self, kind: str, exclude: date | None) -> tuple[float, float]:
        """(mean volume, spread) expected of a day of `kind`, from its recent seen days."""
        seed = self.seed if kind == "weekday" else self.seed * DEFAULT_WEEKEND_SHARE
        days = sorted(
            (d for d, t in self._read.items() if d != exclude and day_kind(d) == kind),
            reverse=True,
        )
        seen = [self._read[d] for d in days if self._read[d].share >= SEEN_DAY][:RECENT_DAYS]
        if not seen:
            other = "weekday" if kind == "weekend" else "weekend"
            spread = DAY_SPREAD if kind == "weekday" else UNSEEN_SPREAD
            if kind == "weekend" and any(
                t.share >= SEEN_DAY and day_kind(d) == other for d, t in self._read.items()
            ):
                seed = self._kind_mean(other, exclude)[0] * DEFAULT_WEEKEND_SHARE
            return seed, spread
        releases = sum(t.releases for t in seen) + seed * SEED_WEIGHT
        share = sum(t.share for t in seen) + SEED_WEIGHT
        mean = releases / share
        # How far the days strayed from their mean, less what chance alone explains,
        # weighed against `DAY_SPREAD` as if it had been seen on `SPREAD_PRIOR_DAYS` days.
        strayed = sum(
            max(((t.releases / t.share - mean) / mean) ** 2 - 1 / max(t.releases, 1.0), 0.0)
            for t in seen
        )
        variance = (SPREAD_PRIOR_DAYS * DAY_SPREAD**2 + strayed) / (SPREAD_PRIOR_DAYS + len(seen))
        return mean, max(variance**0.5, SMALLEST_SPREAD)

    def volume(self, day: date) -> tuple[float, float]:
        """(volume, relative spread) expected of `day`, from its kind and what was read of it."""
        if day not in self._cache:
            mean, spread = self._kind_mean(day_kind(day), exclude=day)
            read = self._read.get(day, _Tally())
            volume, doubt = _posterior(mean, spread, read.releases, read.share)
            if day in self._provisional:
                # At least this many from the cursor on: it may raise the estimate, never
                # lower it (a burst listed on a full page says nothing of the other hours).
                listed = self._provisional[day]
                volume, doubt = max(
                    (volume, doubt),
                    _posterior(
                        mean, spread, read.releases + listed.releases, read.share + listed.share
                    ),
                )
            self._cache[day] = (volume, (doubt**2 + PROFILE_ERROR**2) ** 0.5)
        return self._cache[day]

    def expectations(self, start: datetime, end: datetime) -> list[Expectation]:
        """The releases expected between `start` and `end`, day by day."""
        found = []
        for day, share in day_shares(start, end, self.profile).items():
            volume, spread = self.volume(day)
            found.append(Expectation(day=day, mean=volume * share, spread=spread))
        return found

    def expected(self, start: datetime, end: datetime) -> float:
        """Releases expected between `start` and `end`."""
        return sum(e.mean for e in self.expectations(start, end))

    def observe(
        self, start: datetime, end: datetime, dates: Iterable[datetime], undated: int = 0
    ) -> None:
        """Learn from a window read completely: the dates of its releases (and any undated)."""
        dates = list(dates)
        _add(self._read, start, end, dates, undated, self.profile)
        for moment in dates:
            local = moment.astimezone(LONDON)
            self._hours.setdefault(local.date(), [0] * 24)[local.hour] += 1
        before = self._whole_days()
        self._span = (
            (start, end)
            if self._span is None
            else (min(self._span[0], start), max(self._span[1], end))
        )
        if self._whole_days() != before:
            self.profile = self._learnt_profile()
        self._cache.clear()

    def _whole_days(self) -> list[date]:
        """The recent days read from their first hour to their last."""
        if self._span is None:
            return []
        first = self._span[0].astimezone(LONDON)
        last = self._span[1].astimezone(LONDON).date()
        starts_whole = (
            first.time() == first.replace(hour=0, minute=0, second=0, microsecond=0).time()
        )
        days = [d for d in self._hours if (d > first.date() or starts_whole) and d < last]
        return sorted(days, reverse=True)[:PROFILE_DAYS]

    def _learnt_profile(self) -> tuple[float, ...]:
        """`HOURLY_SHARE` weighed against the hours of the recent days read whole."""
        counts = [0] * 24
        for day in self._whole_days():
            counts = [a + b for a, b in zip(counts, self._hours[day], strict=True)]
        total = sum(counts)
        return tuple(
            (PROFILE_PRIOR * prior + count) / (PROFILE_PRIOR + total)
            for prior, count in zip(HOURLY_SHARE, counts, strict=True)
        )

    def provisionally(self, spans: Mapping[tuple[datetime, datetime], list[datetime]]) -> None:
        """Count releases listed but not yet read completely (replacing earlier such counts).

        `spans` maps stretches not yet read to the dates full pages listed in them: the
        stretch holds at least those, so a day's volume is raised to what they imply when
        they imply more than the windows read do.
        """
        self._provisional = {}
        for (start, end), dates in spans.items():
            _add(self._provisional, start, end, dates, 0, self.profile)
        self._cache.clear()


def _posterior(mean: float, spread: float, releases: float, share: float) -> tuple[float, float]:
    """(volume, relative spread) of a day expected at `mean` ± `spread`, once seen in part.

    `releases` were counted in `share` of the day. The expectation is a gamma distribution
    worth ``1 / spread**2`` releases, mixed with a vague one (`SURPRISE`) so that a day far
    from its kind's mean (a holiday, a seed far off) is believed on the evidence rather
    than dragged back to the mean.
    """
    parts = []
    for weight, worth in ((1 - SURPRISE, 1.0 / spread**2), (SURPRISE, 1.0)):
        exposure = worth / mean
        # The log of the chance of the count under this part (negative binomial).
        evidence = (
            math.lgamma(worth + releases)
            - math.lgamma(worth)
            - math.lgamma(releases + 1)
            + worth * math.log(exposure / (exposure + share))
            + (releases * math.log(share / (exposure + share)) if releases else 0.0)
        )
        rate = (worth + releases) / (exposure + share)
        parts.append((math.log(weight) + evidence, rate, rate**2 / (worth + releases)))
    top = max(p[0] for p in parts)
    weights = [math.exp(p[0] - top) for p in parts]
    total = sum(weights)
    volume = sum(w * rate for w, (_, rate, _) in zip(weights, parts, strict=True)) / total
    second = sum(
        w * (variance + rate**2) for w, (_, rate, variance) in zip(weights, parts, strict=True)
    )
    variance = max(second / total - volume**2, 0.0)
    return volume, math.sqrt(variance) / volume


def _add(
    tallies: dict[date, _Tally],
    start: datetime,
    end: datetime,
    dates: Iterable[datetime],
    undated: int,
    profile: Sequence[float],
) -> None:
    shares = day_shares(start, end, profile)
    for day, share in shares.items():
        tallies.setdefault(day, _Tally()).share += share
    for moment in dates:
        day = min(max(moment, start), end).astimezone(LONDON).date()
        tallies.setdefault(day, _Tally()).releases += 1
    if undated and shares:
        busiest = max(shares, key=lambda d: shares[d])
        tallies[busiest].releases += undated
