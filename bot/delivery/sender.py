"""Delivery: take due alerts from the outbox, pace them, send them, and record what happened.

Every channel (each chat subscription is a channel of its own) is delivered by its own task,
all at once, each paced to its own service's limits (see `pacing`): one channel's backlog,
slowness or failures never hold up another. A channel claims its due alerts in batches and
gives back what it did not send (only its own claims), holding them no longer than its lease
vouches for them with room to spare; the daemon runs a worker per channel
(`bot.delivery.workers`), one-pass commands call `Sender.deliver`. A retryable failure holds
that channel back, with capped exponential backoff and jitter over its failures in a row (or
exactly as long as the service said); a channel that can no longer be reached is paused
instead of retried forever; a message the service refuses outright is recorded as failed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.config import ChannelConfig
from bot.delivery.alerts import POSSIBLE, RADAR, RADAR_DIGEST_TITLE, RADAR_MODE, Alert, Digest
from bot.delivery.digests import INSTANT
from bot.delivery.notifiers import Notifier, SendError
from bot.delivery.outbox import Outbox
from bot.delivery.pacing import Pacer
from bot.store.instances import INSTANCE_LEASE
from sources.clock import Clock

log = logging.getLogger("tenderbot.deliver")

DIGEST_TITLES = {
    "catchup": "Catch-up: recent notices you asked for",
    RADAR_MODE: RADAR_DIGEST_TITLE,
}
CLAIM_BATCH_ROWS = 200
"""Rows one claim takes for a channel (more when `max_instant` needs more to decide)."""
CLAIM_HOLD = INSTANCE_LEASE / 2
"""How long a batch holds its claims before what is left is given back and claimed again: well
inside the lease (renewed by that claim and by the heartbeat) that vouches for them. Checked
before each alert and before each digest, never between the parts of one digest."""
RETRY_BASE_SECONDS = 30.0
RETRY_CAP_SECONDS = 90.0
"""A recovered service is noticed within a minute and a half, however long it was down: no
wait, jitter included, is ever longer."""
RETRY_JITTER = 0.25
"""Waits are spread over the last quarter below their doubling step, so channels that failed
together do not all retry in the same second."""


@dataclass(slots=True, kw_only=True)
class DeliveryResult:
    """What one delivery pass (or batch) did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    paused: dict[str, str] = field(default_factory=dict)


def retry_delay(attempts: int, rng: random.Random) -> float:
    """Seconds before the next try after `attempts` failures: doubling, jittered, capped.

    The jitter takes up to a quarter off the step, so the result is never more than
    `RETRY_CAP_SECONDS` (nor more than the doubling step).
    """
    doublings = min(max(0, attempts - 1), 64)  # a day's outage is ~1,000 failures in a row
    step = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2.0**doublings)
    return step * (1 - rng.uniform(0, RETRY_JITTER))


