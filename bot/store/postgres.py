"""PostgreSQL behind the store: psycopg 3 (sync) made to look like `sqlite3.Connection`.

The dialect layer is thin on purpose: queries are written in SQL both databases share, and
this module only rewrites what differs in spelling (``?`` placeholders become ``%s``,
``BEGIN IMMEDIATE`` becomes ``BEGIN``, SQLite's ``CROSS JOIN ... ON`` planner hint becomes a
plain ``JOIN``). Rows index by position and by name like `sqlite3.Row`. psycopg errors are
raised again as the matching `sqlite3.Error` subclass (the message says "postgresql"), so
callers catch one family whichever database runs.

Every wait is bounded: connecting (``connect_timeout``), a dead peer (TCP keepalives) and a
statement (``statement_timeout``, ``lock_timeout``). A lost connection is reopened on the next
statement outside a transaction; inside one, the failure is raised and the transaction is
redone by its caller.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

import psycopg

from bot.store.connection import redact_url

CONNECT_TIMEOUT_SECONDS = 5
STATEMENT_TIMEOUT_MS = 30_000
LOCK_TIMEOUT_MS = 10_000
KEEPALIVE_IDLE_SECONDS = 5
KEEPALIVE_INTERVAL_SECONDS = 2
KEEPALIVE_COUNT = 3


class Row:
    """One result row: ``row[0]``, ``row["name"]``, iteration and `keys`, like `sqlite3.Row`."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, Row | tuple) else other)

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return f"Row{self._values!r}"

    def keys(self) -> list[str]:
        """The column names."""
        return list(self._index)


def _row_factory(cursor: psycopg.Cursor[Any]) -> Any:
    index = {column.name: i for i, column in enumerate(cursor.description or ())}

    def make(values: Sequence[Any]) -> Row:
        return Row([bytes(v) if isinstance(v, memoryview) else v for v in values], index)

    return make


@lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """SQLite-spelled portable SQL as PostgreSQL reads it (placeholders, a few keywords)."""
    out: list[str] = []
    quoted = False
    for char in sql:
        if char == "'":
            quoted = not quoted
            out.append(char)
        elif char == "%":
            out.append("%%")
        elif char == "?" and not quoted:
            out.append("%s")
        else:
            out.append(char)
    text = "".join(out)
    stripped = text.strip().upper()
    if stripped == "BEGIN IMMEDIATE":
        return "BEGIN"
    return text.replace(" CROSS JOIN ", " JOIN ")


def _as_sqlite_error(exc: psycopg.Error, where: str) -> sqlite3.Error:
    """The `sqlite3.Error` subclass a psycopg error stands for (the original is its cause)."""
    kind: type[sqlite3.Error]
    if isinstance(exc, psycopg.IntegrityError):
        kind = sqlite3.IntegrityError
    elif isinstance(exc, psycopg.DataError):
        kind = sqlite3.DataError
    elif isinstance(exc, psycopg.OperationalError):
        kind = sqlite3.OperationalError
    elif isinstance(exc, psycopg.ProgrammingError):
        kind = sqlite3.ProgrammingError
    else:
        kind = sqlite3.DatabaseError
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return kind(f"postgresql ({where}): {first_line}")


class PostgresCursor:
    """A psycopg cursor with the `sqlite3.Cursor` surface the store uses."""

    __slots__ = ("_cursor", "_where")

    def __init__(self, cursor: psycopg.Cursor[Any], where: str) -> None:
        self._cursor = cursor
        self._where = where

    @property
    def rowcount(self) -> int:
        """Rows changed by the last write."""
        return int(self._cursor.rowcount)

    def fetchone(self) -> Any:
        """The next row, or None."""
        try:
            return self._cursor.fetchone()
        except psycopg.Error as exc:
            raise _as_sqlite_error(exc, self._where) from exc

    def fetchall(self) -> list[Any]:
        """Every remaining row."""
        try:
            return list(self._cursor.fetchall())
        except psycopg.Error as exc:
            raise _as_sqlite_error(exc, self._where) from exc

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PostgresConnection:
    """One PostgreSQL session in autocommit mode; transactions are explicit ``BEGIN``s."""

    def __init__(self, url: str) -> None:
        """Connect to `url` (its password, if any, from the URL or ``PGPASSWORD``).

        Raises:
            sqlite3.OperationalError: the server cannot be reached or refuses the login
                (the message names the server, never the password).
        """
        self.url = url
        self.where = redact_url(url)
        self.in_transaction = False
        self._connection = self._connect()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            connection: psycopg.Connection[Any] = psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                application_name="tenderbot",
                # No server-side prepared statements: a generic plan made while a table was
                # small keeps scanning it as it grows (ingest ran at half speed).
                prepare_threshold=None,
                options=(
                    f"-c statement_timeout={STATEMENT_TIMEOUT_MS} "
                    f"-c lock_timeout={LOCK_TIMEOUT_MS} -c TimeZone=UTC"
                ),
                row_factory=_row_factory,
                keepalives=1,
                keepalives_idle=KEEPALIVE_IDLE_SECONDS,
                keepalives_interval=KEEPALIVE_INTERVAL_SECONDS,
                keepalives_count=KEEPALIVE_COUNT,
            )
        except psycopg.Error as exc:
            raise _as_sqlite_error(exc, self.where) from None
        return connection

    @property
    def broken(self) -> bool:
        """Whether the session is lost (it is reopened by the next statement)."""
        return bool(self._connection.broken or self._connection.closed)

    def reconnect(self) -> None:
        """Open a new session in place of a lost one.

        Raises:
            sqlite3.OperationalError: the server still cannot be reached.
        """
        with contextlib.suppress(psycopg.Error):
            self._connection.close()
        self.in_transaction = False
        self._connection = self._connect()

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> PostgresCursor:
        """Run one statement (placeholders ``?``).

        Raises:
            sqlite3.Error: the matching subclass of what PostgreSQL or the network refused.
        """
        statement = translate(sql)
        keyword = statement.lstrip()[:8].upper()
        if self.broken and not self.in_transaction:
            self.reconnect()
        try:
            cursor = self._connection.execute(statement, tuple(parameters))
        except psycopg.Error as exc:
            if keyword.startswith(("COMMIT", "ROLLBACK")) and not keyword.startswith("ROLLBACK T"):
                self.in_transaction = False
            raise _as_sqlite_error(exc, self.where) from exc
        if keyword.startswith("BEGIN"):
            self.in_transaction = True
        elif keyword.startswith(("COMMIT", "ROLLBACK")) and not keyword.startswith("ROLLBACK T"):
            self.in_transaction = False
        return PostgresCursor(cursor, self.where)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> PostgresCursor:
        """Run one statement for each parameter row.

        Raises:
            sqlite3.Error: as `execute`.
        """
        rows = [tuple(p) for p in parameters]
        cursor = self._connection.cursor()
        if not rows:
            return PostgresCursor(cursor, self.where)
        try:
            cursor.executemany(translate(sql), rows)
        except psycopg.Error as exc:
            raise _as_sqlite_error(exc, self.where) from exc
        return PostgresCursor(cursor, self.where)

    def close(self) -> None:
        """Close the session."""
        self._connection.close()
