"""Reading the fields of an OCDS release: JSON, dates, deadlines, money, flags, free-text URLs.

Shared by every OCDS mapping; knows publishers' habits (zone-less dates, bare-date deadlines,
``1e9999`` placeholders, gross-only values) and nothing of any one publisher's structure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import msgspec

from sources.text import clean_text

_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL_TOKEN = re.compile(r"(?:https?://|www\.)[^\s\"'<>(){}\[\]]+", re.IGNORECASE)
LONDON = ZoneInfo("Europe/London")


class MappingError(ValueError):
    """A release lacks something a `Notice` needs, or has it in an unusable form."""


def _parse_int(text: str) -> int | Decimal:
    # Python refuses to turn more than 4,300 digits into an int; such a number is garbage
    # in one field, and must not make the whole page unreadable.
    return int(text) if len(text) <= 100 else Decimal(text)


_DECODER = msgspec.json.Decoder(float_hook=Decimal)


def load_json(payload: bytes | str) -> Any:
    """Parse JSON with exact decimals (``1e9999`` stays a number, never a float overflow).

    msgspec reads an ordinary page several times faster, numbers with a fraction or an
    exponent as `Decimal`; a page it refuses (an integer beyond 64 bits, a lone surrogate,
    deep nesting) is read by the standard parser, so it is read, salvaged or refused exactly
    as before.

    Raises:
        ValueError: the payload is not valid UTF-8 JSON.
        RecursionError: the payload nests deeper than the parser allows.
    """
    try:
        return _DECODER.decode(payload)
    except (msgspec.DecodeError, RecursionError):
        return json.loads(payload, parse_float=Decimal, parse_int=_parse_int)


def parse_datetime(value: object, *, field: str) -> datetime:
    """Parse an OCDS date-time as an aware UTC datetime (a zone-less one is taken as UTC).

    Raises:
        MappingError: the value is not an ISO 8601 date-time.
    """
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{field}: expected a date-time, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise MappingError(f"{field}: {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def optional_datetime(value: object, *, field: str) -> datetime | None:
    """`parse_datetime`, with None for a missing or empty value."""
    if value in (None, ""):
        return None
    return parse_datetime(value, field=field)


def parse_deadline(value: object, *, field: str) -> datetime | None:
    """A deadline: a date-time as `parse_datetime` reads it; a bare date is the end of that day.

    UK publishers mean "by the end of 24 August" when they give only ``2026-08-24``, and they
    mean London's day: ``23:59:59`` Europe/London, never midnight UTC (a day early).

    Raises:
        MappingError: the value is neither a date nor a date-time.
    """
    if value in (None, ""):
        return None
    if isinstance(value, str) and _BARE_DATE.match(value.strip()):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise MappingError(f"{field}: {value!r} is not a date") from None
        return datetime.combine(day, time(23, 59, 59), LONDON).astimezone(UTC)
    return parse_datetime(value, field=field)


_EMPTY: Mapping[str, Any] = {}


def mapping(value: object) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    # `dict` first: decoded JSON is always a dict, and the ABC check costs ten times more.
    if type(value) is dict:
        return value
    if value is None or not isinstance(value, Mapping):
        return _EMPTY
    return value


def sequence(value: object) -> Sequence[Any]:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else ()


def amount(value: object, *, field: str) -> tuple[Decimal | None, str | None]:
    """An OCDS Value as (amount, currency): ``amountGross`` when there is no ``amount``.

    Placeholders for "not stated" (``1e9999``, zero, negative numbers) read as None.

    Raises:
        MappingError: the amount is not a number.
    """
    money = mapping(value)
    raw = money.get("amount")
    if raw is None:
        raw = money.get("amountGross")  # Find a Tender may state only the gross value
    currency = money.get("currency") if isinstance(money.get("currency"), str) else None
    if raw is None or isinstance(raw, bool):
        return None, currency
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        raise MappingError(f"{field}: {raw!r} is not a number") from None
    # Publishers use absurd placeholders (1e9999, negative numbers, zero) for "not stated".
    if not number.is_finite() or number <= 0 or number > Decimal("1e15"):
        return None, currency
    return number, currency


def period_bounds(
    period: object, *, field: str
) -> tuple[datetime | None, datetime | None, datetime | None]:
    """An OCDS Period as (start, end, longest end).

    The end is ``endDate``, else the start plus ``durationInDays``; the longest end is
    ``maxExtentDate`` (how far extensions, renewals and options can take it), when later.

    Raises:
        MappingError: a date is malformed.
    """
    table = mapping(period)
    start = optional_datetime(table.get("startDate"), field=f"{field}.startDate")
    end = optional_datetime(table.get("endDate"), field=f"{field}.endDate")
    days = _days(table.get("durationInDays"))
    if end is None and start is not None and days is not None:
        end = start + timedelta(days=days)
    longest = optional_datetime(table.get("maxExtentDate"), field=f"{field}.maxExtentDate")
    return start, end, longest


def _days(value: object) -> int | None:
    """A positive whole number of days, or None."""
    # A duration beyond a century is a placeholder (Find a Tender writes 1e9999), not a term.
    if isinstance(value, int | Decimal) and not isinstance(value, bool) and 0 < value < 36525:
        return int(value)
    return None


def renewal_end(renewal: object, end: datetime | None, *, field: str) -> datetime | None:
    """How far a stated renewal (OCDS ``renewal.period``) takes the contract past `end`.

    Only structured figures count (a ``maxExtentDate``, or ``durationInDays`` after `end`);
    free-text renewal descriptions are not guessed at.

    Raises:
        MappingError: a date is malformed.
    """
    period = mapping(mapping(renewal).get("period"))
    longest = optional_datetime(period.get("maxExtentDate"), field=f"{field}.maxExtentDate")
    if longest is not None:
        return longest
    days = _days(period.get("durationInDays"))
    if end is not None and days is not None:
        return end + timedelta(days=days)
    return None


def first_url(text: object) -> str | None:
    """The first web address in free text: a bare URL, a ``www.`` host, or one inside prose.

    A ``www.`` host gets ``https://``; trailing punctuation of the sentence is left out.
    """
    if not isinstance(text, str):
        return None
    found = _URL_TOKEN.search(text)
    if found is None:
        return None
    url = found.group(0).rstrip(".,;:!?'\"")
    if url.lower().startswith("www."):
        url = "https://" + url
    return url if "." in urlsplit(url).netloc else None


def strings(value: object) -> tuple[str, ...]:
    """The non-empty strings of a JSON array, cleaned."""
    return tuple(clean_text(v) for v in sequence(value) if isinstance(v, str) and v.strip())


def flag(value: object) -> bool | None:
    """`value` if it is a JSON boolean, else None."""
    return value if isinstance(value, bool) else None


def whole_days(value: object) -> int | None:
    """A positive number of days (``durationInDays``) as an integer, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = Decimal(str(value))
    if not number.is_finite() or number <= 0 or number > 36600:
        return None
    return int(number)
