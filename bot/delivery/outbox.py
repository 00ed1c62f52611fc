"""The outbox: one durable row per (subscription, notice, event kind, release) to deliver.

Rows are written in the same transaction as the notices that caused them, and a unique key
makes queuing idempotent, so re-polling or restarting never queues an alert twice. Delivery
marks each row sent right after its send: at-least-once, with at most one repeat if the
process dies between a send and its record. Failed sends are rescheduled here; channels that
can no longer be reached are paused here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.delivery.alerts import CLOSING, NEW, RADAR, RADAR_FOLLOW_UPS, RADAR_MARK, UPDATED, Alert
from bot.delivery.channel_state import ChannelStates
from bot.delivery.outbox_counts import FAILED, PENDING, SENT, OutboxCounts
from bot.events import Event
from bot.mirrors import Mirrors
from bot.store import Store, from_text, to_text
from bot.store.connection import POSTGRESQL
from bot.store.instances import INSTANCE_LEASE, Instance, keep_alive
from sources.notice import Notice

SUPERSEDED = "superseded"
"""Never sent: the notice closed before its first alert went out."""
CLAIM_LEASE = INSTANCE_LEASE
"""Written beside a claim for the record; a claim lasts as long as its instance's lease."""
_CLAIMABLE = (
    "SELECT o.id, o.kind, o.subscription, o.channel, o.source, o.notice_id, "
    "o.release_id, o.reasons, o.mode, o.tier, e.previous_release_id FROM outbox o "
    "JOIN events e ON e.id = o.event_id "
    "WHERE o.channel = ? AND o.status = ? AND o.due_at <= ? "
    "AND (o.claimed_by IS NULL OR NOT EXISTS (SELECT 1 FROM instances i "
    "WHERE i.id = o.claimed_by AND i.lease_until > ?)) "
)
"""Rows of a channel that are due and claimed by no live instance (channel, status, now, now)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Claimed:
    """The alerts one claim took for a channel."""

    alerts: tuple[Alert, ...]
    full: bool
    """The claim took as many rows as it was allowed: more may be due."""


class Outbox(ChannelStates, OutboxCounts):
    """Queue and deliver alerts through the store's connection."""

    def __init__(
        self,
        store: Store,
        *,
        redact: Callable[[str], str] = str,
        on_queued: Callable[[str], None] | None = None,
        instance: Instance | None = None,
    ) -> None:
        """Deliver through `store`.

        `redact` masks secrets in every error text it records; `on_queued(channel)` hears of
        each alert queued (for metrics); claims belong to `instance` (see
        `bot.store.instances`; by default a new one for this process).
        """
        self._store = store
        self._db = store.db
        self._redact = redact
        self._on_queued = on_queued
        self.instance = instance or Instance.this_process("outbox", datetime.now(UTC))
        self.claimer = self.instance.id

    def enqueue(
        self,
        event: Event,
        *,
        subscription: str,
        channel: str,
        reasons: tuple[str, ...],
        now: datetime,
        due_at: datetime | None = None,
        mode: str = "instant",
        tier: str = "match",
    ) -> bool:
        """Queue `event` for a subscription (call inside the store's transaction).

        An `updated` event for a notice the subscription was never told about is queued as
        `new`, so nobody receives an update about something they never saw.

        Returns:
            True if a row was added, False if an identical one was already queued.
        """
        kind = event.kind
        if kind == UPDATED and not self._was_queued(subscription, event):
            kind = NEW
        elif kind == UPDATED and self._told_of_release(subscription, event):
            # An older release merged in late changed the record of a release this
            # subscription already has: there is no newer release to tell it about.
            return False
        cursor = self._db.execute(
            "INSERT INTO outbox (subscription, channel, event_id, source, notice_id, "
            "kind, release_id, due_at, created_at, reasons, mode, tier) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                subscription,
                channel,
                event.id,
                event.notice.source,
                event.notice.id,
                kind,
                event.notice.release_id,
                to_text(due_at or now),
                to_text(now),
                json.dumps(list(reasons)),
                mode,
                tier,
            ),
        )
        added = cursor.rowcount == 1
        if added and self._on_queued is not None:
            self._on_queued(channel)
        return added

    def _was_queued(self, subscription: str, event: Event) -> bool:
        return self.was_told(subscription, event.notice.source, event.notice.id)

    def _told_of_release(self, subscription: str, event: Event) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM outbox WHERE subscription = ? AND source = ? AND notice_id = ? "
            "AND release_id = ? AND kind IN (?, ?) AND status IN (?, ?)",
            (
                subscription,
                event.notice.source,
                event.notice.id,
                event.notice.release_id,
                NEW,
                UPDATED,
                PENDING,
                SENT,
            ),
        ).fetchone()
        return row is not None

    def was_told(self, subscription: str, source: str, notice_id: str) -> bool:
        """Whether `subscription` was sent (or has queued) an alert about this notice."""
        row = self._db.execute(
            "SELECT 1 FROM outbox WHERE subscription = ? AND source = ? AND notice_id = ? "
            "AND kind NOT IN (?, ?, ?, ?, ?) AND status IN (?, ?)",
            (subscription, source, notice_id, CLOSING, RADAR, *RADAR_FOLLOW_UPS, PENDING, SENT),
        ).fetchone()
        return row is not None

    def due(self, channel: str, now: datetime, *, limit: int = 1000) -> list[Alert]:
        """Claim the pending alerts for `channel` that are due at `now`, oldest first.

        The alerts of `claim` (see there), for callers that need not know whether more wait.

        Raises:
            sqlite3.Error: the claim could not be written.
        """
        return list(self.claim(channel, now, limit=limit).alerts)

    def claim(self, channel: str, now: datetime, *, limit: int = 1000) -> Claimed:
        """Claim at most `limit` pending rows for `channel` that are due at `now`, oldest first.

        A full claim also takes the due rows past its limit that fold into one of its alerts
        (an update to a notice whose first alert it holds), so a notice is never told of twice
        because a batch ended between its rows.

        Claiming is one write transaction, which also renews this instance's lease: a row
        claimed by one instance is skipped by every other until it is recorded as sent or
        failed, or released, or the lease of the instance that claimed it has expired (it
        stopped renewing: it died). So even two processes on one database never send one
        alert twice. If the database cannot be written, this raises and nothing is sent.

        Raises:
            sqlite3.Error: the claim could not be written.
        """
        with self._store.transaction():
            keep_alive(self._db, self.instance, now)
            rows = self._db.execute(
                _CLAIMABLE + "ORDER BY o.id LIMIT ?" + self._skip_locked(),
                (channel, PENDING, to_text(now), to_text(now), limit),
            ).fetchall()
            full = len(rows) == limit
            if full:
                rows += self._folded_beyond(rows, channel, now)
            self._db.executemany(
                "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                [(self.claimer, to_text(now + CLAIM_LEASE), row["id"]) for row in rows],
            )
        groups: dict[tuple[str, ...], list[Any]] = {}
        for row in rows:
            foldable = row["kind"] in (NEW, UPDATED)
            key = (row["subscription"], row["source"], row["notice_id"])
            groups.setdefault(key if foldable else (*key, str(row["id"])), []).append(row)
        alerts: list[Alert] = []
        superseded: list[int] = []
        for group in groups.values():
            alert = self._alert(group)
            if alert is None:
                superseded.extend(int(row["id"]) for row in group)
            else:
                alerts.append(alert)
        if superseded:
            with self._store.transaction():
                self._db.executemany(
                    "UPDATE outbox SET status = ?, claimed_by = NULL, claimed_until = NULL "
                    "WHERE id = ?",
                    [(SUPERSEDED, i) for i in superseded],
                )
        return Claimed(alerts=tuple(alerts), full=full)

    def _skip_locked(self) -> str:
        """PostgreSQL: rows another session is claiming are skipped, not waited for."""
        return " FOR UPDATE OF o SKIP LOCKED" if self._store.backend == POSTGRESQL else ""

    def _folded_beyond(self, rows: list[Any], channel: str, now: datetime) -> list[Any]:
        """Due rows past a full claim's last that fold into an alert of the claim.

        A first alert and an update about one notice due together are one message about its
        latest version, wherever the claim's limit falls between them: otherwise the batch
        would send the first version and the next batch the update, in two digests.
        """
        last = max(int(row["id"]) for row in rows)
        keys = {
            (str(row["subscription"]), str(row["source"]), str(row["notice_id"]))
            for row in rows
            if row["kind"] in (NEW, UPDATED)
        }
        more: list[Any] = []
        for subscription, source, notice_id in sorted(keys):
            more += self._db.execute(
                _CLAIMABLE + "AND o.id > ? AND o.kind IN (?, ?) AND o.subscription = ? "
                "AND o.source = ? AND o.notice_id = ? ORDER BY o.id" + self._skip_locked(),
                (
                    channel,
                    PENDING,
                    to_text(now),
                    to_text(now),
                    last,
                    NEW,
                    UPDATED,
                    subscription,
                    source,
                    notice_id,
                ),
            ).fetchall()
        return sorted(more, key=lambda row: int(row["id"]))

    def _alert(self, group: list[Any]) -> Alert | None:
        """One alert for rows about one notice, at its latest version; None if superseded.

        A first alert about a notice that has closed since it was queued (awarded, cancelled,
        or ended before the alert went out) tells nobody anything useful: it is superseded.
        """
        first, last = group[0], group[-1]
        source, notice_id = str(first["source"]), str(first["notice_id"])
        release_id = str(last["release_id"]).partition(RADAR_MARK)[0]
        notice = self._store.notice(source, notice_id, release_id)
        if notice is None:
            return None
        if first["kind"] == NEW:
            current = self._store.notice(source, notice_id)
            if current is not None and not current.is_open_stage:
                return None
        previous = None
        if first["previous_release_id"]:
            previous = self._store.notice(source, notice_id, first["previous_release_id"])
        return Alert(
            outbox_id=int(first["id"]),
            merged_ids=tuple(int(row["id"]) for row in group[1:]),
            kind=str(first["kind"]),
            subscription=str(first["subscription"]),
            channel=str(first["channel"]),
            notice=notice,
            reasons=_reasons(last["reasons"]) or _reasons(first["reasons"]),
            previous=previous,
            reply_to=self._reply_to(first),
            mode=str(first["mode"]),
            tier=str(last["tier"]),
            also=self._copies(notice),
            radar_award=str(last["release_id"]).partition(RADAR_MARK)[2] or None,
        )

    def _copies(self, notice: Notice) -> tuple[str, ...]:
        """Links to the same tender on other sources (see `bot.mirrors`)."""
        links: list[str] = []
        for source, notice_id in Mirrors(self._store).copies_of(notice.source, notice.id):
            copy = self._store.notice(source, notice_id)
            if copy is None:
                continue
            for url in (copy.url, copy.portal_url):
                if url and url not in (notice.url, notice.portal_url) and url not in links:
                    links.append(url)
        return tuple(links)

    def _reply_to(self, row: Any) -> str | None:
        """The message an alert replies to: the first about its notice (or radar item)."""
        kind = str(row["kind"])
        if kind in (NEW, RADAR):
            return None
        if kind in RADAR_FOLLOW_UPS:
            item = str(row["release_id"]).partition(RADAR_MARK)[2]
            return self._first_message(
                row["subscription"], row["source"], row["notice_id"], RADAR, item
            )
        return self._first_message(row["subscription"], row["source"], row["notice_id"])

    def _first_message(
        self,
        subscription: str,
        source: str,
        notice_id: str,
        kind: str = NEW,
        radar_item: str | None = None,
    ) -> str | None:
        rows = self._db.execute(
            "SELECT message_ref, release_id FROM outbox WHERE subscription = ? AND source = ? "
            "AND notice_id = ? AND kind = ? AND status = ? AND message_ref IS NOT NULL "
            "ORDER BY id",
            (subscription, source, notice_id, kind, SENT),
        )
        for row in rows:
            if radar_item is None or str(row[1]).endswith(RADAR_MARK + radar_item):
                return str(row[0])
        return None

    def mark_sent(self, outbox_ids: Sequence[int], now: datetime, ref: str | None = None) -> None:
        """Record that alerts were delivered, with the message's reference for replies."""
        with self._store.transaction():
            self._db.executemany(
                "UPDATE outbox SET status = ?, sent_at = ?, attempts = attempts + 1, "
                "last_error = NULL, message_ref = ?, claimed_by = NULL, claimed_until = NULL "
                "WHERE id = ?",
                [(SENT, to_text(now), ref, i) for i in outbox_ids],
            )

    def retry_later(self, outbox_ids: Sequence[int], error: str, due_at: datetime) -> None:
        """Count a failed attempt and schedule the next one."""
        with self._store.transaction():
            self._db.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, due_at = ?, "
                "claimed_by = NULL, claimed_until = NULL WHERE id = ?",
                [(self._redact(error), to_text(due_at), i) for i in outbox_ids],
            )

    def mark_failed(self, outbox_ids: Sequence[int], error: str) -> None:
        """Give up on alerts the service will never accept (the error says why)."""
        with self._store.transaction():
            self._db.executemany(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, "
                "claimed_by = NULL, claimed_until = NULL WHERE id = ?",
                [(FAILED, self._redact(error), i) for i in outbox_ids],
            )

    def release(self, outbox_ids: Sequence[int]) -> None:
        """Give back these rows if this outbox still holds them unfinished (and only those).

        A channel's worker gives back what it claimed but did not send; the claims other
        channels hold meanwhile stay theirs.
        """
        with self._store.transaction():
            self._db.executemany(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL "
                "WHERE id = ? AND claimed_by = ? AND status = ?",
                [(i, self.claimer, PENDING) for i in outbox_ids],
            )

    def next_due_at(self, channel: str, now: datetime) -> datetime | None:
        """When the next pending row for `channel` falls due after `now` (None: none waits)."""
        row = self._db.execute(
            "SELECT MIN(due_at) FROM outbox WHERE status = ? AND due_at > ? AND channel = ?",
            (PENDING, to_text(now), channel),
        ).fetchone()
        return from_text(row[0]) if row and row[0] else None

    def requeue_failed(self, now: datetime, channel: str | None = None) -> int:
        """Put alerts a service refused back in the queue, due now; how many were re-queued."""
        query = "UPDATE outbox SET status = ?, due_at = ?, last_error = NULL WHERE status = ?"
        args: tuple[object, ...] = (PENDING, to_text(now), FAILED)
        if channel is not None:
            query += " AND channel = ?"
            args += (channel,)
        with self._store.transaction():
            cursor = self._db.execute(query, args)
        return cursor.rowcount


def _reasons(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    try:
        data = json.loads(text)
    except ValueError:
        return ()
    return tuple(str(r) for r in data) if isinstance(data, list) else ()
