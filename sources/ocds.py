"""Pure mapping of OCDS releases to `Notice` records, shared by every OCDS source.

Contracts Finder, Find a Tender, Public Contracts Scotland and Sell2Wales all publish OCDS
1.1 releases with their own habits; this module knows those habits and nothing about HTTP.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from sources.errors import Problem
from sources.notice import Notice
from sources.text import clean_text

# Most specific first: a release tagged ["tender", "tenderAmendment"] is an amendment.
_STAGE_ORDER = (
    "contractTermination",
    "contractAmendment",
    "contractUpdate",
    "contract",
    "awardCancellation",
    "awardUpdate",
    "award",
    "tenderCancellation",
    "tenderAmendment",
    "tenderUpdate",
    "tender",
    "planningUpdate",
    "planning",
    "implementation",
)
_NOTICE_DOCUMENT_TYPES = (
    "tenderNotice",
    "contractNotice",
    "marketEngagementNotice",
    "plannedProcurementNotice",
    "awardNotice",
)
_CPV = re.compile(r"^(\d{8})(?:-\d)?$")


class MappingError(ValueError):
    """A release lacks something a `Notice` needs, or has it in an unusable form."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MappedReleases:
    """The notices mapped from a batch of releases, and the releases that were skipped."""

    notices: tuple[Notice, ...]
    problems: tuple[Problem, ...]


def _parse_int(text: str) -> int | Decimal:
    # Python refuses to turn more than 4,300 digits into an int; such a number is garbage
    # in one field, and must not make the whole page unreadable.
    return int(text) if len(text) <= 100 else Decimal(text)


def load_json(payload: bytes) -> Any:
    """Parse JSON with exact decimals (``1e9999`` stays a number, never a float overflow).

    Raises:
        ValueError: the payload is not valid UTF-8 JSON.
        RecursionError: the payload nests deeper than the parser allows.
    """
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


def _optional_datetime(value: object, *, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    return parse_datetime(value, field=field)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: object) -> Sequence[Any]:
    return value if isinstance(value, list) else ()


def _amount(value: object, *, field: str) -> tuple[Decimal | None, str | None]:
    money = _mapping(value)
    amount = money.get("amount")
    currency = money.get("currency") if isinstance(money.get("currency"), str) else None
    if amount is None or isinstance(amount, bool):
        return None, currency
    try:
        number = Decimal(str(amount))
    except InvalidOperation:
        raise MappingError(f"{field}: {amount!r} is not a number") from None
    # Publishers use absurd placeholders (1e9999, negative numbers) for "not stated".
    if not number.is_finite() or number < 0 or number > Decimal("1e15"):
        return None, currency
    return number, currency


def stage_of(tags: object) -> str:
    """The single lifecycle stage of a release, from its OCDS `tag` list.

    Raises:
        MappingError: the release has no usable tag.
    """
    names = [t for t in _sequence(tags) if isinstance(t, str)]
    for stage in _STAGE_ORDER:
        if stage in names:
            return stage
    if names:
        return names[0]
    raise MappingError(f"tag: expected a list of stage names, got {tags!r}")


NOTICE_TYPE_STAGES = {
    # Procurement Act 2023 notices (Find a Tender).
    "UK1": "planning",  # pipeline notice
    "UK2": "planning",  # preliminary market engagement notice
    "UK3": "planning",  # planned procurement notice
    "UK4": "tender",  # tender notice
    "UK5": "award",  # transparency notice (intention to award directly)
    "UK6": "award",  # contract award notice
    "UK7": "contract",  # contract details notice
    "UK8": "implementation",  # payments compliance notice
    "UK9": "implementation",  # contract performance notice
    "UK10": "contractAmendment",  # contract change notice
    "UK11": "contractTermination",  # contract termination notice
    "UK12": "tenderCancellation",  # procurement termination notice
    "UK13": "planning",  # dynamic market notice: intention to establish
    "UK14": "tender",  # dynamic market notice: establishment (suppliers may apply)
    "UK15": "tenderAmendment",  # dynamic market notice: modification
    "UK16": "tenderCancellation",  # dynamic market notice: cessation
    "UK17": "contractAmendment",  # contract change notice (voluntary)
    # Public Contracts Regulations 2015 forms (Find a Tender, Scotland, Wales).
    "F01": "planning",
    "F02": "tender",
    "F03": "award",
    "F04": "planning",
    "F05": "tender",
    "F06": "award",
    "F07": "tender",
    "F12": "tender",
    "F13": "award",
    "F14": "tenderAmendment",
    "F15": "award",
    "F20": "contractAmendment",
    "F21": "tender",  # social and other specific services ("light touch")
    "F22": "tender",
    "F23": "tender",
    "F24": "tender",
    "F25": "award",
}
"""Stage of each notice type found in documents' `noticeType`."""


