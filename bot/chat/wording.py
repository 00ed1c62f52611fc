"""The fixed words chat commands answer with: the help, `possible` replies, a chat's filters."""

from __future__ import annotations

from bot.chat.arguments import DAYS
from bot.chat.store import ChatSettings
from bot.delivery.formatting import format_money

POSSIBLE_REPLIES = {
    "digest": 'Notices only worth a look arrive under "Also worth a look" in a digest.',
    "instant": "Notices only worth a look arrive like the others, marked possible.",
    "off": "Notices only worth a look are no longer sent.",
}
"""The answers to `possible digest|instant|off`."""
HELP = """tenderbot finds public contracts a small charity could bid for.

Commands:
help: this text
sets [WORDS]: the rule sets you can subscribe to
subscribe SET [SET...]: alerts for notices those sets match
unsubscribe [SET]: stop one set, or all
list: this chat's subscriptions and filters
region NAME... / region any: only notices in these regions
maxvalue AMOUNT / maxvalue any: leave out bigger contracts
mute WORD / unmute WORD: leave out notices that mention a word
digest off | daily [HH:MM] | weekly [DAY] [HH:MM]: one message a day or week instead
possible digest | instant | off: notices only worth a look: in a digest, one by one, or never
pause / resume: stop and restart alerts
catchup DAYS: what matched in the last DAYS days (1 to 30) as one digest
preview SET: what a set would have sent in the last 7 days
radar on [MONTHS] / radar off: contracts of your kind ending soon, in a digest
radar list: the contracts the radar has shown this chat
status: how tenderbot is doing (bot admins)

Only the chat's administrators may change its subscriptions."""


def describe_filters(settings: ChatSettings) -> str:
    """A chat's filters and mode in one line."""
    parts = [
        "regions: " + (", ".join(settings.regions) or "anywhere"),
        "value limit: "
        + (format_money(settings.max_value, "GBP") if settings.max_value else "none"),
        "muted: " + (", ".join(settings.mutes) or "nothing"),
    ]
    if settings.mode == "instant":
        parts.append("alerts one by one")
    elif settings.mode == "daily":
        parts.append(f"daily digest at {settings.digest_at:%H:%M}")
    else:
        day = DAYS[settings.digest_day].capitalize()
        parts.append(f"weekly digest on {day} at {settings.digest_at:%H:%M}")
    parts.append(
        f"worth-a-look notices: {POSSIBLE_SHOWN.get(settings.possible, settings.possible)}"
    )
    if settings.radar:
        parts.append(f"radar on ({settings.radar_months} months ahead)")
    return "; ".join(parts)


POSSIBLE_SHOWN = {"digest": "in a digest", "instant": "one by one", "off": "not sent"}
