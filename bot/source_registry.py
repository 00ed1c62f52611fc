"""Which source kinds exist and how to build each one from its settings.

Adding a source kind touches nothing else in `bot/`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sources import contracts_finder, feed, find_a_tender, html, ocds_notices
from sources.base import Source, SourceSettings

if TYPE_CHECKING:
    from sources.http import HttpFetcher


@dataclass(frozen=True, slots=True)
class SourceKind:
    """A source kind: defaults, how to read its own config keys, and how to build it."""

    default_url: str | None
    build: Callable[[SourceSettings, HttpFetcher], Source]
    read_options: Callable[[Mapping[str, Any]], dict[str, Any]]
    min_gap: float = 1.0
    throttle_wait: float = 300.0
    every: str = "10m"
    outage_note: str | None = None
    """What `status` adds when a source of this kind has been failing for a while."""
    quiet_after: str | None = None
    """How long without a single notice before the admin hears of it (None: never)."""
    max_page_size: int | None = None
    """The most releases the publisher returns in one page (None: no known limit)."""


SOURCE_KINDS: dict[str, SourceKind] = {
    contracts_finder.KIND: SourceKind(
        default_url=contracts_finder.DEFAULT_URL,
        build=contracts_finder.ContractsFinderSource,
        read_options=contracts_finder.read_options,
        quiet_after="3d",
    ),
    find_a_tender.KIND: SourceKind(
        default_url=find_a_tender.DEFAULT_URL,
        build=find_a_tender.FindATenderSource,
        read_options=find_a_tender.read_options,
        min_gap=find_a_tender.MIN_GAP_SECONDS,
        throttle_wait=find_a_tender.THROTTLE_SECONDS,
        quiet_after="1d",
        max_page_size=find_a_tender.PAGE_LIMIT,
    ),
    ocds_notices.PCS_KIND: SourceKind(
        default_url=ocds_notices.PCS_URL,
        build=ocds_notices.MonthlyNoticesSource,
        read_options=ocds_notices.read_options,
        every="1h",
    ),
    ocds_notices.SELL2WALES_KIND: SourceKind(
        default_url=ocds_notices.SELL2WALES_URL,
        build=ocds_notices.MonthlyNoticesSource,
        read_options=ocds_notices.read_options,
        every="1h",
        outage_note=ocds_notices.SELL2WALES_OUTAGE_NOTE,
    ),
    feed.KIND: SourceKind(
        default_url=None, build=feed.FeedSource, read_options=feed.read_options, every="30m"
    ),
    html.KIND: SourceKind(
        default_url=None,
        build=html.HtmlListingSource,
        read_options=html.read_options,
        every="1h",
    ),
}


def outage_note(kind: str) -> str | None:
    """What to tell an admin when a source of `kind` has been failing for a long time."""
    entry = SOURCE_KINDS.get(kind)
    return entry.outage_note if entry else None


def default_url(kind: str) -> str | None:
    """The public base URL of a source kind, or None when the config must give one."""
    entry = SOURCE_KINDS.get(kind)
    return entry.default_url if entry else None


def build_source(settings: SourceSettings, http: HttpFetcher) -> Source:
    """Build the source adapter for `settings.kind`.

    Raises:
        KeyError: the kind is not registered (config validation prevents this).
    """
    return SOURCE_KINDS[settings.kind].build(settings, http)
