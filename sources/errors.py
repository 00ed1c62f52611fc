"""Errors raised by source adapters.

::

    SourceError                 a pass over one source could not complete (raised by fetch)
    ├── ThrottledError          the publisher asked us to slow down (HTTP 403/429)
    ├── FetchError              network failure or HTTP error after the retries ran out
    └── PayloadError            the response was not what the source should send
                                (too large, not JSON, truncated, wrong shape)

`Problem` is not an exception: it describes one record that could not be mapped and was
skipped while the rest of the page was kept.
"""

from __future__ import annotations

from dataclasses import dataclass


class SourceError(Exception):
    """A pass over a source failed; the message reads ``<source>: <where>: <what is wrong>``."""

    def __init__(self, source: str, where: str, what: str) -> None:
        super().__init__(f"{source}: {where}: {what}")
        self.source = source
        self.where = where
        self.what = what


class ThrottledError(SourceError):
    """The publisher throttled us; `retry_after` is how long to wait, in seconds."""

    def __init__(self, source: str, where: str, what: str, *, retry_after: float) -> None:
        super().__init__(source, where, what)
        self.retry_after = retry_after


class FetchError(SourceError):
    """The request failed (network error, timeout, HTTP error) after every retry."""


class PayloadError(SourceError):
    """The response arrived but could not be used (size cap, bad JSON, unexpected shape)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One record that could not be mapped to a `Notice` and was skipped."""

    source: str
    record_id: str
    what: str

    def __str__(self) -> str:
        return f"{self.source}: release {self.record_id}: {self.what}"
