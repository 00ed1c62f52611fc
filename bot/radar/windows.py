"""Radar windows and labels: when a contract is likely to be let again, as a window, never a date.

- A buyer that states its next procurement (``tender.recurrence``) is taken at its word:
  the window is that date ± 3 months, shown 6 months before it.
- Otherwise the window is the last months of the initial term, from its end − 6 months to
  its end − 1 month (when market engagement or the tender usually appears), shown
  `radar_months` before the end; an extension option is named with the date it may reach.

Each window carries one plain label instead of a probability (see `LABELS`). Contracts already
ended, ending within 2 months, worth £0 or £1, placements of one person and superseded
contracts are skipped (`skip_reason` says why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from dateutil.relativedelta import relativedelta

from bot.radar.contracts import DIRECT, ENDED, FRAMEWORK, SUPERSEDED, ContractRecord

BUYER_DATE = "buyer-date"
CALL_OFF = "call-off"
NO_COMPETITION = "no-competition"
EXTENDABLE = "extendable"
NO_EXTENSION = "no-extension"

LABELS = {
    BUYER_DATE: "buyer says next procurement ~{date}",
    CALL_OFF: "call-off: re-let happens on the framework",
    NO_COMPETITION: "last let without competition",
    EXTENDABLE: "may be extended to {date}",
    NO_EXTENSION: "ends {date}, no extension option",
}
"""Each label kind and its words, in the order they are chosen (the first that applies)."""

DEFAULT_RADAR_MONTHS = 9
BUYER_LEAD_MONTHS = 6
BUYER_SPREAD_MONTHS = 3
WINDOW_OPENS_MONTHS = 6
WINDOW_CLOSES_MONTHS = 1
SOONEST_MONTHS = 2
MINIMUM_VALUE = 1

_SINGLE_PLACEMENT = re.compile(
    r"\b(?:individual|single|spot|one)\s+(?:\w+\s+){0,2}placement\b"
    r"|\bplacement\s+(?:for|of)\s+(?:a|an|one)\s+(?:child|young person|adult|person|individual)\b"
    # A title whose last word is "placement" (singular) names one: "Education Placement".
    r"|\bplacement\W*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """When a contract is likely to be let again, and the one label that says why."""

    start: datetime
    end: datetime
    shown_from: datetime
    label: str
    kind: str
    text: str


def day(moment: datetime) -> str:
    """A date as ``14 Sep 2027``."""
    return f"{moment.day} {moment:%b %Y}"


def label_kind(record: ContractRecord) -> str:
    """The kind of label the record gets (a key of `LABELS`)."""
    if record.next_procurement is not None:
        return BUYER_DATE
    if record.procedure == FRAMEWORK:
        return CALL_OFF
    if record.procedure == DIRECT:
        return NO_COMPETITION
    end = record.initial_end or record.end
    if record.max_end is not None and end is not None and record.max_end > end:
        return EXTENDABLE
    return NO_EXTENSION


def window(record: ContractRecord, *, radar_months: int = DEFAULT_RADAR_MONTHS) -> Window | None:
    """The record's window, or None when it states neither a next procurement nor an end."""
    kind = label_kind(record)
    if record.next_procurement is not None:
        stated = record.next_procurement
        label = LABELS[BUYER_DATE].format(date=day(stated))
        return Window(
            start=stated - relativedelta(months=BUYER_SPREAD_MONTHS),
            end=stated + relativedelta(months=BUYER_SPREAD_MONTHS),
            shown_from=stated - relativedelta(months=BUYER_LEAD_MONTHS),
            label=label,
            kind=kind,
            text=f"around {day(stated)} ± {BUYER_SPREAD_MONTHS} months",
        )
    end = record.initial_end or record.end
    if end is None:
        return None
    start, close = (
        end - relativedelta(months=WINDOW_OPENS_MONTHS),
        end - relativedelta(months=WINDOW_CLOSES_MONTHS),
    )
    text = f"market engagement or tender expected between {day(start)} and {day(close)}" + (
        f", unless extended (possible until {day(record.max_end)})"
        if record.max_end is not None and record.max_end > end
        else ""
    )
    date = record.max_end if kind == EXTENDABLE else end
    assert date is not None
    return Window(
        start=start,
        end=close,
        shown_from=end - relativedelta(months=radar_months),
        label=LABELS[kind].format(date=day(date)),
        kind=kind,
        text=text,
    )


def single_placement(record: ContractRecord) -> bool:
    """Whether the contract buys a place for one person (a care or school placement)."""
    return bool(_SINGLE_PLACEMENT.search(record.title))


def skip_reason(record: ContractRecord, as_of: datetime) -> str | None:
    """Why the record is left off the radar as of `as_of`, or None when it stays on it."""
    if record.status == SUPERSEDED:
        return "superseded"
    if record.status == ENDED:
        return "ended"
    if record.value is not None and record.value <= MINIMUM_VALUE:
        return "a nominal value (£0 or £1)"
    if single_placement(record):
        return "a placement of one person"
    end = record.end
    if end is not None and end < as_of + relativedelta(months=SOONEST_MONTHS):
        return "ended or ending within 2 months"
    if end is None and record.next_procurement is None:
        return "no end date"
    return None


def on_radar(
    record: ContractRecord, as_of: datetime, *, radar_months: int = DEFAULT_RADAR_MONTHS
) -> Window | None:
    """The record's window when it is due as of `as_of` (None: skipped, not yet, or closed)."""
    if skip_reason(record, as_of) is not None:
        return None
    found = window(record, radar_months=radar_months)
    if found is None or found.shown_from > as_of or found.end < as_of:
        return None
    return found
