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
from rules.places import ENGLAND
from sources.notice import Notice

if TYPE_CHECKING:
    from bot.radar.ending import EndingSection

LONDON = ZoneInfo("Europe/London")


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
    ending: EndingSection | None = None
    """Charity-kind contracts ending in the next 12 months (see `bot.radar.ending`)."""

    @property
    def period(self) -> str:
        """The period counted, in words: "10 Aug 2026 to 11 Aug 2026"."""
        return f"{_day(self.start.astimezone(self.zone))} to {_day(self.end.astimezone(self.zone))}"


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
        ("the " if a.name.startswith(("North", "South", "East", "West")) else "") + a.name
        for a in areas
    ]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _count_words(count: int, noun: str) -> str:
    words = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")
    number = words[count] if count < len(words) else str(count)
    return f"{number} {noun}{'' if count == 1 else 's'}"


def summarise(report: Report) -> list[str]:
    """A few plain-English sentences of what the figures show."""
    total = report.total
    days = (report.end - report.start).days
    when = "In the last 12 months" if 364 <= days <= 366 else f"From {report.period}"
    if not total.opportunities:
        lines = [f"{when}, tenderbot saw no opportunities open to suppliers."]
    else:
        lines = [
            f"{when}, tenderbot saw {total.opportunities} opportunities open to suppliers "
            f"across the UK; {total.suitable} of them ({_percent(total.suitable_share)}) were "
            f"ones a small charity could bid for, as the rule set “{report.rules}” judges them."
        ]
    english = [r for r in report.regions if r.key in ENGLAND and r.suitable_per_100k is not None]
    if english and total.suitable:
        lowest = min(r.suitable_per_100k or 0 for r in english)
        low = [r for r in english if (r.suitable_per_100k or 0) == lowest]
        if not lowest:
            lines.append(
                f"{_count_words(len(low), 'English region')} had no opportunity a small charity "
                f"could bid for: {_names(low)}."
            )
        else:
            lines.append(
                f"{_names(low)[:1].upper()}{_names(low)[1:]} had {low[0].suitable} "
                f"opportunit{'y' if low[0].suitable == 1 else 'ies'} a small charity could bid "
                f"for, {lowest:g} per 100,000 residents, the lowest in England."
            )
        ranked = [r for r in report.regions if r.key in POPULATION]
        high = max(ranked, key=lambda r: (r.suitable_per_100k or 0, r.name))
        lines.append(
            f"The highest in the UK was {high.name}: {high.suitable_per_100k:g} per 100,000."
        )
    national = next(r for r in report.regions if r.key == NATIONAL)
    if national.opportunities:
        lines.append(
            f"{national.opportunities} opportunities were national or spanned several regions; "
            "they count in the UK total but in no one region."
        )
    if report.cold_regions:
        spot = report.cold_regions[0]
        lines.append(f"The coldest region is {spot.name}: {spot.facts}.")
    if report.cold_buyers:
        spot = report.cold_buyers[0]
        lines.append(f"The coldest buyer is {spot.name}: {spot.facts}.")
    if total.awards:
        lines.append(
            f"{total.awards} contract awards were published; "
            f"{_percent(total.awards_small_share)} went to suppliers flagged SME or VCSE."
        )
    else:
        lines.append("No contract awards were published in this period.")
    return lines
