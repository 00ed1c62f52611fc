"""Why an alert matched, grouped as a person reads it, and short enough for a chat.

A rule set's reasons arrive one per condition ("keywords in title: "befriending"",
"keywords in description: "carers"", "28 days left to respond", ...). Here they are grouped
by what they say — what it is, who it serves, signals, scale, time left — each group once,
with keywords found in several fields named once. Where the notice is goes in the alert's
Region line, so the short form leaves places out; the grouped form keeps them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

CHAT_WHY_LIMIT = 160
"""The short "Why:" of a chat alert is at most this many characters."""

WHAT, SERVES, SIGNALS, SCALE, TIME, WHERE, OTHER = (
    "what it is",
    "who it serves",
    "signals",
    "scale",
    "time left",
    "where",
    "other",
)
GROUPS = (WHAT, SERVES, SIGNALS, SCALE, TIME, WHERE, OTHER)

_QUOTED = re.compile(r"\"([^\"]+)\"|'([^']+)'")
_KEYWORDS = re.compile(r"^(keywords|buyer|procedure|[a-z ]+?)(?: in [a-z, ]+)?: (\".*|'.*)$")
_CPV = re.compile(r"^CPV \d+(?:-\d)?\s*(.*)$")
_SIGNALS = (
    "marked suitable for",
    "reserved for",
    "below the procurement threshold",
    "above the procurement threshold",
    "light-touch regime",
    "notice type",
)
_SCALE = ("value", "lot ", "framework", "contract for", "dynamic", "£")
_TIME = ("days left", "no deadline", "deadline", "closes")
_WHERE = ("region ", "covers all of", "place not stated", "postcode area", "buyer's postcode")


def _kind(reason: str) -> str:
    lowered = reason.lower()
    if lowered.startswith("open notice"):
        return WHAT
    if _CPV.match(reason):
        return WHAT
    if lowered.startswith(_SIGNALS):
        return SIGNALS
    if lowered.startswith(_TIME) or "days left" in lowered:
        return TIME
    if lowered.startswith(_SCALE):
        return SCALE
    if _KEYWORDS.match(reason):
        return SERVES
    if lowered.startswith(_WHERE):
        return WHERE
    return OTHER


def _words(reason: str) -> list[str]:
    return [a or b for a, b in _QUOTED.findall(reason)]


def group_reasons(reasons: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Reasons grouped in `GROUPS` order, each item once; keywords merged across fields.

    The "who it serves" group lists the words found (title first); every other group keeps
    its reasons' words, less the CPV code of a CPV reason.
    """
    grouped: dict[str, list[str]] = {group: [] for group in GROUPS}
    for reason in reasons:
        kind = _kind(reason)
        if kind == SERVES:
            items = _words(reason) or [reason]
        elif kind == WHAT and (match := _CPV.match(reason)):
            items = [match.group(1) or reason]
        elif kind == WHAT:
            items = ["open notice (" + reason.partition(":")[2].strip() + ")"]
        else:
            items = [reason]
        for item in items:
            if item not in grouped[kind]:
                grouped[kind].append(item)
    return [(group, items) for group, items in grouped.items() if items]


def full_why(reasons: Sequence[str]) -> tuple[str, ...]:
    """Every reason, grouped: ``what it is: Health services``, ``who it serves: carers, ...``."""
    return tuple(f"{group}: {', '.join(items)}" for group, items in group_reasons(reasons))


_SHORTER = (
    (re.compile(r"^marked suitable for "), "suits "),
    (re.compile(r"^reserved for SMEs and VCSEs$"), "reserved for SMEs/VCSEs"),
    (re.compile(r"^(below|above) the procurement threshold$"), r"\1 threshold"),
    (re.compile(r"^light-touch regime.*$"), "light-touch regime"),
    (re.compile(r"^(?:Lot \S+(?: '[^']*')? |value )"), ""),
    (re.compile(r" over [\d.]+ years?"), ""),
    (re.compile(r"^(\d+ days?) left to respond$"), r"\1 left"),
)


def _shorter(item: str) -> str:
    for pattern, replacement in _SHORTER:
        item = pattern.sub(replacement, item)
    return item


def short_why(reasons: Sequence[str], limit: int = CHAT_WHY_LIMIT) -> str:
    """The reasons in one line of at most `limit` characters, for a chat alert.

    Places are left out (the Region line has them); each group shows its first items and
    says how many more there are; a line still too long is cut with an ellipsis.
    """
    groups = [
        (g, list(dict.fromkeys(_shorter(i) for i in items)))
        for g, items in group_reasons(reasons)
        if g != WHERE
    ]
    # "open notice (...)" says no more than the Stage line, unless it is all there is.
    trimmed = [(g, [i for i in items if not i.startswith("open notice")]) for g, items in groups]
    if any(items for _, items in trimmed):
        groups = [(g, items) for g, items in trimmed if items]
    for keep in (3, 2, 1):
        parts = []
        for _, items in groups:
            shown = ", ".join(items[:keep])
            more = len(items) - keep
            parts.append(shown + (f" +{more} more" if more > 0 else ""))
        line = " · ".join(parts)
        if len(line) <= limit:
            return line
    return line[: limit - 1].rstrip() + "…"
