"""A contract's value a year: the one place the radar reads it, so its reading can change."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from rules.scale import lot_scale
from sources.notice import Lot, Notice

_NO_PERIOD = Notice(
    source="radar",
    id="",
    release_id="",
    stage="contract",
    title="",
    release_date=datetime(1970, 1, 1, tzinfo=UTC),
)
"""A process with no contract period of its own: a contract without both ends has no
known scale a year, never its whole value."""


def yearly_value(
    value: Decimal | None,
    start: datetime | None,
    end: datetime | None,
    max_end: datetime | None,
) -> Decimal | None:
    """`value` a year, read as the rule sets read a lot (`rules.scale.lot_scale`).

    The value is spread over the longest stated duration, from `start` to the later of
    `end` and `max_end` (extensions included; a year or less counts whole); None when the
    value or the period is unknown.
    """
    contract = Lot(
        id="contract", value=value, contract_start=start, contract_end=end, max_end=max_end
    )
    return lot_scale(contract, _NO_PERIOD).per_year
