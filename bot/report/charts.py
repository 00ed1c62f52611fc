"""The report's pictures, drawn by matplotlib as SVG to sit inside the HTML page.

The map is a tile map: one square per ITL1 region, placed roughly where the region lies,
shaded by suitable opportunities per 100,000 residents. It shows no boundaries and says so.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

from matplotlib import colormaps, rc_context
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from bot.report.build import Report, comparable_rates
from bot.report.figures import AreaFigures
from bot.report.population import POPULATION

TILES: dict[str, tuple[int, int, str]] = {
    "UKM": (2, 0, "Scotland"),
    "UKN": (0, 1, "Northern\nIreland"),
    "UKC": (3, 1, "North\nEast"),
    "UKD": (2, 2, "North\nWest"),
    "UKE": (3, 2, "Yorkshire\n& Humber"),
    "UKL": (1, 3, "Wales"),
    "UKG": (2, 3, "West\nMidlands"),
    "UKF": (3, 3, "East\nMidlands"),
    "UKH": (4, 3, "East of\nEngland"),
    "UKK": (1, 4, "South\nWest"),
    "UKJ": (2, 4, "South\nEast"),
    "UKI": (3, 4, "London"),
}
"""Each region's tile: column, row (north at the top) and a short label."""

SUITABLE_COLOUR = "#1b7837"
ALL_COLOUR = "#b8b8b8"
CHART_WIDTH = 5.0
"""Inches (72 pt each): drawn at about its natural size, so text keeps its size on a phone
(the page shows a chart at most `CHART_WIDTH` x 96 px wide, and a phone's ~360 px leaves 10 pt
at 10 px); every text is 11 pt or more, so at least 10 px everywhere."""
MAP_WIDTH = 4.6
_RC: Any = {"svg.fonttype": "none", "svg.hashsalt": "tenderbot", "font.size": 11}


def _styled(draw: Callable[[Report], str]) -> Callable[[Report], str]:
    """Draw under the report's style: matplotlib reads font sizes as each text is made."""

    @functools.wraps(draw)
    def styled(report: Report) -> str:
        with rc_context(_RC):
            return draw(report)

    return styled


def _svg(figure: Figure) -> str:
    """The figure as an inline ``<svg>`` element (no XML prologue, no date stamp)."""
    buffer = io.StringIO()
    with rc_context(_RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


@_styled
def tile_map(report: Report) -> str:
    """ITL1 regions as tiles shaded by suitable opportunities per 100,000 residents.

    Shaded by `comparable_rates`, as the summary ranks: a region with too few opportunities
    to compare is left unshaded and says so.
    """
    rates = comparable_rates(report)
    top = max((v for v in rates.values() if v is not None), default=0.0) or 1.0
    shade = colormaps["Greens"]
    scale = Normalize(vmin=0, vmax=top)
    figure = Figure(figsize=(MAP_WIDTH, 5.8), layout="constrained")
    axes = figure.add_subplot()
    for key, (column, row, label) in TILES.items():
        rate = rates.get(key)
        colour = shade(0.15 + 0.85 * scale(rate)) if rate is not None else "#eeeeee"
        axes.add_patch(Rectangle((column, -row), 0.94, 0.94, facecolor=colour, edgecolor="#333333"))
        dark = rate is not None and scale(rate) > 0.55
        axes.text(
            column + 0.47,
            -row + 0.58,
            label,
            ha="center",
            va="center",
            fontsize=11,
            linespacing=1.0,
            color="white" if dark else "black",
        )
        axes.text(
            column + 0.47,
            -row + 0.17,
            "too few" if rate is None else f"{rate:g}",
            ha="center",
            va="center",
            fontsize=12 if rate is not None else 11,
            fontweight="bold" if rate is not None else "normal",
            color="white" if dark else "black",
        )
    axes.set_xlim(-0.1, 5.0)
    axes.set_ylim(-4.1, 1.0)
    axes.set_aspect("equal")
    axes.axis("off")
    colourbar = figure.colorbar(
        ScalarMappable(norm=scale, cmap=shade),
        ax=axes,
        orientation="horizontal",
        fraction=0.05,
        pad=0.02,
    )
    colourbar.set_label("suitable per 100,000 residents", fontsize=11)
    colourbar.ax.tick_params(labelsize=11)
    axes.set_title(f"Suitable opportunities per 100,000 residents\n{report.period}", fontsize=12)
    return _svg(figure)


def _regions(report: Report) -> list[AreaFigures]:
    return [r for r in report.regions if r.opportunities or r.key in POPULATION]


@_styled
def region_bars(report: Report) -> str:
    """Opportunities per region, and how many of them suit a small charity."""
    rows = list(reversed(_regions(report)))
    figure = Figure(figsize=(CHART_WIDTH, 0.36 * len(rows) + 1.6), layout="constrained")
    axes = figure.add_subplot()
    names = [r.name for r in rows]
    axes.barh(names, [r.opportunities for r in rows], color=ALL_COLOUR, label="all opportunities")
    axes.barh(
        names,
        [r.suitable for r in rows],
        color=SUITABLE_COLOUR,
        label="suitable for a small charity",
    )
    for index, row in enumerate(rows):
        axes.text(row.opportunities, index, f" {row.suitable} of {row.opportunities}", va="center")
    axes.set_xlabel("opportunities open to suppliers")
    axes.set_title(f"Opportunities per region\n{report.period}", fontsize=12)
    figure.legend(loc="outside upper center", ncols=2, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    axes.margins(x=0.18)
    return _svg(figure)


@_styled
def award_bars(report: Report) -> str:
    """Share of each region's contract awards that went to suppliers flagged SME or VCSE."""
    rows = [r for r in reversed(_regions(report)) if r.awards]
    figure = Figure(figsize=(CHART_WIDTH, 0.36 * max(len(rows), 1) + 1.6), layout="constrained")
    axes = figure.add_subplot()
    shares = [100 * (r.awards_small_share or 0) for r in rows]
    axes.barh([r.name for r in rows], shares, color="#2166ac")
    for index, row in enumerate(rows):
        axes.text(shares[index], index, f" {row.awards_small} of {row.awards}", va="center")
    axes.set_xlim(0, 118)
    axes.set_xlabel("% of awards to suppliers flagged SME or VCSE")
    axes.set_title(f"Awards to SMEs and VCSEs per region\n{report.period}", fontsize=12)
    axes.spines[["top", "right"]].set_visible(False)
    if not rows:
        axes.text(50, 0, "no award notices in this period", ha="center")
        axes.set_yticks([])
    return _svg(figure)


@_styled
def trend_chart(report: Report) -> str:
    """Opportunities first published per day, week or month, and the suitable ones."""
    points = report.trend
    figure = Figure(figsize=(CHART_WIDTH, 3.6), layout="constrained")
    axes = figure.add_subplot()
    labels = [p.label for p in points]
    places = list(range(len(points)))
    axes.bar(places, [p.opportunities for p in points], color=ALL_COLOUR, label="all")
    axes.bar(
        places,
        [p.suitable for p in points],
        color=SUITABLE_COLOUR,
        label="suitable for a small charity",
    )
    step = max(1, -(-len(points) // 12))
    axes.set_xticks(places[::step], labels[::step])
    axes.tick_params(axis="x", labelrotation=45)
    axes.set_ylabel(f"opportunities per {report.trend_unit}")
    axes.set_title(
        f"Opportunities first published per {report.trend_unit}\n{report.period}", fontsize=12
    )
    figure.legend(loc="outside upper center", ncols=2, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)
