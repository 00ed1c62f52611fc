"""Requests made to read Find a Tender over a period, against the fewest possible.

Every Find a Tender request costs 13 seconds, so a backfill or a first poll over weeks is
counted in requests. A window counts as read only when its page comes back not full
(`links.next` chains are not followed: they drop releases), so a page that comes back full
is a request whose releases are fetched again. The columns:

- `minimum`: one request per 100 releases (a page holds 100), the fewest possible.
- `sized`: the requests tenderbot makes: the real Find a Tender source and its HTTP client
  read the period from the local imitation (`tests/fakes/find_a_tender.py`) on a
  controllable clock (no real waiting); it learns each day's volume as it reads
  (`sources.window_sizing`) and plans windows from it and from what full pages list
  (`sources.window_plan`). Its ratio to the minimum follows in brackets.
- `known rate`: a floor, measured, for readers of time windows: the same planner told the rate
  the releases were really drawn at (each day's volume and the shape of its hours, exactly;
  only the scatter of releases in time is left to chance), best of several margins
  (`FLOOR_SAFETIES`), answered in this process as the imitation answers. Releases arrive at
  random, so even this reader under-fills windows or overflows pages: no reader of time
  windows that must see a page come back not full reaches the minimum.
- `sized/known`: how far tenderbot is from that floor; what it loses by having to learn
  each day's volume (a new day's is unknown until some of it is read).

The releases are the recorded Find a Tender day (459 real releases with their real times of
day, in ../shared/fixtures), resampled for every day of the period with fresh ids: each
weekday between 0.6 and 1.5 times the recorded volume, Saturdays and Sundays a fifth of it,
each release moved by up to two hours either way (seeded, so every run draws the same
releases). The windows' hourly profile was measured on that same day, so the noise keeps
the benchmark from flattering it. All figures are measured on the same releases in the
same run.

    python bench/windows.py [DAYS ...]     (default: 2 7 30)
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import math
import random
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sources.base import SourceSettings  # noqa: E402
from sources.find_a_tender import FindATenderSource  # noqa: E402
from sources.http import HttpFetcher, make_client  # noqa: E402
from sources.politeness import HostGate  # noqa: E402
from sources.window_plan import WindowPlanner  # noqa: E402
from sources.window_sizing import Expectation  # noqa: E402
from tests.fakes.find_a_tender import serve_find_a_tender  # noqa: E402
from tests.fakes.publishers import FakePublisher  # noqa: E402

DAY = ROOT.parent / "shared" / "fixtures" / "find_a_tender" / "day-2026-08-10"
FIRST = date(2026, 8, 10)  # a Monday
WEEKEND_SHARE = 5  # one release in five on Saturdays and Sundays
JITTER_MINUTES = 120  # each drawn release is moved by up to this much either way
PAGE = 100
FLOOR_SAFETIES = (0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8)
"""Margins tried for the known-rate floor: its figure is the best of them."""


class Clock:
    """A clock that sleeps by moving itself on."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        """The current time."""
        return self.current

    async def sleep(self, seconds: float) -> None:
        """Move on by `seconds` at once."""
        self.current += timedelta(seconds=seconds)
        await asyncio.sleep(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """The releases drawn for a period, and how they were drawn (for the known-rate floor)."""

    releases: list[dict[str, Any]]
    recorded: list[float]
    """The recorded day's release times (seconds since the epoch), sorted."""
    drawn: list[int]
    """Releases drawn for each day of the period, from `FIRST` on."""


def releases_for(days: int, seed: int = 20260810) -> Period:
    """The recorded day resampled over `days` days from `FIRST` (see the module's text)."""
    pages = sorted(DAY.glob("page-*.json"))
    if not pages:
        sys.exit(f"the recorded day is absent ({DAY}); nothing to measure")
    day = [r for p in pages for r in json.loads(p.read_text())["releases"]]
    rng = random.Random(seed)
    made: list[dict[str, Any]] = []
    drawn: list[int] = []
    for offset in range(days):
        when = FIRST + timedelta(days=offset)
        volume = rng.uniform(0.6, 1.5) if when.weekday() < 5 else 1 / WEEKEND_SHARE
        chosen = [rng.choice(day) for _ in range(round(len(day) * volume))]
        drawn.append(len(chosen))
        for index, original in enumerate(chosen):
            release = json.loads(json.dumps(original))
            moment = datetime.fromisoformat(release["date"]) + timedelta(
                days=offset, minutes=rng.uniform(-JITTER_MINUTES, JITTER_MINUTES)
            )
            release["date"] = moment.isoformat()
            release["ocid"] = f"{release['ocid']}-{offset}-{index}"
            release["id"] = f"{release['id']}-{offset}-{index}"
            made.append(release)
    recorded = sorted(datetime.fromisoformat(r["date"]).timestamp() for r in day)
    return Period(releases=made, recorded=recorded, drawn=drawn)


