"""Places as people say them: ITL codes as names, postcodes spaced, with their town.

``UKJ3`` reads "South East · Hampshire and Isle of Wight"; ``CH21UL`` reads "CH2 1UL". The
ITL names are the rules package's (`rules.places.itl_names`, from the ONS ITL code list);
the towns postcode areas are named after are data shipped beside this module
(``data/postcode_areas.csv``, saying where it comes from).
"""

from __future__ import annotations

import csv
import functools
import re
from importlib import resources

from rules.places import itl_code, itl_names, postcode_area

__all__ = ["format_postcode", "itl_names", "itl_place", "postcode_place", "postcode_towns"]

SEPARATOR = " · "
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def _rows(name: str) -> dict[str, str]:
    text = resources.files("bot.delivery").joinpath("data", name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    reader = csv.reader(lines[1:])  # the first line is the header
    return {key: value for key, value in reader}


@functools.cache
def postcode_towns() -> dict[str, str]:
    """Postcode area (``CH``) to the town it is named after (``Chester``)."""
    return _rows("postcode_areas.csv")


def itl_place(text: str) -> str:
    """An ITL code as its names from the region down.

    ``UKJ3`` is ``South East · Hampshire and Isle of Wight``; a code below the listed levels
    adds itself (``... · UKJ38``); text that is not a code comes back as it is.
    """
    code = itl_code(text)
    if code is None:
        return text.strip()
    if code == "UK":
        return "the whole UK"
    names = itl_names()
    parts = [names[code[:n]] for n in range(3, len(code) + 1) if code[:n] in names]
    if not parts:
        return code
    if code not in names:
        parts.append(code)
    # Northern Ireland is one region at ITL1 and ITL2: say it once.
    return SEPARATOR.join(dict.fromkeys(parts))


def format_postcode(text: str) -> str:
    """A UK postcode spaced and in capitals (``ch21ul`` -> ``CH2 1UL``); anything else as is."""
    compact = "".join(text.split()).upper()
    match = _POSTCODE.match(compact)
    return f"{match.group(1)} {match.group(2)}" if match else text.strip()


def postcode_place(postcode: str, town: str | None = None) -> str:
    """A postcode with its town (``CH2 1UL, Chester``).

    The town is `town` when the notice gives one, else the town its postcode area is named
    after; the postcode alone if neither.
    """
    formatted = format_postcode(postcode)
    area = postcode_area(formatted)
    where = (town or "").strip() or (postcode_towns().get(area, "") if area else "")
    return f"{formatted}, {where}" if where else formatted
