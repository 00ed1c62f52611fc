"""Storage: notices and versions, events, the outbox, source state, instances, the leader.

SQLite (one file, WAL mode) by default; PostgreSQL when the database is a URL
(`bot.store.postgres`), through one connection interface (`bot.store.connection`) and the same
portable SQL. Instances are the tenderbot processes using the database, with their leases
(`bot.store.instances`); the leader row says which one acts (`bot.store.leader`). Notices,
their versions and events: `bot.store.notices`. Schema migrations: `bot.store.schema`. Writes
happen inside `Store.transaction()`: a page of notices, its events and its outbox rows commit
together or not at all.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from bot.store.connection import POSTGRESQL, SQLITE, Connection, is_url, redact_url
from bot.store.instances import InstanceStore
from bot.store.leader import Fenced, LeaderStore
from bot.store.maintenance import MaintenanceStore
from bot.store.migrations import MIGRATIONS
from bot.store.notices import NoticeStore
from bot.store.records import (
    DatabaseFailed,
    SourceState,
    StoredSource,
    StoreError,
    from_text,
    key_hash,
    to_text,
)
from bot.store.schema import applied_version, migrate
from bot.store.source_state import SourceStateStore

__all__ = [
    "MIGRATIONS",
    "DatabaseFailed",
    "Fenced",
    "SourceState",
    "Store",
    "StoreError",
    "StoredSource",
    "from_text",
    "make_database_folder",
    "to_text",
]


def make_database_folder(folder: Path) -> None:
    """Create the database's folder; a folder that cannot be written is named as such.

    Raises:
        StoreError: the folder (or the nearest one that exists) is read-only or not a folder.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise StoreError(f"{folder}: is not a folder (the database's folder)") from None
    except OSError as exc:
        existing = next((p for p in (folder, *folder.parents) if p.exists()), folder)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise StoreError(
                f"{existing}: folder is read-only for this user, so the database's folder "
                f"{folder} cannot be created ({exc.strerror})"
            ) from None
        raise
    if not os.access(folder, os.W_OK):
        raise StoreError(
            f"{folder}: folder is read-only for this user; the database needs to write there "
            "(its journal files sit beside it)"
        )


class Store(NoticeStore, SourceStateStore, MaintenanceStore, InstanceStore, LeaderStore):
    """The database behind the daemon: a SQLite file, or a PostgreSQL server by URL."""

    @classmethod
    def open_existing(cls, path: Path | str) -> Store:
        """Open the database at `path` for a command that must not create one.

        Raises:
            StoreError: there is no database at `path` (a typo must not look like an
                empty store), or it cannot be opened.
        """
        if not is_url(path) and str(path) != ":memory:" and not Path(path).is_file():
            raise StoreError(
                f"no database at {path} (run `tenderbot run` or `tenderbot import` first)"
            )
        return cls(path)

    def __init__(self, path: Path | str) -> None:
        """Open (creating if needed) and migrate the database at `path` (a file or a URL).

        Raises:
            StoreError: the file or server cannot be opened or its schema is newer than this
                program; a folder that cannot be written is named as such. A server's
                password never appears in the message.
        """
        self.backend = POSTGRESQL if is_url(path) else SQLITE
        self.label = redact_url(str(path)) if is_url(path) else str(path)
        """How messages name the database (a server URL without its password)."""
        self.path = Path(self.label)
        self._location = path
        self.db: Connection
        try:
            if self.backend == POSTGRESQL:
                # Imported here: psycopg loads asyncio, which light commands never need.
                from bot.store.postgres import PostgresConnection

                self.db = PostgresConnection(str(path))
            else:
                self.db = _open_sqlite(path, self.path)
            try:
                migrate(self.db, self.backend, self.label)
            except BaseException:
                self.db.close()
                raise
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{self.label}: cannot open database: {exc}") from None

    def another(self) -> Store:
        """Another connection to the same database (for work in a thread of its own).

        Raises:
            StoreError: it cannot be opened.
        """
        return Store(self._location)

    def schema_version(self) -> int:
        """The number of migrations applied to this database."""
        return applied_version(self.db, self.backend)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def db_broken(self) -> bool:
        """Whether the PostgreSQL session is lost (never, for SQLite)."""
        return bool(getattr(self.db, "broken", False))

    def reconnect(self) -> None:
        """Open a new PostgreSQL session in place of a lost one (SQLite: nothing to do).

        Raises:
            sqlite3.OperationalError: the server still cannot be reached.
        """
        reopen = getattr(self.db, "reconnect", None)
        if reopen is not None:
            reopen()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Run the block in one write transaction: all of it commits, or none of it.

        On PostgreSQL, when this process acts as the leader (`fence`), the transaction first
        checks the leader row still names it at its epoch and holds that row shared until it
        commits, so a former leader that wakes up writes nothing.
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.check_fence()
            yield self.db
        except BaseException:
            with suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


def _open_sqlite(path: Path | str, folder_of: Path) -> sqlite3.Connection:
    """Open a SQLite file tuned for the daemon's writes."""
    if str(path) != ":memory:":
        make_database_folder(folder_of.parent)
    db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    # Checkpoint every ~40 MB of WAL rather than every 4 MB: a page of notices touches index
    # pages all over the file, and each checkpoint rewrites and syncs them; fewer checkpoints
    # make ingest about a tenth faster. The WAL file is cut back to 64 MB after a checkpoint.
    db.execute("PRAGMA wal_autocheckpoint=10000")
    db.execute("PRAGMA journal_size_limit=67108864")
    db.execute("PRAGMA foreign_keys=ON")
    # Migration 7 re-keys the mirror keys with the same hash the code uses.
    db.create_function("tenderbot_key_hash", 1, key_hash, deterministic=True)
    return db
