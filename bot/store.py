"""SQLite storage: notices and their versions, events, the outbox table, and per-source state.

One connection, WAL mode, schema migrations by ``PRAGMA user_version``. Writes happen inside
`Store.transaction()`: a page of notices, its events and its outbox rows commit together or
not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.alerts import NEW, UPDATED
from bot.events import Event
from sources.base import Validators
from sources.errors import Problem
from sources.notice import Notice, merge_notice, notice_from_dict, notice_to_dict

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE notices (
        source TEXT NOT NULL,
        id TEXT NOT NULL,
        release_id TEXT NOT NULL,
        release_date TEXT NOT NULL,
        stage TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        versions INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (source, id)
    );
    CREATE TABLE notice_versions (
        source TEXT NOT NULL,
        id TEXT NOT NULL,
        release_id TEXT NOT NULL,
        release_date TEXT NOT NULL,
        stage TEXT NOT NULL,
        stored_at TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (source, id, release_id)
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        notice_id TEXT NOT NULL,
        release_id TEXT NOT NULL,
        previous_release_id TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        subscription TEXT NOT NULL,
        channel TEXT NOT NULL,
        event_id INTEGER NOT NULL REFERENCES events(id),
        source TEXT NOT NULL,
        notice_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        release_id TEXT NOT NULL,
        reasons TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        due_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        last_error TEXT,
        UNIQUE (subscription, source, notice_id, kind, release_id)
    );
    CREATE INDEX outbox_due ON outbox (status, due_at);
    CREATE TABLE source_state (
        source TEXT PRIMARY KEY,
        watermark TEXT,
        last_attempt TEXT,
        last_success TEXT,
        last_error TEXT,
        last_error_at TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        throttled_until TEXT,
        notices_last_pass INTEGER NOT NULL DEFAULT 0
    );
    """,
    """
    ALTER TABLE outbox ADD COLUMN message_ref TEXT;
    ALTER TABLE outbox ADD COLUMN mode TEXT NOT NULL DEFAULT 'instant';
    CREATE INDEX outbox_notice ON outbox (subscription, source, notice_id);
    CREATE TABLE channel_state (
        channel TEXT PRIMARY KEY,
        paused_reason TEXT,
        paused_at TEXT,
        chat_id TEXT,
        retry_at TEXT,
        failures INTEGER NOT NULL DEFAULT 0
    );
    """,
    """
    CREATE TABLE http_validators (
        source TEXT NOT NULL,
        url TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        PRIMARY KEY (source, url)
    );
    CREATE TABLE notice_keys (
        key TEXT NOT NULL,
        source TEXT NOT NULL,
        notice_id TEXT NOT NULL,
        PRIMARY KEY (key, source, notice_id)
    );
    CREATE TABLE notice_links (
        source TEXT NOT NULL,
        notice_id TEXT NOT NULL,
        primary_source TEXT NOT NULL,
        primary_id TEXT NOT NULL,
        matched_on TEXT NOT NULL,
        PRIMARY KEY (source, notice_id)
    );
    """,
    """
    ALTER TABLE notices ADD COLUMN deadline TEXT;
    UPDATE notices SET deadline = (
        SELECT json_extract(v.data, '$.deadline') FROM notice_versions v
        WHERE v.source = notices.source AND v.id = notices.id AND v.release_id = notices.release_id
    );
    CREATE INDEX notices_deadline ON notices (deadline);
    """,
    """
    ALTER TABLE source_state ADD COLUMN resume_url TEXT;
    ALTER TABLE source_state ADD COLUMN resume_since TEXT;
    ALTER TABLE source_state ADD COLUMN resume_until TEXT;
    ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
    ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
    """,
)


UNSTORABLE = (sqlite3.DataError, sqlite3.IntegrityError, UnicodeError, ValueError, RecursionError)
"""What one record can make SQLite or the JSON encoder raise (never a full or broken disk)."""


