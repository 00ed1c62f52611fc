"""Keeping the database healthy for years: write checks, pruning old history, backups."""

from __future__ import annotations

import os
import sqlite3
import uuid
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

from bot.store.connection import Connection
from bot.store.records import StoreError, to_text
from sources.notice import STAGES_OPEN


class MaintenanceStore:
    """The maintenance half of `Store` (it needs `db`, `path` and `transaction`)."""

    db: Connection
    path: Path

    def transaction(self) -> AbstractContextManager[Connection]:
        """Provided by `Store`."""
        raise NotImplementedError

    def check_writable(self, now: datetime, *, key: str = "last_start") -> None:
        """Prove the database takes writes now, before anything is fetched or sent.

        Raises:
            StoreError: it cannot be written (read-only file or folder, full disk, ...).
        """
        try:
            with self.transaction():
                self.db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, to_text(now)),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: database cannot be written: {exc}") from None

    def prune(self, cutoff: datetime) -> dict[str, int]:
        """Delete history older than `cutoff`; how many rows of each kind went.

        Goes: notices closed (or past their deadline) and untouched since the cutoff, with
        their versions, keys, links and alerts; older versions of every other notice; alerts
        sent, superseded or refused before the cutoff; events no alert refers to. Kept: every
        notice still open, the current version of every notice kept, pending alerts.
        """
        stamp = to_text(cutoff)
        open_stages = tuple(sorted(STAGES_OPEN))
        marks = ", ".join("?" for _ in open_stages)
        removed: dict[str, int] = {}
        with self.transaction():
            self.db.execute(
                "CREATE TEMP TABLE IF NOT EXISTS gone (source TEXT, id TEXT, "
                "PRIMARY KEY (source, id))"
            )
            self.db.execute("DELETE FROM gone")
            self.db.execute(
                "INSERT INTO gone SELECT source, id FROM notices WHERE updated_at < ? AND "
                f"(stage NOT IN ({marks}) OR (deadline IS NOT NULL AND deadline < ?))",
                (stamp, *open_stages, stamp),
            )
            where = "(source, {id}) IN (SELECT source, id FROM gone)"
            removed["notices"] = self.db.execute(
                "DELETE FROM notices WHERE " + where.format(id="id")
            ).rowcount
            removed["versions"] = self.db.execute(
                "DELETE FROM notice_versions WHERE " + where.format(id="id")
            ).rowcount
            removed["versions"] += self.db.execute(
                "DELETE FROM notice_versions WHERE stored_at < ? AND NOT EXISTS (SELECT 1 FROM "
                "notices n WHERE n.source = notice_versions.source AND n.id = notice_versions.id "
                "AND n.release_id = notice_versions.release_id)",
                (stamp,),
            ).rowcount
            for table in ("notice_keys", "notice_links"):
                self.db.execute(f"DELETE FROM {table} WHERE " + where.format(id="notice_id"))
            removed["alerts"] = self.db.execute(
                "DELETE FROM outbox WHERE " + where.format(id="notice_id")
            ).rowcount
            removed["alerts"] += self.db.execute(
                "DELETE FROM outbox WHERE status != 'pending' AND "
                "COALESCE(sent_at, created_at) < ?",
                (stamp,),
            ).rowcount
            removed["events"] = self.db.execute(
                "DELETE FROM events WHERE created_at < ? AND NOT EXISTS "
                "(SELECT 1 FROM outbox o WHERE o.event_id = events.id)",
                (stamp,),
            ).rowcount
            self.db.execute("DELETE FROM gone")
        return removed

    def backup(self, target: Path) -> None:
        """Copy the database to `target` with SQLite's online backup (safe while it is in use).

        The copy is written to a temporary name beside `target`, checked, flushed to disk and
        only then given its name (without ever replacing a file of that name), so a failed
        backup leaves nothing behind that would stand in the way of the next one.

        Raises:
            StoreError: the copy cannot be written, does not pass an integrity check, or
                `target` already exists.
        """
        if not isinstance(self.db, sqlite3.Connection):
            raise StoreError(
                f"{self.path}: a PostgreSQL database is backed up with pg_dump, or copied to a "
                "SQLite file with `tenderbot db copy --from URL --to FILE`"
            )
        partial = target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
        try:
            _copy_checked(self.db, partial, target)
            _publish(partial, target)
        finally:
            for leftover in (partial, *(Path(f"{partial}{end}") for end in _SIDE_FILES)):
                leftover.unlink(missing_ok=True)


_SIDE_FILES = ("-journal", "-wal", "-shm")


def _copy_checked(db: sqlite3.Connection, partial: Path, target: Path) -> None:
    """Back `db` up into `partial`, check its integrity and flush it to disk."""
    try:
        copy = sqlite3.connect(str(partial))
        try:
            db.backup(copy)
            result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
        with partial.open("rb") as written:
            os.fsync(written.fileno())
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"{target}: cannot write the backup: {exc}") from None
    if result != "ok":
        raise StoreError(f"{target}: the backup fails its integrity check: {result}")


def _publish(partial: Path, target: Path) -> None:
    """Give the finished copy its name; never replaces an existing file."""
    exists = StoreError(f"{target}: already exists; tenderbot never overwrites a backup")
    try:
        # A hard link fails if the name is taken: an atomic rename that never overwrites.
        os.link(partial, target)
    except FileExistsError:
        raise exists from None
    except OSError:
        # A file system without hard links: check, then rename.
        if target.exists():
            raise exists from None
        try:
            os.rename(partial, target)
        except OSError as exc:
            raise StoreError(f"{target}: cannot write the backup: {exc}") from None
    try:
        folder = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)
    except OSError:
        pass
    finally:
        os.close(folder)
