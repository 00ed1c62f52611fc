"""A contract's value a year: the one place the radar reads it, so its reading can change."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sources.notice import contract_years, per_year


def yearly_value(
    value: Decimal | None, start: datetime | None, end: datetime | None
) -> Decimal | None:
    """`value` spread over the years from `start` to `end` (whole for a year or less).

    The same reading the rule sets' ``per_year`` value condition makes of a notice.
    """
    return per_year(value, contract_years(start, end))
