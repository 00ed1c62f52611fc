"""The radar reads a contract's value a year as the rule sets do: over its longest duration."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.radar.value import yearly_value

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)
MAX_END = datetime(2028, 1, 1, tzinfo=UTC)


def _over(value: int, days: int) -> Decimal:
    return (Decimal(value) / (Decimal(days) / Decimal("365.25"))).quantize(Decimal(1))


def test_the_value_is_spread_over_the_longest_stated_duration():
    assert yearly_value(Decimal(120000), START, END, MAX_END) == _over(120000, 1095)
    assert yearly_value(Decimal(120000), START, END, None) == _over(120000, 730)
    # A maximum before the end (a typo) does not shorten the contract.
    assert yearly_value(Decimal(120000), START, END, START) == _over(120000, 730)


def test_a_year_or_less_counts_whole():
    assert yearly_value(Decimal(50000), START, datetime(2025, 9, 1, tzinfo=UTC), None) == 50000


def test_unknown_when_the_value_or_the_period_is_not_stated():
    assert yearly_value(None, START, END, MAX_END) is None
    assert yearly_value(Decimal(120000), None, END, MAX_END) is None
    assert yearly_value(Decimal(120000), START, None, None) is None
