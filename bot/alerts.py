"""The `Alert` record: one notice to tell one subscription about, and why."""

from __future__ import annotations

from dataclasses import dataclass

from sources.notice import Notice


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """What a notifier renders: the notice, what happened to it, and why it matched."""

    outbox_id: int
    kind: str
    subscription: str
    channel: str
    notice: Notice
    reasons: tuple[str, ...] = ()
