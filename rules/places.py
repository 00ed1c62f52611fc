"""Places: UK region names, ITL/NUTS codes and postcode areas, reduced to comparable codes.

Everything becomes an ITL code with the ``UK`` prefix: ``UKC`` is the North East, ``UKM82``
Glasgow City, ``UK`` the whole United Kingdom. ITL 2021 codes (``TLC``) are read as their
NUTS twins (``UKC``). A postcode area maps to the region(s) it lies in.

The names of ITL codes have one home, ``data/itl_names.csv`` shipped beside this module
(from the ONS ITL code list, as the file says): `itl_names` reads it, and `REGION_NAMES`
is its ITL1 part.
"""

from __future__ import annotations

import csv
import functools
import re
from importlib import resources


@functools.cache
def itl_names() -> dict[str, str]:
    """ITL code (``UKJ3``) to name (``Hampshire and Isle of Wight``), regions first."""
    text = resources.files("rules").joinpath("data", "itl_names.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    reader = csv.reader(lines[1:])  # the first line is the header
    return {code: name for code, name in reader}


REGION_NAMES: dict[str, str] = {code: name for code, name in itl_names().items() if len(code) == 3}
"""The twelve ITL1 regions (``UKC``: ``North East`` ... ``UKN``: ``Northern Ireland``)."""
ENGLAND = ("UKC", "UKD", "UKE", "UKF", "UKG", "UKH", "UKI", "UKJ", "UKK")

_NAME_TO_CODES: dict[str, tuple[str, ...]] = {
    name.lower(): (code,) for code, name in REGION_NAMES.items()
}
_NAME_TO_CODES.update(
    {
        "yorkshire and humber": ("UKE",),
        "yorkshire & the humber": ("UKE",),
        "yorkshire": ("UKE",),
        "eastern": ("UKH",),
        "east of england": ("UKH",),
        "east": ("UKH",),
        "england": ENGLAND,
        "united kingdom": ("UK",),
        "uk": ("UK",),
        "great britain": ("UK",),
        "any region": ("UK",),
        "cymru": ("UKL",),
    }
)
WIDE_NAMES = {"england": "England", "united kingdom": "the UK", "uk": "the UK"}

_AREAS: dict[str, tuple[str, ...]] = {}
for _codes, _areas in (
    (("UKC",), "NE DH SR TS DL"),
    (("UKD",), "CA LA PR BB BL FY L M WA WN OL SK CW"),
    (("UKD", "UKL"), "CH"),
    (("UKE",), "YO HG LS BD HX HD WF S HU"),
    (("UKE", "UKF"), "DN"),
    (("UKF",), "NG LE LN NN"),
    (("UKF", "UKG"), "DE"),
    (("UKG",), "B CV WV WS DY ST TF WR HR"),
    (("UKG", "UKL"), "SY"),
    (("UKH",), "CB CO CM IP NR SG AL LU SS WD"),
    (("UKH", "UKF"), "PE"),
    (("UKI",), "E EC N NW SE SW W WC BR CR HA IG RM SM TW UB"),
    (("UKI", "UKH"), "EN"),
    (("UKI", "UKJ"), "DA KT"),
    (("UKJ",), "BN CT GU ME MK OX PO RG RH SL SO TN"),
    (("UKJ", "UKH"), "HP"),
    (("UKK",), "BA BH BS DT EX GL PL SN TA TQ TR"),
    (("UKK", "UKJ"), "SP"),
    (("UKL",), "CF LD LL NP SA"),
    (("UKM",), "AB DD DG EH FK G HS IV KA KW KY ML PA PH ZE"),
    (("UKM", "UKC"), "TD"),
    (("UKN",), "BT"),
):
    for _area in _areas.split():
        _AREAS[_area] = _codes

_ITL = re.compile(r"^(?:UK|TL)([C-N](?:[0-9A-Z]{0,3}))$")
_POSTCODE_AREA = re.compile(r"^([A-Z]{1,2})(?:[0-9].*)?$")


def itl_code(text: str) -> str | None:
    """``UKM82`` or ``TLM82`` as ``UKM82``; ``UK`` as ``UK``; anything else None."""
    compact = text.strip().upper().replace(" ", "")
    if compact in ("UK", "TL"):
        return "UK"
    match = _ITL.match(compact)
    return f"UK{match.group(1)}" if match else None


def region_codes(name: str) -> tuple[str, ...] | None:
    """The ITL codes a region name stands for ("England" is nine regions), or None."""
    return _NAME_TO_CODES.get(" ".join(name.lower().replace("&", "and").split()))


def postcode_area(text: str) -> str | None:
    """The postcode area (``NE`` of ``NE1 4ST``) if `text` starts like a UK postcode."""
    match = _POSTCODE_AREA.match(text.strip().upper())
    if match and match.group(1) in _AREAS:
        return match.group(1)
    return None


def area_regions(area: str) -> tuple[str, ...]:
    """The ITL1 codes a postcode area lies in (most areas: one)."""
    return _AREAS.get(area.upper(), ())


def is_postcode_area(text: str) -> bool:
    """Whether `text` is exactly a known postcode area such as ``NE`` or ``G``."""
    return text.strip().upper() in _AREAS


def describe(code: str) -> str:
    """A readable name for an ITL code: ``North East``, ``Scotland (UKM82)``, ``the UK``."""
    if code == "UK":
        return "the UK"
    if code in REGION_NAMES:
        return REGION_NAMES[code]
    parent = REGION_NAMES.get(code[:3])
    return f"{parent} ({code})" if parent else code
