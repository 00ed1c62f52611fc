"""SQLite storage: notices and their versions, events, the outbox table, and per-source state.

One connection, WAL mode, schema migrations by ``PRAGMA user_version``. Writes happen inside
`Store.transaction()`: a page of notices, its events and its outbox rows commit together or
not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from bot.alerts import NEW, UPDATED
from bot.events import Event
from bot.store.maintenance import MaintenanceStore
from bot.store.migrations import MIGRATIONS
from bot.store.records import (
    UNSTORABLE,
    DatabaseFailed,
    SourceState,
    StoreError,
    from_text,
    to_text,
)
from bot.store.source_state import SourceStateStore
from sources.errors import Problem
from sources.notice import (
    Notice,
    merge_notice,
    notice_from_dict,
    notice_to_dict,
)

__all__ = [
    "MIGRATIONS",
    "DatabaseFailed",
    "SourceState",
    "Store",
    "StoreError",
    "from_text",
    "to_text",
]


class Store(SourceStateStore, MaintenanceStore):
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
        )
        # Row by row: a year of notices never sits in memory at once.
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
