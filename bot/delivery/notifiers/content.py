"""What an alert says, independent of markup: each notifier escapes and formats these parts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.delivery.alerts import (
    CLOSING,
    RADAR,
    RADAR_DIGEST_TITLE,
    RADAR_FOLLOW_UPS,
    UPDATED,
    Alert,
    radar_title,
    tier_label,
)
from bot.delivery.changes import describe_changes
from bot.delivery.formatting import (
    format_deadline,
    format_lots,
    format_place,
    format_signals,
    format_stage,
    format_value,
)
from bot.delivery.why import full_why, short_why
from sources.text import strip_unsafe

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
    """Every reason, grouped ("what it is: ...", "who it serves: ..."), for a full view."""
    notice_url: str | None
    portal_url: str | None
    also: tuple[str, ...] = ()
    why: str = ""
    """The reasons in one short line (at most `CHAT_WHY_LIMIT` characters), for chats."""


def safe_url(url: str | None) -> str | None:
    """`url` if it is a plain http(s) URL that is safe to put in a link or button, else None."""
    if not url or len(url) > 2000 or not url.startswith(("https://", "http://")):
        return None
    if any(c.isspace() or c in '<>|"' or ord(c) < 32 for c in url):
        return None
    return url


def radar_content(alert: Alert) -> AlertContent:
    """What a reply under a radar item says: what happened to the contract.

    Its reasons are the contract's title, what happened, and (for a re-tender) the new
    notice's link.
    """
    title, what, link = (*alert.reasons, "", "", "")[:3]
    return AlertContent(
        label=RADAR_FOLLOW_UPS[alert.kind],
        title=strip_unsafe(title or alert.notice.title),
        fields=(("Buyer", strip_unsafe(alert.notice.buyer or "not stated")),),
        changes=(strip_unsafe(what),) if what else (),
        description="",
        reasons=(),
        notice_url=safe_url(link) or safe_url(alert.notice.url),
        portal_url=None,
    )


def radar_reference(alert: Alert) -> str | None:
    """For news of a radar item already sent: which item it follows, in plain text.

    None for any other alert, and for news whose item has not gone out (nothing to follow).
    """
    if alert.kind not in RADAR_FOLLOW_UPS or not alert.reply_to:
        return None
    title = strip_unsafe(radar_title(alert))
    return f"Follows the radar item “{title}” in “{RADAR_DIGEST_TITLE}”."


def content_of(alert: Alert, *, now: datetime, zone: ZoneInfo) -> AlertContent:
    """Gather what an alert says."""
    if alert.kind in RADAR_FOLLOW_UPS:
        return radar_content(alert)
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
    # Stored text was cleaned on the way in; strip again so no older row or rule reason can
    # carry control or bidi characters into a chat.
    return AlertContent(
        label=tier_label(label, alert),
        title=strip_unsafe(notice.title),
        # In reading order: what and who, how much, by when, where, what stage. A match tier or
        # a value-a-year line belongs right after Value; the Why line stays last and short.
        fields=tuple(
            (name, strip_unsafe(value))
            for name, value in (
                ("Buyer", notice.buyer or "not stated"),
                ("Value", format_value(notice)),
                ("Deadline", format_deadline(notice, now, zone)),
                ("Region", format_place(notice)),
                ("Stage", format_stage(notice, new=alert.kind not in (UPDATED, CLOSING))),
                ("Lots", "\n".join(format_lots(notice))),
                ("Notes", format_signals(notice)),
            )
            if value
        ),
        changes=tuple(strip_unsafe(c) for c in changes),
        description=strip_unsafe(notice.description),
        reasons=full_why([strip_unsafe(r) for r in alert.reasons]),
        why=short_why([strip_unsafe(r) for r in alert.reasons]),
        notice_url=safe_url(notice.url),
        portal_url=safe_url(notice.portal_url),
        also=tuple(u for u in (safe_url(link) for link in alert.also) if u),
    )


def units(text: str) -> int:
    """Length in UTF-16 code units: how Telegram counts (and never less than Slack counts).

    A character outside the Basic Multilingual Plane (most emoji) is two units.
    """
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def cut(text: str, limit: int) -> str:
    """`text` shortened to at most `limit` UTF-16 units, ending in an ellipsis if cut."""
    if units(text) <= limit:
        return text
    room = max(0, limit - 1)
    size = 0
    end = 0
    for end, char in enumerate(text):  # noqa: B007 - `end` is read after the loop
        size += 2 if ord(char) > 0xFFFF else 1
        if size > room:
            break
    return text[:end].rstrip() + ELLIPSIS


def digest_line(alert: Alert, *, now: datetime, zone: ZoneInfo) -> tuple[str, str]:
    """One digest entry as (title, details) in plain text.

    A radar item's entry is the contract's title and its details, as queued (its reasons).
    """
    notice = alert.notice
    if alert.kind == RADAR and len(alert.reasons) >= 2:
        return strip_unsafe(alert.reasons[0]), strip_unsafe(alert.reasons[1])
    kind = {"updated": "Updated: ", "closing": "Closing soon: "}.get(alert.kind, "")
    details = " · ".join(
        [
            notice.buyer or "buyer not stated",
            format_value(notice),
            format_deadline(notice, now, zone),
        ]
    )
    return strip_unsafe(kind + notice.title), strip_unsafe(details)
