"""Pulling deadlines, values and dates out of the free text councils publish."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
DEFAULT_DATE_FORMATS = (
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d %B %Y %H:%M",
    "%d %B %Y",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%A %d %B %Y",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)
_AMOUNT = re.compile(
    r"£\s*(\d[\d,]*(?:\.\d+)?)\s*(k|m|bn|million|thousand|billion)?\b|"
    r"\b(\d[\d,]*(?:\.\d+)?)\s*(k|m|million|thousand)?\s*(?:GBP|pounds)\b",
    re.IGNORECASE,
)
_MULTIPLIERS = {
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "million": 1_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}
_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b", re.IGNORECASE)


def parse_money(text: str) -> tuple[Decimal | None, Decimal | None]:
    """The lowest and highest sterling amounts in `text` (``£48,000 - £60k`` gives 48000, 60000)."""
    amounts = []
    for match in _AMOUNT.finditer(text):
        digits = (match.group(1) or match.group(3) or "").replace(",", "")
        unit = (match.group(2) or match.group(4) or "").lower()
        try:
            amount = Decimal(digits) * _MULTIPLIERS.get(unit, 1)
        except InvalidOperation:
            continue
        amounts.append(amount)
    if not amounts:
        return None, None
    return min(amounts), max(amounts)


def parse_date(text: str, formats: Sequence[str] = DEFAULT_DATE_FORMATS) -> datetime | None:
    """A UK date (and time) in `text`, as an aware UTC datetime; None if none of the formats fit.

    A date without a time is taken as the end of that day, UK time.
    """
    cleaned = " ".join(_ORDINAL.sub(r"\1", text.replace(",", " ")).split())
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(cleaned)
        if len(cleaned) == 10:
            parsed = datetime.combine(parsed.date(), time(23, 59, 59))
    except ValueError:
        for fmt in formats:
            try:
                found = datetime.strptime(cleaned, fmt)
            except ValueError:
                continue
            has_time = any(code in fmt for code in ("%H", "%I"))
            parsed = found if has_time else datetime.combine(found.date(), time(23, 59, 59))
            break
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UK)
    return parsed.astimezone(UTC)


def content_id(*parts: object) -> str:
    """A stable id for a version of a notice built from its visible content."""
    digest = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8"))
    return digest.hexdigest()[:20]
