"""Pacing: stay under each chat service's rate limits instead of hitting them.

Every notifier declares its service's limits as `RateLimits` (or none, for a channel with no
limits): a gap between two messages to one chat, an optional cap per chat per minute, and a
cap per second for the whole account (one bot token), shared by every chat it posts to.
Each channel waits only for its own chat's limits, then for its turn under the account's
cap; turns are handed out first come, first served, so a chat with a long backlog (which asks
at most once per gap) never holds up another chat, and the account's cap is kept.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass

from sources.clock import Clock


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimits:
    """What a service allows one account (bot token), as its documentation says."""

    account: str
    """Whom the overall cap applies to: the service and a digest of the token, never the
    token itself (see `account_key`)."""
    per_chat_gap: float
    """Seconds between two messages to one chat."""
    per_chat_per_minute: int | None = None
    """At most this many messages to one chat in any minute (Telegram groups: 20)."""
    account_per_second: float
    """At most this many messages a second across every chat of the account."""


def account_key(service: str, token: str) -> str:
    """A key naming one account of `service` that does not reveal its `token`."""
    return f"{service}:{hashlib.sha256(token.encode()).hexdigest()[:16]}"


class Pacer:
    """Waits (on the given clock) until another message may go to a chat.

    `speed` divides every interval (2.0: twice the documented rates), for benchmarks against
    local imitations; the daemon uses 1.0.
    """

    def __init__(self, clock: Clock, *, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"pacing speed must be positive, not {speed}")
        self._clock = clock
        self._speed = speed
        self._last: dict[str, float] = {}
        self._minute: dict[str, deque[float]] = {}
        self._next_turn: dict[str, float] = {}

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def chat_delay(self, chat: str, limits: RateLimits) -> float:
        """Seconds until `chat`'s own limits let another message go (0: now)."""
        now = self._now()
        waits = [0.0]
        if chat in self._last:
            waits.append(self._last[chat] + limits.per_chat_gap / self._speed - now)
        sends = self._minute.get(chat)
        if limits.per_chat_per_minute is not None and sends:
            window = 60.0 / self._speed
            while sends and sends[0] <= now - window:
                sends.popleft()
            if len(sends) >= limits.per_chat_per_minute:
                waits.append(sends[0] + window - now)
        return max(waits)

    def _take_turn(self, limits: RateLimits) -> float:
        """Reserve the account's next free turn; seconds until it comes."""
        now = self._now()
        turn = max(now, self._next_turn.get(limits.account, now))
        self._next_turn[limits.account] = turn + 1.0 / (limits.account_per_second * self._speed)
        return turn - now

    async def wait(self, chat: str, limits: RateLimits | None) -> None:
        """Wait until a message may go to `chat`, then count it as sent.

        Only one message to a given chat may be waiting at a time (each channel delivers its
        own alerts one after another).
        """
        if limits is None:
            return
        delay = self.chat_delay(chat, limits)
        if delay > 0:
            await self._clock.sleep(delay)
        turn = self._take_turn(limits)
        if turn > 0:
            await self._clock.sleep(turn)
        now = self._now()
        self._last[chat] = now
        if limits.per_chat_per_minute is not None:
            self._minute.setdefault(chat, deque()).append(now)
