"""Pure mapping of OCDS releases to `Notice` records, shared by every OCDS source.

Contracts Finder, Find a Tender, Public Contracts Scotland and Sell2Wales all publish OCDS
1.1 releases with their own habits; this module knows those habits and nothing about HTTP.
The tender section's parts are read by `sources.ocds_tender`, awards by `sources.ocds_awards`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sources.errors import Problem
from sources.notice import Notice
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
    sequence,
    strings,
)
from sources.ocds_stages import NOTICE_TYPE_STAGES, notice_type, release_stage, stage_of
from sources.ocds_tender import (
    tender_contract_period,
    tender_cpv_codes,
    tender_delivery,
    tender_duration_days,
    tender_lots,
    tender_recurrence,
    tender_suitable,
    tender_techniques,
)
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


@dataclass(frozen=True, slots=True, kw_only=True)
class MappedReleases:
    """The notices mapped from a batch of releases, and the releases that were skipped."""

    notices: tuple[Notice, ...]
    problems: tuple[Problem, ...]


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
    regions, postcodes = tender_delivery(tender)
    high, currency = amount(tender.get("value"), field="tender.value.amount")
    low, low_currency = amount(tender.get("minValue"), field="tender.minValue.amount")
    if high is None and low is None:
        budget, currency = amount(mapping(planning.get("budget")).get("amount"), field="budget")
        high = low = budget
    low = low if low is not None else high
    high = high if high is not None else low
    if low is not None and high is not None and low > high:
        low, high = high, low
    cpv_main, cpv_additional = tender_cpv_codes(tender)
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
    lots = tender_lots(tender)
    contract_start, contract_end, max_end = tender_contract_period(tender, lots)
    if high is None and low is None:
        lot_values = [lot.value for lot in lots if lot.value is not None]
        if lot_values:
            low, high = min(lot_values), sum(lot_values, Decimal(0))
    procedure = tender.get("procurementMethodDetails") or tender.get("procurementMethod")
    status = tender.get("status")
    requirements = mapping(tender.get("otherRequirements"))
    gazetteer = mapping(mapping(requirements.get("reservedParticipationLocation")).get("gazetteer"))
    legal_basis = mapping(tender.get("legalBasis")).get("scheme")

    next_procurement, recurrence = tender_recurrence(tender)
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
        suitable_sme=tender_suitable(tender, lots, "sme"),
        suitable_vcse=tender_suitable(tender, lots, "vcse"),
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
        duration_days=tender_duration_days(tender, lots),
        enquiry_deadline=parse_deadline(
            mapping(tender.get("enquiryPeriod")).get("endDate"), field="tender.enquiryPeriod"
        ),
        eoi_deadline=parse_deadline(
            tender.get("expressionOfInterestDeadline"), field="tender.expressionOfInterestDeadline"
        ),
        related_ids=_related_ids(release, ocid.strip()),
        **tender_techniques(tender),
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
