"""What people said of an alert ("Useful" / "Not for us"), and why it matched ("Why?")."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from bot.chat.store import NOT_FOR_US, USEFUL, VERDICTS, ChatStore, FeedbackRow, parse_chat_key
from bot.config import Config
from bot.delivery.why import full_why
from bot.store import Store

THANKS = {USEFUL: "Thanks: noted as useful.", NOT_FOR_US: "Thanks: noted as not for you."}

Feedback = Callable[[int, str, str, str], str]
"""What a listener calls on a button press: (alert id, chat, voter, verdict) -> the reply."""


def record_feedback(
    store: Store,
    config: Config,
    *,
    outbox_id: int,
    chat: str,
    voter: str,
    verdict: str,
    now: datetime,
) -> str:
    """Record one person's verdict on the alert `outbox_id`, pressed in `chat`; the reply.

    The alert must have been sent to that chat: a forged or stale button changes nothing.
    """
    if verdict not in VERDICTS:
        return "That button is not one of tenderbot's."
    row = store.db.execute(
        "SELECT subscription, channel, source, notice_id, reasons FROM outbox WHERE id = ?",
        (outbox_id,),
    ).fetchone()
    if row is None or not _sent_to(config, str(row["channel"]), chat):
        return "Sorry, I can't find that alert in this chat any more."
    subscriptions = {s.name: s for s in config.subscriptions}
    subscription = subscriptions.get(str(row["subscription"]))
    notice = store.notice(str(row["source"]), str(row["notice_id"]))
    ChatStore(store).record_feedback(
        FeedbackRow(
            outbox_id=outbox_id,
            voter=voter,
            verdict=verdict,
            subscription=str(row["subscription"]),
            rule_sets=subscription.rules if subscription else (),
            source=str(row["source"]),
            notice_id=str(row["notice_id"]),
            title=notice.title if notice else str(row["notice_id"]),
            reasons=tuple(json.loads(row["reasons"] or "[]")),
            at=now,
        )
    )
    return THANKS[verdict]


def explain_alert(store: Store, config: Config, *, outbox_id: int, chat: str) -> str:
    """Every reason the alert `outbox_id` matched, grouped, as the reply to its "Why?" button.

    Only in a chat the alert was sent to: a forged or stale button learns nothing.
    """
    row = store.db.execute(
        "SELECT channel, source, notice_id, reasons FROM outbox WHERE id = ?", (outbox_id,)
    ).fetchone()
    if row is None or not _sent_to(config, str(row["channel"]), chat):
        return "Sorry, I can't find that alert in this chat any more."
    notice = store.notice(str(row["source"]), str(row["notice_id"]))
    title = notice.title if notice else str(row["notice_id"])
    lines = full_why(tuple(json.loads(row["reasons"] or "[]")))
    if not lines:
        return f"“{title}”: no reasons were recorded (its subscription takes every open notice)."
    return f"Why “{title}” matched:\n" + "\n".join(f"• {line}" for line in lines)


def _sent_to(config: Config, channel_name: str, chat: str) -> bool:
    """Whether alerts of the channel called `channel_name` go to `chat`."""
    parsed = parse_chat_key(channel_name)
    if parsed is not None:  # a chat's own channel, served or paused
        return parsed[1] == chat
    channel = next((c for c in config.channels if c.name == channel_name), None)
    return channel is not None and chat in (channel.chat_id, channel.channel)
