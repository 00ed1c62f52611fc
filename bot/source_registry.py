"""Which source kinds exist and how to build each one from its settings.

Adding a source kind touches nothing else in `bot/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sources import contracts_finder
from sources.base import Source, SourceSettings
from sources.http import HttpFetcher


@dataclass(frozen=True, slots=True)
class SourceKind:
    """A source kind: its default base URL and how to build a source from settings."""

    default_url: str | None
    build: Callable[[SourceSettings, HttpFetcher], Source]


SOURCE_KINDS: dict[str, SourceKind] = {
    contracts_finder.KIND: SourceKind(
        default_url=contracts_finder.DEFAULT_URL, build=contracts_finder.ContractsFinderSource
    ),
}


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
