"""The report's figures as CSV (one row per region and per buyer) and as JSON."""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

from bot.report.build import Report
from bot.report.coldspots import ColdSpot
from bot.report.figures import AreaFigures

COLUMNS = (
    "level",
    "key",
    "name",
    "region",
    "opportunities",
    "suitable",
    "possible",
    "suitable_share",
    "population",
    "suitable_per_100k",
    "valued",
    "value_per_year_total",
    "value_per_year_median",
    "suitable_value_per_year_total",
    "suitable_value_per_year_median",
    "below_threshold",
    "below_threshold_share",
    "with_lots",
    "lots_share",
    "reserved",
    "reserved_share",
    "response_days_median",
    "awards",
    "awards_small",
    "awards_small_share",
    "awards_vcse",
    "services",
    "services_suitable",
    "services_large",
    "services_short",
    "services_single",
    "cold_spot_rank",
)
"""Every figure of an area, in the order the CSV gives them."""


def area_row(area: AreaFigures, rank: int | None) -> dict[str, Any]:
    """One area's figures, keyed by `COLUMNS`."""
    row = {name: getattr(area, name) for name in COLUMNS if name != "cold_spot_rank"}
    row["cold_spot_rank"] = rank
    return row


def _ranked(areas: tuple[AreaFigures, ...], spots: tuple[ColdSpot, ...]) -> list[dict[str, Any]]:
    ranks = {spot.key: spot.rank for spot in spots}
    return [area_row(area, ranks.get(area.key)) for area in areas]


def rows(report: Report) -> list[dict[str, Any]]:
    """The UK total, then every region, then every buyer."""
    return [
        area_row(report.total, None),
        *_ranked(report.regions, report.cold_regions),
        *_ranked(report.buyers, report.cold_buyers),
    ]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that a spreadsheet cannot mistake for a formula.

    Text starting like a formula (buyer names come from feeds) gets a leading apostrophe,
    as OWASP advises; numbers and ordinary text are left alone.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def write_csv(report: Report, out: TextIO) -> None:
    """One header row, then the UK total, each region and each buyer."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows(report):
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})


def _spot(spot: ColdSpot) -> dict[str, Any]:
    area = spot.area
    return {
        "rank": spot.rank,
        "level": area.level,
        "key": area.key,
        "name": area.name,
        "region": area.region,
        "services": area.services,
        "services_suitable": area.services_suitable,
        "missed": area.services_missed,
        "large": area.services_large,
        "short": area.services_short,
        "single": area.services_single,
        "facts": spot.facts,
    }


def report_document(report: Report) -> dict[str, Any]:
    """The whole report as JSON-ready data."""
    document = _document(report)
    if report.ending is not None:
        from bot.radar.ending import ending_document

        document["ending_soon"] = ending_document(report.ending)
    return document


def _document(report: Report) -> dict[str, Any]:
    return {
        "period": {"start": report.start.isoformat(), "end": report.end.isoformat()},
        "coverage": [
            {
                "source": s.source,
                "first": s.first.isoformat(),
                "last": s.last.isoformat(),
                "releases": s.releases,
            }
            for s in report.coverage
        ],
        "polled": report.polled,
        "generated": report.generated.isoformat(),
        "rules": report.rules,
        "made_from": report.made_from,
        "population_source": report.population_source,
        "summary": list(report.summary),
        "total": area_row(report.total, None),
        "regions": _ranked(report.regions, report.cold_regions),
        "buyers": _ranked(report.buyers, report.cold_buyers),
        "cold_spots": {
            "regions": [_spot(s) for s in report.cold_regions],
            "buyers": [_spot(s) for s in report.cold_buyers],
        },
        "trend": {
            "unit": report.trend_unit,
            "points": [
                {
                    "start": p.start.isoformat(),
                    "label": p.label,
                    "opportunities": p.opportunities,
                    "suitable": p.suitable,
                }
                for p in report.trend
            ],
        },
    }


def write_json(report: Report, out: TextIO) -> None:
    """The report as one JSON document."""
    json.dump(report_document(report), out, ensure_ascii=False, indent=1)
    out.write("\n")
