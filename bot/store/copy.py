"""`tenderbot db copy`: every table from one database to another (SQLite ↔ PostgreSQL).

Both sides must be at the same schema version (this tenderbot's: opening the target creates
or migrates it; the source is only read, never migrated). The source is read in one
read-only snapshot, the target written in one transaction, and before that transaction
commits, each table's row count and checksum on the target are compared with the source's:
any difference rolls the whole copy back. A target holding data is refused unless ``force``,
which empties it first (inside the same transaction).

The checksum of a table is the sum (mod 2⁶⁴) of a BLAKE2b hash of each row's values in
column order, so it does not depend on row order or on which database computed it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.store import Store
from bot.store.connection import POSTGRESQL, SQLITE, Connection, is_url, redact_url
from bot.store.records import StoreError
from bot.store.schema import applied_version

SEEDED = frozenset({"leader", "link_keys", "meta", "instances"})
"""Tables a new database already has rows in (or that any open writes): not "data"."""
SKIPPED = frozenset({"schema_version"})
FIRST = ("events",)
"""Tables other tables refer to (the outbox's event ids), copied first, emptied last."""
BATCH = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class TableCopy:
    """One table copied: its rows and checksum on each side."""

    table: str
    rows: int
    checksum: str


def copy_database(source: Path | str, target: Path | str, *, force: bool) -> list[TableCopy]:
    """Copy every table of `source` into `target` (paths or PostgreSQL URLs).

    Raises:
        StoreError: a side cannot be opened, their schema versions differ, the target holds
            data and `force` is not given, or the copy does not compare equal (nothing of it
            stays in the target).
    """
    reader = _Source(source)
    try:
        writer = Store(target)
    except StoreError:
        reader.close()
        raise
    try:
        theirs, ours = reader.version(), writer.schema_version()
        if theirs != ours:
            raise StoreError(
                f"{reader.label}: schema version {theirs}, but {writer.label} is at {ours}: "
                "open the source with this tenderbot first (any command migrates it), then copy"
            )
        tables = _tables(reader, writer)
        return _copy(reader, writer, tables, force=force)
    finally:
        reader.close()
        writer.close()


class _Source:
    """The database copied from, opened without migrating it, read in one snapshot."""

    def __init__(self, location: Path | str) -> None:
        self.backend = POSTGRESQL if is_url(location) else SQLITE
        self.label = redact_url(str(location)) if is_url(location) else str(location)
        self.db: Connection
        try:
            if self.backend == POSTGRESQL:
                from bot.store.postgres import PostgresConnection

                self.db = PostgresConnection(str(location))
                self.db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            else:
                if not Path(location).is_file():
                    raise StoreError(f"no database at {location}")
                self.db = sqlite3.connect(
                    f"file:{Path(location).resolve()}?mode=ro", uri=True, isolation_level=None
                )
                self.db.execute("BEGIN")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.label}: cannot open database: {exc}") from None

    def version(self) -> int:
        return applied_version(self.db, self.backend)

    def close(self) -> None:
        with suppress(sqlite3.Error):
            self.db.execute("ROLLBACK")
        self.db.close()


def _table_names(db: Connection, backend: str) -> set[str]:
    if backend == POSTGRESQL:
        rows = db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
    else:
        rows = db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    return {str(r[0]) for r in rows} - SKIPPED


def _columns(db: Connection, backend: str, table: str) -> list[str]:
    if backend == POSTGRESQL:
        rows = db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() ORDER BY ordinal_position",
            (table,),
        ).fetchall()
        return [str(r[0]) for r in rows]
    return [str(r[1]) for r in db.execute(f'PRAGMA table_info("{table}")').fetchall()]


def _tables(reader: _Source, writer: Store) -> dict[str, list[str]]:
    """Each table to copy and the columns both sides have (PostgreSQL's `rowid` is neither)."""
    theirs = _table_names(reader.db, reader.backend)
    ours = _table_names(writer.db, writer.backend)
    if theirs != ours:
        raise StoreError(
            f"{reader.label} and {writer.label} hold different tables "
            f"({', '.join(sorted(theirs ^ ours))}) although at one schema version"
        )
    ordered = [t for t in FIRST if t in theirs] + sorted(theirs - set(FIRST))
    tables: dict[str, list[str]] = {}
    for table in ordered:
        mine = set(_columns(writer.db, writer.backend, table))
        tables[table] = [
            c for c in _columns(reader.db, reader.backend, table) if c in mine and c != "rowid"
        ]
    return tables


def _order(db: Connection, backend: str, table: str) -> str:
    """Rows in the order they arrived, so order-keeping rowids come out the same."""
    if backend == SQLITE:
        return " ORDER BY rowid"
    return " ORDER BY rowid" if "rowid" in _columns(db, backend, table) else ""


def _copy(
    reader: _Source, writer: Store, tables: dict[str, list[str]], *, force: bool
) -> list[TableCopy]:
    db = writer.db
    db.execute("BEGIN IMMEDIATE")
    try:
        held = [
            t
            for t in tables
            if t not in SEEDED and db.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()
        ]
        if held and not force:
            raise StoreError(
                f"{writer.label}: already holds data (in {', '.join(held)}); "
                "copy into an empty database, or give --force to replace what it holds"
            )
        for table in reversed(list(tables)):
            db.execute(f'DELETE FROM "{table}"')
        copied = []
        for table, columns in tables.items():
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            rows = reader.db.execute(
                f'SELECT {names} FROM "{table}"' + _order(reader.db, reader.backend, table)
            )
            count, total = 0, 0
            for batch in _batches(rows):
                db.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', batch)
                count += len(batch)
                total = (total + sum(_row_hash(r) for r in batch)) % 2**64
            check = _summary(db, table, columns)
            if check != (count, total):
                raise StoreError(
                    f"{writer.label}: {table}: copied {count} rows (checksum {total:016x}) but "
                    f"the target reads {check[0]} (checksum {check[1]:016x}); nothing was kept"
                )
            copied.append(TableCopy(table=table, rows=count, checksum=f"{total:016x}"))
        if writer.backend == POSTGRESQL:
            _advance_identities(db)
    except BaseException:
        with suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return copied


def _batches(rows: Iterable[Any]) -> Iterable[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(tuple(row))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _summary(db: Connection, table: str, columns: Sequence[str]) -> tuple[int, int]:
    """A table's row count and checksum as the target now reads it."""
    names = ", ".join(f'"{c}"' for c in columns)
    count, total = 0, 0
    for row in db.execute(f'SELECT {names} FROM "{table}"'):
        count += 1
        total = (total + _row_hash(tuple(row))) % 2**64
    return count, total


def _row_hash(row: Sequence[Any]) -> int:
    digest = hashlib.blake2b(digest_size=8)
    for value in row:
        if value is None:
            digest.update(b"\x00N")
        elif isinstance(value, bytes | memoryview):
            digest.update(b"\x00B" + bytes(value))
        else:
            digest.update(b"\x00V" + str(value).encode("utf-8", "surrogatepass"))
    return int.from_bytes(digest.digest(), "big")


def _advance_identities(db: Connection) -> None:
    """Move each identity column's sequence past the ids copied in (new rows come after)."""
    rows = db.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall()
    for table, column in rows:
        db.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
            f'COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)'
        )
