"""The admin channel: one message when something needs the admin, and one when it recovers.

Problems are worked out from the store after every poll and every minute: a source that
has failed `admin_after` passes in a row, a source that has returned no notice for longer
than its `quiet_after`, a paused channel, a refused rule file. Each is remembered in the
store (`admin_problems`), so it is told once however many attempts fail and however often
the daemon restarts; when it clears, the admin hears that too. A message that cannot be
sent now is tried again next time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Config
from bot.delivery.notifiers import Notifier, SendError
from bot.delivery.outbox import Outbox
from bot.durations import format_duration
from bot.store import Store, to_text

log = logging.getLogger("tenderbot.admin")


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the admin should know about, under a stable key."""

    key: str
    message: str


def current_problems(
    config: Config, store: Store, outbox: Outbox, refused_rules: dict[str, str], now: datetime
) -> list[Problem]:
    """What is wrong now."""
    problems: list[Problem] = []
    for source in config.sources:
        if not source.enabled:
            continue
        state = store.source_state(source.name)
        if state.consecutive_failures >= config.bot.admin_after:
            problems.append(
                Problem(
                    f"source:{source.name}:failing",
                    f"source {source.name} has failed {state.consecutive_failures} polls in a "
                    f"row: {state.last_error}",
                )
            )
        quiet = source.quiet_after
        since = state.last_notices_at or state.last_success
        if quiet is not None and since is not None and now - since > quiet:
            problems.append(
                Problem(
                    f"source:{source.name}:quiet",
                    f"source {source.name} has returned no notice for "
                    f"{format_duration(now - since)} (expected within {format_duration(quiet)})",
                )
            )
    for channel, reason in outbox.paused().items():
        problems.append(
            Problem(f"channel:{channel}:paused", f"channel {channel} is paused: {reason}")
        )
    for ref, error in refused_rules.items():
        problems.append(
            Problem(
                f"rules:{ref}", f"rule file {ref} was refused (the previous version stays): {error}"
            )
        )
    return problems


class AdminNotices:
    """Tells the admin channel of new problems and recoveries, once each."""

    def __init__(
        self, store: Store, notifier: Notifier, redact: Callable[[str], str] = str
    ) -> None:
        self._store = store
        self._notifier = notifier
        self._redact = redact

    async def update(self, problems: list[Problem], now: datetime) -> int:
        """Record `problems` and send what the admin has not been told yet; messages sent."""
        db = self._store.db
        known = {
            str(row[0]): bool(row[1])
            for row in db.execute("SELECT key, notified FROM admin_problems")
        }
        current = {p.key: p for p in problems}
        with self._store.transaction():
            for problem in problems:
                if problem.key not in known:
                    db.execute(
                        "INSERT INTO admin_problems (key, message, since) VALUES (?, ?, ?)",
                        (problem.key, self._redact(problem.message), to_text(now)),
                    )
                    known[problem.key] = False
        sent = 0
        for key, notified in known.items():
            if key in current and not notified:
                text = f"⚠ {self._redact(current[key].message)}"
                if await self._send(text, now):
                    with self._store.transaction():
                        db.execute("UPDATE admin_problems SET notified = 1 WHERE key = ?", (key,))
                    sent += 1
            elif key not in current:
                row = db.execute(
                    "SELECT message FROM admin_problems WHERE key = ?", (key,)
                ).fetchone()
                if notified and not await self._send(f"✓ recovered: {row[0]}", now):
                    continue
                sent += int(notified)
                with self._store.transaction():
                    db.execute("DELETE FROM admin_problems WHERE key = ?", (key,))
        return sent

    async def _send(self, text: str, now: datetime) -> bool:
        try:
            await self._notifier.send_admin(text, now=now)
        except SendError as exc:
            log.warning("admin channel: message not sent (%s); trying again within a minute", exc)
            return False
        return True
