"""Reading the tender section of an OCDS release: codes, places, lots, periods, techniques."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sources.notice import UNLIMITED_PARTICIPANTS, Lot, latest
from sources.ocds_fields import (
    amount,
    flag,
    mapping,
    optional_datetime,
    period_bounds,
    renewal_end,
    sequence,
    whole_days,
)
from sources.text import clean_text

_CPV = re.compile(r"^(\d{8})(?:-\d)?$")


def _cpv(code: object) -> str | None:
    if not isinstance(code, str | int):
        return None
    match = _CPV.match(str(code).strip())
    return match.group(1) if match else None


def tender_cpv_codes(tender: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    """The main CPV code and the additional ones (from the tender and its items), deduplicated."""

    def cpv_of(classification: object) -> str | None:
        entry = mapping(classification)
        scheme = str(entry.get("scheme", "CPV")).upper()
        return _cpv(entry.get("id")) if scheme == "CPV" else None

    main = cpv_of(tender.get("classification"))
    extra: list[str] = []
    sources: list[object] = list(sequence(tender.get("additionalClassifications")))
    for item in sequence(tender.get("items")):
        sources.append(mapping(item).get("classification"))
        sources.extend(sequence(mapping(item).get("additionalClassifications")))
    for classification in sources:
        code = cpv_of(classification)
        if code and code != main and code not in extra:
            extra.append(code)
    if main is None and extra:
        main, extra = extra[0], extra[1:]
    return main, tuple(extra)


def tender_delivery(tender: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The regions and postcodes where the tender's items are delivered, in published order."""
    regions: list[str] = []
    postcodes: list[str] = []
    for item in sequence(tender.get("items")):
        item_map = mapping(item)
        addresses = list(sequence(item_map.get("deliveryAddresses")))
        addresses.extend(sequence(item_map.get("deliveryLocations")))
        for address in addresses:
            address_map = mapping(address)
            address_map = mapping(address_map.get("address")) or address_map
            region = clean_text(str(address_map.get("region") or ""))
            postcode = clean_text(str(address_map.get("postalCode") or "")).upper()
            if region and region not in regions:
                regions.append(region)
            if postcode and postcode not in postcodes:
                postcodes.append(postcode)
    return tuple(regions), tuple(postcodes)


def tender_lots(tender: Mapping[str, Any]) -> tuple[Lot, ...]:
    """The tender's lots (a lot with no id is numbered from 1).

    Raises:
        MappingError: a lot's value or period is malformed.
    """
    lots = []
    for index, raw in enumerate(sequence(tender.get("lots"))):
        lot = mapping(raw)
        suitability = mapping(lot.get("suitability"))
        value, _ = amount(lot.get("value"), field=f"tender.lots[{index}].value")
        start, end, longest = period_bounds(lot.get("contractPeriod"), field="lots.contractPeriod")
        renewed = renewal_end(lot.get("renewal"), end, field="lots.renewal.period")
        lots.append(
            Lot(
                id=clean_text(str(lot.get("id") or index + 1)),
                title=clean_text(str(lot.get("title") or "")),
                value=value,
                contract_start=start,
                contract_end=end,
                max_end=latest(longest, renewed),
                suitable_sme=flag(suitability.get("sme")),
                suitable_vcse=flag(suitability.get("vcse")),
                duration_days=whole_days(mapping(lot.get("contractPeriod")).get("durationInDays")),
            )
        )
    return tuple(lots)


def tender_contract_period(
    tender: Mapping[str, Any], lots: Sequence[Lot]
) -> tuple[datetime | None, datetime | None, datetime | None]:
    """The contract's (start, end, longest end), from the tender or else from its lots."""
    start, end, longest = period_bounds(tender.get("contractPeriod"), field="tender.contractPeriod")
    longest = latest(longest, renewal_end(tender.get("renewal"), end, field="tender.renewal"))
    starts = [lot.contract_start for lot in lots if lot.contract_start]
    ends = [lot.contract_end for lot in lots if lot.contract_end]
    longest = latest(longest, *(lot.max_end for lot in lots))
    return start or min(starts, default=None), end or max(ends, default=None), longest


def tender_duration_days(tender: Mapping[str, Any], lots: Sequence[Lot]) -> int | None:
    """The contract's length in days when it is stated only so (``durationInDays``).

    The tender's own, else its longest lot's: Public Contracts Scotland and Sell2Wales state
    most terms this way, with no dates.
    """
    days = whole_days(mapping(tender.get("contractPeriod")).get("durationInDays"))
    return days or max((lot.duration_days for lot in lots if lot.duration_days), default=None)


def tender_suitable(tender: Mapping[str, Any], lots: Sequence[Lot], key: str) -> bool | None:
    """Tender-level suitability, else true when any lot says so (where Find a Tender puts it)."""
    stated = flag(mapping(tender.get("suitability")).get(key))
    if stated is not None:
        return stated
    values = [getattr(lot, f"suitable_{key}") for lot in lots]
    if any(v is True for v in values):
        return True
    return False if values and all(v is False for v in values) else None


def tender_techniques(tender: Mapping[str, Any]) -> dict[str, Any]:
    """Framework and dynamic market facts from ``tender.techniques`` (OCDS techniques)."""
    techniques = mapping(tender.get("techniques"))
    agreement = mapping(techniques.get("frameworkAgreement"))
    dynamic = mapping(techniques.get("dynamicPurchasingSystem"))
    limit = agreement.get("maximumParticipants")
    participants: int | None = None
    if isinstance(limit, int | Decimal) and not isinstance(limit, bool):
        number = Decimal(limit)
        if not number.is_finite() or number >= UNLIMITED_PARTICIPANTS:
            participants = UNLIMITED_PARTICIPANTS
        elif number > 0:
            participants = int(number)
    return {
        "framework": techniques.get("hasFrameworkAgreement") is True or bool(agreement),
        "open_framework": agreement.get("isOpenFrameworkScheme") is True,
        "dynamic_market": techniques.get("hasDynamicPurchasingSystem") is True or bool(dynamic),
        "max_participants": participants,
    }


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_YEAR = re.compile(r"\b([a-z]{3,9})\.?\s+(20\d\d)\b", re.IGNORECASE)


def tender_recurrence(tender: Mapping[str, Any]) -> tuple[datetime | None, str]:
    """The buyer's stated next procurement (``tender.recurrence``): its date and its words.

    The date is the first of ``recurrence.dates[].startDate``; failing that, a month and year
    written in the description ("January 2030") reads as the first of that month. A bare year
    ("re-tendered in 2029") gives no date: the words are kept for the reader.
    """
    recurrence = mapping(tender.get("recurrence"))
    words = clean_text(str(recurrence.get("description") or ""), multiline=True)
    for entry in sequence(recurrence.get("dates")):
        start = optional_datetime(
            mapping(entry).get("startDate"), field="tender.recurrence.dates.startDate"
        )
        if start is not None:
            return start, words
    for name, year in _MONTH_YEAR.findall(words):
        month = _MONTHS.get(name.lower())
        if month is not None:
            return datetime(int(year), month, 1, tzinfo=UTC), words
    return None, words
