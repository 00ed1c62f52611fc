"""Cold spots: areas that buy many services of the kinds charities deliver, few of them winnable.

An area (a region, or a buyer) is ranked by how many of its charity-kind service
opportunities a small charity could not bid for, then by the smaller share it could; each
entry carries the facts behind its rank: how many of those it missed were large, gave little
time to respond, or came as one contract with no lots.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.report.facts import LARGE_PER_YEAR, NATIONAL, NOT_STATED, SHORT_RESPONSE_DAYS
from bot.report.figures import AreaFigures

MIN_BUYER_SERVICES = 3
"""A buyer is ranked only when it published at least this many charity-kind services."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ColdSpot:
    """One ranked cold spot: its place in the ranking and the area's figures behind it."""

    rank: int
    area: AreaFigures

    @property
    def level(self) -> str:
        """``region`` or ``buyer``."""
        return self.area.level

    @property
    def key(self) -> str:
        """The area's key (an ITL code, or the buyer's name)."""
        return self.area.key

    @property
    def name(self) -> str:
        """The area's name."""
        return self.area.name

    @property
    def region_name(self) -> str:
        """The name of the region (for a buyer: the region most of its opportunities were in)."""
        return self.area.region_name

    @property
    def facts(self) -> str:
        """The facts behind the rank, in one plain sentence."""
        area, missed = self.area, self.area.services_missed
        return (
            f"{area.services} service opportunit{'y' if area.services == 1 else 'ies'} of "
            f"kinds charities deliver, {area.services_suitable} a small charity could bid for; "
            f"of the {missed} other{'' if missed == 1 else 's'}, "
            f"{area.services_large} over £{LARGE_PER_YEAR:,.0f} a year, "
            f"{area.services_short} with under {SHORT_RESPONSE_DAYS} days to respond, "
            f"{area.services_single} not divided into lots"
        )


def rank_cold_spots(areas: Iterable[AreaFigures], level: str) -> list[ColdSpot]:
    """Rank the regions or buyers in `areas` that missed at least one charity-kind service."""
    minimum = MIN_BUYER_SERVICES if level == "buyer" else 1
    eligible = [
        a
        for a in areas
        if a.key not in (NATIONAL, NOT_STATED) and a.services >= minimum and a.services_missed > 0
    ]
    eligible.sort(
        key=lambda a: (-a.services_missed, a.services_suitable / a.services, a.name.lower())
    )
    return [ColdSpot(rank=rank, area=a) for rank, a in enumerate(eligible, start=1)]
