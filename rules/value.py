"""Value conditions: the whole contract, a year of it, or any one of its lots."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rules.conditions import Reasons, lot_name
from rules.context import Context
from rules.scale import (
    LONGEST_TERM_YEARS,
    Scale,
    contract_scale,
    lot_scale,
    scale_text,
    short_money,
)


def _money(amount: Decimal) -> str:
    return f"£{amount:,.0f}" if amount == amount.to_integral_value() else f"£{amount:,.2f}"


PASS, UNKNOWN, MISSING, NEAR, FAIL = "pass", "unknown", "missing", "near", "fail"


@dataclass(frozen=True, slots=True)
class Value:
    """The notice's value at most / at least an amount.

    `per_year`: judge the value a year, read as `rules.scale` reads it (net value over the
    longest stated duration; unknown with no period). `lots`: when the notice's lots state
    values, it passes if any one lot passes, and the reason names that lot; otherwise the
    whole notice is judged. `per_provider`: for a framework or dynamic market that many
    providers join, judge one provider's share; when their number is not stated the scale
    is unknown. An unknown scale passes when `missing_passes`, and demotes when `soft`;
    `soft` also demotes (rather than rejects) a value above `at_most` up to
    `possible_at_most`.
    """

    at_most: Decimal | None
    at_least: Decimal | None
    missing_passes: bool
    per_year: bool = False
    lots: bool = False
    per_provider: bool = False
    soft: bool = False
    possible_at_most: Decimal | None = None

    def _verdict(self, amount: Decimal) -> str:
        if self.at_least is not None and amount < self.at_least:
            return FAIL
        if self.at_most is not None and amount > self.at_most:
            near = self.possible_at_most is not None and amount <= self.possible_at_most
            return NEAR if near else FAIL
        return PASS

    def _bounds(self, amount: Decimal | None = None) -> str:
        """The bounds, said of `amount` when given: ``≤ £400,000``, or ``above £400,000``."""
        if amount is not None and self.at_most is not None and amount > self.at_most:
            return f"above {_money(self.at_most)}"
        if amount is not None and self.at_least is not None and amount < self.at_least:
            return f"below {_money(self.at_least)}"
        bounds = []
        if self.at_least is not None:
            bounds.append(f"≥ {_money(self.at_least)}")
        if self.at_most is not None:
            bounds.append(f"≤ {_money(self.at_most)}")
        return " and ".join(bounds)

    def judge(self, ctx: Context) -> tuple[str, list[str]]:
        """The verdict (pass, unknown, missing, near or fail) and the words for it."""
        notice = ctx.notice
        if self.per_provider and notice.many_providers and self.per_year:
            return self._scaled(contract_scale(notice), "value")
        priced = [lot for lot in notice.lots if lot.value is not None] if self.lots else []
        if priced:
            verdicts = [
                self._scaled(lot_scale(lot, notice), lot_name(lot))
                if self.per_year
                else self._whole(lot.value, lot_name(lot))
                for lot in priced
            ]
            for wanted in (PASS, UNKNOWN, NEAR):
                found = next((v for v in verdicts if v[0] == wanted), None)
                if found is not None:
                    return found
            return FAIL, []
        low, high = notice.value_low, notice.value_high
        shown = f"{_money(low)}–{_money(high)}" if low and high and low != high else None
        if self.per_year:
            scale = contract_scale(notice, per_provider=self.per_provider)
            return self._scaled(scale, "value", shown)
        return self._whole(high if high is not None else low, "value", shown)

    def _whole(
        self, amount: Decimal | None, what: str, shown: str | None = None
    ) -> tuple[str, list[str]]:
        if amount is None:
            return MISSING, [f"{what} not stated"]
        verdict = self._verdict(amount)
        return verdict, [f"{what} {shown or _money(amount)} {self._bounds(amount)}".strip()]

    def _scaled(self, scale: Scale, what: str, shown: str | None = None) -> tuple[str, list[str]]:
        if scale.total is None:
            return MISSING, [f"{what} not stated"]
        text = scale_text(scale) if scale.shared else f"{what} {scale_text(scale)}"
        if scale.per_year is None:
            # A whole value within a yearly cap is within it however long the contract runs.
            if self.at_least is None and self._verdict(scale.total) == PASS:
                whole = shown or _money(scale.total)
                each = " each" if scale.providers else ""
                bounds = self._bounds()
                return PASS, [f"{what} {whole}{each} {bounds} a year whatever its length"]
            least = scale.least_per_year
            if least is not None and self.at_least is None and self._verdict(least) == FAIL:
                span = f"{LONGEST_TERM_YEARS:.0f} years"
                return FAIL, [f"{text}: over {short_money(least)} a year even over {span}"]
            return UNKNOWN, [text]
        if scale.years is not None and scale.years <= 1 and not scale.shared:
            text = f"{what} {shown or _money(scale.total)}"  # a year or less counts whole
        bounds = self._bounds(scale.per_year)
        return self._verdict(scale.per_year), [f"{text} {bounds}".strip()]

    def test(self, ctx: Context) -> Reasons:
        """Compare the notice's (or a lot's) value, whole or a year, with the bounds."""
        verdict, reasons = self.judge(ctx)
        if verdict == PASS or (verdict in (UNKNOWN, MISSING) and self.missing_passes):
            return reasons
        return None

    def soft_test(self, ctx: Context) -> tuple[Reasons, str | None]:
        """As `test`, but an unknown scale or a value a little too high demotes: (reasons, why)."""
        verdict, reasons = self.judge(ctx)
        if verdict == PASS or (verdict == MISSING and self.missing_passes):
            return reasons, None
        if verdict in (UNKNOWN, MISSING):
            return reasons, "scale unknown" if verdict == UNKNOWN else "value not stated"
        if verdict == NEAR:
            assert self.at_most is not None
            return reasons, f"value above {short_money(self.at_most)}" + (
                " a year" if self.per_year else ""
            )
        return None, None

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
        soft = ""
        if self.soft:
            soft = " (soft: an unknown scale"
            if self.possible_at_most is not None:
                soft += f" or up to {_money(self.possible_at_most)}"
            soft += " makes it possible)"
        return f"value{per} {' and '.join(parts)}{lots}{share}{soft}"
