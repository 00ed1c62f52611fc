"""Find a Tender: OCDS release packages updated in a time window, read as Find a Tender expects.

- Windows are sent as London local time with no zone (the API reads them so; a trailing
  ``Z`` is ignored, which made UTC windows an hour late all summer).
- The `stages` parameter is never sent: it silently hides Procurement Act releases.
- Requests are at least 13 seconds apart (429s were measured at 11 s, none at 13-15 s);
  a 429 carries ``Retry-After: 120``, which is obeyed.
- `links.next` chains are known to drop releases on some windows, so they are not followed:
  a window counts as read only when its page comes back not full. Windows are planned from
  the rate of releases already seen to fill most of a page (`sources.window_plan`); a full
  page's dates (newest first) plan the window read again in its place, which usually reads
  the older part and the listed tail together. Each window read completely is a
  checkpoint (the watermark moves to its end); nothing a full page listed is taken as read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sources.base import Page, SourceSettings
from sources.find_a_tender_release import fat_release_to_notice
from sources.ocds_fields import LONDON
from sources.ocds_package import follow_pages, parse_package
from sources.options import no_options
from sources.window_plan import WindowPlanner
from sources.window_sizing import RateEstimate

if TYPE_CHECKING:
    from sources.http import HttpFetcher

KIND = "find_a_tender"
DEFAULT_URL = "https://www.find-tender.service.gov.uk"
PACKAGES_PATH = "/api/1.0/ocdsReleasePackages"
MIN_GAP_SECONDS = 13.0
THROTTLE_SECONDS = 120.0
PAGE_LIMIT = 100
SMALLEST_WINDOW = timedelta(seconds=2)
"""A window this short that still fills a page is read by its `links.next` chain instead."""


def api_time(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS` in London local time, with no zone, as the API reads it."""
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M:%S")


def _ambiguous(moment: datetime) -> bool:
    """Whether the London wall-clock time of `moment` happens twice (the October hour)."""
    local = moment.astimezone(LONDON).replace(tzinfo=None)
    return (
        local.replace(tzinfo=LONDON, fold=0).utcoffset()
        != local.replace(tzinfo=LONDON, fold=1).utcoffset()
    )


def api_window(start: datetime, end: datetime) -> tuple[str, str]:
    """`updatedFrom` and `updatedTo` for a window, never narrower than the window itself.

    When the clocks go back, a wall-clock time in the repeated hour names two instants and
    the API may read the other one; such an edge is moved an hour outwards, so the window
    asked for always covers the window wanted (what is read twice is stored once).
    """
    if _ambiguous(start):
        start -= timedelta(hours=1)
    if _ambiguous(end):
        end += timedelta(hours=1)
    return api_time(start), api_time(end)


read_options = no_options
"""Find a Tender takes no keys beyond the common ones."""


class FindATenderSource:
    """Reads the releases updated between two times, window by window."""

    def __init__(self, settings: SourceSettings, http: HttpFetcher) -> None:
        self.settings = settings
        self._http = http
        self.rate = RateEstimate()
        """Each day's volume of releases, learnt as windows are read (a caller may seed
        `rate.per_day`, the volume of a weekday)."""
        self.requests = 0
        """Requests made for windows so far (for progress reports and benchmarks)."""

    async def pages(
        self, since: datetime, until: datetime, *, resume: str | None = None
    ) -> AsyncIterator[Page]:
        """One page per window from `since` to `until`, each window small enough for a page.

        Windows are read oldest first and planned from the rate of releases seen so far (see
        `sources.window_plan`), so that most fill most of a page; a window whose page comes
        back full is replaced by a shorter one planned from the dates on that page (its
        releases are yielded too: they are stored once, however often seen). Only a page
        that comes back not full carries a watermark.

        Raises:
            sources.errors.SourceError: throttling, a persistent fetch failure, or a bad page.
        """
        url = self.settings.url.rstrip("/") + PACKAGES_PATH
        limit = min(self.settings.page_size, PAGE_LIMIT)
        planner = WindowPlanner(rate=self.rate)
        cursor = since
        while cursor < until:
            start, end = cursor, planner.next_window(cursor, until, limit)
            updated_from, updated_to = api_window(start, end)
            params = {"updatedFrom": updated_from, "updatedTo": updated_to, "limit": str(limit)}
            if end - start <= SMALLEST_WINDOW:
                dates: list[datetime] = []
                undated = 0
                async for page in follow_pages(
                    self._http, self.settings, url, params, mapper=fat_release_to_notice
                ):
                    self.requests += 1
                    dates.extend(n.release_date for n in page.notices)
                    undated += len(page.problems)
                    yield dataclasses.replace(page, resume_url=None, watermark=None)
                planner.completed(start, end, dates, undated)
                cursor = end
                yield Page(url="", notices=(), watermark=end)
                continue
            response = await self._http.get(url, params=params)
            self.requests += 1
            parsed = parse_package(
                response.body,
                source=self.settings.name,
                url=response.url,
                mapper=fat_release_to_notice,
            )
            notices, problems = parsed.page.notices, parsed.page.problems
            if parsed.next_url is not None or len(notices) + len(problems) >= limit:
                # Not every release of the window is on the page: read it again, planned
                # from the dates the page shows (see `sources.window_plan`).
                listed = [(n.release_id, n.release_date) for n in notices]
                planner.overflowed(start, end, listed, undated=len(problems))
                yield parsed.page
                continue
            planner.completed(start, end, [n.release_date for n in notices], len(problems))
            cursor = end
            yield dataclasses.replace(parsed.page, watermark=end)
