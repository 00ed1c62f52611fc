"""Pure mapping of OCDS releases to `Notice` records, shared by every OCDS source.

Contracts Finder, Find a Tender, Public Contracts Scotland and Sell2Wales all publish OCDS
1.1 releases with their own habits; this module knows those habits and nothing about HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sources.errors import Problem
from sources.notice import UNLIMITED_PARTICIPANTS, Lot, Notice, latest
from sources.ocds_awards import release_awards
from sources.ocds_fields import (
    MappingError,
    amount,
    first_url,
    flag,
    load_json,
    mapping,
    optional_datetime,
    parse_datetime,
    parse_deadline,
    period_bounds,
    renewal_end,
    sequence,
    strings,
    whole_days,
)
from sources.ocds_stages import NOTICE_TYPE_STAGES, notice_type, release_stage, stage_of
from sources.text import clean_text

__all__ = [
    "NOTICE_TYPE_STAGES",
    "MappedReleases",
    "MappingError",
    "load_json",
    "map_releases",
    "parse_datetime",
    "release_to_notice",
    "releases_of",
    "stage_of",
]

_NOTICE_DOCUMENT_TYPES = (
    "tenderNotice",
    "contractNotice",
    "marketEngagementNotice",
    "plannedProcurementNotice",
    "awardNotice",
)
_CPV = re.compile(r"^(\d{8})(?:-\d)?$")


@dataclass(frozen=True, slots=True, kw_only=True)
class MappedReleases:
    """The notices mapped from a batch of releases, and the releases that were skipped."""

    notices: tuple[Notice, ...]
    problems: tuple[Problem, ...]


def _cpv(code: object) -> str | None:
    if not isinstance(code, str | int):
        return None
    match = _CPV.match(str(code).strip())
    return match.group(1) if match else None


def _cpv_codes(tender: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
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


def _delivery(tender: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
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


def _buyer(release: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    buyer = mapping(release.get("buyer"))
    parties = [mapping(p) for p in sequence(release.get("parties"))]
    party = next((p for p in parties if buyer.get("id") and p.get("id") == buyer.get("id")), None)
    if party is None:
        party = next((p for p in parties if "buyer" in sequence(p.get("roles"))), {})
    name = clean_text(str(buyer.get("name") or party.get("name") or ""))
    address = mapping(party.get("address"))
    postcode = clean_text(str(address.get("postalCode") or "")).upper()
    town = clean_text(str(address.get("locality") or ""))
    return name, postcode or None, town or None


def _documents(release: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    docs = [mapping(d) for d in sequence(mapping(release.get("tender")).get("documents"))]
    docs += [mapping(d) for d in sequence(mapping(release.get("planning")).get("documents"))]
    for award in sequence(release.get("awards")):
        docs += [mapping(d) for d in sequence(mapping(award).get("documents"))]
    return [d for d in docs if isinstance(d.get("url"), str) and d["url"].startswith("http")]


def _urls(
    docs: list[Mapping[str, Any]], release: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    notices = [d for d in docs if d.get("documentType") in _NOTICE_DOCUMENT_TYPES]
    pages = [d for d in notices if d.get("format") == "text/html"] or notices
    url: str | None = pages[0]["url"] if pages else None
    notice_host = urlsplit(url).hostname if url else None

    portal = first_url(mapping(release.get("tender")).get("submissionMethodDetails"))
    if portal is None:
        links = [
            d["url"]
            for d in docs
            if d.get("documentType") in (None, "Link", "link")
            and urlsplit(d["url"]).hostname != notice_host
        ]
        portal = links[0] if links else None
    if url is None:
        for link in sequence(mapping(release.get("links")).get("all")):
            href = mapping(link).get("href")
            if isinstance(href, str) and href.startswith("http"):
                url = href
                break
    return url, portal


def _deadline(release: Mapping[str, Any], stage: str) -> datetime | None:
    tender = mapping(release.get("tender"))
    end = mapping(tender.get("tenderPeriod")).get("endDate")
    if end:
        return parse_deadline(end, field="tender.tenderPeriod.endDate")
    interest = tender.get("expressionOfInterestDeadline")
    if interest:  # two-stage procedures: the first (and only published) deadline
        return parse_deadline(interest, field="tender.expressionOfInterestDeadline")
    if stage.startswith("planning"):
        for milestone in sequence(mapping(release.get("planning")).get("milestones")):
            entry = mapping(milestone)
            if entry.get("type") == "engagement" and entry.get("dueDate"):
                return parse_deadline(entry["dueDate"], field="planning.milestones.dueDate")
    return None


def _lots(tender: Mapping[str, Any]) -> tuple[Lot, ...]:
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


def _contract_period(
    tender: Mapping[str, Any], lots: Sequence[Lot]
) -> tuple[datetime | None, datetime | None, datetime | None]:
    """The contract's (start, end, longest end), from the tender or else from its lots."""
    start, end, longest = period_bounds(tender.get("contractPeriod"), field="tender.contractPeriod")
    longest = latest(longest, renewal_end(tender.get("renewal"), end, field="tender.renewal"))
    starts = [lot.contract_start for lot in lots if lot.contract_start]
    ends = [lot.contract_end for lot in lots if lot.contract_end]
    longest = latest(longest, *(lot.max_end for lot in lots))
    return start or min(starts, default=None), end or max(ends, default=None), longest