class StoreError(Exception):
    """The database cannot be opened or is from a newer tenderbot (raised by `Store`)."""


class DatabaseFailed(Exception):
    """The database stopped taking writes while the daemon ran (raised by `run_daemon`)."""


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


def to_text(moment: datetime | None) -> str | None:
    """Store a datetime as ISO 8601 text in UTC (None stays None)."""
    return None if moment is None else moment.astimezone(UTC).isoformat()


def from_text(text: str | None) -> datetime | None:
    """Read a datetime written by `to_text`."""
    return None if text is None else datetime.fromisoformat(text)


class Store:
    """The SQLite database behind the daemon."""

    def __init__(self, path: Path | str) -> None:
        """Open (creating if needed) and migrate the database at `path`.

        Raises:
            StoreError: the file cannot be opened or its schema is newer than this program.
        """
        self.path = Path(path)
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{path}: cannot open database: {exc}") from None

    def _migrate(self) -> None:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: database schema {version} is newer than this tenderbot "
                f"understands ({len(MIGRATIONS)}); upgrade tenderbot"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                for statement in script.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number}")

    def check_writable(self, now: datetime) -> None:
        """Prove the database takes writes now, before anything is fetched or sent.

        Raises:
            StoreError: it cannot be written (read-only file or folder, full disk, ...).
        """
        try:
            with self.transaction():
                self.db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_start', ?)",
                    (to_text(now),),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: database cannot be written: {exc}") from None

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one write transaction: all of it commits, or none of it."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def save_notices(
        self,
        notices: Sequence[Notice],
        now: datetime,
        problems: list[Problem] | None = None,
    ) -> list[Event]:
        """Store a batch of notices (call inside `transaction`) and return the events it makes.

        A notice seen for the first time gives one `new` event (for its newest release in the
        batch); a known notice with a newer release gives one `updated` event; a release
        already stored, or older than the stored one, is kept in the history with no event.
        A notice that cannot be stored is left out, with a `Problem` added to `problems`, and
        the rest of the batch is kept.
        """
        stamp = to_text(now)
        first_seen: set[tuple[str, str]] = set()
        previous: dict[tuple[str, str], str] = {}
        changed: dict[tuple[str, str], Notice] = {}
        for notice in sorted(notices, key=lambda n: (n.release_date, n.release_id)):
            self.db.execute("SAVEPOINT one_notice")
            try:
                self._save_one(notice, stamp, first_seen, previous, changed)
            except UNSTORABLE as exc:
                self.db.execute("ROLLBACK TO one_notice")
                if problems is not None:
                    what = f"cannot be stored ({type(exc).__name__}: {str(exc)[:120]})"
                    record = notice.release_id.encode("utf-8", "replace").decode()[:200]
                    problems.append(Problem(source=notice.source, record_id=record, what=what))
            finally:
                self.db.execute("RELEASE one_notice")
        events = []
        for key, notice in changed.items():
            kind = NEW if key in first_seen else UPDATED
            prior = None if key in first_seen else previous.get(key)
            cursor = self.db.execute(
                "INSERT INTO events (kind, source, notice_id, release_id, previous_release_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, *key, notice.release_id, prior, stamp),
            )
            assert cursor.lastrowid is not None
            events.append(
                Event(
                    id=cursor.lastrowid,
                    kind=kind,
                    notice=notice,
                    previous_release_id=prior,
                    created_at=now,
                )
            )
        return events

    def _save_one(
        self,
        notice: Notice,
        stamp: str | None,
        first_seen: set[tuple[str, str]],
        previous: dict[tuple[str, str], str],
        changed: dict[tuple[str, str], Notice],
    ) -> None:
        key = (notice.source, notice.id)
        known = self.db.execute(
            "SELECT 1 FROM notice_versions WHERE source = ? AND id = ? AND release_id = ?",
            (notice.source, notice.id, notice.release_id),
        ).fetchone()
        if known:
            return
        current = self.db.execute(
            "SELECT release_id, release_date FROM notices WHERE source = ? AND id = ?",
            key,
        ).fetchone()
        newer = current is None or notice.release_date >= datetime.fromisoformat(
            current["release_date"]
        )
        if current is not None and newer:
            # One process, one notice: a release is laid over what is known, so a sparse
            # update (a cancellation stub, a corrigendum) keeps the earlier details.
            stored = self.notice(notice.source, notice.id, str(current["release_id"]))
            if stored is not None:
                notice = merge_notice(stored, notice)
        self.db.execute(
            "INSERT INTO notice_versions VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                notice.source,
                notice.id,
                notice.release_id,
                to_text(notice.release_date),
                notice.stage,
                stamp,
                json.dumps(notice_to_dict(notice), ensure_ascii=False),
            ),
        )
        if current is None:
            self.db.execute(
                "INSERT INTO notices (source, id, release_id, release_date, stage, first_seen, "
                "updated_at, versions, deadline) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
                (
                    *key,
                    notice.release_id,
                    to_text(notice.release_date),
                    notice.stage,
                    stamp,
                    stamp,
                    to_text(notice.deadline),
                ),
            )
            first_seen.add(key)
            changed[key] = notice
            return
        self.db.execute(
            "UPDATE notices SET versions = versions + 1 WHERE source = ? AND id = ?", key
        )
        if not newer:
            return
        self.db.execute(
            "UPDATE notices SET release_id = ?, release_date = ?, stage = ?, updated_at = ?, "
            "deadline = ? WHERE source = ? AND id = ?",
            (
                notice.release_id,
                to_text(notice.release_date),
                notice.stage,
                stamp,
                to_text(notice.deadline),
                *key,
            ),
        )
        previous.setdefault(key, current["release_id"])
        changed[key] = notice

    def notice(self, source: str, notice_id: str, release_id: str | None = None) -> Notice | None:
        """A stored notice: the given release, or its current one."""
        if release_id is None:
            row = self.db.execute(
                "SELECT release_id FROM notices WHERE source = ? AND id = ?", (source, notice_id)
            ).fetchone()
            if row is None:
                return None
            release_id = str(row["release_id"])
        row = self.db.execute(
            "SELECT data FROM notice_versions WHERE source = ? AND id = ? AND release_id = ?",
            (source, notice_id, release_id),
        ).fetchone()
        return None if row is None else notice_from_dict(json.loads(row["data"]))

    def current_notices(self, since: datetime | None = None) -> Iterator[Notice]:
        """Every stored notice at its current release, newest first, optionally since a date."""
        rows = self.db.execute(
            "SELECT v.data FROM notices n JOIN notice_versions v "
            "ON v.source = n.source AND v.id = n.id AND v.release_id = n.release_id "
            "WHERE n.release_date >= ? ORDER BY n.release_date DESC",
            (to_text(since) or "",),
        ).fetchall()
        for row in rows:
            yield notice_from_dict(json.loads(row["data"]))

    def count_notices(self, source: str | None = None) -> int:
        """How many distinct notices are stored (for one source, or all)."""
        if source is None:
            row = self.db.execute("SELECT COUNT(*) FROM notices").fetchone()
        else:
            row = self.db.execute(
                "SELECT COUNT(*) FROM notices WHERE source = ?", (source,)
            ).fetchone()
        return int(row[0])

    def count_versions(self, source: str, notice_id: str) -> int:
        """How many distinct releases of one notice are stored."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM notice_versions WHERE source = ? AND id = ?",
            (source, notice_id),
        ).fetchone()
        return int(row[0])

    def load_validators(self, source: str) -> dict[str, Validators]:
        """The ETag / Last-Modified values last seen for each URL of `source`."""
        rows = self.db.execute(
            "SELECT url, etag, last_modified FROM http_validators WHERE source = ?", (source,)
        ).fetchall()
        return {
            str(r["url"]): Validators(etag=r["etag"], last_modified=r["last_modified"])
            for r in rows
        }

    def save_validators(self, source: str, validators: Mapping[str, Validators]) -> None:
        """Remember validators for conditional GETs (its own transaction)."""
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO http_validators VALUES (?, ?, ?, ?)",
                [(source, url, v.etag, v.last_modified) for url, v in validators.items()],
            )

    def source_state(self, source: str) -> SourceState:
        """What is remembered about `source` (defaults for a source never polled)."""
        row = self.db.execute("SELECT * FROM source_state WHERE source = ?", (source,)).fetchone()
        if row is None:
            return SourceState(source=source)
        return SourceState(
            source=source,
            watermark=from_text(row["watermark"]),
            last_attempt=from_text(row["last_attempt"]),
            last_success=from_text(row["last_success"]),
            last_error=row["last_error"],
            last_error_at=from_text(row["last_error_at"]),
            consecutive_failures=int(row["consecutive_failures"]),
            throttled_until=from_text(row["throttled_until"]),
            notices_last_pass=int(row["notices_last_pass"]),
            resume_url=row["resume_url"],
            resume_since=from_text(row["resume_since"]),
            resume_until=from_text(row["resume_until"]),
        )

    def _upsert_state(self, source: str, **fields: object) -> None:
        self.db.execute("INSERT OR IGNORE INTO source_state (source) VALUES (?)", (source,))
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(
            f"UPDATE source_state SET {assignments} WHERE source = ?",
            (*fields.values(), source),
        )

    def record_attempt(self, source: str, now: datetime) -> None:
        """Note that a pass over `source` started (call inside `transaction`)."""
        self._upsert_state(source, last_attempt=to_text(now))

    def record_success(
        self, source: str, *, watermark: datetime, now: datetime, notices: int
    ) -> None:
        """Move the watermark after a complete pass (call inside `transaction`)."""
        self._upsert_state(
            source,
            watermark=to_text(watermark),
            last_success=to_text(now),
            consecutive_failures=0,
            throttled_until=None,
            notices_last_pass=notices,
            resume_url=None,
            resume_since=None,
            resume_until=None,
        )

    def record_checkpoint(
        self,
        source: str,
        *,
        watermark: datetime | None,
        resume_url: str | None,
        window: tuple[datetime, datetime],
    ) -> None:
        """Remember how far a pass got, with the page it stored (call inside `transaction`).

        The watermark only moves forward; `resume_url` (with the pass's `window`) is where a
        pass over the same window picks up, or None to start from the watermark.
        """
        current = self.source_state(source).watermark
        if watermark is not None and (current is None or watermark > current):
            self._upsert_state(source, watermark=to_text(watermark))
        self._upsert_state(
            source,
            resume_url=resume_url,
            resume_since=to_text(window[0]) if resume_url else None,
            resume_until=to_text(window[1]) if resume_url else None,
        )

    def record_partial(self, source: str, *, now: datetime, notices: int) -> None:
        """A pass that stopped on its page budget: healthy, with more to read next time."""
        self._upsert_state(
            source,
            last_success=to_text(now),
            consecutive_failures=0,
            throttled_until=None,
            notices_last_pass=notices,
        )

    def record_failure(
        self, source: str, error: str, *, now: datetime, throttled_until: datetime | None = None
    ) -> None:
        """Record a failed pass; the watermark stays where it was (call inside `transaction`)."""
        self.db.execute("INSERT OR IGNORE INTO source_state (source) VALUES (?)", (source,))
        self.db.execute(
            "UPDATE source_state SET last_error = ?, last_error_at = ?, throttled_until = ?, "
            "consecutive_failures = consecutive_failures + 1 WHERE source = ?",
            (error, to_text(now), to_text(throttled_until), source),
        )
