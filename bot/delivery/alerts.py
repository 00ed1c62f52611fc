"""The records notifiers render: an `Alert` about one notice, or a `Digest` of several."""

from __future__ import annotations

from dataclasses import dataclass

from sources.notice import Notice

NEW = "new"
UPDATED = "updated"
CLOSING = "closing"
RADAR = "radar"
"""A contract of the subscription's kind ending: a re-tender radar item (digest only)."""
RADAR_EXTENDED = "radar-extended"
RADAR_ENDED = "radar-ended"
RADAR_RETENDER = "radar-retender"
RADAR_FOLLOW_UPS = {
    RADAR_EXTENDED: "Contract extended",
    RADAR_ENDED: "Contract ended",
    RADAR_RETENDER: "The re-tender is here",
}
"""What later happened to a radar item's contract, each a reply threaded under the item."""
RADAR_MODE = "radar"
"""The outbox mode of radar items: their own digest, "Contracts of your kind ending soon"."""
RADAR_MARK = "#radar/"
"""Joins a release id and a contract's award id in a radar row's release id."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """One notice to tell one subscription about: what happened and why it matched.

    An update or reminder also carries the version it replaces (`previous`) and the
    reference of the message it replies to (`reply_to`). Rows for the same notice that were
    due together are folded into one alert about its latest version (`merged_ids`).
    """

    outbox_id: int
    kind: str
    subscription: str
    channel: str
    notice: Notice
    reasons: tuple[str, ...] = ()
    previous: Notice | None = None
    reply_to: str | None = None
    mode: str = "instant"
    also: tuple[str, ...] = ()
    merged_ids: tuple[int, ...] = ()

    @property
    def ids(self) -> tuple[int, ...]:
        """Every outbox row this alert delivers (later updates folded into one message)."""
        return (self.outbox_id, *self.merged_ids)


@dataclass(frozen=True, slots=True, kw_only=True)
class Digest:
    """Several alerts sent as one message: a daily/weekly digest, or a catch-up after a gap."""

    title: str
    alerts: tuple[Alert, ...]
    part: int = 1
    parts: int = 1