def _suitable(tender: Mapping[str, Any], lots: Sequence[Lot], key: str) -> bool | None:
    """Tender-level suitability, else true when any lot says so (where Find a Tender puts it)."""
    stated = flag(mapping(tender.get("suitability")).get(key))
    if stated is not None:
        return stated
    values = [getattr(lot, f"suitable_{key}") for lot in lots]
    if any(v is True for v in values):
        return True
    return False if values and all(v is False for v in values) else None


def _techniques(tender: Mapping[str, Any]) -> dict[str, Any]:
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


def _related_ids(release: Mapping[str, Any], ocid: str) -> tuple[str, ...]:
    """OCIDs of the same process at another publisher (a forwarded notice's canonical link)."""
    found: list[str] = []
    for link in sequence(mapping(release.get("links")).get("all")) or sequence(
        release.get("links")
    ):
        entry = mapping(link)
        href = entry.get("href")
        if entry.get("rel") != "canonical" or not isinstance(href, str):
            continue
        for value in parse_qs(urlsplit(href).query).get("id", []):
            if value.startswith("ocds-") and value != ocid and value not in found:
                found.append(value)
    return tuple(found)


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


def _recurrence(tender: Mapping[str, Any]) -> tuple[datetime | None, str]:
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


def release_to_notice(release: Mapping[str, Any], *, source: str) -> Notice:
    """Map one OCDS release to a `Notice`.

    Args:
        release: a decoded OCDS release (numbers ideally parsed as `Decimal`).
        source: the configured source name, stored on the notice.

    Raises:
        MappingError: a required field (ocid, date, tag, title) is missing or malformed.
    """
    return Notice(**release_fields(release, source=source))


