"""Reading chat command arguments: regions, amounts, times and days, each checked.

Every reader raises `ArgumentError` with a one-line message naming what was wrong.
"""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal, InvalidOperation

from rules.places import REGION_NAMES, is_postcode_area, itl_code, region_codes

MAX_COMMAND_LENGTH = 500
MAX_WORD_LENGTH = 40
MAX_MUTES = 20
MAX_REGIONS = 12
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_AMOUNT = re.compile(r"^£?\s*(\d[\d,]*(?:\.\d+)?)\s*([km]?)$", re.IGNORECASE | re.ASCII)
_NUMBER = re.compile(r"[0-9]{1,19}")
"""A whole number in ASCII digits only: `str.isdigit` also passes ``²`` and ``٣``, which
`int` then refuses or reads as something else."""
MAX_DATABASE_ID = 2**63 - 1
"""The largest id SQLite can store (ids from buttons beyond it are not ours)."""
_WORD = re.compile(r"^[\w][\w' -]*$")


class ArgumentError(ValueError):
    """A command argument is not valid; the message says which and why."""


def _known_place(phrase: str, single_word: bool) -> bool:
    if region_codes(phrase):
        return True
    return single_word and (itl_code(phrase) is not None or is_postcode_area(phrase))


def read_regions(words: list[str]) -> tuple[str, ...]:
    """Region names ("North East"), ITL codes (UKC) or postcode areas (NE), as written.

    Commas separate places; otherwise the longest known name at each point wins, so
    "North East London" is two regions.
    """
    found: list[str] = []
    for group in " ".join(words).split(","):
        tokens = group.replace(";", " ").split()
        index = 0
        while index < len(tokens):
            for end in range(len(tokens), index, -1):
                phrase = " ".join(tokens[index:end])
                if _known_place(phrase, end == index + 1):
                    found.append(phrase)
                    index = end
                    break
            else:
                known = ", ".join(REGION_NAMES.values())
                raise ArgumentError(
                    f"I don't know the region {tokens[index]!r}. Try one of: {known}; an ITL "
                    "code such as UKC; or a postcode area such as NE."
                )
    if len(found) > MAX_REGIONS:
        raise ArgumentError(f"At most {MAX_REGIONS} regions, please.")
    return tuple(dict.fromkeys(found))


def read_amount(text: str) -> Decimal:
    """An amount such as ``50000``, ``£50,000``, ``50k`` or ``1.5m``."""
    match = _AMOUNT.match(text.strip())
    if not match:
        raise ArgumentError(
            f"{text!r} is not an amount. Write it like 50000, £50,000, 50k or 1.5m (or 'any')."
        )
    try:
        number = Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:
        raise ArgumentError(f"{text!r} is not an amount.") from None
    number *= {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    if number <= 0 or number > 10_000_000_000:
        raise ArgumentError("The amount must be more than £0 and at most £10 billion.")
    return number.quantize(Decimal(1))


def read_number(text: str, *, low: int, high: int) -> int | None:
    """A whole number written in ASCII digits, from `low` to `high`; None if it is not one."""
    if not _NUMBER.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def read_time(text: str) -> time:
    """A time of day ``HH:MM``."""
    try:
        moment = time.fromisoformat(text.strip())
    except ValueError:
        raise ArgumentError(
            f"{text!r} is not a time of day; write it as HH:MM, e.g. 08:30."
        ) from None
    return moment.replace(second=0, microsecond=0)


def read_day(text: str) -> int:
    """A day of the week (``monday``, ``mon``), Monday being 0."""
    word = text.strip().lower()
    for index, day in enumerate(DAYS):
        if len(word) >= 3 and day.startswith(word):
            return index
    raise ArgumentError(f"{text!r} is not a day of the week (monday ... sunday).")


def read_word(text: str) -> str:
    """A word or short phrase to mute: letters, digits, spaces, hyphens and apostrophes."""
    word = " ".join(text.split()).lower()
    if not word or len(word) > MAX_WORD_LENGTH or not _WORD.match(word):
        raise ArgumentError(
            f"A muted word is letters, digits, spaces or hyphens, {MAX_WORD_LENGTH} characters "
            "at most."
        )
    return word
