"""Delivery: take due alerts from the outbox, hand them to each channel's notifier, record them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.alerts import Alert
from bot.config import ChannelConfig
from bot.notifiers import SendError
from bot.outbox import Outbox
from sources.clock import Clock

log = logging.getLogger("tenderbot.deliver")


class Notifier(Protocol):
    """Sends one alert to one channel."""

    async def send(self, alert: Alert, *, now: datetime) -> None:
        """Deliver `alert`.

        Raises:
            SendError: the send failed.
        """
        ...


@dataclass(slots=True, kw_only=True)
class DeliveryResult:
    """What one delivery round did."""

    sent: int = 0
    failed: int = 0
    waiting: dict[str, str] = field(default_factory=dict)


async def deliver_due(
    channels: tuple[ChannelConfig, ...],
    notifiers: dict[str, Notifier],
    outbox: Outbox,
    clock: Clock,
) -> DeliveryResult:
    """Send every due alert to every channel that has a notifier.

    A channel whose kind has no notifier in this version keeps its alerts in the outbox,
    reported under `waiting`, so nothing is lost when delivery for it arrives.
    """
    result = DeliveryResult()
    for channel in channels:
        notifier = notifiers.get(channel.name)
        if notifier is None:
            depth = outbox.depth().pending.get(channel.name, 0)
            if depth:
                why = f"{channel.kind} delivery is not available in this version"
                result.waiting[channel.name] = why
                log.warning("%s: %s; %d alert(s) kept in the outbox", channel.name, why, depth)
            continue
        for alert in outbox.due(channel.name, clock.now()):
            try:
                await notifier.send(alert, now=clock.now())
            except SendError as exc:
                result.failed += 1
                log.error("%s: alert %d not sent: %s", channel.name, alert.outbox_id, exc)
                break
            outbox.mark_sent(alert.outbox_id, clock.now())
            result.sent += 1
    return result