class Sender:
    """Delivers due alerts for every channel that has a notifier."""

    def __init__(
        self,
        channels: Sequence[ChannelConfig],
        notifiers: dict[str, Notifier],
        outbox: Outbox,
        clock: Clock,
        *,
        max_instant: int = 20,
        pacer: Pacer | None = None,
        rng: random.Random | None = None,
        on_outcome: Callable[[str, str, int], None] | None = None,
        on_gone: Callable[[str, str], bool] | None = None,
        may_send: Callable[[], bool] | None = None,
    ) -> None:
        """Deliver for `channels` through their `notifiers`.

        `on_outcome(channel, outcome, count)` hears of alerts sent, retried and refused;
        `on_gone(channel, reason)` may take over a channel that can no longer be reached
        (returns True: it is handled, so it is not paused here). `may_send()` is asked
        before every send: False (this instance no longer leads) stops delivery at once.
        """
        self._may_send = may_send or (lambda: True)
        self._on_gone = on_gone or (lambda channel, reason: False)
        self.channels = channels
        """The channels delivered to (the app replaces them when chats change)."""
        self._notifiers = notifiers
        self._outbox = outbox
        self._clock = clock
        self._max_instant = max_instant
        self._catching_up: set[str] = set()
        """Channels whose catch-up goes on in the next batch (it was more than a batch)."""
        self.pacer = pacer or Pacer(clock)
        """Paces every send (a benchmark may put in a faster one)."""
        self._rng = rng or random.Random()
        self._on_outcome = on_outcome or (lambda channel, outcome, count: None)

    async def deliver(self) -> DeliveryResult:
        """Send everything that is due, every channel at once, each at its own pace.

        One pass (the `poll` and `import` commands): each channel claims and sends batch
        after batch until nothing more is due for it. The daemon serves each channel on its
        own instead (see `bot.delivery.workers`).

        Raises:
            sqlite3.Error: the database cannot record a claim or a send; nothing more is sent.
        """
        result = DeliveryResult()
        ready: list[tuple[ChannelConfig, Notifier]] = []
        for channel in self.channels:
            if not self._may_send():
                break
            notifier = self._ready(channel, result)
            if notifier is not None:
                ready.append((channel, notifier))
        # One task per channel; a database error in one stops them all (nothing more is sent
        # that could not be recorded) and is raised here.
        try:
            async with asyncio.TaskGroup() as tasks:
                for channel, notifier in ready:
                    tasks.create_task(self._drain(channel, notifier, result))
        except BaseExceptionGroup as group:
            raise group.exceptions[0] from None
        return result

    async def deliver_channel(self, name: str) -> bool:
        """Send one batch of what is due for the channel called `name`; whether more may be.

        True when the batch stopped before everything due was sent (it claimed as many rows
        as it may, or held its claims as long as it may): call again at once. False when
        nothing was due, the channel is paused or backing off, or this instance may not send.

        Raises:
            sqlite3.Error: the database cannot record a claim or a send; nothing more is sent.
            Exception: a bug met while sending (the batch's unsent claims are given back):
                the caller logs it and tells /healthz.
        """
        channel = next((c for c in self.channels if c.name == name), None)
        if channel is None or not self._may_send():
            return False
        notifier = self._ready(channel, DeliveryResult())
        if notifier is None:
            return False
        return await self._deliver_batch(channel, notifier, DeliveryResult())

    def _ready(self, channel: ChannelConfig, result: DeliveryResult) -> Notifier | None:
        """The channel's notifier if it may be sent to now (not paused, not backing off)."""
        state = self._outbox.channel_state(channel.name)
        if state.paused_reason:
            result.paused[channel.name] = state.paused_reason
            return None
        if state.retry_at is not None and self._clock.now() < state.retry_at:
            return None
        return self._notifiers.get(channel.name)

    async def _drain(
        self, channel: ChannelConfig, notifier: Notifier, result: DeliveryResult
    ) -> None:
        """Send batch after batch for one channel until what is due is sent or it must stop."""
        while await self._batch_guarded(channel, notifier, result):
            pass

    async def _batch_guarded(
        self, channel: ChannelConfig, notifier: Notifier, result: DeliveryResult
    ) -> bool:
        """One batch for one channel; a bug met there is logged and leaves the others running."""
        try:
            return await self._deliver_batch(channel, notifier, result)
        except sqlite3.Error:
            raise
        except Exception:  # a job boundary: this channel tries again later
            log.exception("%s: delivery failed unexpectedly", channel.name)
            return False

    async def _deliver_batch(
        self, channel: ChannelConfig, notifier: Notifier, result: DeliveryResult
    ) -> bool:
        """Claim a batch for `channel`, send it, give back what was not sent; whether more waits.

        Claims are held only while this instance's lease vouches for them with room to spare
        (`CLAIM_HOLD`): past that, what is left is given back and claimed again, which also
        renews the lease.
        """
        claimed_at = self._clock.now()
        claimed = self._outbox.claim(
            channel.name, claimed_at, limit=max(CLAIM_BATCH_ROWS, self._max_instant + 1)
        )
        held = {i for alert in claimed.alerts for i in alert.ids}
        try:
            done = await self._send_batch(
                channel, notifier, list(claimed.alerts), held, claimed_at, result
            )
        finally:
            if held:
                try:
                    self._outbox.release(sorted(held))
                except sqlite3.Error:
                    log.debug("could not release claims; their lease expires on its own")
        if done is None:
            return False  # the channel stopped: paused, backing off, or no longer ours to send
        more = claimed.full or not done
        if not more:
            self._catching_up.discard(channel.name)
        return more

    def _serves(self, name: str) -> bool:
        """Whether `name` is still a channel to deliver to (a chat that paused or left is not)."""
        return any(channel.name == name for channel in self.channels)

    def _held_too_long(self, claimed_at: datetime) -> bool:
        return self._clock.now() - claimed_at >= CLAIM_HOLD

    async def _send_batch(
        self,
        channel: ChannelConfig,
        notifier: Notifier,
        due: list[Alert],
        held: set[int],
        claimed_at: datetime,
        result: DeliveryResult,
    ) -> bool | None:
        """Send claimed alerts, dropping each recorded id from `held`.

        Returns True when all were dealt with, False when the claims were held too long and
        the rest is left to be claimed again, None when the channel must stop for now (paused,
        backing off, no longer ours to send, or no longer a channel: a chat paused or left
        while its batch was under way hears nothing more).
        """
        instant = [a for a in due if a.mode == INSTANT]
        digests: dict[str, list[Alert]] = {}
        for alert in due:
            if alert.mode != INSTANT:
                title = DIGEST_TITLES.get(alert.mode, f"{alert.mode.capitalize()} digest")
                digests.setdefault(title, []).append(alert)
        # A catch-up of more than a batch stays a catch-up to its end: the rest of it, however
        # few, is not sent as single alerts.
        if len(instant) > self._max_instant or (instant and channel.name in self._catching_up):
            log.info(
                "%s: %d alerts due at once; sending them as one catch-up digest",
                channel.name,
                len(instant),
            )
            digests[f"Catch-up: {len(instant)} notices since the last alerts"] = instant
            instant = []
            self._catching_up.add(channel.name)
        sends = 0
        for alert in instant:
            await self._pace(channel, notifier)
            if not self._may_send() or not self._serves(channel.name):
                return None
            if sends and self._held_too_long(claimed_at):
                return False
            sends += 1
            ids = list(alert.ids)
            try:
                ref = await notifier.send(alert, now=self._clock.now())
            except SendError as exc:
                if not exc.channel_gone:  # recorded as retried or refused: no claim left
                    held.difference_update(ids)
                if self._failed(channel, ids, exc, result):
                    return None
                continue
            self._outbox.mark_sent(ids, self._clock.now(), ref)
            held.difference_update(ids)
            self._outbox.channel_ok(channel.name)
            self._on_outcome(channel.name, "sent", 1)
            result.sent += 1
        for title, alerts in digests.items():
            # Matches first, then the possible ones: the "Also worth a look" section.
            alerts.sort(key=lambda alert: alert.tier == POSSIBLE)
            whole = Digest(title=title, alerts=tuple(alerts))
            # A digest's parts go out together: each says "part N of M", and a digest cut
            # short here would be sent again, numbered afresh, from the rows given back. The
            # lease (renewed by the heartbeat) still vouches for claims held a little longer.
            if sends and self._held_too_long(claimed_at):
                return False
            for part in notifier.digest_parts(whole, now=self._clock.now()):
                ids = [i for a in part.alerts for i in a.ids]
                await self._pace(channel, notifier)
                if not self._may_send() or not self._serves(channel.name):
                    return None
                sends += 1
                try:
                    ref = await notifier.send_digest(part, now=self._clock.now())
                except SendError as exc:
                    if not exc.channel_gone:
                        held.difference_update(ids)
                    if self._failed(channel, ids, exc, result):
                        return None
                    continue
                # Radar items keep their digest's message: later news threads under it.
                radar = all(a.kind == RADAR for a in part.alerts)
                self._outbox.mark_sent(ids, self._clock.now(), ref if radar else None)
                held.difference_update(ids)
                self._outbox.channel_ok(channel.name)
                self._on_outcome(channel.name, "sent", len(ids))
                result.sent += len(ids)
        return True

    async def _pace(self, channel: ChannelConfig, notifier: Notifier) -> None:
        await self.pacer.wait(channel.name, notifier.limits)

    def _failed(
        self, channel: ChannelConfig, ids: list[int], exc: SendError, result: DeliveryResult
    ) -> bool:
        """Record a failed send; True when this channel should get no more sends for now."""
        now = self._clock.now()
        if exc.channel_gone:
            result.paused[channel.name] = str(exc)
            if self._on_gone(channel.name, str(exc)):
                log.warning("%s: %s; the chat's subscriptions are paused", channel.name, exc)
                return True
            self._outbox.pause(channel.name, str(exc), now)
            log.error(
                "%s: channel paused, %s (alerts are kept; fix the channel, then run "
                "`tenderbot send-test %s` to resume)",
                channel.name,
                exc,
                channel.name,
            )
            return True
        if exc.retryable:
            failures = self._outbox.channel_state(channel.name).failures + 1
            wait = exc.retry_after
            if wait is None:
                wait = retry_delay(failures, self._rng)
            until = now + timedelta(seconds=wait)
            self._outbox.retry_later(ids, str(exc), until)
            self._outbox.back_off(channel.name, until)
            self._on_outcome(channel.name, "retried", len(ids))
            result.retrying += len(ids)
            log.warning(
                "%s: send failed (%s); failure %d in a row, next try in %.0fs",
                channel.name,
                exc,
                failures,
                wait,
            )
            return True
        self._outbox.mark_failed(ids, str(exc))
        self._on_outcome(channel.name, "refused", len(ids))
        result.failed += len(ids)
        log.error(
            "%s: alert refused by the service: %s (kept; `tenderbot outbox retry --channel %s` "
            "queues it again)",
            channel.name,
            exc,
            channel.name,
        )
        return False