class KnownRate:
    """The rate the benchmark's releases were drawn at, exactly: what no reader can know.

    Each drawn release is a recorded release moved by whole days and by a uniform shift of
    up to `JITTER_MINUTES`, so the expected count in a stretch is, for each day, its number
    drawn times the mean chance that a recorded release's shifted time falls in it.
    """

    def __init__(self, period: Period) -> None:
        self._starts = [t - JITTER_MINUTES * 60 for t in period.recorded]
        self._sums = [0.0, *itertools.accumulate(self._starts)]
        self._width = 2 * JITTER_MINUTES * 60
        self._drawn = period.drawn

    def _share_before(self, moment: float) -> float:
        """The mean chance that a shifted recorded release falls before `moment`."""
        whole = bisect.bisect_right(self._starts, moment - self._width)
        part = bisect.bisect_right(self._starts, moment)
        partial = (part - whole) * moment - (self._sums[part] - self._sums[whole])
        return (whole + partial / self._width) / len(self._starts)

    def expectations(self, start: datetime, end: datetime) -> list[Expectation]:
        """The releases expected between `start` and `end` (no doubt about the volume)."""
        mean = 0.0
        for offset, drawn in enumerate(self._drawn):
            shift = offset * 86400
            a, b = start.timestamp() - shift, end.timestamp() - shift
            if b <= self._starts[0] or a >= self._starts[-1] + self._width:
                continue
            mean += drawn * (self._share_before(b) - self._share_before(a))
        return [Expectation(day=start.date(), mean=mean, spread=0.0)]

    def observe(
        self, start: datetime, end: datetime, dates: Iterable[datetime], undated: int = 0
    ) -> None:
        """Nothing to learn: the rate is known."""

    def provisionally(self, spans: Mapping[tuple[datetime, datetime], list[datetime]]) -> None:
        """Nothing to learn: the rate is known."""


def period_bounds(days: int) -> tuple[datetime, datetime]:
    """The stretch read for `days` days: from the evening before to the morning after."""
    since = datetime(FIRST.year, FIRST.month, FIRST.day, tzinfo=UTC) - timedelta(hours=4)
    return since, since + timedelta(days=days, hours=8)


def floor_requests(period: Period, days: int, safety: float) -> int:
    """Requests the same planner makes told the true rate, read as the imitation answers.

    The windows are answered in this process (newest 100 releases of a window, as the
    imitation lists them: these ids carry no notice number, so newest by date), to keep the
    run short; the planner and its use of full pages are the source's own.
    """
    found = sorted((datetime.fromisoformat(r["date"]), str(r["id"])) for r in period.releases)
    moments = [moment for moment, _ in found]
    planner = WindowPlanner(rate=KnownRate(period), safety=safety)
    cursor, until = period_bounds(days)
    requests = 0
    while cursor < until:
        end = planner.next_window(cursor, until, PAGE)
        low = bisect.bisect_left(moments, cursor.replace(microsecond=0))
        high = bisect.bisect_left(moments, end.replace(microsecond=0))
        requests += 1
        if high - low >= PAGE:
            planner.overflowed(
                cursor, end, [(key, when) for when, key in found[high - PAGE : high]]
            )
        else:
            planner.completed(cursor, end, moments[low:high])
            cursor = end
    return requests


async def count_requests(releases: list[dict[str, Any]], days: int) -> int:
    """Requests one read of the whole period makes through the source, as tenderbot reads."""
    since, until = period_bounds(days)
    clock = Clock(until + timedelta(minutes=5))
    with FakePublisher(clock) as web:
        serve_find_a_tender(web, releases)
        settings = SourceSettings(
            name="fat", kind="find_a_tender", url=web.url, min_gap=13.0, throttle_wait=120.0
        )
        client = make_client(settings)
        try:
            fetcher = HttpFetcher(settings, client, clock, gate=HostGate(clock))
            source = FindATenderSource(settings, fetcher)
            seen: set[str] = set()
            async for page in source.pages(since, until):
                seen.update(n.release_id for n in page.notices)
            if len(seen) != len(releases):
                sys.exit(f"sized: read {len(seen)} of {len(releases)} releases")
            return source.requests
        finally:
            await client.aclose()


def main() -> None:
    """Print the requests made per period, against the minimum and the known-rate floor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", nargs="*", type=int, default=[2, 7, 30])
    args = parser.parse_args()
    print(
        f"{'days':>5} {'releases':>9} {'minimum':>8} {'sized':>14} {'known rate':>14} "
        f"{'sized/known':>12}"
    )
    for days in args.days:
        period = releases_for(days)
        minimum = math.ceil(len(period.releases) / PAGE)
        sized = asyncio.run(count_requests(period.releases, days))
        floor = min(floor_requests(period, days, safety) for safety in FLOOR_SAFETIES)
        print(
            f"{days:>5} {len(period.releases):>9} {minimum:>8} "
            f"{sized:>6} ({sized / minimum:.2f}x) {floor:>6} ({floor / minimum:.2f}x) "
            f"{sized / floor:>11.2f}x"
        )


if __name__ == "__main__":
    main()
