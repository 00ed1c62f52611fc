"""Closing-soon reminders: a nudge N days before the deadline of notices already alerted."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import SubscriptionConfig
from bot.delivery.alerts import CLOSING, NEW, UPDATED
from bot.delivery.digests import due_time
from bot.delivery.outbox import Outbox
from bot.delivery.outbox_counts import SENT
from bot.events import Event
from bot.store import Store, to_text
from sources.notice import STAGES_OPEN

OPEN_STAGES = tuple(sorted(STAGES_OPEN))
OPEN_MARKS = ", ".join("?" for _ in OPEN_STAGES)


def queue_reminders(
    subscriptions: tuple[SubscriptionConfig, ...],
    store: Store,
    outbox: Outbox,
    now: datetime,
    zone: ZoneInfo,
) -> int:
    """Queue one reminder per alerted, still-open notice whose deadline is near.

    Returns:
        How many reminders were queued.
    """
    by_name = {s.name: s for s in subscriptions if s.remind_days > 0}
    if not by_name:
        return 0
    furthest = now + timedelta(days=max(s.remind_days for s in by_name.values()))
    # One query a round, driven by the deadline index (CROSS JOIN keeps SQLite from starting
    # at the outbox's status index instead): its cost depends on how many notices close
    # soon, never on how long the outbox history is.
    rows = store.db.execute(
        "SELECT DISTINCT o.subscription, o.source, o.notice_id FROM notices n CROSS JOIN outbox o "
        "ON o.source = n.source AND o.notice_id = n.id "
        f"WHERE n.deadline > ? AND n.deadline <= ? AND n.stage IN ({OPEN_MARKS}) "
        "AND o.status = ? AND o.kind IN (?, ?) "
        "AND NOT EXISTS (SELECT 1 FROM outbox r WHERE r.subscription = o.subscription "
        "AND r.source = o.source AND r.notice_id = o.notice_id AND r.kind = ?)",
        (to_text(now), to_text(furthest), *OPEN_STAGES, SENT, NEW, UPDATED, CLOSING),
    ).fetchall()
    queued = 0
    for row in rows:
        subscription = by_name.get(str(row["subscription"]))
        if subscription is None:
            continue
        horizon = now + timedelta(days=subscription.remind_days)
        notice = store.notice(row["source"], row["notice_id"])
        if notice is None or not notice.is_open_stage or notice.deadline is None:
            continue
        if not now < notice.deadline <= horizon:
            continue
        with store.transaction():
            event_id = store.add_event(CLOSING, notice, now)
            event = Event(
                id=event_id,
                kind=CLOSING,
                notice=notice,
                previous_release_id=None,
                created_at=now,
            )
            queued += outbox.enqueue(
                event,
                subscription=subscription.name,
                channel=subscription.channel,
                reasons=(f"deadline within {subscription.remind_days} days",),
                now=now,
                due_at=due_time(
                    subscription.mode, subscription.digest_at, zone, now, subscription.digest_day
                ),
                mode=subscription.mode,
            )
    return queued
