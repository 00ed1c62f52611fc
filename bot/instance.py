"""One sending process per database: an exclusive lock that a killed process cannot leave behind.

`tenderbot run` and `tenderbot poll` both fetch and send; two of them on one database would
race each other. The lock is an `flock` on ``<database>.lock``, the database's real path with
symlinks resolved (so a second path to the same file finds the same lock): the kernel drops
it when the holder exits, however it exits, so there is never a stale lock to clean up. The
file holds the holder's pid, command and start time, for the message the second process
prints. The database holds the same rule itself (an exclusive instance with a lease, see
`bot.store.instances`), for paths no lock file can cover.
"""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.moments import DEFAULT_ZONE, local_moment


class InstanceError(Exception):
    """Another tenderbot holds the database (raised by `InstanceLock.acquire`)."""


def in_use(database: Path, holder: str) -> InstanceError:
    """The error for a database another tenderbot (`holder`, as it describes itself) holds."""
    return InstanceError(
        f"{database}: already in use by {holder}; only one `tenderbot run` or "
        "`tenderbot poll` may use a database at a time (stop the other one, or give "
        "this one its own [bot] database)"
    )


class InstanceLock:
    """An exclusive, process-lifetime lock beside the database file."""

    def __init__(self, database: Path, command: str, *, zone: ZoneInfo = DEFAULT_ZONE) -> None:
        """The lock of `database` for `command`; its start time is written in `zone`."""
        self._zone = zone
        self.database = Path(database).resolve()
        self.path = Path(f"{self.database}.lock")
        self._command = command
        self._file: TextIO | None = None

    def acquire(self) -> None:
        """Take the lock, or fail at once saying who holds it.

        Raises:
            InstanceError: another process holds it, or the lock file cannot be written.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise InstanceError(f"{self.path}: cannot create the lock file: {exc}") from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise in_use(self.database, holder) from None
        handle.seek(0)
        handle.truncate()
        started = local_moment(datetime.now(UTC), self._zone, seconds=True)
        handle.write(f"tenderbot {self._command} (pid {os.getpid()}, since {started})\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Let the lock go (the kernel also does this when the process ends)."""
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
