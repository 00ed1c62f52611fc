"""Delivery without rounds: every channel is served by a worker of its own, all the time.

Each channel (each key pacing uses: a configured channel, or a chat that subscribed through a
bot) has one task. It claims a small batch of the channel's due alerts, sends them at the
channel's own pace, gives back what it did not send, and claims again while more is due.
When nothing is due it waits until the next of its alerts falls due, its backoff ends, or it
is woken (an alert was queued for it, this process took the lead), and at most a minute. So
a slow or failing channel (a long Retry-After, an SMTP server taking 20 s, an endpoint timing
out) holds up only its own worker: an alert due on any other channel goes out as soon as it
is due, never after the slowest channel has finished.

Only this instance's claims are touched: a worker gives back the rows of its own batch,
never another channel's. Stopping: the daemon closes the send gate, lets sends in flight
finish and be recorded, then `stop` cancels the workers, whose unsent claims are given back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable

from bot.delivery.outbox import Outbox
from bot.delivery.sender import Sender
from sources.clock import Clock

log = logging.getLogger("tenderbot.deliver")

IDLE_SECONDS = 60.0
"""A worker with nothing due looks again at least this often (a claim freed by a dead
instance, a channel resumed from the command line, digests coming due)."""
MIN_WAIT_SECONDS = 1.0
"""The shortest wait between two looks when nothing could be sent (rows due but claimed by a
live instance, say), so a worker never spins."""


class ChannelWorkers:
    """One delivery task per channel of `sender.channels`, each woken on its own."""

    def __init__(
        self,
        sender: Sender,
        outbox: Outbox,
        clock: Clock,
        *,
        may_act: Callable[[], bool],
    ) -> None:
        """Serve the channels of `sender` while `may_act()` (this instance leads)."""
        self._sender = sender
        self._outbox = outbox
        self._clock = clock
        self._may_act = may_act
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wakes: dict[str, asyncio.Event] = {}
        self._failures: dict[str, str] = {}
        self._on_db_error: Callable[[sqlite3.Error], bool] = lambda exc: False
        self._error_wait = IDLE_SECONDS
        self._running = False

    @property
    def running(self) -> bool:
        """Whether `start` was called and `stop` was not."""
        return self._running

    def start(
        self,
        *,
        on_db_error: Callable[[sqlite3.Error], bool],
        error_wait: float = IDLE_SECONDS,
    ) -> None:
        """Start a worker for every channel.

        `on_db_error(exc)` hears of a database error a worker met; True: the worker goes on
        after `error_wait` seconds (a shared database waits an outage out), False: it stops.
        """
        self._on_db_error = on_db_error
        self._error_wait = error_wait
        self._running = True
        self.sync()

    def sync(self) -> None:
        """Start a worker for each channel that has none (chats change while running).

        A channel that is gone ends its own worker once its batch is over.
        """
        if not self._running:
            return
        for channel in self._sender.channels:
            task = self._tasks.get(channel.name)
            if task is None or task.done():
                self._wakes[channel.name] = asyncio.Event()
                self._tasks[channel.name] = asyncio.create_task(
                    self._serve(channel.name), name=f"deliver {channel.name}"
                )
        for name, event in self._wakes.items():
            if name not in self._configured():
                event.set()

    def wake(self, channel: str) -> None:
        """Have the channel's worker look for due alerts now (one was queued for it)."""
        event = self._wakes.get(channel)
        if event is not None:
            event.set()

    def wake_all(self) -> None:
        """Have every worker look for due alerts now (this process just took the lead)."""
        for event in self._wakes.values():
            event.set()

    def stopped(self) -> list[str]:
        """Channels whose worker has ended although the channel is still delivered to."""
        if not self._running:
            return []
        return sorted(
            name for name, task in self._tasks.items() if task.done() and name in self._configured()
        )

    def failing(self) -> dict[str, str]:
        """Channels whose last batch failed unexpectedly (a bug), and the error it met.

        Such a channel sends nothing past the alert that fails, though its worker runs and
        tries again every minute; a batch that goes through clears it.
        """
        configured = self._configured()
        return {name: why for name, why in sorted(self._failures.items()) if name in configured}

    async def stop(self) -> None:
        """Cancel every worker (close the send gate first); unsent claims are given back."""
        self._running = False
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._wakes.clear()

    def _configured(self) -> set[str]:
        return {channel.name for channel in self._sender.channels}

    async def _serve(self, name: str) -> None:
        """Deliver for one channel until it is gone, a database error ends it, or `stop`."""
        wake = self._wakes[name]
        while self._running and name in self._configured():
            wake.clear()
            try:
                more = self._may_act() and await self._sender.deliver_channel(name)
                self._failures.pop(name, None)
                if more:
                    await asyncio.sleep(0)  # more is due: claim again, after letting others run
                    continue
                wait = self._wait(name)
            except sqlite3.Error as exc:
                if not self._on_db_error(exc):
                    return
                wait = self._error_wait
            except Exception as exc:  # a job boundary: this channel tries again later
                log.exception("%s: delivery failed unexpectedly", name)
                self._failures[name] = f"{type(exc).__name__}: {exc}"
                wait = IDLE_SECONDS
            # Not `asyncio.wait_for`: on Python 3.11 it swallows a cancellation that comes
            # just as the event is set, and `stop` would wait for this worker forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await wake.wait()

    def _wait(self, name: str) -> float:
        """Seconds until the channel's next alert is due or its backoff ends (1 s to 1 min).

        Alerts due that the batch could not take (another instance holds them: a former
        leader finishing its batch, a killed process whose lease runs out; or a backoff just
        over, a Retry-After of 0) are looked for again after the shortest wait, not the idle
        minute: no wake crosses processes.
        """
        wait = IDLE_SECONDS
        if not self._may_act():
            return wait
        now = self._clock.now()
        state = self._outbox.channel_state(name)
        retry_at = state.retry_at
        for when in (self._outbox.next_due_at(name, now), retry_at):
            if when is not None and when > now:
                wait = min(wait, (when - now).total_seconds())
        if (
            (retry_at is None or retry_at <= now)
            and not state.paused_reason
            and self._outbox.due_now(name, now)
        ):
            wait = MIN_WAIT_SECONDS
        return max(MIN_WAIT_SECONDS, wait)
