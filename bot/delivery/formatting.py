"""Human-readable pieces of an alert shared by every notifier: money, deadlines, places."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from rules.scale import Scale, contract_scale, lot_scale
from sources.notice import Notice

_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def format_money(amount: Decimal, currency: str | None) -> str:
    """``£48,000`` or ``£1,250.50``; unknown currencies as ``1,000 CHF``."""
    whole = amount == amount.to_integral_value()
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    symbol = _SYMBOLS.get(currency or "GBP")
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def format_value(notice: Notice) -> str:
    """The value or range, with the value a year when the contract runs over a year.

    ``£1,200,000 (£300,000 a year over 4 years)``, ``£40,000``, or "not stated".
    """
    low, high = notice.value_low, notice.value_high
    if low is None and high is None:
        return "not stated"
    if low is None or high is None or low == high:
        amount = high if high is not None else low
        assert amount is not None
        text = format_money(amount, notice.currency)
    else:
        text = f"{format_money(low, notice.currency)}–{format_money(high, notice.currency)}"
    return text + value_reading(contract_scale(notice), notice.currency)


def value_reading(scale: Scale, currency: str | None) -> str:
    """How the value a year was read, in brackets after the value (or nothing).

    ``(£100,000 a year over up to 5 years incl. extensions)``, ``(in all: framework open to
    many providers: ...)``; nothing for a contract of a year or less or with no period.
    """
    if scale.total is None:
        return ""
    if scale.per_year is None:
        # A value with no period speaks for itself; a whole framework's value would mislead.
        shared = scale.unknown is not None and "provider" in scale.unknown
        return f" (in all: {scale.unknown})" if shared else ""
    years = scale.years
    if years is None or round(years, 1) <= 1:
        return ""
    rounded = round(years, 1)
    span = f"{rounded:.0f}" if rounded == rounded.to_integral_value() else f"{rounded:.1f}"
    up_to = "up to " if scale.extended else ""
    incl = " incl. extensions" if scale.extended else ""
    each = " each" if scale.providers else ""
    money = format_money(scale.per_year, currency)
    return f" ({money} a year{each} over {up_to}{span} years{incl})"


def format_lots(notice: Notice, limit: int = 6) -> list[str]:
    """One line per lot: ``Lot 2 'Befriending, West' £160,000 (£40,000 a year over 4 years)``.

    Only for notices with more than one lot, or a lot with a title; at most `limit` lines.
    """
    lots = notice.lots
    if len(lots) < 2 and not any(lot.title for lot in lots):
        return []
    lines = []
    for lot in lots[:limit]:
        name = f"Lot {lot.id}" + (f" '{lot.title}'" if lot.title else "")
        value = "value not stated"
        if lot.value is not None:
            value = format_money(lot.value, notice.currency) + value_reading(
                lot_scale(lot, notice), notice.currency
            )
        flags = " · suitable for VCSEs" if lot.suitable_vcse else ""
        lines.append(f"{name} {value}{flags}")
    if len(lots) > limit:
        lines.append(f"and {len(lots) - limit} more lot(s)")
    return lines


def format_signals(notice: Notice) -> str:
    """What Find a Tender says about who it suits: reservations, VCSE suitability, regime."""
    signals = []
    if notice.reserved_for_sme_vcse:
        signals.append("reserved for SMEs and VCSEs")
    elif notice.suitable_vcse:
        signals.append("suitable for VCSEs")
    elif notice.suitable_sme:
        signals.append("suitable for SMEs")
    if notice.below_threshold:
        signals.append("below threshold")
    if "lightTouch" in notice.special_regimes:
        signals.append("light-touch regime")
    return ", ".join(signals)


def days_left(deadline: datetime, now: datetime, zone: ZoneInfo) -> int:
    """Whole calendar days from today to the deadline's day, in the configured timezone."""
    return (deadline.astimezone(zone).date() - now.astimezone(zone).date()).days


def format_deadline(notice: Notice, now: datetime, zone: ZoneInfo) -> str:
    """``Mon 17 Feb 2025 17:00 GMT (24 days left)``, ``... (closed)``, or "not stated"."""
    if notice.deadline is None:
        return "not stated"
    local = notice.deadline.astimezone(zone)
    text = f"{local:%a} {local.day} {local:%b %Y %H:%M %Z}"
    if notice.deadline <= now:
        return f"{text} (closed)"
    left = days_left(notice.deadline, now, zone)
    if left <= 0:
        hours = math.ceil((notice.deadline - now).total_seconds() / 3600)
        return f"{text} (closes today, {hours}h left)"
    return f"{text} ({left} day{'s' if left != 1 else ''} left)"


def format_place(notice: Notice) -> str:
    """Delivery regions, else delivery postcodes, else the buyer's postcode, else "not stated"."""
    if notice.regions:
        return ", ".join(notice.regions)
    if notice.postcodes:
        return ", ".join(notice.postcodes)
    if notice.buyer_postcode:
        return f"buyer at {notice.buyer_postcode}"
    return "not stated"


def format_stage(notice: Notice) -> str:
    """A plain-English label for the notice's stage."""
    return notice.stage_label
