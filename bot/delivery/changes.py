"""What changed between two versions of a notice, in words (for update alerts)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.delivery.formatting import format_value
from sources.notice import Notice


def describe_changes(old: Notice | None, new: Notice, zone: ZoneInfo) -> list[str]:
    """The differences a bidder cares about; never empty for an update."""
    if old is None:
        return ["the notice was amended"]
    changes = []
    if new.stage != old.stage and new.stage.endswith("Cancellation"):
        changes.append("the notice was cancelled or withdrawn")
    elif new.stage.removesuffix("Update") != old.stage.removesuffix("Update"):
        changes.append(f"now: {new.stage_label.lower()}")
    elif new.status in ("cancelled", "withdrawn", "unsuccessful") and new.status != old.status:
        changes.append(f"the notice was {new.status}")
    if new.deadline != old.deadline:
        before = _when(old, zone)
        after = _when(new, zone)
        changes.append(f"deadline moved from {before} to {after}")
    if (new.value_low, new.value_high) != (old.value_low, old.value_high):
        changes.append(f"value changed from {format_value(old)} to {format_value(new)}")
    if new.title != old.title:
        changes.append(f"title changed (was: {old.title})")
    if new.description != old.description:
        changes.append("description amended")
    if new.portal_url != old.portal_url and new.portal_url:
        changes.append("new link to bid")
    return changes or ["documents or details amended"]


def _when(notice: Notice, zone: ZoneInfo) -> str:
    if notice.deadline is None:
        return "none"
    local = notice.deadline.astimezone(zone)
    return f"{local.day} {local:%b %Y %H:%M}"
