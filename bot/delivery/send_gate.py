"""Stopping without cutting a send in half: sends in flight finish, none starts after the stop.

A send cancelled half-way may still reach the service while its row is never marked sent,
so the alert would be sent again (by this process after a restart, or by another one at once).
The daemon closes the gate when it is told to stop, waits for the sends in flight to finish
(and be recorded: the sender records each send before it awaits anything else), and only then
cancels delivery. A send asked for after the gate closed never starts; its claim is released.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from bot.delivery.alerts import Alert, Digest
from bot.delivery.notifiers import Notifier
from bot.delivery.pacing import RateLimits

T = TypeVar("T")


class SendGate:
    """Counts the sends in flight; once closed, holds every new send until it is cancelled."""

    def __init__(self) -> None:
        self._closed = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._never = asyncio.Event()

    @property
    def in_flight(self) -> int:
        """How many sends are under way."""
        return self._in_flight

    async def run(self, send: Callable[[], Awaitable[T]]) -> T:
        """Run `send()` unless the gate is closed; then wait until cancelled instead."""
        if self._closed:
            await self._never.wait()
        self._in_flight += 1
        self._idle.clear()
        try:
            return await send()
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    def close(self) -> None:
        """Let no new send start."""
        self._closed = True

    async def drained(self, timeout: float) -> bool:
        """Wait until no send is in flight (at most `timeout` seconds); whether none is."""
        if self._idle.is_set():
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=timeout)
        except TimeoutError:
            return False
        return True


class GatedNotifier:
    """A notifier whose sends pass through a `SendGate`; everything else goes straight through."""

    def __init__(self, notifier: Notifier, gate: SendGate) -> None:
        self.inner = notifier
        self._gate = gate

    @property
    def limits(self) -> RateLimits | None:
        """The wrapped notifier's rate limits."""
        return self.inner.limits

    async def send(self, alert: Alert, *, now: datetime) -> str | None:
        """Deliver one alert through the gate."""
        return await self._gate.run(lambda: self.inner.send(alert, now=now))

    def digest_parts(self, digest: Digest, *, now: datetime) -> list[Digest]:
        """Split a digest into parts that each fit in one message."""
        return self.inner.digest_parts(digest, now=now)

    async def send_digest(self, digest: Digest, *, now: datetime) -> str | None:
        """Deliver one digest part through the gate."""
        return await self._gate.run(lambda: self.inner.send_digest(digest, now=now))

    async def send_test(self, *, now: datetime) -> str | None:
        """Deliver a test message through the gate."""
        return await self._gate.run(lambda: self.inner.send_test(now=now))

    async def send_admin(self, text: str, *, now: datetime) -> str | None:
        """Deliver an admin message through the gate."""
        return await self._gate.run(lambda: self.inner.send_admin(text, now=now))

    async def aclose(self) -> None:
        """Release network resources."""
        await self.inner.aclose()
