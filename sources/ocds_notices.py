"""Public Contracts Scotland and Sell2Wales: their OCDS notice APIs, one month at a time.

Both answer ``GET {url}/v1/Notices?dateFrom=MM-YYYY&noticeType=N&outputType=0`` with an OCDS
release package of that month's notices of one type. A pass asks for every month from the
watermark's to the current one, for each configured notice type.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sources.base import Page, SourceSettings
from sources.ocds_package import follow_pages
from sources.options import OptionError, string_list, unknown_keys

if TYPE_CHECKING:
    from sources.http import HttpFetcher

PCS_KIND = "pcs"
PCS_URL = "https://api.publiccontractsscotland.gov.uk"
SELL2WALES_KIND = "sell2wales"
SELL2WALES_URL = "https://api.sell2wales.gov.wales"
NOTICES_PATH = "/v1/Notices"
DEFAULT_NOTICE_TYPES = ["2", "21", "101", "102"]
"""Contract notices (2), social and other specific services (21), and the portal's own
below-threshold site notices (101 prior information, 102 contract notice). Above-threshold
notices are forwarded to Find a Tender too; site notices are published only here."""


def read_options(raw: Mapping[str, Any]) -> dict[str, Any]:
    """`notice_types`: which notice types to ask for (default 2, 21, 101 and 102).

    Raises:
        sources.options.OptionError: an unknown key, or a notice type that is not a number.
    """
    unknown_keys(raw, {"notice_types"})
    types = string_list(raw, "notice_types", DEFAULT_NOTICE_TYPES)
    if not types or not all(t.isdigit() for t in types):
        raise OptionError("notice_types: expected notice type numbers, such as [1, 2]")
    return {"notice_types": types}


SELL2WALES_OUTAGE_NOTE = (
    "Welsh notices above the procurement thresholds are published on Find a Tender too, so a "
    "find_a_tender source still carries them while Sell2Wales is down"
)


def months(since: datetime, until: datetime) -> list[str]:
    """Every month from `since` to `until` (UTC) as ``MM-YYYY``, oldest first."""
    start = since.astimezone(UTC)
    end = until.astimezone(UTC)
    year, month = start.year, start.month
    found = []
    while (year, month) <= (end.year, end.month):
        found.append(f"{month:02d}-{year}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def month_end(month: str) -> datetime:
    """The first instant (UTC) after the month ``MM-YYYY``."""
    number, year = (int(part) for part in month.split("-"))
    return datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)


class MonthlyNoticesSource:
    """Fetches each month's notices of each configured type."""

    def __init__(self, settings: SourceSettings, http: HttpFetcher) -> None:
        self.settings = settings
        self._http = http
        self._types: list[str] = list(settings.options.get("notice_types", DEFAULT_NOTICE_TYPES))

    async def pages(
        self, since: datetime, until: datetime, *, resume: str | None = None
    ) -> AsyncIterator[Page]:
        """Each page for each (month, notice type) from `since` to `until`.

        Raises:
            sources.errors.SourceError: throttling, a persistent fetch failure, or a bad page.
        """
        url = self.settings.url.rstrip("/") + NOTICES_PATH
        types = self.settings.options.get("notice_types", DEFAULT_NOTICE_TYPES)
        self._types = list(types)
        for month in months(since, until):
            for notice_type in self._types:
                params = {"dateFrom": month, "noticeType": notice_type, "outputType": "0"}
                async for page in follow_pages(self._http, self.settings, url, params):
                    yield dataclasses.replace(page, resume_url=None)
            done = month_end(month)
            if done < until:  # a finished month is a checkpoint for a long backlog
                yield Page(url="", notices=(), watermark=done)
