"""The radar in the daemon: radar items for opted-in subscriptions, and news threaded under them.

A round compiles the contract records from the store and, for each subscription with
``radar = true``:

- queues one radar item per contract (never twice: `radar_items` remembers it) when the
  contract is on the radar (`bot.radar.windows.on_radar`, with the subscription's
  `radar_months`) and the subscription's rule sets match the prospective notice built from
  it; the item goes to the subscription's next digest time, in its own digest ("Contracts of
  your kind ending soon"), even for a subscription that gets other alerts one by one;
- queues a reply under an item already made when its contract is extended, ends, or its
  re-tender appears (a later planning or tender notice of the same buyer for the same kind
  of service): each once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import SubscriptionConfig
from bot.delivery.alerts import (
    RADAR,
    RADAR_ENDED,
    RADAR_EXTENDED,
    RADAR_MARK,
    RADAR_MODE,
    RADAR_RETENDER,
)
from bot.delivery.digests import DAILY, INSTANT, next_digest_time
from bot.delivery.formatting import format_money
from bot.delivery.outbox import Outbox
from bot.delivery.routing import Router
from bot.events import Event
from bot.radar.contracts import ACTIVE, ENDED, EXTENDED, ContractRecord
from bot.radar.selection import prospective_notice
from bot.radar.stored import store_records
from bot.radar.windows import Window, day, on_radar
from bot.store import Store
from bot.store.records import to_text
from sources.notice import Notice

log = logging.getLogger("tenderbot.radar")

ROUND_EVERY = timedelta(hours=1)
"""How often the radar looks again when no poll has stored anything new."""
SOONEST_AFTER_POLL = timedelta(minutes=10)
"""The radar compiles every stored contract: after a poll, at most this often."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RadarItem:
    """A radar item made for a subscription: what it said, and what has been told since."""

    subscription: str
    source: str
    ocid: str
    award_id: str
    title: str
    details: str
    status: str
    successor: str | None


def details_of(record: ContractRecord, shown: Window) -> str:
    """The line under a radar item's title: buyer, value a year, end, window, label, holder."""
    value = (
        f"{format_money(record.value_per_year, 'GBP')} a year"
        if record.value_per_year is not None
        else "value not stated"
    )
    end = record.initial_end or record.end
    holders = ", ".join(
        s.name + (" (VCSE)" if s.vcse else " (SME)" if s.sme else "") for s in record.suppliers
    )
    parts = [
        record.buyer or "buyer not stated",
        value,
        f"ends {day(end)}" if end else "end not stated",
        shown.text,
        shown.label,
    ]
    if holders:
        parts.append(f"held by {holders}")
    return " · ".join(parts)


