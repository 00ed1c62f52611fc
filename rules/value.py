"""Value conditions: the whole contract, a year of it, or any one of its lots."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rules.conditions import Reasons, lot_name
from rules.context import Context
from sources.notice import UNLIMITED_PARTICIPANTS, Notice


def _money(amount: Decimal) -> str:
    return f"£{amount:,.0f}" if amount == amount.to_integral_value() else f"£{amount:,.2f}"


def _value_text(notice: Notice) -> str:
    low, high = notice.value_low, notice.value_high
    if low is not None and high is not None and low != high:
        return f"{_money(low)}–{_money(high)}"
    amount = high if high is not None else low
    return _money(amount) if amount is not None else "not stated"


@dataclass(frozen=True, slots=True)
class Value:
    """The notice's value at most / at least an amount.

    `per_year`: judge the value a year (the value over the contract's years; a contract of a
    year or less counts whole). `lots`: when the notice's lots state values, it passes if any
    one lot passes, and the reason names that lot; otherwise the whole notice is judged.
    `per_provider`: for a framework or dynamic market that many providers join, judge one
    provider's share (the value over the stated number of providers); when that number is
    not stated, no one provider's share is known and the notice passes, saying so.
    """

    at_most: Decimal | None
    at_least: Decimal | None
    missing_passes: bool
    per_year: bool = False
    lots: bool = False
    per_provider: bool = False

    def _within(self, amount: Decimal) -> bool:
        if self.at_most is not None and amount > self.at_most:
            return False
        return self.at_least is None or amount >= self.at_least

    def _bounds(self) -> str:
        bounds = []
        if self.at_least is not None:
            bounds.append(f"≥ {_money(self.at_least)}")
        if self.at_most is not None:
            bounds.append(f"≤ {_money(self.at_most)}")
        return " and ".join(bounds)

    def test(self, ctx: Context) -> Reasons:
        """Compare the notice's (or a lot's) value, whole or a year, with the bounds."""
        notice = ctx.notice
        if self.per_provider and notice.many_providers:
            return self._share(notice)
        priced = [lot for lot in notice.lots if lot.value is not None] if self.lots else []
        if priced:
            for lot in priced:
                amount = lot.value_per_year if self.per_year else lot.value
                assert amount is not None
                if self._within(amount):
                    years = lot.years if self.per_year else None
                    return [f"{lot_name(lot)} {_amount(amount, years)} {self._bounds()}"]
            return None
        whole = notice.value_high if notice.value_high is not None else notice.value_low
        if whole is None:
            return ["value not stated"] if self.missing_passes else None
        amount = notice.value_per_year if self.per_year else whole
        assert amount is not None
        if not self._within(amount):
            return None
        if self.per_year and notice.years is not None and notice.years > 1:
            return [
                f"value {_value_text(notice)}, {_amount(amount, notice.years)} {self._bounds()}"
            ]
        return [f"value {_value_text(notice)} {self._bounds()}".strip()]

    def _share(self, notice: Notice) -> Reasons:
        kind = "dynamic market" if notice.dynamic_market else "framework"
        providers = notice.max_participants
        whole = notice.value_per_year if self.per_year else notice.value_high
        if providers is None or providers >= UNLIMITED_PARTICIPANTS or whole is None:
            return [f"{kind} open to many providers: one provider's share is not stated"]
        share = (whole / providers).quantize(Decimal(1))
        if not self._within(share):
            return None
        per = " a year" if self.per_year else ""
        return [f"{kind} for {providers} providers: {_money(share)}{per} each {self._bounds()}"]

    def describe(self) -> str:
        """What the condition asks for, in words."""
        parts = []
        if self.at_least is not None:
            parts.append(f"at least {_money(self.at_least)}")
        if self.at_most is not None:
            parts.append(f"at most {_money(self.at_most)}")
        per = " a year" if self.per_year else ""
        lots = " (the whole contract, or any one lot)" if self.lots else ""
        share = " (one provider's share of a framework)" if self.per_provider else ""
        return f"value{per} {' and '.join(parts)}{lots}{share}"


def _amount(amount: Decimal, years: Decimal | None) -> str:
    if years is None or years <= 1:
        return _money(amount)
    rounded = round(years, 1)
    if rounded <= 1:
        return _money(amount)
    span = f"{rounded:.0f}" if rounded == rounded.to_integral_value() else f"{rounded:.1f}"
    return f"{_money(amount)} a year over {span} years"
