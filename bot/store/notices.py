"""Notices in the store: saving pages of releases with their events, and reading notices back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.delivery.alerts import NEW, UPDATED
from bot.events import Event
from bot.store.connection import Connection
from bot.store.history import release_text, remerge
from bot.store.records import UNSTORABLE, StoredSource, from_text, to_text
from sources.errors import Problem
from sources.notice import Notice
from sources.notice_codec import notice_from_json, notice_json
from sources.notice_merge import merge_notice, release_order


class NoticeStore:
    """The notice half of `Store`: versions, events and reads (it needs `db`)."""

    db: Connection

    def save_notices(
        self,
        notices: Sequence[Notice],
        now: datetime,
        problems: list[Problem] | None = None,
    ) -> list[Event]:
        """Store a batch of notices (call inside `transaction`) and return the events it makes.

        A notice seen for the first time gives one `new` event (for its newest release in the
        batch); a known notice with a newer release gives one `updated` event; a release
        already stored gives nothing. A release older than the stored one is merged under the
        newer ones (see `bot.store.history`); it gives an `updated` event for the current
        release only if that changes the notice's record.
        A notice that cannot be stored is left out, with a `Problem` added to `problems`, and
        the rest of the batch is kept.
        """
        stamp = to_text(now)
        page = _PageChanges()
        ordered = sorted(notices, key=lambda n: (n.release_date, n.release_id))
        self.db.execute("SAVEPOINT page")
        try:
            self._save_batch(ordered, stamp, page)
        except UNSTORABLE:
            # One record SQLite or the encoder refuses: redo the page one notice at a time,
            # so only that record is left out.
            self.db.execute("ROLLBACK TO page")
            page = _PageChanges()
            for notice in ordered:
                self._save_guarded(notice, stamp, page, problems)
        finally:
            self.db.execute("RELEASE page")
        # Event ids are given here, in one statement for the page: the write transaction
        # holds the database, so nobody else can take the next ids meanwhile.
        next_id = int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0])
        events = []
        for offset, (key, notice) in enumerate(page.changed.items(), start=1):
            kind = NEW if key in page.first_seen else UPDATED
            prior = None if key in page.first_seen else page.previous.get(key)
            events.append(
                Event(
                    id=next_id + offset,
                    kind=kind,
                    notice=notice,
                    previous_release_id=prior,
                    created_at=now,
                )
            )
        self.db.executemany(
            "INSERT INTO events (id, kind, source, notice_id, release_id, previous_release_id, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    e.id,
                    e.kind,
                    e.notice.source,
                    e.notice.id,
                    e.notice.release_id,
                    e.previous_release_id,
                    stamp,
                )
                for e in events
            ],
        )
        return events

    def _known(
        self, notices: Sequence[Notice]
    ) -> tuple[set[tuple[str, str, str]], dict[tuple[str, str], tuple[str, str]]]:
        """The releases already stored, and the current release of each notice, for a page."""
        known: set[tuple[str, str, str]] = set()
        current: dict[tuple[str, str], tuple[str, str]] = {}
        by_source: dict[str, list[str]] = {}
        for notice in notices:
            by_source.setdefault(notice.source, []).append(notice.id)
        for source, ids in by_source.items():
            unique = list(dict.fromkeys(ids))
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                where = f"WHERE source = ? AND id IN ({', '.join('?' for _ in chunk)})"
                for row in self.db.execute(
                    f"SELECT id, release_id FROM notice_versions {where}", (source, *chunk)
                ):
                    known.add((source, str(row[0]), str(row[1])))
                for row in self.db.execute(
                    f"SELECT id, release_id, release_date FROM notices {where}", (source, *chunk)
                ):
                    current[(source, str(row[0]))] = (str(row[1]), str(row[2]))
        return known, current

    def _save_batch(
        self,
        ordered: Sequence[Notice],
        stamp: str | None,
        page: _PageChanges,
    ) -> None:
        """Store a page with one statement per table (the fast path of `save_notices`)."""
        known, current = self._known(ordered)
        versions: list[tuple[object, ...]] = []
        counts: dict[tuple[str, str], int] = {}
        heads: dict[tuple[str, str], Notice] = {}
        late: set[tuple[str, str]] = set()
        for release in ordered:
            key = (release.source, release.id)
            if (release.source, release.id, release.release_id) in known:
                continue
            known.add((release.source, release.id, release.release_id))
            head = current.get(key)
            newer = head is None or release_order(release) >= (
                datetime.fromisoformat(head[1]),
                head[0],
            )
            notice = release
            if head is not None and newer:
                stored = heads.get(key) or self.notice(release.source, release.id, head[0])
                if stored is not None:
                    notice = merge_notice(stored, release)
            versions.append(_version_row(notice, release, stamp))
            counts[key] = counts.get(key, 0) + 1
            if head is None:
                page.first_seen.add(key)
            elif newer:
                page.previous.setdefault(key, head[0])
            else:
                late.add(key)
            if newer:
                heads[key] = notice
                page.changed[key] = notice
                current[key] = (notice.release_id, to_text(notice.release_date) or "")
        self.db.executemany(
            "INSERT INTO notice_versions (source, id, release_id, release_date, stage, "
            "stored_at, data, release) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            versions,
        )
        self.db.executemany(
            "INSERT INTO notices (source, id, release_id, release_date, stage, first_seen, "
            "updated_at, versions, deadline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source, id) DO UPDATE SET "
            "versions = notices.versions + excluded.versions, "
            "release_id = excluded.release_id, release_date = excluded.release_date, "
            "stage = excluded.stage, updated_at = excluded.updated_at, "
            "deadline = excluded.deadline",
            [
                (
                    *key,
                    notice.release_id,
                    to_text(notice.release_date),
                    notice.stage,
                    stamp,
                    stamp,
                    counts[key],
                    to_text(notice.deadline),
                )
                for key, notice in heads.items()
            ],
        )
        # Notices that only gained older releases: count them, nothing else changes.
        self.db.executemany(
            "UPDATE notices SET versions = versions + ? WHERE source = ? AND id = ?",
            [(count, *key) for key, count in counts.items() if key not in heads],
        )
        for key in sorted(late):
            self._merge_late(key, stamp, page)

    def _merge_late(self, key: tuple[str, str], stamp: str | None, page: _PageChanges) -> None:
        """Merge an older release that arrived after newer ones under them (`bot.store.history`).

        When that changes the process's compiled record, the record is updated and announced
        like an update (as `new` if the process was first seen in this page).
        """
        before = page.changed.get(key) or self.notice(*key)
        compiled = remerge(self.db, *key)
        if compiled is None or compiled == before:
            return
        self.db.execute(
            "UPDATE notices SET updated_at = ?, deadline = ? WHERE source = ? AND id = ?",
            (stamp, to_text(compiled.deadline), *key),
        )
        page.changed[key] = compiled

    def _save_guarded(
        self,
        notice: Notice,
        stamp: str | None,
        page: _PageChanges,
        problems: list[Problem] | None,
    ) -> None:
        self.db.execute("SAVEPOINT one_notice")
        try:
            self._save_batch([notice], stamp, page)
        except UNSTORABLE as exc:
            self.db.execute("ROLLBACK TO one_notice")
            if problems is not None:
                what = f"cannot be stored ({type(exc).__name__}: {str(exc)[:120]})"
                record = notice.release_id.encode("utf-8", "replace").decode()[:200]
                problems.append(Problem(source=notice.source, record_id=record, what=what))
        finally:
            self.db.execute("RELEASE one_notice")

    def add_event(self, kind: str, notice: Notice, now: datetime) -> int:
        """Record one event about `notice` (a reminder, a radar item) and return its id.

        Ids are given as `save_notices` gives them, inside the write (never by a sequence,
        which `save_notices` does not advance); call it inside a transaction.
        """
        row = self.db.execute(
            "INSERT INTO events (id, kind, source, notice_id, release_id, previous_release_id, "
            "created_at) SELECT COALESCE(MAX(id), 0) + 1, ?, ?, ?, ?, NULL, ? FROM events "
            "RETURNING id",
            (kind, notice.source, notice.id, notice.release_id, to_text(now)),
        ).fetchone()
        return int(row[0])

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
        return None if row is None else notice_from_json(row["data"])

    def latest_event(self, notice: Notice) -> Event | None:
        """The newest event raised for this release of a notice, if any."""
        row = self.db.execute(
            "SELECT id, kind, previous_release_id, created_at FROM events WHERE source = ? "
            "AND notice_id = ? AND release_id = ? ORDER BY id DESC LIMIT 1",
            (notice.source, notice.id, notice.release_id),
        ).fetchone()
        if row is None:
            return None
        return Event(
            id=int(row[0]),
            kind=str(row[1]),
            notice=notice,
            previous_release_id=row[2],
            created_at=from_text(row[3]) or notice.release_date,
        )

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
            yield notice_from_json(row["data"])

    def count_notices(self, source: str | None = None) -> int:
        """How many distinct notices are stored (for one source, or all)."""
        if source is None:
            row = self.db.execute("SELECT COUNT(*) FROM notices").fetchone()
        else:
            row = self.db.execute(
                "SELECT COUNT(*) FROM notices WHERE source = ?", (source,)
            ).fetchone()
        return int(row[0])

    def stored_sources(self) -> list[StoredSource]:
        """Every source name notices are stored under, by name, with counts and dates."""
        notices = {
            str(r["source"]): r
            for r in self.db.execute(
                "SELECT source, COUNT(*) AS notices, MIN(release_date) AS first_release, "
                "MAX(release_date) AS last_release FROM notices GROUP BY source"
            ).fetchall()
        }
        versions = {
            str(r["source"]): r
            for r in self.db.execute(
                "SELECT source, COUNT(*) AS releases, MAX(stored_at) AS last_stored "
                "FROM notice_versions GROUP BY source"
            ).fetchall()
        }
        found = []
        for name in sorted(notices.keys() | versions.keys()):
            held, kept = notices.get(name), versions.get(name)
            found.append(
                StoredSource(
                    source=name,
                    notices=int(held["notices"]) if held else 0,
                    releases=int(kept["releases"]) if kept else 0,
                    first_release=from_text(held["first_release"]) if held else None,
                    last_release=from_text(held["last_release"]) if held else None,
                    last_stored=from_text(kept["last_stored"]) if kept else None,
                )
            )
        return found

    def count_versions(self, source: str, notice_id: str) -> int:
        """How many distinct releases of one notice are stored."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM notice_versions WHERE source = ? AND id = ?",
            (source, notice_id),
        ).fetchone()
        return int(row[0])


@dataclass(slots=True)
class _PageChanges:
    """What storing a page changed: notices seen first, their previous releases, the latest."""

    first_seen: set[tuple[str, str]] = field(default_factory=set)
    previous: dict[tuple[str, str], str] = field(default_factory=dict)
    changed: dict[tuple[str, str], Notice] = field(default_factory=dict)


def _version_row(notice: Notice, release: Notice, stamp: str | None) -> tuple[object, ...]:
    """The `notice_versions` row of a release stored at `stamp` (`notice`: merged so far)."""
    return (
        notice.source,
        notice.id,
        notice.release_id,
        to_text(notice.release_date),
        notice.stage,
        stamp,
        notice_json(notice).decode(),
        release_text(release, notice),
    )
