"""The report's figures: per region and per buyer, from the opportunities and awards counted.

Every share is a count divided by the count it is a share of, both given alongside it, so
that each figure can be traced back (and recomputed) from the rows it counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median

from bot.report.facts import AREA_NAMES, NATIONAL, NOT_STATED, AwardFact, Opportunity
from bot.report.population import POPULATION

PER_RESIDENTS = 100_000


def share(part: int, whole: int) -> float | None:
    """`part` of `whole` as a fraction rounded to four places; None when `whole` is 0."""
    return round(part / whole, 4) if whole else None


def _median_money(values: Sequence[Decimal]) -> int | None:
    return int(Decimal(median(values)).quantize(Decimal(1))) if values else None


@dataclass(slots=True)
class _Tally:
    opportunities: list[Opportunity] = field(default_factory=list)
    awards: list[AwardFact] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class AreaFigures:
    """The figures of one area: a region, or a buyer (with the region it mostly buys for)."""

    level: str
    key: str
    name: str
    region: str
    opportunities: int
    suitable: int
    possible: int
    value_per_year_total: int
    value_per_year_median: int | None
    valued: int
    suitable_value_per_year_total: int
    suitable_value_per_year_median: int | None
    below_threshold: int
    with_lots: int
    reserved: int
    response_days_median: float | None
    population: int | None
    suitable_per_100k: float | None
    awards: int
    awards_small: int
    awards_vcse: int
    services: int
    services_suitable: int
    services_large: int
    services_short: int
    services_single: int

    @property
    def region_name(self) -> str:
        """The name of the area's region."""
        return AREA_NAMES.get(self.region, self.region)

    @property
    def below_threshold_share(self) -> float | None:
        """Share of opportunities published as below threshold."""
        return share(self.below_threshold, self.opportunities)

    @property
    def lots_share(self) -> float | None:
        """Share of opportunities divided into two or more lots."""
        return share(self.with_lots, self.opportunities)

    @property
    def reserved_share(self) -> float | None:
        """Share of opportunities reserved for SMEs and VCSEs."""
        return share(self.reserved, self.opportunities)

    @property
    def suitable_share(self) -> float | None:
        """Share of opportunities the rule set judges suitable for small charities."""
        return share(self.suitable, self.opportunities)

    @property
    def awards_small_share(self) -> float | None:
        """Share of awards made to a supplier flagged SME or VCSE."""
        return share(self.awards_small, self.awards)

    @property
    def services_missed(self) -> int:
        """Charity-kind service opportunities that a small charity could not bid for."""
        return self.services - self.services_suitable


def area_figures(
    level: str, key: str, name: str, region: str, tally: _Tally, population: int | None
) -> AreaFigures:
    """Count one area's opportunities and awards."""
    ops = tally.opportunities
    suitable = [o for o in ops if o.suitable]
    values = [o.value_per_year for o in ops if o.value_per_year is not None]
    suitable_values = [o.value_per_year for o in suitable if o.value_per_year is not None]
    days = [o.response_days for o in ops if o.response_days is not None]
    missed = [o for o in ops if o.service and not o.suitable]
    return AreaFigures(
        level=level,
        key=key,
        name=name,
        region=region,
        opportunities=len(ops),
        suitable=len(suitable),
        possible=sum(o.possible for o in ops),
        value_per_year_total=int(sum(values, Decimal(0)).quantize(Decimal(1))),
        value_per_year_median=_median_money(values),
        valued=len(values),
        suitable_value_per_year_total=int(sum(suitable_values, Decimal(0)).quantize(Decimal(1))),
        suitable_value_per_year_median=_median_money(suitable_values),
        below_threshold=sum(o.below_threshold for o in ops),
        with_lots=sum(o.lots > 1 for o in ops),
        reserved=sum(o.reserved for o in ops),
        response_days_median=round(median(days), 1) if days else None,
        population=population,
        suitable_per_100k=(
            round(len(suitable) * PER_RESIDENTS / population, 3) if population else None
        ),
        awards=len(tally.awards),
        awards_small=sum(a.to_small is True for a in tally.awards),
        awards_vcse=sum(a.to_vcse for a in tally.awards),
        services=sum(o.service for o in ops),
        services_suitable=sum(o.service and o.suitable for o in ops),
        services_large=sum(o.large for o in missed),
        services_short=sum(o.short for o in missed),
        services_single=sum(o.lots <= 1 for o in missed),
    )


REGION_ORDER = (*POPULATION, NATIONAL, NOT_STATED)


def region_figures(
    opportunities: Iterable[Opportunity], awards: Iterable[AwardFact]
) -> list[AreaFigures]:
    """One row per region (every ITL1 region, even one with nothing), national, not stated."""
    tallies = {key: _Tally() for key in REGION_ORDER}
    for opportunity in opportunities:
        tallies[opportunity.region].opportunities.append(opportunity)
    for award in awards:
        tallies[award.region].awards.append(award)
    return [
        area_figures("region", key, AREA_NAMES[key], key, tallies[key], POPULATION.get(key))
        for key in REGION_ORDER
    ]


def buyer_figures(
    opportunities: Iterable[Opportunity], awards: Iterable[AwardFact]
) -> list[AreaFigures]:
    """One row per buyer, most opportunities first; its region is where most of them are."""
    tallies: dict[str, _Tally] = {}
    for opportunity in opportunities:
        tallies.setdefault(opportunity.buyer, _Tally()).opportunities.append(opportunity)
    for award in awards:
        tallies.setdefault(award.buyer, _Tally()).awards.append(award)
    rows = []
    for buyer, tally in tallies.items():
        regions = [o.region for o in tally.opportunities] or [a.region for a in tally.awards]
        region = max(sorted(set(regions)), key=regions.count)
        rows.append(area_figures("buyer", buyer, buyer, region, tally, None))
    rows.sort(key=lambda r: (-r.opportunities, -r.awards, r.name.lower()))
    return rows


def total_figures(opportunities: Sequence[Opportunity], awards: Sequence[AwardFact]) -> AreaFigures:
    """The whole UK as one area."""
    tally = _Tally(list(opportunities), list(awards))
    return area_figures("total", "UK", "United Kingdom", "UK", tally, sum(POPULATION.values()))
