"""Where the report's processes come from: the store, or OCDS files.

Each process is handed over as its releases, oldest first, each merged over the earlier
ones as the store keeps them. From the store, copies of a notice found on another source
(linked as mirrors) are left out, so one opportunity counts once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import groupby

from bot.store import Store
from bot.store.records import to_text
from sources.notice import Notice, merge_notice, notice_from_json


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