def notice_type(release: Mapping[str, Any]) -> str | None:
    """The release's notice type (``UK4``, ``F21``...), from its latest document that says."""
    found: list[tuple[str, str]] = []
    sections = [release.get("planning"), release.get("tender")]
    sections += list(_sequence(release.get("awards"))) + list(_sequence(release.get("contracts")))
    for section in sections:
        for doc in _sequence(_mapping(section).get("documents")):
            kind = _mapping(doc).get("noticeType")
            if isinstance(kind, str) and kind.strip():
                found.append((str(_mapping(doc).get("datePublished") or ""), kind.strip().upper()))
    if not found:
        return None
    return max(enumerate(found), key=lambda item: (item[1][0], item[0]))[1][1]


def release_stage(release: Mapping[str, Any]) -> str:
    """The stage of a release: from its notice type where known, else from its `tag`.

    A tag that is a more specific form of the notice type's stage (``tenderAmendment`` for a
    UK4 tender notice) is kept.

    Raises:
        MappingError: the release has neither a known notice type nor a usable tag.
    """
    kind = notice_type(release)
    mapped = NOTICE_TYPE_STAGES.get(kind) if kind else None
    try:
        tagged = stage_of(release.get("tag"))
    except MappingError:
        if mapped is None:
            raise
        return mapped
    if mapped is None or tagged.startswith(mapped):
        return tagged
    return mapped


def _cpv(code: object) -> str | None:
    if not isinstance(code, str | int):
        return None
    match = _CPV.match(str(code).strip())
    return match.group(1) if match else None


