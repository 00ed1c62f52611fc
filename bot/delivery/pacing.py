"""Pacing: stay under the chat services' rate limits instead of hitting them.

Defaults follow the services' guidance: about one message a second per chat, twenty a
minute per Telegram group, about twenty-five a second overall.
"""

from __future__ import annotations

from collections import deque

from sources.clock import Clock


class Pacer:
    """Waits (on the given clock) until another message may go to a chat."""

    def __init__(
        self,
        clock: Clock,
        *,
        per_chat_gap: float = 1.0,
        group_per_minute: int = 20,
        overall_per_second: int = 25,
    ) -> None:
        self._clock = clock
        self._per_chat_gap = per_chat_gap
        self._group_per_minute = group_per_minute
        self._overall_per_second = overall_per_second
        self._last: dict[str, float] = {}
        self._group_sends: dict[str, deque[float]] = {}
        self._all_sends: deque[float] = deque()

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def delay(self, chat: str, *, group: bool) -> float:
        """Seconds to wait before the next message to `chat` (0 if it may go now)."""
        now = self._now()
        waits = [0.0]
        if chat in self._last:
            waits.append(self._last[chat] + self._per_chat_gap - now)
        sends = self._group_sends.get(chat)
        if group and sends:
            while sends and sends[0] <= now - 60:
                sends.popleft()
            if len(sends) >= self._group_per_minute:
                waits.append(sends[0] + 60 - now)
        while self._all_sends and self._all_sends[0] <= now - 1:
            self._all_sends.popleft()
        if len(self._all_sends) >= self._overall_per_second:
            waits.append(self._all_sends[0] + 1 - now)
        return max(waits)

    async def wait(self, chat: str, *, group: bool = False) -> None:
        """Wait until a message may go to `chat`, then count it as sent."""
        delay = self.delay(chat, group=group)
        if delay > 0:
            await self._clock.sleep(delay)
        now = self._now()
        self._last[chat] = now
        if group:
            self._group_sends.setdefault(chat, deque()).append(now)
        self._all_sends.append(now)
