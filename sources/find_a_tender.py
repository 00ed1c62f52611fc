"""Find a Tender: OCDS release packages updated in a time window, paged by `links.next`.

Find a Tender allows 12 requests every 2 minutes and answers 429 without `Retry-After` past
that, so its requests are spaced at least 10.5 seconds apart (`min_gap`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from sources.base import Page, SourceSettings
from sources.http import HttpFetcher
from sources.ocds_package import follow_pages
from sources.options import no_options

KIND = "find_a_tender"
DEFAULT_URL = "https://www.find-tender.service.gov.uk"
PACKAGES_PATH = "/api/1.0/ocdsReleasePackages"
MIN_GAP_SECONDS = 10.5
THROTTLE_SECONDS = 120.0


def api_time(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS` in UTC, with no zone, as the API takes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


read_options = no_options
"""Find a Tender takes no keys beyond the common ones."""


class FindATenderSource:
    """Pages through releases updated between two times."""

    def __init__(self, settings: SourceSettings, http: HttpFetcher) -> None:
        self.settings = settings
        self._http = http

    def pages(
        self, since: datetime, until: datetime, *, resume: str | None = None
    ) -> AsyncIterator[Page]:
        """Each page of releases updated from `since` to `until`.

        Raises:
            sources.errors.SourceError: throttling, a persistent fetch failure, or a bad page.
        """
        params = {
            "updatedFrom": api_time(since),
            "updatedTo": api_time(until),
            "limit": str(min(self.settings.page_size, 100)),
        }
        url = self.settings.url.rstrip("/") + PACKAGES_PATH
        return follow_pages(self._http, self.settings, url, params, resume=resume)
