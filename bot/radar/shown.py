"""What the radar has shown one subscription, said the same way wherever it is asked.

A chat's `radar list` and an email subscriber's own page both show the subscription's radar
state ("Radar on (12 months ahead)." or "Radar off.") and then the items made for it, newest
first, one line each (the contract's title and its details line, as the digest showed them).
"""

from __future__ import annotations

import re

from bot.config_delivery import MAX_RADAR_MONTHS
from bot.store.connection import Connection

RADAR_MONTHS = 9
"""How many months ahead the radar looks when a subscriber turns it on without saying."""
MAX_LISTED = 15
"""At most this many items are listed; the rest are counted."""
NOTHING_YET = "No contracts shown here yet."
_NUMBER = re.compile(r"[0-9]{1,3}")


def read_months(text: str) -> int | None:
    """Months ahead written as digits, 1 to `MAX_RADAR_MONTHS`; None if it is not one."""
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    months = int(text)
    return months if 1 <= months <= MAX_RADAR_MONTHS else None


def radar_state(on: bool, months: int) -> str:
    """The subscription's radar state in one sentence."""
    return f"Radar on ({months} months ahead)." if on else "Radar off."


def shown_lines(db: Connection, subscription: str) -> list[str]:
    """The radar items made for `subscription`, newest first: ``TITLE: DETAILS`` each."""
    rows = db.execute(
        "SELECT title, details FROM radar_items WHERE subscription = ? "
        "ORDER BY created_at DESC, ocid",
        (subscription,),
    )
    return [f"{row[0]}: {row[1]}" for row in rows]


def listing(on: bool, months: int, lines: list[str]) -> list[str]:
    """The state, then up to `MAX_LISTED` items (``- LINE``) and how many more there are."""
    state = radar_state(on, months)
    if not lines:
        return [f"{state} {NOTHING_YET}"]
    shown = [f"- {line}" for line in lines[:MAX_LISTED]]
    more = len(lines) - len(shown)
    return [state, *shown, *([f"...and {more} more"] if more > 0 else [])]
