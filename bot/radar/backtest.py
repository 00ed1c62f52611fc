"""Grading the radar's past windows against what followed, label by label.

A window is graded once it has closed (its end is before the moment of grading). What
followed is, in this order:

- ``successor in window``: a re-tender (see `bot.radar.successors`) appeared inside it: a hit;
- ``extended``: the contract was extended past its initial end;
- ``ended without successor``: it was terminated and no re-tender has appeared;
- ``successor outside window``: a re-tender appeared, earlier or later than the window said;
- ``unknown``: nothing more has been published about it.

The hit rate of a label is its hits over its graded windows whose outcome is known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.radar.contracts import ENDED, EXTENDED, ContractRecord
from bot.radar.windows import LABELS, single_placement, window

HIT = "successor in window"
EXTENDED_OUTCOME = "extended"
ENDED_OUTCOME = "ended without successor"
OUTSIDE = "successor outside window"
UNKNOWN = "unknown"
OUTCOMES = (HIT, EXTENDED_OUTCOME, ENDED_OUTCOME, OUTSIDE, UNKNOWN)


@dataclass(slots=True)
class LabelGrades:
    """How the closed windows of one label turned out."""

    kind: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    @property
    def graded(self) -> int:
        """Closed windows whose outcome is known."""
        return sum(self.counts.values()) - self.counts[UNKNOWN]

    @property
    def hit_rate(self) -> float | None:
        """Hits over graded windows (None when none is graded yet)."""
        return self.counts[HIT] / self.graded if self.graded else None


def outcome(record: ContractRecord, start: datetime, end: datetime) -> str:
    """What followed the record's window from `start` to `end`."""
    if record.successor_date is not None and start <= record.successor_date <= end:
        return HIT
    if record.status == EXTENDED:
        return EXTENDED_OUTCOME
    if record.status == ENDED and record.successor_date is None:
        return ENDED_OUTCOME
    if record.successor_date is not None:
        return OUTSIDE
    return UNKNOWN


def grade(records: Iterable[ContractRecord], as_of: datetime) -> dict[str, LabelGrades]:
    """Grades per label kind (every kind of `LABELS`, in order) of the windows closed by `as_of`.

    Superseded contracts, nominal values and single placements are never predicted, so they
    are not graded.
    """
    grades = {kind: LabelGrades(kind) for kind in LABELS}
    for record in records:
        if record.status == "superseded" or single_placement(record):
            continue
        if record.value is not None and record.value <= 1:
            continue
        found = window(record)
        if found is None or found.end >= as_of:
            continue
        grades[found.kind].counts[outcome(record, found.start, found.end)] += 1
    return grades
