"""What became of the daemon's last attempt to write the report, kept in the store.

`status` reads it (a report that could not be written is a problem a person must fix),
``/report`` says why there is no report to serve, and the log says honestly whether an
older report stays in place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.moments import local_moment
from bot.store import Store
from bot.store.records import from_text, to_text

WRITTEN_KEY = "report_written"
FAILED_KEY = "report_failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportOutcome:
    """The last report written and the last failure since then (None: none)."""

    out: Path | None
    written_at: datetime | None
    failed_at: datetime | None
    error: str | None

    @property
    def failing(self) -> bool:
        """The last attempt failed."""
        return self.failed_at is not None


def record_written(store: Store, out: Path, at: datetime) -> None:
    """Note that the report was written to `out` at `at` (clearing any failure)."""
    with store.transaction():
        store.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (WRITTEN_KEY, json.dumps({"out": str(out), "at": to_text(at)})),
        )
        store.db.execute("DELETE FROM meta WHERE key = ?", (FAILED_KEY,))


def record_failed(store: Store, out: Path, at: datetime, error: str) -> None:
    """Note that writing the report to `out` failed at `at` with `error`."""
    with store.transaction():
        store.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (FAILED_KEY, json.dumps({"out": str(out), "at": to_text(at), "error": error})),
        )


def read_outcome(store: Store) -> ReportOutcome:
    """The last report written and the failure since, as the daemon recorded them."""
    rows = dict(
        store.db.execute(
            "SELECT key, value FROM meta WHERE key IN (?, ?)", (WRITTEN_KEY, FAILED_KEY)
        ).fetchall()
    )
    written = json.loads(rows[WRITTEN_KEY]) if WRITTEN_KEY in rows else {}
    failed = json.loads(rows[FAILED_KEY]) if FAILED_KEY in rows else {}
    out = failed.get("out") or written.get("out")
    return ReportOutcome(
        out=Path(out) if out else None,
        written_at=from_text(written["at"]) if written else None,
        failed_at=from_text(failed["at"]) if failed else None,
        error=failed.get("error"),
    )


def failure_message(outcome: ReportOutcome, out: Path, zone: ZoneInfo) -> str:
    """One line on the failure: what failed and whether an older report stays (when, in `zone`)."""
    kept = (
        f"the one written {local_moment(outcome.written_at, zone)} stays"
        if outcome.written_at is not None and out.exists()
        else "no report has been written yet"
    )
    return f"report: cannot write {out}: {outcome.error}; {kept}"
