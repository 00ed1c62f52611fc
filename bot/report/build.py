"""Assemble the report: figures per region and buyer, cold spots, trend, and a plain summary."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.report.coldspots import ColdSpot, rank_cold_spots
from bot.report.facts import NATIONAL, AwardFact, Judge, Opportunity, process_facts
from bot.report.figures import AreaFigures, buyer_figures, region_figures, total_figures
from bot.report.population import POPULATION, POPULATION_SOURCE
from sources.notice import Notice

if TYPE_CHECKING:
    from bot.radar.ending import EndingSection

LONDON = ZoneInfo("Europe/London")
MIN_TO_COMPARE = 5
"""The small-numbers rule: an area is ranked (coldest, warmest, most missed) only when the
claim rests on at least this many notices; fewer are "too few to compare"."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSpan:
    """The releases one source contributed to the report: the first and last it saw."""

    source: str
    first: datetime
    last: datetime
    releases: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendPoint:
    """Opportunities first published in one day, week or month."""

    label: str
    start: date
    opportunities: int
    suitable: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """Everything the report shows, in every format."""

    start: datetime
    end: datetime
    generated: datetime
    rules: str
    rules_title: str
    total: AreaFigures
    regions: tuple[AreaFigures, ...]
    buyers: tuple[AreaFigures, ...]
    cold_regions: tuple[ColdSpot, ...]
    cold_buyers: tuple[ColdSpot, ...]
    trend_unit: str
    trend: tuple[TrendPoint, ...]
    summary: tuple[str, ...]
    made_from: str = ""
    zone: ZoneInfo = LONDON
    population_source: str = POPULATION_SOURCE
    coverage: tuple[SourceSpan, ...] = ()
    """Per source, the first and last release in the period: the data the figures rest on."""
    polled: bool = True
    """Whether the store ever polled (or was filled): False says there is no data at all."""
    ending: EndingSection | None = None
    """Charity-kind contracts ending in the next 12 months (see `bot.radar.ending`)."""

    @property
    def period(self) -> str:
        """The period counted, in words: "10 Aug 2026 to 11 Aug 2026"."""
        return f"{_day(self.start.astimezone(self.zone))} to {_day(self.end.astimezone(self.zone))}"

    @property
    def data_period(self) -> str | None:
        """The period the data covers, first to last release seen, in words (None: no data)."""
        if not self.coverage:
            return None
        first = min(s.first for s in self.coverage).astimezone(self.zone)
        last = max(s.last for s in self.coverage).astimezone(self.zone)
        return _day(first) if _day(first) == _day(last) else f"{_day(first)} to {_day(last)}"


def comparable_rates(report: Report) -> dict[str, float | None]:
    """Each ITL1 region's suitable opportunities per 100,000 residents.

    The measure the map shades and the summary ranks by; None for a region with too few
    opportunities to compare (fewer than `MIN_TO_COMPARE`).
    """
    return {
        r.key: r.suitable_per_100k if r.opportunities >= MIN_TO_COMPARE else None
        for r in report.regions
        if r.key in POPULATION
    }


def _day(moment: datetime | date) -> str:
    return f"{moment.day} {moment:%b %Y}"


def build_report(
    processes: Iterable[Sequence[Notice]],
    *,
    start: datetime,
    end: datetime,
    judge: Judge,
    rules: str,
    rules_title: str,
    generated: datetime,
    made_from: str = "",
    zone: ZoneInfo = LONDON,
    coverage: Sequence[SourceSpan] = (),
    polled: bool = True,
) -> Report:
    """Count every process's opportunity and awards in [start, end] and assemble the report."""
    opportunities: list[Opportunity] = []
    awards: list[AwardFact] = []
    for versions in processes:
        opportunity, found = process_facts(versions, start, end, judge)
        if opportunity is not None:
            opportunities.append(opportunity)
        awards.extend(found)
    regions = region_figures(opportunities, awards)
    buyers = buyer_figures(opportunities, awards)
    total = total_figures(opportunities, awards)
    cold_regions = rank_cold_spots(regions, "region")
    cold_buyers = rank_cold_spots(buyers, "buyer")
    unit, trend = _trend(opportunities, start.astimezone(zone), end.astimezone(zone))
    report = Report(
        start=start,
        end=end,
        generated=generated,
        rules=rules,
        rules_title=rules_title,
        total=total,
        regions=tuple(regions),
        buyers=tuple(buyers),
        cold_regions=tuple(cold_regions),
        cold_buyers=tuple(cold_buyers),
        trend_unit=unit,
        trend=tuple(trend),
        summary=(),
        made_from=made_from,
        zone=zone,
        coverage=tuple(coverage),
        polled=polled,
    )
    return dataclasses.replace(report, summary=tuple(summarise(report)))


def _trend(
    opportunities: Sequence[Opportunity], start: datetime, end: datetime
) -> tuple[str, list[TrendPoint]]:
    """Opportunities per day (a month or less), week (half a year or less) or month."""
    span = end - start
    unit = "month"
    if span <= timedelta(days=183):
        unit = "day" if span <= timedelta(days=31) else "week"

    def bucket(day: date) -> date:
        if unit == "day":
            return day
        if unit == "week":
            return day - timedelta(days=day.weekday())
        return day.replace(day=1)

    counts: dict[date, list[int]] = {}
    cursor, last = bucket(start.date()), bucket(end.date())
    while cursor <= last:
        counts[cursor] = [0, 0]
        cursor = bucket(
            cursor + timedelta(days=32 if unit == "month" else 7 if unit == "week" else 1)
        )
    for opportunity in opportunities:
        key = bucket(max(opportunity.published, start).astimezone(start.tzinfo).date())
        slot = counts.setdefault(key, [0, 0])
        slot[0] += 1
        slot[1] += opportunity.suitable
    labels = {"day": "%d %b", "week": "w/c %d %b", "month": "%b %Y"}
    points = [
        TrendPoint(label=key.strftime(labels[unit]), start=key, opportunities=c[0], suitable=c[1])
        for key, c in sorted(counts.items())
    ]
    return unit, points


