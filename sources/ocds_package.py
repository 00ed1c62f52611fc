"""Reading OCDS release packages page by page, shared by every OCDS API source."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from sources.base import Page, SourceSettings
from sources.errors import PayloadError, Problem
from sources.hosts import check_same_host
from sources.json_salvage import item_label, split_array
from sources.ocds import MappingError, load_json, map_releases, releases_of
from sources.ocds_schema import PACKAGE_DECODER
from sources.releases import Mapper, map_any_release

if TYPE_CHECKING:
    from sources.http import HttpFetcher


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedPage:
    """A parsed package: its page of notices and the next page's URL, if any."""

    page: Page
    next_url: str | None


def parse_package(
    payload: bytes, *, source: str, url: str = "", mapper: Mapper | None = None
) -> ParsedPage:
    """Parse one OCDS release package (a response body fetched from `url`).

    Each release is read by `mapper` (default: the mapping that fits it, `map_any_release`).

    Raises:
        PayloadError: the body is not a JSON release package (HTML error page, truncated...).
    """
    where = f"GET {url}" if url else "response"
    unreadable: list[Problem] = []
    try:
        document: Any = load_package(payload)
    except RecursionError:
        document, unreadable = _salvage(payload, source, where)
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
    mapped = map_releases(releases, source=source, mapper=mapper or map_any_release)
    links = document.get("links") if isinstance(document, dict) else None
    next_url = links.get("next") if isinstance(links, dict) else None
    return ParsedPage(
        page=Page(url=url, notices=mapped.notices, problems=(*unreadable, *mapped.problems)),
        next_url=next_url if isinstance(next_url, str) and next_url else None,
    )


def load_package(payload: bytes) -> Any:
    """A release package, read as `load_json` reads it but holding only what mappings read.

    A page whose shape is not the usual one (a bare release, a ``null`` section, or anything
    `load_json` would refuse) is read by `load_json` itself, with its errors.
    """
    try:
        document = PACKAGE_DECODER.decode(payload)
    except (msgspec.DecodeError, RecursionError):
        return load_json(payload)
    if "releases" not in document and "records" not in document:
        return load_json(payload)
    return document


def _salvage(payload: bytes, source: str, where: str) -> tuple[Any, list[Problem]]:
    """Parse a package release by release when it cannot be parsed whole."""
    split = split_array(payload)
    if split is None:
        raise PayloadError(source, where, "response nests too deeply to read")
    try:
        document = load_json(split.shell)
    except (ValueError, RecursionError) as exc:
        raise PayloadError(source, where, f"response is not a readable package ({exc})") from None
    releases: list[Any] = []
    problems: list[Problem] = []
    for index, item in enumerate(split.items):
        try:
            releases.append(load_json(item))
        except (ValueError, RecursionError) as exc:
            what = f"release cannot be read ({type(exc).__name__}: {str(exc)[:120]})"
            problems.append(Problem(source=source, record_id=item_label(item, index), what=what))
    document["releases"] = releases
    return document, problems


async def follow_pages(
    http: HttpFetcher,
    settings: SourceSettings,
    url: str,
    params: dict[str, str] | None,
    *,
    resume: str | None = None,
    mapper: Mapper | None = None,
) -> AsyncIterator[Page]:
    """Fetch `url` and every page its `links.next` leads to, one request at a time.

    Each page carries the next page's URL as its `resume_url`; `resume` starts from such a
    URL instead of `url`. Links are followed only on the host of `url`.

    Raises:
        sources.errors.SourceError: throttling, a persistent fetch failure, a bad page, a
            link to another host, or paging that loops.
    """
    next_url: str | None = url
    if resume is not None:
        next_url, params = resume, None
    seen: set[str] = set()
    while next_url is not None:
        if next_url in seen:
            raise PayloadError(
                settings.name, next_url, "links.next points back at a page already read"
            )
        check_same_host(settings.name, next_url, url)
        seen.add(next_url)
        response = await http.get(next_url, params=params)
        parsed = parse_package(response.body, source=settings.name, url=response.url, mapper=mapper)
        next_url, params = parsed.next_url, None
        yield dataclasses.replace(parsed.page, resume_url=next_url)
