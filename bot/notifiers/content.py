"""What an alert says, independent of markup: each notifier escapes and formats these parts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.alerts import CLOSING, UPDATED, Alert
from bot.changes import describe_changes
from bot.formatting import format_deadline, format_place, format_value

ELLIPSIS = "…"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertContent:
    """The parts of an alert message, as plain (unescaped) text."""

    label: str
    title: str
    fields: tuple[tuple[str, str], ...]
    changes: tuple[str, ...]
    description: str
    reasons: tuple[str, ...]
    notice_url: str | None
    portal_url: str | None
    also: tuple[str, ...] = ()


def safe_url(url: str | None) -> str | None:
    """`url` if it is a plain http(s) URL that is safe to put in a link or button, else None."""
    if not url or len(url) > 2000 or not url.startswith(("https://", "http://")):
        return None
    if any(c.isspace() or c in '<>|"' or ord(c) < 32 for c in url):
        return None
    return url


def content_of(alert: Alert, *, now: datetime, zone: ZoneInfo) -> AlertContent:
    """Gather what an alert says."""
    notice = alert.notice
    if alert.kind == UPDATED:
        label = "Updated"
        changes = tuple(describe_changes(alert.previous, notice, zone))
    elif alert.kind == CLOSING:
        label = "Closing soon"
        changes = (f"deadline {format_deadline(notice, now, zone)}",)
    else:
        label = "New"
        changes = ()
    return AlertContent(
        label=label,
        title=notice.title,
        fields=(
            ("Buyer", notice.buyer or "not stated"),
            ("Value", format_value(notice)),
            ("Deadline", format_deadline(notice, now, zone)),
            ("Region", format_place(notice)),
            ("Stage", notice.stage_label),
        ),
        changes=changes,
        description=notice.description,
        reasons=alert.reasons,
        notice_url=safe_url(notice.url),
        portal_url=safe_url(notice.portal_url),
        also=tuple(u for u in (safe_url(link) for link in alert.also) if u),
    )


def cut(text: str, limit: int) -> str:
    """`text` shortened to at most `limit` characters, ending in an ellipsis if cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def digest_line(alert: Alert, *, now: datetime, zone: ZoneInfo) -> tuple[str, str]:
    """One digest entry as (title, details) in plain text."""
    notice = alert.notice
    kind = {"updated": "Updated: ", "closing": "Closing soon: "}.get(alert.kind, "")
    details = " · ".join(
        [
            notice.buyer or "buyer not stated",
            format_value(notice),
            format_deadline(notice, now, zone),
        ]
    )
    return kind + notice.title, details
