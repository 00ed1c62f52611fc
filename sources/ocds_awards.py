"""Contract awards of an OCDS release: who won, the contract's terms, and its size flags.

Find a Tender lists each award's suppliers by id in ``awards[].suppliers`` and describes
them in ``parties[]``, where ``details.scale`` is ``sme`` or ``large`` and ``details.vcse``
is true or false. Other publishers may put the same facts on the supplier reference itself.

The contract's terms sit on the award in an award notice (UK6, Contracts Finder:
``awards[].contractPeriod``) and on ``contracts[]`` (joined by ``awardID``) in a contract
details, change or termination notice (UK7, UK10, UK11). A contract whose award is not in
the release (a termination notice) is still read, under its ``awardID``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sources.notice import Award, Supplier
from sources.ocds_fields import amount, flag, mapping, optional_datetime, sequence, whole_days
from sources.text import clean_text

_SCALES = {"sme": True, "micro": True, "small": True, "medium": True, "large": False}
_CPV = re.compile(r"^(\d{8})(?:-\d)?$")


def _size_flags(details: Mapping[str, Any]) -> tuple[bool | None, bool | None]:
    scale = details.get("scale")
    sme = _SCALES.get(scale.strip().lower()) if isinstance(scale, str) else None
    return sme, flag(details.get("vcse"))


def _suppliers(
    award: Mapping[str, Any], parties: Mapping[str, Mapping[str, Any]]
) -> tuple[Supplier, ...]:
    suppliers: list[Supplier] = []
    for reference in sequence(award.get("suppliers")):
        ref = mapping(reference)
        party = parties.get(str(ref.get("id")), {})
        sme, vcse = _size_flags(mapping(party.get("details")) or mapping(ref.get("details")))
        name = clean_text(str(ref.get("name") or party.get("name") or ""))
        if name or sme is not None or vcse is not None:
            suppliers.append(Supplier(name=name, sme=sme, vcse=vcse))
    return tuple(suppliers)


def _items(sections: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """CPV codes and delivery regions of the items of the first section that lists items."""
    codes: list[str] = []
    regions: list[str] = []
    for section in sections:
        for item in (mapping(i) for i in sequence(section.get("items"))):
            classes = [item.get("classification"), *sequence(item.get("additionalClassifications"))]
            for entry in (mapping(c) for c in classes):
                match = _CPV.match(str(entry.get("id") or "").strip())
                if match and str(entry.get("scheme", "CPV")).upper() == "CPV":
                    codes.append(match.group(1))
            for address in (mapping(a) for a in sequence(item.get("deliveryAddresses"))):
                region = clean_text(str(address.get("region") or ""))
                if region:
                    regions.append(region)
        if codes or regions:
            break
    return tuple(dict.fromkeys(codes)), tuple(dict.fromkeys(regions))


def _notice_type(sections: Sequence[Mapping[str, Any]], release_id: object) -> str | None:
    """The notice type of the release's own document in these sections, else the last one."""
    found: str | None = None
    for section in sections:
        for doc in (mapping(d) for d in sequence(section.get("documents"))):
            kind = doc.get("noticeType")
            if not isinstance(kind, str) or not kind.strip():
                continue
            if doc.get("id") == release_id:
                return kind.strip().upper()
            found = found or kind.strip().upper()
    return found


def _first(sections: Sequence[Mapping[str, Any]], key: str) -> Any:
    return next((s[key] for s in sections if s.get(key) not in (None, "", [], {})), None)


def _text(value: object) -> str:
    return clean_text(str(mapping(value).get("description") or ""), multiline=True)


def _date(value: object, field: str) -> datetime | None:
    return optional_datetime(value, field=field)


def _award(
    award: Mapping[str, Any],
    contract: Mapping[str, Any],
    *,
    index: int,
    parties: Mapping[str, Mapping[str, Any]],
    release_id: object,
) -> Award:
    where = f"awards[{index}]"
    # The contract's own statement first (a contract notice), then the award's.
    sections = [s for s in (contract, award) if s]
    period = mapping(contract.get("period")) or mapping(award.get("contractPeriod"))
    value, _ = amount(award.get("value"), field=f"{where}.value")
    contract_value, _ = amount(contract.get("value"), field=f"{where}.contract.value")
    implementation = mapping(contract.get("implementation"))
    cpv, regions = _items([award, contract])
    status = award.get("status")
    contract_status = contract.get("status")
    title = _first(sections, "title")
    return Award(
        id=clean_text(str(award.get("id") or contract.get("awardID") or index + 1)),
        status=status if isinstance(status, str) else None,
        date=_date(award.get("date"), f"{where}.date"),
        value=value,
        suppliers=_suppliers(award, parties),
        title=clean_text(title) if isinstance(title, str) else "",
        lot_ids=tuple(clean_text(str(lot)) for lot in sequence(award.get("relatedLots"))),
        notice_type=_notice_type(sections, release_id),
        contract_status=contract_status if isinstance(contract_status, str) else None,
        contract_value=contract_value if contract_value is not None else value,
        start=_date(period.get("startDate"), f"{where}.contractPeriod.startDate"),
        end=_date(period.get("endDate"), f"{where}.contractPeriod.endDate"),
        max_end=_date(period.get("maxExtentDate"), f"{where}.contractPeriod.maxExtentDate"),
        ended=_date(implementation.get("endDate"), f"{where}.implementation.endDate"),
        has_renewal=flag(_first(sections, "hasRenewal")),
        renewal=_text(_first(sections, "renewal")),
        options=_text(_first(sections, "options")),
        cpv=cpv,
        regions=regions,
        signed=_date(contract.get("dateSigned"), f"{where}.contract.dateSigned"),
        duration_days=whole_days(period.get("durationInDays")),
    )


def release_awards(release: Mapping[str, Any]) -> tuple[Award, ...]:
    """Every award in the release (and every contract without one), with its contract terms."""
    raw_awards = [mapping(a) for a in sequence(release.get("awards"))]
    raw_contracts = [mapping(c) for c in sequence(release.get("contracts"))]
    if not raw_awards and not raw_contracts:
        return ()
    parties = {
        str(party.get("id")): party
        for party in (mapping(p) for p in sequence(release.get("parties")))
        if party.get("id") is not None
    }
    contracts: dict[str, Mapping[str, Any]] = {}
    for contract in raw_contracts:
        key = str(contract.get("awardID") or contract.get("id") or "")
        contracts.setdefault(key, contract)
    release_id = release.get("id")
    awards: list[Award] = []
    seen: set[str] = set()
    for index, award in enumerate(raw_awards):
        key = str(award.get("id") or "")
        seen.add(key)
        awards.append(
            _award(
                award,
                contracts.get(key, {}),
                index=index,
                parties=parties,
                release_id=release_id,
            )
        )
    for offset, (key, contract) in enumerate(contracts.items(), start=len(raw_awards)):
        if key not in seen:
            awards.append(
                _award({}, contract, index=offset, parties=parties, release_id=release_id)
            )
    return tuple(awards)
