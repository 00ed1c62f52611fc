"""The `Notice` record: one published procurement notice, as every layer sees it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

STAGE_LABELS = {
    "planning": "Early engagement",
    "planningUpdate": "Early engagement (updated)",
    "tender": "Open for bids",
    "tenderAmendment": "Open for bids (amended)",
    "tenderUpdate": "Open for bids (updated)",
    "tenderCancellation": "Cancelled",
    "award": "Awarded",
    "awardUpdate": "Awarded (updated)",
    "awardCancellation": "Award cancelled",
    "contract": "Contract signed",
}
"""Plain-English names of OCDS stages."""

STAGES_OPEN = frozenset({"planning", "tender", "tenderAmendment"})
"""Stages in which a notice is still open to suppliers (alerts go out for these)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """A procurement notice normalised from any source.

    Text fields are clean plain text; datetimes are timezone-aware UTC; money is `Decimal`.
    Tuples hold what the publisher listed, in its order.
    """

    source: str
    id: str
    release_id: str
    stage: str
    title: str
    description: str = ""
    buyer: str = ""
    buyer_postcode: str | None = None
    regions: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()
    value_low: Decimal | None = None
    value_high: Decimal | None = None
    currency: str | None = None
    cpv_main: str | None = None
    cpv_additional: tuple[str, ...] = ()
    published: datetime | None = None
    release_date: datetime
    deadline: datetime | None = None
    suitable_sme: bool | None = None
    suitable_vcse: bool | None = None
    procedure: str | None = None
    status: str | None = None
    url: str | None = None
    portal_url: str | None = None

    @property
    def cpv_codes(self) -> tuple[str, ...]:
        """The main CPV code (if any) followed by the additional ones."""
        main = (self.cpv_main,) if self.cpv_main else ()
        return main + tuple(c for c in self.cpv_additional if c != self.cpv_main)

    @property
    def stage_label(self) -> str:
        """A plain-English name for the stage, e.g. "Open for bids"."""
        return STAGE_LABELS.get(self.stage, self.stage)

    @property
    def is_open_stage(self) -> bool:
        """Whether the notice is in a stage where suppliers can still respond."""
        return self.stage in STAGES_OPEN


def notice_to_dict(notice: Notice) -> dict[str, Any]:
    """Turn a notice into JSON-ready data (the inverse of `notice_from_dict`)."""
    out: dict[str, Any] = {}
    for field in dataclasses.fields(notice):
        value = getattr(notice, field.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[field.name] = value
    return out


_DATETIME_FIELDS = frozenset({"published", "release_date", "deadline"})
_DECIMAL_FIELDS = frozenset({"value_low", "value_high"})
_TUPLE_FIELDS = frozenset({"regions", "postcodes", "cpv_additional"})


def notice_from_dict(data: dict[str, Any]) -> Notice:
    """Rebuild a notice from `notice_to_dict` output; unknown keys are ignored.

    Raises:
        KeyError, TypeError, ValueError: when required fields are missing or malformed.
    """
    names = {f.name for f in dataclasses.fields(Notice)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            continue
        if value is not None and key in _DATETIME_FIELDS:
            value = datetime.fromisoformat(value)
        elif value is not None and key in _DECIMAL_FIELDS:
            value = Decimal(value)
        elif key in _TUPLE_FIELDS:
            value = tuple(value)
        kwargs[key] = value
    return Notice(**kwargs)