class RadarQueue:
    """Makes radar items and their threaded news, through the store and the outbox."""

    def __init__(self, store: Store, outbox: Outbox) -> None:
        self._store = store
        self._db = store.db
        self._outbox = outbox
        self._last: datetime | None = None
        self.dirty = True
        """Something new was stored: the next round runs whatever the time."""

    def items(self, subscription: str | None = None) -> list[RadarItem]:
        """The radar items made (for one subscription, or all), oldest first."""
        query = "SELECT * FROM radar_items"
        args: tuple[str, ...] = ()
        if subscription is not None:
            query += " WHERE subscription = ?"
            args = (subscription,)
        rows = self._db.execute(query + " ORDER BY created_at, ocid, award_id", args)
        return [
            RadarItem(
                subscription=str(r["subscription"]),
                source=str(r["source"]),
                ocid=str(r["ocid"]),
                award_id=str(r["award_id"]),
                title=str(r["title"]),
                details=str(r["details"]),
                status=str(r["status"]),
                successor=r["successor"],
            )
            for r in rows
        ]

    def due(self, now: datetime) -> bool:
        """Whether a round should run now: after new data (at most every 10 minutes), or hourly."""
        if self._last is None:
            return True
        since = now - self._last
        return since >= ROUND_EVERY or (self.dirty and since >= SOONEST_AFTER_POLL)

    async def run(
        self,
        subscriptions: Sequence[SubscriptionConfig],
        router: Router,
        now: datetime,
        zone: ZoneInfo,
    ) -> int:
        """A round, the contracts compiled in a worker thread on a connection of its own.

        Compiling every stored contract takes about 0.2 ms a release (a year of Find a Tender:
        half a minute), so it never holds up the daemon's other work.
        """
        self.dirty, self._last = False, now
        if not any(s.radar for s in subscriptions):
            return 0
        if str(self._store.path) == ":memory:":
            records = store_records(self._store)
        else:
            records = await asyncio.to_thread(_records_of, self._store)
        return self.round(subscriptions, router, now, zone, records)

    def round(
        self,
        subscriptions: Sequence[SubscriptionConfig],
        router: Router,
        now: datetime,
        zone: ZoneInfo,
        records: list[ContractRecord] | None = None,
    ) -> int:
        """Queue new radar items and news under earlier ones; returns how many were queued.

        `records`: the contract records, already compiled (default: compiled here).
        """
        self.dirty, self._last = False, now
        opted = {s.name: s for s in subscriptions if s.radar}
        if not opted:
            return 0
        if records is None:
            records = store_records(self._store)
        made: dict[tuple[str, str, str], list[RadarItem]] = {}
        for item in self.items():
            if item.subscription in opted:
                made.setdefault((item.source, item.ocid, item.award_id), []).append(item)
        longest = max(s.radar_months for s in opted.values())
        queued = 0
        with self._store.transaction():
            for record in records:
                earlier = made.get((record.source, record.ocid, record.award_id), [])
                for item in earlier:
                    queued += self._news(item, record, opted[item.subscription], now)
                told = {item.subscription for item in earlier}
                if len(told) == len(opted) or on_radar(record, now, radar_months=longest) is None:
                    continue
                queued += self._new_items(record, opted, told, router, now, zone)
        if queued:
            log.info("radar: %d item(s) and update(s) queued", queued)
        return queued

    def _new_items(
        self,
        record: ContractRecord,
        opted: dict[str, SubscriptionConfig],
        told: set[str],
        router: Router,
        now: datetime,
        zone: ZoneInfo,
    ) -> int:
        current = self._store.notice(record.source, record.ocid)
        if current is None:
            return 0
        prospective = prospective_notice(record, now)
        probe = Event(
            id=0, kind=RADAR, notice=prospective, previous_release_id=None, created_at=now
        )
        queued = 0
        for route in router.route(probe, now):
            subscription = opted.get(route.subscription.name)
            if subscription is None or subscription.name in told:
                continue
            shown = on_radar(record, now, radar_months=subscription.radar_months)
            if shown is None:
                continue
            details = details_of(record, shown)
            self._db.execute(
                "INSERT INTO radar_items (subscription, source, ocid, award_id, title, details, "
                "status, successor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    subscription.name,
                    record.source,
                    record.ocid,
                    record.award_id,
                    record.title,
                    details,
                    record.status,
                    record.successor,
                    to_text(now),
                ),
            )
            mode = subscription.mode if subscription.mode != INSTANT else DAILY
            due = next_digest_time(mode, subscription.digest_at, zone, now, subscription.digest_day)
            queued += self._queue(
                RADAR,
                current,
                record,
                subscription,
                (record.title, details, *route.reasons),
                now,
                due,
                RADAR_MODE,
            )
        return queued

    def _news(
        self,
        item: RadarItem,
        record: ContractRecord,
        subscription: SubscriptionConfig,
        now: datetime,
    ) -> int:
        """Replies under `item` for what happened to its contract since it was made."""
        current = self._store.notice(record.source, record.ocid)
        if current is None:
            return 0
        queued = 0
        status = item.status
        if record.status == EXTENDED and item.status == ACTIVE:
            end = f"extended to {day(record.end)}" if record.end else "extended"
            queued += self._queue(
                RADAR_EXTENDED, current, record, subscription, (record.title, end), now
            )
            status = EXTENDED
        if record.status == ENDED and item.status != ENDED:
            when = f"ended {day(record.ended)}" if record.ended else "ended"
            queued += self._queue(
                RADAR_ENDED, current, record, subscription, (record.title, when), now
            )
            status = ENDED
        successor = item.successor
        if record.successor is not None and item.successor is None:
            found = self._store.notice(record.source, record.successor)
            if found is not None:
                what = f"{found.stage_label}: {found.title}"
                queued += self._queue(
                    RADAR_RETENDER,
                    current,
                    record,
                    subscription,
                    (record.title, what, found.url or ""),
                    now,
                )
            successor = record.successor
        if (status, successor) != (item.status, item.successor):
            self._db.execute(
                "UPDATE radar_items SET status = ?, successor = ? WHERE subscription = ? "
                "AND source = ? AND ocid = ? AND award_id = ?",
                (status, successor, item.subscription, item.source, item.ocid, item.award_id),
            )
        return queued

    def _queue(
        self,
        kind: str,
        current: Notice,
        record: ContractRecord,
        subscription: SubscriptionConfig,
        reasons: tuple[str, ...],
        now: datetime,
        due: datetime | None = None,
        mode: str = INSTANT,
    ) -> int:
        event_id = self._store.add_event(kind, current, now)
        marked = _marked(current, record)
        event = Event(
            id=event_id, kind=kind, notice=marked, previous_release_id=None, created_at=now
        )
        added = self._outbox.enqueue(
            event,
            subscription=subscription.name,
            channel=subscription.channel,
            reasons=reasons,
            now=now,
            due_at=due or now,
            mode=mode,
        )
        return int(added)


def _records_of(main: Store) -> list[ContractRecord]:
    """The contract records of `main`'s database, read on a connection of their own."""
    store = main.another()
    try:
        return store_records(store)
    finally:
        store.close()


def _marked(notice: Notice, record: ContractRecord) -> Notice:
    """The notice with the contract's award id joined to its release id (see `RADAR_MARK`)."""
    return replace(notice, release_id=f"{notice.release_id}{RADAR_MARK}{record.award_id}")
