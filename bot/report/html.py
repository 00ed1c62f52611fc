"""The report as one self-contained HTML page: summary, map, charts, tables; nothing fetched."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from bot.report import charts
from bot.report.build import MIN_TO_COMPARE, Report
from bot.report.coldspots import MIN_BUYER_SERVICES
from bot.report.facts import (
    CHARITY_SERVICE_CPV,
    LARGE_PER_YEAR,
    NATIONAL,
    NOT_STATED,
    SHORT_RESPONSE_DAYS,
)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _money(value: int | None) -> str:
    return "–" if value is None else f"£{value:,}"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("bot.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(percent=_percent, money=_money, number=_number)
    return environment


def render_html(report: Report) -> str:
    """The whole page; charts are inline SVG, so it opens offline and prints."""
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        zone=report.zone,
        regions=[r for r in report.regions if r.key not in (NATIONAL, NOT_STATED)],
        others=[r for r in report.regions if r.key in (NATIONAL, NOT_STATED)],
        # matplotlib writes the SVG and escapes its own text: it goes in as markup.
        tile_map=Markup(charts.tile_map(report)),
        region_bars=Markup(charts.region_bars(report)),
        award_bars=Markup(charts.award_bars(report)),
        trend_chart=Markup(charts.trend_chart(report)),
        service_codes=", ".join(CHARITY_SERVICE_CPV),
        large=f"£{LARGE_PER_YEAR:,.0f}",
        short_days=SHORT_RESPONSE_DAYS,
        min_buyer_services=MIN_BUYER_SERVICES,
        min_to_compare=MIN_TO_COMPARE,
    )
