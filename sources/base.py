"""What every source adapter shares: its settings, the page it yields, and its interface."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sources.errors import Problem
from sources.notice import Notice

DEFAULT_USER_AGENT = "tenderbot/0.1 (+https://github.com/tenderbot/tenderbot)"


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSettings:
    """How to reach one configured source.

    `options` holds the kind-specific keys from the config, already validated by the kind.
    `ca_bundle` is a PEM file of extra certificates trusted for this source (on top of the
    usual ones), for publishers whose server leaves out an intermediate certificate.
    """

    name: str
    kind: str
    url: str
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 2.0
    backoff_cap: float = 60.0
    max_bytes: int = 20 * 1024 * 1024
    page_size: int = 100
    max_pages: int = 500
    min_gap: float = 1.0
    throttle_wait: float = 300.0
    user_agent: str = DEFAULT_USER_AGENT
    ca_bundle: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """One fetched page: the notices it held and the records that had to be skipped.

    `watermark` is a checkpoint: once this page is stored, everything updated before that
    time has been read, so a pass that stops later need not read it again. `resume_url` is
    where the pass would continue (the next page of a chain) if it stopped after this page.
    """

    url: str
    notices: tuple[Notice, ...]
    problems: tuple[Problem, ...] = ()
    not_modified: bool = False
    watermark: datetime | None = None
    resume_url: str | None = None


class Source(Protocol):
    """A configured source: yields pages of notices published since a given time."""

    settings: SourceSettings

    def pages(
        self, since: datetime, until: datetime, *, resume: str | None = None
    ) -> AsyncIterator[Page]:
        """Fetch every page of notices published (or updated) from `since` up to `until`.

        Requests go one at a time. `resume` is a page's `resume_url` from an earlier pass
        over the same window that stopped there; sources that page by link start from it.

        Raises:
            sources.errors.SourceError: the pass cannot go on (throttled, unreachable, bad data).
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Validators:
    """What a server said to identify a response's version, for conditional GETs."""

    etag: str | None = None
    last_modified: str | None = None
