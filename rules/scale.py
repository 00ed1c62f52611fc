"""A contract's scale as a charity reads it: the value a year, which figure, and why.

A published estimate covers the maximum duration, extensions, renewals and options
included, and its net figure (without VAT) is the one a bidder prices against; so the
value a year is the net value over the longest stated duration. A value with no period at
all has no known scale a year (never "a year"), and a framework or dynamic market that
many providers join has no known scale for one provider unless their number is stated.

A value with no period still has a floor a year: public service contracts, extensions
included, do not run past `LONGEST_TERM_YEARS`, so a total that is too large even spread
over that long is too large however long the contract really is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sources.notice import (
    UNLIMITED_PARTICIPANTS,
    Lot,
    Notice,
    contract_years,
    latest,
    per_year,
    term_years,
)

LONGEST_TERM_YEARS = Decimal(10)
"""The longest a public service contract plausibly runs, extensions included (frameworks run
up to 4 years, open frameworks up to 8, under the Procurement Act 2023)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scale:
    """The value read for one contract or lot.

    `per_year` is None when the scale a year is unknown; `unknown` then says why.
    """

    total: Decimal | None
    per_year: Decimal | None
    years: Decimal | None = None
    extended: bool = False
    providers: int | None = None
    shared: str | None = None
    unknown: str | None = None

    @property
    def known(self) -> bool:
        """Whether the value a year is known."""
        return self.per_year is not None

    @property
    def least_per_year(self) -> Decimal | None:
        """With no period stated: the least the value a year can be (over the longest term)."""
        if self.per_year is not None or self.total is None or self.years is not None:
            return None
        if self.unknown != NO_PERIOD:
            return None
        return (self.total / LONGEST_TERM_YEARS).quantize(Decimal(1))


NO_PERIOD = "no contract period stated"


def short_money(amount: Decimal) -> str:
    """``£1.3m``, ``£260k``, ``£900`` (for a line a person reads at a glance)."""
    if amount >= 1_000_000:
        text = f"{amount / 1_000_000:.1f}".removesuffix(".0")
        return f"£{text}m"
    if amount >= 10_000:
        return f"£{amount / 1000:.0f}k"
    if amount >= 1000:
        return f"£{amount / 1000:.1f}".removesuffix(".0") + "k"
    return f"£{amount:.0f}"


def _period(
    start: datetime | None,
    end: datetime | None,
    max_end: datetime | None,
    days: int | None = None,
) -> tuple[Decimal | None, bool]:
    """Years over the longest end, else a length stated only in days; and whether extended."""
    years = contract_years(start, latest(end, max_end))
    if years is None:
        return term_years(None, None, days), False
    extended = max_end is not None and end is not None and max_end > end
    return years, extended


def contract_scale(notice: Notice, *, per_provider: bool = True) -> Scale:
    """The scale of the whole contract (one provider's share, for a many-provider framework)."""
    total = notice.value_high if notice.value_high is not None else notice.value_low
    years, extended = _period(
        notice.contract_start, notice.contract_end, notice.max_end, notice.duration_days
    )
    if total is None:
        return Scale(total=None, per_year=None, unknown="value not stated")
    if per_provider and notice.many_providers:
        kind = "dynamic market" if notice.dynamic_market else "framework"
        providers = notice.max_participants
        if providers is None or providers >= UNLIMITED_PARTICIPANTS:
            return Scale(
                total=total,
                per_year=None,
                years=years,
                extended=extended,
                unknown=f"{kind} open to many providers: one provider's share is not stated",
            )
        share = (total / providers).quantize(Decimal(1))
        shared = f"{kind} for {providers} providers"
        if years is None:
            return Scale(
                total=share,
                per_year=None,
                providers=providers,
                shared=shared,
                unknown=NO_PERIOD,
            )
        return Scale(
            total=share,
            per_year=per_year(share, years),
            years=years,
            extended=extended,
            providers=providers,
            shared=shared,
        )
    if years is None:
        return Scale(total=total, per_year=None, unknown=NO_PERIOD)
    return Scale(total=total, per_year=per_year(total, years), years=years, extended=extended)


def lot_scale(lot: Lot, notice: Notice) -> Scale:
    """The scale of one lot; a lot with no period of its own takes the contract's."""
    if lot.value is None:
        return Scale(total=None, per_year=None, unknown="value not stated")
    if lot.contract_start is not None and lot.contract_end is not None:
        years, extended = _period(lot.contract_start, lot.contract_end, lot.max_end)
    elif lot.duration_days:
        years, extended = _period(None, None, None, lot.duration_days)
    else:
        years, extended = _period(
            notice.contract_start, notice.contract_end, notice.max_end, notice.duration_days
        )
    if years is None:
        return Scale(total=lot.value, per_year=None, unknown=NO_PERIOD)
    return Scale(
        total=lot.value, per_year=per_year(lot.value, years), years=years, extended=extended
    )


def _span(years: Decimal) -> str:
    rounded = round(years, 1)
    text = f"{rounded:.0f}" if rounded == rounded.to_integral_value() else f"{rounded:.1f}"
    return f"{text} year" + ("" if rounded == 1 else "s")


def scale_text(scale: Scale) -> str:
    """Which figure was used and why, e.g.

    ``£1.3m over up to 5 years incl. extensions ≈ £260k a year``, ``£80k over 0.7 years: a
    year or less, counted whole``, ``£2m, scale unknown: no contract period stated``.
    """
    if scale.total is None:
        return "value not stated"
    whole = short_money(scale.total)
    each = " each" if scale.providers else ""
    if scale.shared:
        whole = f"{scale.shared}: {whole}"
    if scale.per_year is None:
        if scale.total is not None and scale.unknown and "share is not stated" in scale.unknown:
            return f"{whole} in all, scale unknown: {scale.unknown}"
        return f"{whole}{each}, scale unknown: {scale.unknown}"
    assert scale.years is not None
    if scale.years <= 1:
        return f"{whole}{each} over {_span(scale.years)}: a year or less, counted whole"
    up_to = "up to " if scale.extended else ""
    incl = " incl. extensions" if scale.extended else ""
    return (
        f"{whole}{each} over {up_to}{_span(scale.years)}{incl} ≈ "
        f"{short_money(scale.per_year)} a year"
    )