def release_fields(release: Mapping[str, Any], *, source: str) -> dict[str, Any]:
    """The fields of the `Notice` that `release_to_notice` makes.

    A publisher's own mapping adjusts them before the notice is built, so it is built once.

    Raises:
        MappingError: a required field (ocid, date, tag, title) is missing or malformed.
    """
    if not isinstance(release, Mapping):
        raise MappingError(f"expected a release object, got {type(release).__name__}")
    ocid = release.get("ocid")
    if not isinstance(ocid, str) or not ocid.strip():
        raise MappingError("ocid: missing")
    release_date = parse_datetime(release.get("date"), field="date")
    release_id = release.get("id")
    if not isinstance(release_id, str) or not release_id.strip():
        release_id = f"{ocid}@{release_date.isoformat()}"
    kind = notice_type(release)
    stage = release_stage(release, kind)
    tender = mapping(release.get("tender"))
    planning = mapping(release.get("planning"))

    title = clean_text(str(tender.get("title") or release.get("title") or ""))
    if not title:
        raise MappingError("tender.title: missing")
    description = clean_text(
        str(tender.get("description") or planning.get("rationale") or ""), multiline=True
    )
    buyer, buyer_postcode, buyer_town = _buyer(release)
    regions, postcodes = _delivery(tender)
    high, currency = amount(tender.get("value"), field="tender.value.amount")
    low, low_currency = amount(tender.get("minValue"), field="tender.minValue.amount")
    if high is None and low is None:
        budget, currency = amount(mapping(planning.get("budget")).get("amount"), field="budget")
        high = low = budget
    low = low if low is not None else high
    high = high if high is not None else low
    if low is not None and high is not None and low > high:
        low, high = high, low
    cpv_main, cpv_additional = _cpv_codes(tender)
    documents = _documents(release)
    url, portal_url = _urls(documents, release)
    published = optional_datetime(tender.get("datePublished"), field="tender.datePublished")
    if published is None:
        doc_dates = [
            parse_datetime(d["datePublished"], field="documents.datePublished")
            for d in documents
            if d.get("documentType") in _NOTICE_DOCUMENT_TYPES and d.get("datePublished")
        ]
        published = min(doc_dates, default=release_date)
    lots = _lots(tender)
    contract_start, contract_end, max_end = _contract_period(tender, lots)
    if high is None and low is None:
        lot_values = [lot.value for lot in lots if lot.value is not None]
        if lot_values:
            low, high = min(lot_values), sum(lot_values, Decimal(0))
    procedure = tender.get("procurementMethodDetails") or tender.get("procurementMethod")
    status = tender.get("status")
    requirements = mapping(tender.get("otherRequirements"))
    gazetteer = mapping(mapping(requirements.get("reservedParticipationLocation")).get("gazetteer"))
    legal_basis = mapping(tender.get("legalBasis")).get("scheme")

    next_procurement, recurrence = _recurrence(tender)
    return dict(
        source=source,
        id=ocid.strip(),
        release_id=release_id.strip(),
        stage=stage,
        title=title,
        description=description,
        buyer=buyer,
        buyer_postcode=buyer_postcode,
        buyer_town=buyer_town,
        regions=regions,
        postcodes=postcodes,
        value_low=low,
        value_high=high,
        currency=currency or low_currency,
        cpv_main=cpv_main,
        cpv_additional=cpv_additional,
        published=published,
        release_date=release_date,
        deadline=_deadline(release, stage),
        suitable_sme=_suitable(tender, lots, "sme"),
        suitable_vcse=_suitable(tender, lots, "vcse"),
        procedure=clean_text(procedure) if isinstance(procedure, str) else None,
        status=status if isinstance(status, str) else None,
        url=url,
        portal_url=portal_url,
        notice_type=kind,
        legal_basis=legal_basis if isinstance(legal_basis, str) else None,
        special_regimes=strings(tender.get("specialRegime")),
        above_threshold=flag(tender.get("aboveThreshold")),
        reserved=strings(requirements.get("reservedParticipation")),
        reserved_locations=strings(gazetteer.get("identifiers")),
        lots=lots,
        contract_start=contract_start,
        contract_end=contract_end,
        max_end=max_end,
        enquiry_deadline=parse_deadline(
            mapping(tender.get("enquiryPeriod")).get("endDate"), field="tender.enquiryPeriod"
        ),
        eoi_deadline=parse_deadline(
            tender.get("expressionOfInterestDeadline"), field="tender.expressionOfInterestDeadline"
        ),
        related_ids=_related_ids(release, ocid.strip()),
        **_techniques(tender),
        awards=release_awards(release),
        expected_tender_date=optional_datetime(
            mapping(tender.get("communication")).get("futureNoticeDate"),
            field="tender.communication.futureNoticeDate",
        ),
        next_procurement=next_procurement,
        recurrence=recurrence,
    )


def map_releases(
    releases: Iterable[object],
    *,
    source: str,
    mapper: Callable[..., Notice] | None = None,
) -> MappedReleases:
    """Map many releases, reporting each one that cannot be mapped instead of failing all.

    `mapper` maps one release (default: `release_to_notice`).
    """
    mapper = mapper or release_to_notice
    notices: list[Notice] = []
    problems: list[Problem] = []
    for index, release in enumerate(releases):
        try:
            notices.append(mapper(_checked(release), source=source))
        except Exception as exc:  # one bad record must never block the rest of its page
            record = mapping(release).get("id") or mapping(release).get("ocid")
            what = str(exc) if isinstance(exc, MappingError) else f"{type(exc).__name__}: {exc}"
            problems.append(
                Problem(source=source, record_id=str(record or f"#{index}")[:200], what=what)
            )
    return MappedReleases(notices=tuple(notices), problems=tuple(problems))


def _checked(release: object) -> Mapping[str, Any]:
    if not isinstance(release, Mapping):
        raise MappingError(f"expected a release object, got {type(release).__name__}")
    return release


def releases_of(document: object) -> list[object]:
    """The releases inside a decoded release package, record package or bare release.

    Raises:
        MappingError: the document is none of those.
    """
    doc = mapping(document)
    if isinstance(doc.get("releases"), list):
        return list(doc["releases"])
    if isinstance(doc.get("records"), list):
        found: list[object] = []
        for record in doc["records"]:
            record_map = mapping(record)
            if "compiledRelease" in record_map:
                found.append(record_map["compiledRelease"])
            else:
                found.extend(sequence(record_map.get("releases")))
        return found
    if "ocid" in doc:
        return [doc]
    raise MappingError("expected an OCDS release package with a 'releases' list")
