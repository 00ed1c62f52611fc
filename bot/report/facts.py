"""What the report counts, read off one procurement process's history of releases.

A process (one OCDS ``ocid`` at one source) counts as an *opportunity* when one of its
releases in the period is open to suppliers (planning, tender or their updates): it is
described as its last open release shows it, and judged by the rule set as of its first
(when a charity would have heard of it). Its *awards* count when an award release falls in
the period.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rules.place_conditions import notice_place
from rules.places import REGION_NAMES, area_regions
from sources.notice import Notice

NATIONAL = "national"
NOT_STATED = "not-stated"
AREA_NAMES = {**REGION_NAMES, NATIONAL: "National or several regions", NOT_STATED: "Not stated"}
"""Names of the report's areas: the twelve ITL1 regions, national, and not stated."""

CHARITY_SERVICE_CPV = ("853", "80", "92", "98", "7523")
"""Main CPV codes of the services charities deliver: social work and social services,
education and training, recreation, culture and sport, other community, social and personal
services, and justice services (community rehabilitation)."""
CLINICAL_CPV = ("8511", "8512", "8513", "8514")
"""Hospital, medical, dental and other clinical health services."""

LARGE_PER_YEAR = Decimal(400_000)
"""A contract worth more than this a year is too large for a small charity to lead."""
SHORT_RESPONSE_DAYS = 25
"""Fewer days than this to respond is short: the Procurement Act's minimum for an open tender."""

Judge = Callable[[Notice, datetime], str | None]
"""The tier a rule set gives a notice as of a moment (``match`` or ``possible``), or None."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Opportunity:
    """A process open to suppliers in the period, with the facts the report counts."""

    source: str
    id: str
    title: str
    buyer: str
    region: str
    url: str | None
    published: datetime
    value_per_year: Decimal | None
    below_threshold: bool
    lots: int
    reserved: bool
    response_days: float | None
    suitable: bool
    service: bool
    possible: bool = False
    """The rule set found it only possible (worth a look); `suitable` counts matches."""

    @property
    def large(self) -> bool:
        """Worth more than `LARGE_PER_YEAR` a year (its largest lot, when it has lots)."""
        return self.value_per_year is not None and self.value_per_year > LARGE_PER_YEAR

    @property
    def short(self) -> bool:
        """Fewer than `SHORT_RESPONSE_DAYS` days to respond."""
        return self.response_days is not None and self.response_days < SHORT_RESPONSE_DAYS


@dataclass(frozen=True, slots=True, kw_only=True)
class AwardFact:
    """One contract award in the period, and whether its supplier is flagged SME or VCSE."""

    source: str
    id: str
    buyer: str
    region: str
    date: datetime
    to_small: bool | None
    to_vcse: bool


def region_of(notice: Notice) -> str:
    """The ITL1 region a notice is for, `NATIONAL` (several or all), or `NOT_STATED`.

    Delivery places come first, then the buyer's postcode. A postcode area that straddles
    two regions counts in the one listed first for it (the one most of it lies in).
    """
    place = notice_place(notice, use_buyer=True, national=True)
    regions: set[str] = set()
    for code, wide_name in place.codes:
        if code == "UK" or wide_name is not None:
            return NATIONAL
        regions.add(code[:3])
    for area in place.areas:
        found = area_regions(area)
        if found:
            regions.add(found[0])
    if len(regions) == 1:
        return regions.pop()
    return NATIONAL if regions else NOT_STATED


def is_charity_service(notice: Notice) -> bool:
    """Whether a notice buys services of the kinds charities deliver (by its main CPV code).

    A notice under the light-touch regime (social, health and education services) with no
    main code counts too; clinical health care never does.
    """
    main = notice.cpv_main
    if main is None:
        return "lightTouch" in notice.special_regimes
    if main.startswith(CLINICAL_CPV):
        return False
    return main.startswith(CHARITY_SERVICE_CPV)


def _largest_per_year(notice: Notice) -> Decimal | None:
    lot_values = [v for lot in notice.lots if (v := lot.value_per_year) is not None]
    if lot_values and len(notice.lots) > 1:
        return max(lot_values)
    return notice.value_per_year


def _response_days(notice: Notice, published: datetime) -> float | None:
    deadline = notice.deadline or notice.eoi_deadline
    if deadline is None or deadline <= published:
        return None
    return round((deadline - published).total_seconds() / 86400, 2)


def process_facts(
    versions: Sequence[Notice], start: datetime, end: datetime, judge: Judge
) -> tuple[Opportunity | None, list[AwardFact]]:
    """The opportunity and awards one process contributes to the period [start, end].

    `versions` are the process's releases, each merged over the earlier ones (as the store
    keeps them), oldest first; `judge` says whether a notice suits small charities as of a
    moment.
    """
    opened = [v for v in versions if v.is_open_stage]
    opportunity = None
    if opened and any(start <= v.release_date <= end for v in opened):
        first, last = opened[0], opened[-1]
        published = min(first.published or first.release_date, first.release_date)
        opportunity = Opportunity(
            source=last.source,
            id=last.id,
            title=last.title,
            buyer=last.buyer or "Not stated",
            region=region_of(last),
            url=last.url,
            published=published,
            value_per_year=_largest_per_year(last),
            below_threshold=last.below_threshold is True,
            lots=len(last.lots),
            reserved=last.reserved_for_sme_vcse,
            response_days=_response_days(last, published),
            suitable=(tier := judge(last, first.release_date)) == "match",
            possible=tier == "possible",
            service=is_charity_service(last),
        )
    return opportunity, _awards(versions, start, end)


def _awards(versions: Sequence[Notice], start: datetime, end: datetime) -> list[AwardFact]:
    with_awards = [v for v in versions if v.awards and not v.is_open_stage]
    if not with_awards:
        return []
    latest = with_awards[-1]
    first_seen: dict[str, datetime] = {}
    for version in with_awards:
        for award in version.awards:
            first_seen.setdefault(award.id, version.release_date)
    facts = []
    for award in latest.awards:
        if award.status in ("cancelled", "unsuccessful"):
            continue
        when = first_seen[award.id]
        if not start <= when <= end:
            continue
        facts.append(
            AwardFact(
                source=latest.source,
                id=latest.id,
                buyer=latest.buyer or "Not stated",
                region=region_of(latest),
                date=when,
                to_small=award.to_small_supplier,
                to_vcse=award.to_vcse,
            )
        )
    return facts
