"""Where the report's processes come from: the store, or OCDS files.

Each process is handed over as its releases, oldest first, each merged over the earlier
ones as the store keeps them. From the store, copies of a notice found on another source
(linked as mirrors) are left out, so one opportunity counts once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import groupby

from bot.report.build import SourceSpan
from bot.store import Store
from bot.store.records import from_text, to_text
from sources.notice import Notice
from sources.notice_codec import notice_from_json
from sources.notice_merge import merge_notice


def store_processes(store: Store, since: datetime) -> Iterator[list[Notice]]:
    """Every process with a release since `since`: all its stored releases, oldest first.

    Rows stream in primary-key order, so a year of notices never sits in memory at once.
    """
    rows = store.db.execute(
        "SELECT v.source, v.id, v.release_date, v.release_id, v.data FROM notice_versions v "
        "JOIN notices n ON n.source = v.source AND n.id = v.id "
        "WHERE n.release_date >= ? AND NOT EXISTS (SELECT 1 FROM notice_links l "
        "WHERE l.source = v.source AND l.notice_id = v.id) "
        "ORDER BY v.source, v.id",
        (to_text(since),),
    )
    for _, group in groupby(rows, key=lambda row: (row[0], row[1])):
        ordered = sorted(group, key=lambda row: (str(row[2]), str(row[3])))
        yield [notice_from_json(row[4]) for row in ordered]


def store_coverage(store: Store, start: datetime, end: datetime) -> list[SourceSpan]:
    """Per source, the first and last release stored in [start, end] and how many."""
    rows = store.db.execute(
        "SELECT source, MIN(release_date), MAX(release_date), COUNT(*) FROM notice_versions "
        "WHERE release_date >= ? AND release_date <= ? GROUP BY source ORDER BY source",
        (to_text(start), to_text(end)),
    )
    spans = []
    for source, first, last, count in rows:
        first_at, last_at = from_text(first), from_text(last)
        assert first_at is not None and last_at is not None  # MIN/MAX of a non-empty group
        spans.append(SourceSpan(source=source, first=first_at, last=last_at, releases=count))
    return spans


def store_ever_filled(store: Store) -> bool:
    """Whether any source was ever polled, or any notice stored (by polling or import)."""
    polled = store.db.execute(
        "SELECT 1 FROM source_state WHERE last_attempt IS NOT NULL LIMIT 1"
    ).fetchone()
    return (
        polled is not None
        or store.db.execute("SELECT 1 FROM notices LIMIT 1").fetchone() is not None
    )


def file_coverage(notices: Sequence[Notice], start: datetime, end: datetime) -> list[SourceSpan]:
    """Per source, the first and last release read from files in [start, end]."""
    by_source: dict[str, list[datetime]] = {}
    for notice in notices:
        if start <= notice.release_date <= end:
            by_source.setdefault(notice.source, []).append(notice.release_date)
    return [
        SourceSpan(source=source, first=min(dates), last=max(dates), releases=len(dates))
        for source, dates in sorted(by_source.items())
    ]


def file_processes(notices: Sequence[Notice]) -> list[list[Notice]]:
    """Group notices read from files by process, merging each release over the earlier ones."""
    by_process: dict[tuple[str, str], list[Notice]] = {}
    for notice in sorted(notices, key=lambda n: (n.release_date, n.release_id)):
        versions = by_process.setdefault((notice.source, notice.id), [])
        if versions and versions[-1].release_id == notice.release_id:
            continue  # the same release served twice
        versions.append(merge_notice(versions[-1], notice) if versions else notice)
    return list(by_process.values())


def file_period(notices: Sequence[Notice]) -> tuple[datetime, datetime] | None:
    """The first and last release dates in files, or None when they hold no notice."""
    if not notices:
        return None
    dates = [n.release_date for n in notices]
    return min(dates), max(dates)
