"""A process's stored releases, merged again in release-date order when an older one arrives late.

Each row of `notice_versions` keeps the process as it stood at that release: the release
merged over every earlier one (OCDS merge rules, see `sources.notice_merge.merge_notice`). Find a
Tender lists the newest release first, so an older release (an award, say) may be stored after
a newer update of the same process. It then goes *under* the newer ones: every later row is
merged again from the releases as published (kept in `release` where they differ from the
merged row), so what the store holds never depends on the order releases arrived in.
"""

from __future__ import annotations

from bot.store.connection import Connection
from sources.notice import Notice
from sources.notice_codec import notice_from_json, notice_json
from sources.notice_merge import merge_notice, release_order


def release_text(release: Notice, merged: Notice) -> str | None:
    """The `release` column of a version: the release as published, or NULL when unchanged."""
    return None if release == merged else notice_json(release).decode()


def remerge(db: Connection, source: str, notice_id: str) -> Notice | None:
    """Merge a process's stored releases again in release-date order; its compiled record.

    Rows whose merged record changes are rewritten; None when nothing is stored.
    """
    rows = db.execute(
        "SELECT release_id, data, release FROM notice_versions WHERE source = ? AND id = ?",
        (source, notice_id),
    ).fetchall()
    stored = [
        (notice_from_json(row["release"] if row["release"] is not None else row["data"]), row)
        for row in rows
    ]
    stored.sort(key=lambda pair: release_order(pair[0]))
    merged: Notice | None = None
    updates: list[tuple[str, str | None, str, str, str]] = []
    for release, row in stored:
        merged = release if merged is None else merge_notice(merged, release)
        data = notice_json(merged).decode()
        if data != row["data"]:
            updates.append(
                (data, release_text(release, merged), source, notice_id, release.release_id)
            )
    db.executemany(
        "UPDATE notice_versions SET data = ?, release = ? "
        "WHERE source = ? AND id = ? AND release_id = ?",
        updates,
    )
    return merged
