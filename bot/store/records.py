"""What the store hands out and raises, and how it writes times."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

UNSTORABLE = (
    sqlite3.DataError,
    sqlite3.IntegrityError,
    UnicodeError,
    ValueError,
    RecursionError,
    msgspec.EncodeError,
)
"""What one record can make SQLite or the JSON encoder raise (never a full or broken disk)."""


class StoreError(Exception):
    """The database cannot be opened or is from a newer tenderbot (raised by `Store`)."""


class DatabaseFailed(Exception):
    """The database stopped taking writes while the daemon ran (raised by `run_daemon`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredSource:
    """What the store holds under one source name, whatever filed it (a poll or an import)."""

    source: str
    notices: int
    releases: int
    first_release: datetime | None
    last_release: datetime | None
    last_stored: datetime | None
    """When a release was last stored under this name (an import of nothing new leaves it)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceState:
    """What the store remembers about one source between passes."""

    source: str
    watermark: datetime | None = None
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    throttled_until: datetime | None = None
    notices_last_pass: int = 0
    resume_url: str | None = None
    resume_since: datetime | None = None
    resume_until: datetime | None = None
    last_notices_at: datetime | None = None
    newest_release: datetime | None = None


def to_text(moment: datetime | None) -> str | None:
    """Store a datetime as ISO 8601 text in UTC (None stays None)."""
    return None if moment is None else moment.astimezone(UTC).isoformat()


def from_text(text: str | None) -> datetime | None:
    """Read a datetime written by `to_text`."""
    return None if text is None else datetime.fromisoformat(text)


def key_hash(key: str) -> bytes:
    """How a mirror key is stored: 12 bytes of BLAKE2b, so its index stays small and fast."""
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=12).digest()
