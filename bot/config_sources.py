"""The `[[sources]]` tables of the config: each source's address, limits and schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.config_table import ConfigError, TomlTable
from bot.source_registry import SOURCE_KINDS
from sources.base import SourceSettings
from sources.options import OptionError


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceConfig:
    """One `[[sources]]` entry: how to reach it (`settings`) and when to poll it."""

    settings: SourceSettings
    every: timedelta
    since: timedelta
    overlap: timedelta
    margin: timedelta = timedelta(minutes=5)
    enabled: bool = True
    quiet_after: timedelta | None = None
    """Tell the admin when a pass has returned no notice for longer than this."""

    @property
    def name(self) -> str:
        """The source's unique name."""
        return self.settings.name

    @property
    def kind(self) -> str:
        """The source kind, e.g. ``contracts_finder``."""
        return self.settings.kind


def load_source(file: Path, index: int, data: object, user_agent: str) -> SourceConfig:
    """Validate the `index`-th `[[sources]]` entry of `file`.

    Raises:
        ConfigError: an unknown kind or key, or a value out of its bounds.
    """
    table = TomlTable(file, f"sources[{index}]", data)
    name = table.name()
    kind = table.require("kind", str)
    if kind not in SOURCE_KINDS:
        known = ", ".join(sorted(SOURCE_KINDS))
        raise table.error("kind", f"unknown source kind {kind!r} (available: {known})")
    entry = SOURCE_KINDS[kind]
    url = table.http_url("url", entry.default_url)
    if url is None:
        raise table.error("url", f"is required for a {kind} source (the feed or page address)")
    timeout = table.duration("timeout", "30s")
    retries = table.positive_int("retries", 3, minimum=0)
    backoff = table.duration("backoff", "2s").total_seconds()
    max_bytes = table.positive_int("max_bytes", 20 * 1024 * 1024, minimum=1024)
    page_size = table.positive_int("page_size", 100)
    if entry.max_page_size is not None and page_size > entry.max_page_size:
        raise table.error(
            "page_size",
            f"at most {entry.max_page_size} for a {kind} source (the publisher returns no "
            f"more per page), got {page_size}",
        )
    max_pages = table.positive_int("max_pages", 500)
    min_gap = table.duration("min_gap", f"{entry.min_gap:g}s").total_seconds()
    throttle_wait = table.duration("throttle_wait", f"{entry.throttle_wait:g}s").total_seconds()
    every = table.duration("every", entry.every)
    since = table.duration("since", "1d")
    overlap = table.duration("overlap", "1h")
    margin = table.duration("margin", "5m")
    enabled = bool(table.get("enabled", bool, True))
    quiet_default = entry.quiet_after or "1d"
    quiet_after: timedelta | None = table.duration("quiet_after", quiet_default)
    if "quiet_after" not in table.data and entry.quiet_after is None:
        quiet_after = None
    ca_bundle = table.text("ca_bundle")
    if ca_bundle is not None:
        bundle = Path(ca_bundle).expanduser()
        if not bundle.is_absolute():
            bundle = file.resolve().parent / bundle
        if not bundle.is_file():
            raise table.error("ca_bundle", f"no such certificate file: {bundle}")
        ca_bundle = str(bundle)
    own = {key: value for key, value in table.data.items() if key not in table.used}
    try:
        options = entry.read_options(own)
    except OptionError as exc:
        raise ConfigError(f"{file}: {table.where}.{exc}") from None
    table.used.update(own)
    settings = SourceSettings(
        name=name,
        kind=kind,
        url=url,
        timeout=timeout.total_seconds(),
        retries=retries,
        backoff=backoff,
        max_bytes=max_bytes,
        page_size=page_size,
        max_pages=max_pages,
        min_gap=min_gap,
        throttle_wait=throttle_wait,
        user_agent=user_agent,
        ca_bundle=ca_bundle,
        options=options,
    )
    table.finish()
    return SourceConfig(
        settings=settings,
        every=every,
        since=since,
        overlap=overlap,
        margin=margin,
        enabled=enabled,
        quiet_after=quiet_after,
    )
