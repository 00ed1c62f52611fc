"""How many commands one chat may send a minute: a polite refusal, then silence."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(slots=True)
class RateLimit:
    """At most `per_minute` commands per chat; one polite refusal, then silence."""

    per_minute: int
    seen: dict[str, deque[float]] = field(default_factory=dict)
    warned: set[str] = field(default_factory=set)

    def allow(self, chat: str, now: float) -> bool | None:
        """True: go ahead; False: refuse politely; None: refuse silently (already told)."""
        times = self.seen.setdefault(chat, deque())
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            self.warned.discard(chat)
            return True
        if chat in self.warned:
            return None
        self.warned.add(chat)
        return False
