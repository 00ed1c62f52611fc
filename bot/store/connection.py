"""The one connection interface the store uses, whichever database is behind it.

SQLite's `sqlite3.Connection` already fits it; `bot.store.postgres.PostgresConnection` wraps
psycopg 3 to fit it too, so the rest of the program writes each query once, in the portable
SQL both databases share (``?`` placeholders, ``ON CONFLICT``, ``RETURNING``). Database
failures of either kind arrive as `sqlite3.Error` subclasses: the program catches one family.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
URL_SCHEMES = ("postgresql://", "postgres://")


class Cursor(Protocol):
    """What a query hands back: its rows, and how many rows a write touched."""

    @property
    def rowcount(self) -> int:
        """Rows changed by the last write."""

    def fetchone(self) -> Any:
        """The next row, or None."""

    def fetchall(self) -> list[Any]:
        """Every remaining row."""

    def __iter__(self) -> Iterator[Any]:
        """Rows one at a time."""


class Connection(Protocol):
    """The part of a DB-API connection the store uses."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor:
        """Run one statement."""

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor:
        """Run one statement for each parameter row."""

    def close(self) -> None:
        """Close the connection."""


def is_url(location: object) -> bool:
    """Whether a database location is a PostgreSQL URL (else it is a SQLite file)."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``: how every message names a server."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://(unreadable URL)"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
