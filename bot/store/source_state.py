"""Per-source state: watermark, checkpoints, failures, throttling, HTTP validators."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import datetime

from bot.store.connection import Connection
from bot.store.records import SourceState, from_text, to_text
from sources.base import Validators


class SourceStateStore:
    """The source-state half of `Store` (it needs `db` and `transaction`)."""

    db: Connection

    def transaction(self) -> AbstractContextManager[Connection]:
        """Provided by `Store`."""
        raise NotImplementedError

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
                "INSERT INTO http_validators VALUES (?, ?, ?, ?) ON CONFLICT (source, url) "
                "DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified",
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
            last_notices_at=from_text(row["last_notices_at"]),
            newest_release=from_text(row["newest_release"]),
        )

    def _upsert_state(self, source: str, **fields: object) -> None:
        self.db.execute(
            "INSERT INTO source_state (source) VALUES (?) ON CONFLICT DO NOTHING", (source,)
        )
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
        if notices:
            self._upsert_state(source, last_notices_at=to_text(now))

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

    def record_newest(self, source: str, newest: datetime) -> None:
        """Remember the newest release date stored for `source` (call inside `transaction`)."""
        current = self.source_state(source).newest_release
        if current is None or newest > current:
            self._upsert_state(source, newest_release=to_text(newest))

    def record_partial(self, source: str, *, now: datetime, notices: int) -> None:
        """A pass that stopped on its page budget: healthy, with more to read next time."""
        self._upsert_state(
            source,
            last_success=to_text(now),
            consecutive_failures=0,
            throttled_until=None,
            notices_last_pass=notices,
        )
        if notices:
            self._upsert_state(source, last_notices_at=to_text(now))

    def record_failure(
        self, source: str, error: str, *, now: datetime, throttled_until: datetime | None = None
    ) -> None:
        """Record a failed pass; the watermark stays where it was (call inside `transaction`)."""
        self.db.execute(
            "INSERT INTO source_state (source) VALUES (?) ON CONFLICT DO NOTHING", (source,)
        )
        self.db.execute(
            "UPDATE source_state SET last_error = ?, last_error_at = ?, throttled_until = ?, "
            "consecutive_failures = consecutive_failures + 1 WHERE source = ?",
            (error, to_text(now), to_text(throttled_until), source),
        )
