"""Human-readable pieces of an alert shared by every notifier: money, deadlines, places."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sources.notice import Notice

_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def format_money(amount: Decimal, currency: str | None) -> str:
    """``£48,000`` or ``£1,250.50``; unknown currencies as ``1,000 CHF``."""
    whole = amount == amount.to_integral_value()
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    symbol = _SYMBOLS.get(currency or "GBP")
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def format_value(notice: Notice) -> str:
    """The notice's value or range, or "not stated"."""
    low, high = notice.value_low, notice.value_high
    if low is None and high is None:
        return "not stated"
    if low is None or high is None or low == high:
        amount = high if high is not None else low
        assert amount is not None
        return format_money(amount, notice.currency)
    return f"{format_money(low, notice.currency)}–{format_money(high, notice.currency)}"


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
