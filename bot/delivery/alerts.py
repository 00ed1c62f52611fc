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
RADAR_DIGEST_TITLE = "Contracts of your kind ending soon"
"""The title of the digest that carries radar items."""
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
    tier: str = "match"
    """``match``, or ``possible``: worth a look, with the reason for the doubt in `reasons`."""
    radar_award: str | None = None
    """For a radar item or news of one: the award id of its contract (the notice's `id` is
    the process's), so that news names the item it belongs to."""

    @property
    def ids(self) -> tuple[int, ...]:
        """Every outbox row this alert delivers (later updates folded into one message)."""
        return (self.outbox_id, *self.merged_ids)


@dataclass(frozen=True, slots=True, kw_only=True)
class Digest:
    """Several alerts sent as one message: a daily/weekly digest, or a catch-up after a gap.

    Its matches come first, then the possible ones under "Also worth a look".
    """

    title: str
    alerts: tuple[Alert, ...]
    part: int = 1
    parts: int = 1

    @property
    def matches(self) -> tuple[Alert, ...]:
        """The alerts of the `match` tier."""
        return tuple(a for a in self.alerts if a.tier != POSSIBLE)

    @property
    def possible(self) -> tuple[Alert, ...]:
        """The alerts of the `possible` tier: the "Also worth a look" section."""
        return tuple(a for a in self.alerts if a.tier == POSSIBLE)

    def sections(self) -> list[tuple[str | None, tuple[Alert, ...]]]:
        """(heading, alerts) in order: the matches (no heading), then "Also worth a look"."""
        found: list[tuple[str | None, tuple[Alert, ...]]] = []
        if self.matches:
            found.append((None, self.matches))
        if self.possible:
            found.append((ALSO_WORTH_A_LOOK, self.possible))
        return found


def is_radar(alert: Alert) -> bool:
    """Whether `alert` is a radar item or news of one."""
    return alert.kind == RADAR or alert.kind in RADAR_FOLLOW_UPS


def radar_title(alert: Alert) -> str:
    """The title of the contract a radar item or its news is about (its first reason)."""
    return alert.reasons[0] if alert.reasons and alert.reasons[0] else alert.notice.title


def doubt(alert: Alert) -> str | None:
    """Why a `possible` alert is only possible ("8 days left"), from its reasons."""
    if alert.tier != POSSIBLE:
        return None
    for reason in alert.reasons:
        if reason.startswith(POSSIBLE_PREFIX):
            return reason.removeprefix(POSSIBLE_PREFIX)
    return None


POSSIBLE_PREFIX = "possible: "


def tier_label(label: str, alert: Alert) -> str:
    """An alert's label with its tier marked: ``New (worth a look)`` for a possible one."""
    return f"{label} (worth a look)" if alert.tier == POSSIBLE else label


POSSIBLE = "possible"
ALSO_WORTH_A_LOOK = "Also worth a look"
"""The heading of a digest's section for the `possible` tier."""
