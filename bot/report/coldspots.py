"""Cold spots: areas that buy many services of the kinds charities deliver, few of them winnable.

An area (a region, or a buyer) is ranked by how many of its charity-kind service
opportunities a small charity could not bid for, then by the smaller share it could; each
entry carries the facts behind its rank: how many of those it missed were large, gave little
time to respond, or came as one contract with no lots.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.report.facts import AREA_NAMES, LARGE_PER_YEAR, NATIONAL, NOT_STATED, SHORT_RESPONSE_DAYS
from bot.report.figures import AreaFigures, share

MIN_BUYER_SERVICES = 3
"""A buyer is ranked only when it published at least this many charity-kind services."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ColdSpot:
    """One ranked cold spot and the facts behind its rank."""

    rank: int
    level: str
    key: str
    name: str
    region: str
    services: int
    services_suitable: int
    missed: int
    large: int
    short: int
    single: int

    @property
    def region_name(self) -> str:
        """The name of the region (for a buyer: the region most of its opportunities were in)."""
        return AREA_NAMES.get(self.region, self.region)

    @property
    def suitable_share(self) -> float | None:
        """Share of its charity-kind services that a small charity could bid for."""
        return share(self.services_suitable, self.services)

    @property
    def facts(self) -> str:
        """The facts behind the rank, in one plain sentence."""
        return (
            f"{self.services} service opportunit{'y' if self.services == 1 else 'ies'} of "
            f"kinds charities deliver, {self.services_suitable} a small charity could bid for; "
            f"of the {self.missed} other{'' if self.missed == 1 else 's'}, "
            f"{self.large} over £{LARGE_PER_YEAR:,.0f} a year, "
            f"{self.short} with under {SHORT_RESPONSE_DAYS} days to respond, "
            f"{self.single} not divided into lots"
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
    return [
        ColdSpot(
            rank=rank,
            level=level,
            key=a.key,
            name=a.name,
            region=a.region,
            services=a.services,
            services_suitable=a.services_suitable,
            missed=a.services_missed,
            large=a.services_large,
            short=a.services_short,
            single=a.services_single,
        )
        for rank, a in enumerate(eligible, start=1)
    ]