def _cpv_codes(tender: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    def cpv_of(classification: object) -> str | None:
        entry = _mapping(classification)
        scheme = str(entry.get("scheme", "CPV")).upper()
        return _cpv(entry.get("id")) if scheme == "CPV" else None

    main = cpv_of(tender.get("classification"))
    extra: list[str] = []
    sources: list[object] = list(_sequence(tender.get("additionalClassifications")))
    for item in _sequence(tender.get("items")):
        sources.append(_mapping(item).get("classification"))
        sources.extend(_sequence(_mapping(item).get("additionalClassifications")))
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
    for item in _sequence(tender.get("items")):
        item_map = _mapping(item)
        addresses = list(_sequence(item_map.get("deliveryAddresses")))
        addresses.extend(_sequence(item_map.get("deliveryLocations")))
        for address in addresses:
            address_map = _mapping(address)
            address_map = _mapping(address_map.get("address")) or address_map
            region = clean_text(str(address_map.get("region") or ""))
            postcode = clean_text(str(address_map.get("postalCode") or "")).upper()
            if region and region not in regions:
                regions.append(region)
            if postcode and postcode not in postcodes:
                postcodes.append(postcode)
    return tuple(regions), tuple(postcodes)


def _buyer(release: Mapping[str, Any]) -> tuple[str, str | None]:
    buyer = _mapping(release.get("buyer"))
    parties = [_mapping(p) for p in _sequence(release.get("parties"))]
    party = next((p for p in parties if buyer.get("id") and p.get("id") == buyer.get("id")), None)
    if party is None:
        party = next((p for p in parties if "buyer" in _sequence(p.get("roles"))), {})
    name = clean_text(str(buyer.get("name") or party.get("name") or ""))
    postcode = clean_text(str(_mapping(party.get("address")).get("postalCode") or "")).upper()
    return name, postcode or None


def _documents(release: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    docs = [_mapping(d) for d in _sequence(_mapping(release.get("tender")).get("documents"))]
    docs += [_mapping(d) for d in _sequence(_mapping(release.get("planning")).get("documents"))]
    for award in _sequence(release.get("awards")):
        docs += [_mapping(d) for d in _sequence(_mapping(award).get("documents"))]
    return [d for d in docs if isinstance(d.get("url"), str) and d["url"].startswith("http")]


def _urls(release: Mapping[str, Any]) -> tuple[str | None, str | None]:
    docs = _documents(release)
    notices = [d for d in docs if d.get("documentType") in _NOTICE_DOCUMENT_TYPES]
    pages = [d for d in notices if d.get("format") == "text/html"] or notices
    url: str | None = pages[0]["url"] if pages else None
    notice_host = urlsplit(url).hostname if url else None

    portal: str | None = None
    submission = _mapping(release.get("tender")).get("submissionMethodDetails")
    if isinstance(submission, str) and submission.strip().startswith("http"):
        portal = submission.strip()
    else:
        links = [
            d["url"]
            for d in docs
            if d.get("documentType") in (None, "Link", "link")
            and urlsplit(d["url"]).hostname != notice_host
        ]
        portal = links[0] if links else None
    if url is None:
        for link in _sequence(_mapping(release.get("links")).get("all")):
            href = _mapping(link).get("href")
            if isinstance(href, str) and href.startswith("http"):
                url = href
                break
    return url, portal


def _deadline(release: Mapping[str, Any], stage: str) -> datetime | None:
    tender = _mapping(release.get("tender"))
    end = _mapping(tender.get("tenderPeriod")).get("endDate")
    if end:
        return parse_datetime(end, field="tender.tenderPeriod.endDate")
    if stage.startswith("planning"):
        for milestone in _sequence(_mapping(release.get("planning")).get("milestones")):
            entry = _mapping(milestone)
            if entry.get("type") == "engagement" and entry.get("dueDate"):
                return parse_datetime(entry["dueDate"], field="planning.milestones.dueDate")
    return None


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def release_to_notice(release: Mapping[str, Any], *, source: str) -> Notice:
    """Map one OCDS release to a `Notice`.

    Args:
        release: a decoded OCDS release (numbers ideally parsed as `Decimal`).
        source: the configured source name, stored on the notice.

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
    stage = release_stage(release)
    tender = _mapping(release.get("tender"))
    planning = _mapping(release.get("planning"))

    title = clean_text(str(tender.get("title") or release.get("title") or ""))
    if not title:
        raise MappingError("tender.title: missing")
    description = clean_text(
        str(tender.get("description") or planning.get("rationale") or ""), multiline=True
    )
    buyer, buyer_postcode = _buyer(release)
    regions, postcodes = _delivery(tender)
    high, currency = _amount(tender.get("value"), field="tender.value.amount")
    low, low_currency = _amount(tender.get("minValue"), field="tender.minValue.amount")
    if high is None and low is None:
        amount, currency = _amount(_mapping(planning.get("budget")).get("amount"), field="budget")
        high = low = amount
    low = low if low is not None else high
    high = high if high is not None else low
    if low is not None and high is not None and low > high:
        low, high = high, low
    cpv_main, cpv_additional = _cpv_codes(tender)
    url, portal_url = _urls(release)
    published = _optional_datetime(tender.get("datePublished"), field="tender.datePublished")
    if published is None:
        doc_dates = [
            parse_datetime(d["datePublished"], field="documents.datePublished")
            for d in _documents(release)
            if d.get("documentType") in _NOTICE_DOCUMENT_TYPES and d.get("datePublished")
        ]
        published = min(doc_dates, default=release_date)
    suitability = _mapping(tender.get("suitability"))
    procedure = tender.get("procurementMethodDetails") or tender.get("procurementMethod")
    status = tender.get("status")

    return Notice(
        source=source,
        id=ocid.strip(),
        release_id=release_id.strip(),
        stage=stage,
        title=title,
        description=description,
        buyer=buyer,
        buyer_postcode=buyer_postcode,
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
        suitable_sme=_flag(suitability.get("sme")),
        suitable_vcse=_flag(suitability.get("vcse")),
        procedure=clean_text(procedure) if isinstance(procedure, str) else None,
        status=status if isinstance(status, str) else None,
        url=url,
        portal_url=portal_url,
    )


def map_releases(releases: Iterable[object], *, source: str) -> MappedReleases:
    """Map many releases, reporting each one that cannot be mapped instead of failing all."""
    notices: list[Notice] = []
    problems: list[Problem] = []
    for index, release in enumerate(releases):
        try:
            notices.append(release_to_notice(_checked(release), source=source))
        except Exception as exc:  # one bad record must never block the rest of its page
            record = _mapping(release).get("id") or _mapping(release).get("ocid")
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
    doc = _mapping(document)
    if isinstance(doc.get("releases"), list):
        return list(doc["releases"])
    if isinstance(doc.get("records"), list):
        found: list[object] = []
        for record in doc["records"]:
            record_map = _mapping(record)
            if "compiledRelease" in record_map:
                found.append(record_map["compiledRelease"])
            else:
                found.extend(_sequence(record_map.get("releases")))
        return found
    if "ocid" in doc:
        return [doc]
    raise MappingError("expected an OCDS release package with a 'releases' list")
