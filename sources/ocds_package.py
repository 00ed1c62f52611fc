"""Reading OCDS release packages page by page, shared by every OCDS API source."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sources.base import Page, SourceSettings
from sources.errors import PayloadError
from sources.http import HttpFetcher
from sources.ocds import MappingError, load_json, map_releases, releases_of


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedPage:
    """A parsed package: its page of notices and the next page's URL, if any."""

    page: Page
    next_url: str | None


def parse_package(payload: bytes, *, source: str, url: str = "") -> ParsedPage:
    """Parse one OCDS release package (a response body fetched from `url`).

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


async def follow_pages(
    http: HttpFetcher, settings: SourceSettings, url: str, params: dict[str, str] | None
) -> AsyncIterator[Page]:
    """Fetch `url` and every page its `links.next` leads to, one request at a time.

    Raises:
        sources.errors.SourceError: throttling, a persistent fetch failure, a bad page, or
            paging that loops or runs past `max_pages`.
    """
    next_url: str | None = url
    seen: set[str] = set()
    while next_url is not None:
        if next_url in seen:
            raise PayloadError(
                settings.name, next_url, "links.next points back at a page already read"
            )
        if len(seen) >= settings.max_pages:
            raise PayloadError(settings.name, next_url, f"more than {settings.max_pages} pages")
        seen.add(next_url)
        response = await http.get(next_url, params=params)
        parsed = parse_package(response.body, source=settings.name, url=response.url)
        yield parsed.page
        next_url, params = parsed.next_url, None