def _percent(value: float | None) -> str:
    return "no" if value is None else f"{value:.0%}"


def _names(areas: Sequence[AreaFigures]) -> str:
    names = [
        ("the " if a.name.startswith(("North ", "South ", "East ", "West ")) else "") + a.name
        for a in areas
    ]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _coverage_lines(report: Report) -> list[str]:
    """What data the figures rest on: per source, its first and last release."""
    if not report.coverage:
        if not report.polled:
            return [
                "This store has never polled a source and holds no notices: there is "
                "nothing to report yet (run `tenderbot run`, `tenderbot poll` or "
                "`tenderbot import` first)."
            ]
        return [f"The data holds no release from {report.period}: there is nothing to count."]
    spans = "; ".join(
        f"{s.source}: {_plural(s.releases, 'release', 'releases')}, "
        f"{_day(s.first.astimezone(report.zone))} to {_day(s.last.astimezone(report.zone))}"
        for s in report.coverage
    )
    return [
        f"The data covers {report.data_period} (first and last release seen per source — "
        f"{spans}); the period asked for was {report.period}."
    ]


def _region_lines(report: Report) -> list[str]:
    """Coldest and warmest regions by the map's measure, under the small-numbers rule."""
    rates = comparable_rates(report)
    ranked = [r for r in report.regions if rates.get(r.key) is not None]
    few = [r for r in report.regions if r.key in rates and rates[r.key] is None]
    definition = (
        "“Coldest” means the fewest opportunities a small charity could bid for per 100,000 "
        "residents, the measure the map shades; a region is compared only when it had "
        f"{MIN_TO_COMPARE} or more opportunities."
    )
    if len(ranked) < 2:
        return [
            f"Too few to compare regions: {len(ranked)} of {len(rates)} had "
            f"{MIN_TO_COMPARE} or more opportunities, so no region is called coldest or "
            "highest. The table gives each region's counts.",
            definition,
        ]
    lowest = min(rates[r.key] or 0.0 for r in ranked)
    highest = max(rates[r.key] or 0.0 for r in ranked)
    cold = [r for r in ranked if rates[r.key] == lowest]
    warm = [r for r in ranked if rates[r.key] == highest]
    lines = [
        f"Coldest: {_names(cold)}, {lowest:g} suitable per 100,000 residents "
        f"({_counts(cold)}). "
        f"Highest: {_names(warm)}, {highest:g} per 100,000 ({_counts(warm)}).",
        definition,
    ]
    if few:
        lines.append(
            f"Too few to compare: {_names(few)} "
            f"({'each ' if len(few) > 1 else ''}under {MIN_TO_COMPARE} opportunities)."
        )
    return lines


def _counts(regions: Sequence[AreaFigures]) -> str:
    """``2 of 9 opportunities``, or for a tie each region's own: ``0 of 6 and 0 of 8``."""
    each = [f"{r.suitable} of {r.opportunities}" for r in regions]
    if len(each) == 1:
        return f"{each[0]} opportunities"
    return f"{', '.join(each[:-1])} and {each[-1]} opportunities respectively"


def summarise(report: Report) -> list[str]:
    """A few plain-English sentences of what the figures show, and what they rest on."""
    total = report.total
    lines = _coverage_lines(report)
    if not report.coverage:
        return lines
    when = f"From {report.data_period}"
    if not total.opportunities:
        lines.append(f"{when}, tenderbot saw no opportunities open to suppliers.")
    else:
        lines.append(
            f"{when}, tenderbot saw {total.opportunities} "
            f"opportunit{'y' if total.opportunities == 1 else 'ies'} open to suppliers "
            f"across the UK; {total.suitable} of them ({_percent(total.suitable_share)}) were "
            f"ones a small charity could bid for, as the rule set “{report.rules}” judges them."
        )
    if total.opportunities:
        lines.extend(_region_lines(report))
    national = next(r for r in report.regions if r.key == NATIONAL)
    if national.opportunities:
        lines.append(
            f"{national.opportunities} opportunities were national or spanned several regions; "
            "they count in the UK total but in no one region."
        )
    for spots, noun in ((report.cold_regions, "region"), (report.cold_buyers, "buyer")):
        if not spots:
            continue
        spot = spots[0]
        if spot.area.services >= MIN_TO_COMPARE:
            lines.append(
                f"The {noun} that missed most services of the kinds charities deliver: "
                f"{spot.name}: {spot.facts}."
            )
        else:
            lines.append(
                f"Too few to compare {noun}s on services of the kinds charities deliver: none "
                f"published {MIN_TO_COMPARE} or more that a small charity could not bid for."
            )
    if total.awards >= MIN_TO_COMPARE:
        lines.append(
            f"{total.awards} contract awards were published; "
            f"{_percent(total.awards_small_share)} went to suppliers flagged SME or VCSE."
        )
    elif total.awards:
        lines.append(
            f"{_capital(_plural(total.awards, 'contract award was', 'contract awards were'))} "
            f"published, {total.awards_small} to suppliers flagged SME or VCSE: too few for a "
            "share."
        )
    else:
        lines.append("No contract awards were published in this period.")
    return lines
