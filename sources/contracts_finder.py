"""Contracts Finder: the OCDS search endpoint, newest notices first, paged by `links.next`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sources.base import Page, SourceSettings
from sources.errors import PayloadError
from sources.http import HttpFetcher
from sources.ocds import MappingError, load_json, map_releases, releases_of

KIND = "contracts_finder"
DEFAULT_URL = "https://www.contractsfinder.service.gov.uk"
SEARCH_PATH = "/Published/Notices/OCDS/Search"


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedPage:
    """A parsed search response: its page of notices and the next page's URL, if any."""

    page: Page
    next_url: str | None


def parse(payload: bytes, *, source: str, url: str = "") -> ParsedPage:
    """Parse one search response body fetched from `url`.

    Raises:
        PayloadError: the body is not a JSON release package (HTML error page, truncated...).
    """
    where = f"GET {url}" if url else "response"
    try:
        document: Any = load_json(payload)
    except UnicodeDecodeError:
        raise PayloadError(source, where, "response is not UTF-8 text") from None
    except ValueError as exc:
        snippet = payload[:60].decode("utf-8", "replace").strip().replace("\n", " ")
        raise PayloadError(
            source, where, f"response is not valid JSON ({exc}); it starts {snippet!r}"
        ) from None
    try:
        releases = releases_of(document)
    except MappingError as exc:
        raise PayloadError(source, where, str(exc)) from None
    mapped = map_releases(releases, source=source)
    links = document.get("links") if isinstance(document, dict) else None
    next_url = links.get("next") if isinstance(links, dict) else None
    return ParsedPage(
        page=Page(url=url, notices=mapped.notices, problems=mapped.problems),
        next_url=next_url if isinstance(next_url, str) and next_url else None,
    )


def published_from(since: datetime) -> str:
    """Format a lower bound for `publishedFrom` (UTC, seconds precision, no zone)."""
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class ContractsFinderSource:
    """Pages through notices published since a given time, one request at a time."""

    def __init__(self, settings: SourceSettings, http: HttpFetcher) -> None:
        self.settings = settings
        self._http = http

    async def pages(self, since: datetime) -> AsyncIterator[Page]:
        """Yield each page of the search, following `links.next` until it is absent.

        Raises:
            sources.errors.SourceError: throttling, a persistent fetch failure, or a bad page.
        """
        name = self.settings.name
        url: str | None = self.settings.url.rstrip("/") + SEARCH_PATH
        params: dict[str, str] | None = {
            "publishedFrom": published_from(since),
            "limit": str(self.settings.page_size),
        }
        seen: set[str] = set()
        while url is not None:
            if url in seen:
                raise PayloadError(name, url, "links.next points back at a page already read")
            if len(seen) >= self.settings.max_pages:
                raise PayloadError(name, url, f"more than {self.settings.max_pages} pages")
            seen.add(url)
            response = await self._http.get(url, params=params)
            parsed = parse(response.body, source=name, url=response.url)
            yield parsed.page
            url, params = parsed.next_url, None
