"""Find a Tender windows through the imitation: a full page plans the next window, nothing lost.

The imitation lists a window's releases by notice number, newest first, as the real service
does; a release published late can carry an older number than others of its window.
"""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from sources.base import Page, SourceSettings
from sources.find_a_tender import FindATenderSource
from sources.http import HttpFetcher, make_client
from sources.politeness import HostGate
from sources.window_sizing import HOURLY_SHARE
from tests.conftest import DATA, FakeClock
from tests.fakes.find_a_tender import PATH, serve_find_a_tender
from tests.fakes.publishers import FakePublisher, release_json

BASE = release_json(DATA / "made" / "find_a_tender_package.json")["releases"][0]
MONDAY = datetime(2026, 8, 10, 8, 0, tzinfo=UTC)  # 09:00 London


def made(number: int, moment: datetime) -> dict[str, Any]:
    """A release with notice number `number` (``NNNNNN-2026``) dated `moment`."""
    release = copy.deepcopy(BASE)
    release["id"] = f"{number:06d}-2026"
    release["ocid"] = f"ocds-h6vhtk-w{number:06d}"
    release["date"] = moment.isoformat()
    return release


def read(
    releases: list[dict[str, Any]],
    since: datetime,
    until: datetime,
    *,
    page_size: int = 100,
    per_day: float | None = None,
) -> tuple[list[Page], list[dict[str, Any]]]:
    """The pages one read from `since` to `until` yields, and the requests it made."""

    async def go() -> tuple[list[Page], list[dict[str, Any]]]:
        clock = FakeClock(until + timedelta(minutes=5))
        with FakePublisher(clock) as web:
            serve_find_a_tender(web, releases)
            settings = SourceSettings(
                name="fat",
                kind="find_a_tender",
                url=web.url,
                min_gap=13.0,
                throttle_wait=120.0,
                page_size=page_size,
            )
            client = make_client(settings)
            try:
                fetcher = HttpFetcher(settings, client, clock, gate=HostGate(clock))
                source = FindATenderSource(settings, fetcher)
                if per_day is not None:
                    source.rate.per_day = per_day
                pages = [page async for page in source.pages(since, until)]
            finally:
                await client.aclose()
            assert source.requests == len(web.requests_to(PATH))
            return pages, web.requests_to(PATH)

    return asyncio.run(go())


def halving_requests(moments: list[datetime], start: datetime, end: datetime, limit: int) -> int:
    """Requests reading [start, end) takes when every full window is halved and read again."""
    held = sum(start <= m < end for m in moments)
    if held < limit:
        return 1
    middle = start + (end - start) / 2
    return (
        1
        + halving_requests(moments, start, middle, limit)
        + halving_requests(moments, middle, end, limit)
    )


def test_releases_numbered_out_of_date_order_are_all_read():
    # 40 releases every 12 minutes from 09:00, numbered in date order, and 5 published late
    # in the afternoon with older numbers: the full first page (newest 10 numbers) shows the
    # afternoon but not those 5, whose dates lie inside the stretch it showed.
    in_order = [made(100 + n, MONDAY + timedelta(minutes=12 * n)) for n in range(40)]
    late = [made(1 + n, MONDAY + timedelta(hours=7, minutes=10 * n + 5)) for n in range(5)]
    releases = in_order + late
    until = MONDAY + timedelta(hours=9)
    pages, requests = read(releases, MONDAY, until, page_size=10, per_day=1.0)

    first = {n.release_id for n in pages[0].notices}
    assert len(first) == 10 and pages[0].watermark is None  # the first window was full
    shown = [datetime.fromisoformat(r["date"]) for r in in_order[-10:]]
    assert all(min(shown) <= datetime.fromisoformat(r["date"]) for r in late)
    assert not first & {r["id"] for r in late}

    read_ids = {n.release_id for page in pages for n in page.notices}
    assert read_ids == {r["id"] for r in releases}
    marks = [page.watermark for page in pages if page.watermark is not None]
    assert marks == sorted(marks) and marks[-1] == until
    # Only pages that came back not full move the watermark.
    for page in pages:
        if page.watermark is not None:
            assert len(page.notices) < 10
    assert all("cursor" not in r["query"] for r in requests)


def published_like_a_day(count: int, day: datetime) -> list[datetime]:
    """`count` moments spread over the London day starting at `day` as `HOURLY_SHARE` says."""
    moments = []
    for n in range(count):
        left = (n + 0.5) / count
        for hour, share in enumerate(HOURLY_SHARE):
            if left < share:
                moments.append(day + timedelta(hours=hour + left / share))
                break
            left -= share
    return moments


def test_a_full_window_is_read_again_in_fewer_requests_than_halving():
    # 450 releases published through a Monday, read with a rate seeded far too low: the
    # first window spans the day and comes back full.
    day = datetime(2026, 8, 9, 23, 0, tzinfo=UTC)  # Monday 00:00 London
    moments = published_like_a_day(450, day)
    releases = [made(1000 + n, moment) for n, moment in enumerate(moments)]
    until = day + timedelta(days=1)
    pages, requests = read(releases, day, until, per_day=30.0)

    assert {n.release_id for page in pages for n in page.notices} == {r["id"] for r in releases}
    assert pages[0].watermark is None  # the first window was full
    halving = halving_requests(moments, day, until, 100)
    assert len(requests) < halving - 2, (len(requests), halving)
    # Each window read again after a full page ends earlier, and the first one that fits a
    # page holds most of one (halving's would hold half the day's first half).
    ends = [datetime.fromisoformat(r["query"]["updatedTo"]) for r in requests]
    full = [page.watermark is None for page in pages if page.url]
    assert full[0]
    first_fit = full.index(False)
    assert ends[: first_fit + 1] == sorted(ends[: first_fit + 1], reverse=True)
    assert len(set(ends[: first_fit + 1])) == first_fit + 1
    assert len([page for page in pages if page.url][first_fit].notices) >= 80
