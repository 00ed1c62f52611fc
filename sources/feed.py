"""Council RSS 2.0 and Atom feeds, read with feedparser.

Councils put the buyer, deadline and value in the item text, so the source's config can map
them: a fixed `buyer` (and `region`), and patterns with named groups that pull ``deadline``
and ``value`` out of the summary, with the `date_format` the council writes dates in.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from sources.base import Page, SourceSettings
from sources.errors import PayloadError, Problem
from sources.extract import DEFAULT_DATE_FORMATS, content_id, parse_date, parse_money
from sources.notice import Notice
from sources.options import pattern, string_list, text, unknown_keys
from sources.text import clean_text

if TYPE_CHECKING:
    from sources.http import HttpFetcher

KIND = "feed"
_DECLARES_ENTITIES = re.compile(rb"<!ENTITY", re.IGNORECASE)

OPTION_KEYS = {"buyer", "region", "deadline_pattern", "value_pattern", "date_format"}


def read_options(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The feed's mapping: `buyer`, `region`, `deadline_pattern`, `value_pattern`, `date_format`.

    Raises:
        sources.options.OptionError: an unknown key, or a pattern without its named group.
    """
    unknown_keys(raw, OPTION_KEYS)
    return {
        "buyer": text(raw, "buyer"),
        "region": text(raw, "region"),
        "deadline_pattern": pattern(raw, "deadline_pattern", "deadline"),
        "value_pattern": pattern(raw, "value_pattern", "value"),
        "date_formats": tuple(string_list(raw, "date_format", []) or DEFAULT_DATE_FORMATS),
    }


def extract(found: Any, text_: str, group: str) -> str | None:
    """The named group of a pattern's first match in `text_`, if any."""
    if found is None:
        return None
    match = found.search(text_)
    return None if match is None else match.group(group)


def _when(entry: Any, *keys: str) -> datetime | None:
    for key in keys:
        # dict.get: feedparser's own get() maps missing keys to others, with a warning.
        value = dict.get(entry, key)
        if value:
            year, month, day, hour, minute, second = value[:6]
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return None


def parse(
    payload: bytes, *, source: str, url: str, options: Mapping[str, Any], now: datetime
) -> Page:
    """Parse a feed body into notices, one per item.

    A malformed ("bozo") feed that still yields items is used, with a problem reported;
    one that yields nothing is an error, and so is one that declares XML entities (entity
    expansion attacks) or is not valid in its own text encoding.

    Raises:
        PayloadError: nothing readable could be found, or the feed is refused.
    """
    where = f"GET {url}"
    if _DECLARES_ENTITIES.search(payload[:65536]):
        raise PayloadError(
            source, where, "not a readable RSS or Atom feed (it declares XML entities: refused)"
        )
    import feedparser  # imported when first used: commands that read no feed stay fast

    # A file-like object: feedparser never treats the payload as a path or URL to open.
    feed = feedparser.parse(io.BytesIO(payload))
    problems: list[Problem] = []
    exception = feed.get("bozo_exception")
    reason = f"{type(exception).__name__}: {exception}"
    if isinstance(
        exception, feedparser.CharacterEncodingOverride | feedparser.CharacterEncodingUnknown
    ):
        # feedparser falls back to another encoding and reads junk ("commÿþunity").
        raise PayloadError(
            source, where, f"not a readable RSS or Atom feed (wrong text encoding: {exception})"
        )
    if not feed.entries and (feed.get("bozo") or not feed.get("version")):
        why = reason if feed.get("bozo") else "no RSS or Atom structure found"
        raise PayloadError(source, f"GET {url}", f"not a readable RSS or Atom feed ({why})")
    if feed.get("bozo"):
        problems.append(
            Problem(
                source=source,
                record_id="feed",
                what=f"malformed feed, items read anyway ({reason})",
            )
        )
    buyer = options.get("buyer") or clean_text(feed.feed.get("title", ""))
    region = options.get("region")
    notices = []
    for index, entry in enumerate(feed.entries):
        link = urljoin(url, entry.get("link", "")) if entry.get("link") else None
        key = entry.get("id") or entry.get("guid") or link
        title = clean_text(entry.get("title", ""))
        if not key or not title:
            problems.append(
                Problem(source=source, record_id=f"item {index + 1}", what="no id, link or title")
            )
            continue
        summary = clean_text(
            entry.get("summary", "") or entry.get("description", ""), multiline=True
        )
        haystack = f"{title}\n{summary}"
        deadline_text = extract(options.get("deadline_pattern"), haystack, "deadline")
        deadline = parse_date(deadline_text, options["date_formats"]) if deadline_text else None
        if deadline_text and deadline is None:
            problems.append(
                Problem(
                    source=source,
                    record_id=str(key),
                    what=f"deadline {deadline_text!r} does not match date_format",
                )
            )
        value_text = extract(options.get("value_pattern"), haystack, "value")
        low, high = parse_money(value_text) if value_text else (None, None)
        published = _when(entry, "published_parsed", "updated_parsed")
        updated = _when(entry, "updated_parsed", "published_parsed") or now
        notices.append(
            Notice(
                source=source,
                id=str(key),
                release_id=content_id(title, summary, deadline, low, high, link),
                stage="tender",
                title=title,
                description=summary,
                buyer=buyer,
                regions=(region,) if region else (),
                value_low=low,
                value_high=high,
                currency="GBP" if high is not None else None,
                published=published,
                release_date=updated,
                deadline=deadline,
                url=link,
            )
        )
    return Page(url=url, notices=tuple(notices), problems=tuple(problems))


class FeedSource:
    """One RSS or Atom feed, fetched with a conditional GET."""

    def __init__(self, settings: SourceSettings, http: HttpFetcher) -> None:
        self.settings = settings
        self._http = http

    async def pages(
        self, since: datetime, until: datetime, *, resume: str | None = None
    ) -> AsyncIterator[Page]:
        """The feed's items, or nothing if the feed has not changed since last time.

        Items published before `since` are left out, so a first poll does not flood.

        Raises:
            sources.errors.SourceError: the feed cannot be fetched or read.
        """
        response = await self._http.get(self.settings.url, conditional=True)
        if response.status == 304:
            yield Page(url=response.url, notices=(), not_modified=True)
            return
        page = parse(
            response.body,
            source=self.settings.name,
            url=response.url,
            options=self.settings.options,
            now=until,
        )
        fresh = tuple(n for n in page.notices if n.published is None or n.published >= since)
        yield Page(url=page.url, notices=fresh, problems=page.problems)
