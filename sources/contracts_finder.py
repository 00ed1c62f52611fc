"""Contracts Finder: the OCDS search endpoint, newest notices first, paged by `links.next`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sources.base import Page, SourceSettings
from sources.ocds_package import ParsedPage, follow_pages, parse_package
from sources.options import no_options

if TYPE_CHECKING:
    from sources.http import HttpFetcher

KIND = "contracts_finder"
DEFAULT_URL = "https://www.contractsfinder.service.gov.uk"
SEARCH_PATH = "/Published/Notices/OCDS/Search"


def parse(payload: bytes, *, source: str, url: str = "") -> ParsedPage:
    """Parse one search response body (an OCDS release package).

    Raises:
        sources.errors.PayloadError: the body is not a JSON release package.
    """
    return parse_package(payload, source=source, url=url)


read_options = no_options
"""Contracts Finder takes no keys beyond the common ones."""


def published_from(since: datetime) -> str:
    """Format a lower bound for `publishedFrom` (UTC, seconds precision, no zone)."""
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class ContractsFinderSource:
    """Pages through notices published since a given time, one request at a time."""

    def __init__(self, settings: SourceSettings, http: HttpFetcher) -> None:
        self.settings = settings
        self._http = http

    def pages(
        self, since: datetime, until: datetime, *, resume: str | None = None
    ) -> AsyncIterator[Page]:
        """Each page of the search for notices published since `since`.

        Raises:
            sources.errors.SourceError: throttling, a persistent fetch failure, or a bad page.
        """
        params = {"publishedFrom": published_from(since), "limit": str(self.settings.page_size)}
        url = self.settings.url.rstrip("/") + SEARCH_PATH
        return follow_pages(self._http, self.settings, url, params, resume=resume)
