"""Bringing a database's schema up to date: the numbered migrations, in one transaction.

SQLite keeps the applied number in ``PRAGMA user_version`` and its write transaction
(``BEGIN IMMEDIATE``) already shuts out a second process. PostgreSQL keeps it in the
``schema_version`` table, and the transaction first takes a transaction-scoped advisory lock,
so two instances starting together apply each migration once: the second waits, then finds
the work done.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress

from bot.store.connection import POSTGRESQL, Connection
from bot.store.migrations import MIGRATIONS, scripts
from bot.store.records import StoreError

MIGRATION_LOCK = 0x7E4D_B07
"""The advisory-lock key PostgreSQL migrations run under (any constant of our own)."""


def applied_version(db: Connection, backend: str) -> int:
    """How many migrations the database has applied (0 for a new one)."""
    if backend != POSTGRESQL:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    exists = db.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()[0]
    if not exists:
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(db: Connection, backend: str, label: str) -> int:
    """Apply the migrations the database lacks, all in one transaction; the new version.

    Raises:
        StoreError: the database's schema is newer than this program understands.
        sqlite3.Error: a migration failed (nothing of it stays).
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        if backend == POSTGRESQL:
            db.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        version = applied_version(db, backend)
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{label}: database schema {version} is newer than this tenderbot "
                f"understands ({len(MIGRATIONS)}); upgrade tenderbot"
            )
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in scripts(migration, backend).split(";"):
                if statement.strip():
                    db.execute(statement)
            _record(db, backend, number)
            version = number
    except BaseException:
        with suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return version


def _record(db: Connection, backend: str, number: int) -> None:
    if backend == POSTGRESQL:
        db.execute("DELETE FROM schema_version")
        db.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
    else:
        db.execute(f"PRAGMA user_version = {int(number)}")
