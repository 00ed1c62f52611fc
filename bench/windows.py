"""Requests made to read Find a Tender over a period, against the fewest possible.

Every Find a Tender request costs 13 seconds, so a backfill or a first poll over weeks is
counted in requests. The fewest possible is one per 100 releases (a page holds 100); this
script reads a period through the real Find a Tender source and its HTTP client, against
the local imitation (`tests/fakes/find_a_tender.py`) on a controllable clock (no real
waiting), and prints the requests made by

- `sized`: windows sized from the rate already seen (what tenderbot does), and
- `halving`: the whole period as one window, halved while a page comes back full (what it
  did before),

each with its ratio to the minimum measured on the same releases in the same run.

The releases are the recorded Find a Tender day (459 real releases with their real times of
day, in ../shared/fixtures), resampled for every day of the period with fresh ids: each
weekday between 0.6 and 1.5 times the recorded volume, Saturdays and Sundays a fifth of it,
each release moved by up to two hours either way (seeded, so every run draws the same
releases). The windows' hourly profile was measured on that same day, so the noise keeps
the benchmark from flattering it.

    python bench/windows.py [DAYS ...]     (default: 2 7 30)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sources.base import SourceSettings  # noqa: E402
from sources.find_a_tender import FindATenderSource  # noqa: E402
from sources.http import HttpFetcher, make_client  # noqa: E402
from sources.politeness import HostGate  # noqa: E402
from tests.fakes.find_a_tender import serve_find_a_tender  # noqa: E402
from tests.fakes.publishers import FakePublisher  # noqa: E402

DAY = ROOT.parent / "shared" / "fixtures" / "find_a_tender" / "day-2026-08-10"
FIRST = date(2026, 8, 10)  # a Monday
WEEKEND_SHARE = 5  # one release in five on Saturdays and Sundays


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


def releases_for(days: int, seed: int = 20260810) -> list[dict[str, Any]]:
    """The recorded day resampled over `days` days from `FIRST` (see the module's text)."""
    pages = sorted(DAY.glob("page-*.json"))
    if not pages:
        sys.exit(f"the recorded day is absent ({DAY}); nothing to measure")
    day = [r for p in pages for r in json.loads(p.read_text())["releases"]]
    rng = random.Random(seed)
    made: list[dict[str, Any]] = []
    for offset in range(days):
        when = FIRST + timedelta(days=offset)
        volume = rng.uniform(0.6, 1.5) if when.weekday() < 5 else 1 / WEEKEND_SHARE
        chosen = [rng.choice(day) for _ in range(round(len(day) * volume))]
        for index, original in enumerate(chosen):
            release = json.loads(json.dumps(original))
            moment = datetime.fromisoformat(release["date"]) + timedelta(
                days=offset, minutes=rng.uniform(-120, 120)
            )
            release["date"] = moment.isoformat()
            release["ocid"] = f"{release['ocid']}-{offset}-{index}"
            release["id"] = f"{release['id']}-{offset}-{index}"
            made.append(release)
    return made


async def count_requests(releases: list[dict[str, Any]], days: int, strategy: str) -> int:
    """Requests one read of the whole period makes with `strategy`."""
    since = datetime(FIRST.year, FIRST.month, FIRST.day, tzinfo=UTC) - timedelta(hours=4)
    until = since + timedelta(days=days, hours=8)
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
            if strategy == "halving":
                source.rate.per_day = 1e-9  # one window for everything, then halves
            seen: set[str] = set()
            async for page in source.pages(since, until):
                seen.update(n.release_id for n in page.notices)
            if len(seen) != len(releases):
                sys.exit(f"{strategy}: read {len(seen)} of {len(releases)} releases")
            return source.requests
        finally:
            await client.aclose()


def main() -> None:
    """Print requests made per strategy and period, with their ratio to the minimum."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", nargs="*", type=int, default=[2, 7, 30])
    args = parser.parse_args()
    print(f"{'days':>5} {'releases':>9} {'minimum':>8} {'sized':>14} {'halving':>14}")
    for days in args.days:
        releases = releases_for(days)
        minimum = math.ceil(len(releases) / 100)
        sized = asyncio.run(count_requests(releases, days, "sized"))
        halving = asyncio.run(count_requests(releases, days, "halving"))
        print(
            f"{days:>5} {len(releases):>9} {minimum:>8} "
            f"{sized:>6} ({sized / minimum:.2f}x) {halving:>6} ({halving / minimum:.2f}x)"
        )


if __name__ == "__main__":
    main()
