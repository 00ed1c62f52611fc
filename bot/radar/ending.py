"""Charity-kind contracts ending soon, per region and buyer: the list taken to commissioners.

For the contracts of the chosen kind whose initial term ends within the next months (and
that the radar keeps: not ended, superseded, nominal or a placement of one person), per ITL1
region and per buyer: how many, their value a year, the share held by suppliers the buyer
flagged SME or VCSE, and the share that can be extended or was let without competition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta

from bot.radar.contracts import DIRECT, ContractRecord
from bot.radar.selection import prospective_notice
from bot.radar.windows import skip_reason
from bot.report.facts import region_of
from bot.report.figures import share
from rules.places import describe

ENDING_MONTHS = 12


@dataclass(frozen=True, slots=True, kw_only=True)
class EndingFigures:
    """The contracts ending soon in one region, for one buyer, or in all."""

    key: str
    name: str
    contracts: int
    value_per_year: Decimal
    held_small: int
    extendable: int
    direct: int
    extendable_or_direct: int

    @property
    def small_share(self) -> float | None:
        """Share held by a supplier flagged SME or VCSE."""
        return share(self.held_small, self.contracts)

    @property
    def open_share(self) -> float | None:
        """Share that can be extended or was let without competition."""
        return share(self.extendable_or_direct, self.contracts)


@dataclass(frozen=True, slots=True, kw_only=True)
class EndingSection:
    """The report's "ending soon" section."""

    as_of: datetime
    until: datetime
    total: EndingFigures
    regions: tuple[EndingFigures, ...]
    buyers: tuple[EndingFigures, ...]


def extendable(record: ContractRecord) -> bool:
    """Whether the contract may be extended: a later maximum end, or a stated renewal."""
    end = record.initial_end or record.end
    later = record.max_end is not None and end is not None and record.max_end > end
    return later or record.has_renewal is True


def _figures(key: str, name: str, records: Sequence[ContractRecord]) -> EndingFigures:
    return EndingFigures(
        key=key,
        name=name,
        contracts=len(records),
        value_per_year=sum((r.value_per_year or Decimal(0) for r in records), Decimal(0)),
        held_small=sum(1 for r in records if r.small_supplier),
        extendable=sum(1 for r in records if extendable(r)),
        direct=sum(1 for r in records if r.procedure == DIRECT),
        extendable_or_direct=sum(1 for r in records if extendable(r) or r.procedure == DIRECT),
    )


def ending_soon(
    records: Iterable[ContractRecord],
    judge: Callable[[ContractRecord], object],
    as_of: datetime,
    months: int = ENDING_MONTHS,
) -> EndingSection:
    """The section for the contracts `judge` takes that end within `months` of `as_of`."""
    until = as_of + relativedelta(months=months)
    chosen: list[tuple[ContractRecord, str]] = []
    for record in records:
        end = record.initial_end or record.end
        if end is None or not as_of <= end <= until or skip_reason(record, as_of) is not None:
            continue
        if judge(record) is None:
            continue
        chosen.append((record, region_of(prospective_notice(record, as_of))))
    by_region: dict[str, list[ContractRecord]] = {}
    by_buyer: dict[str, list[ContractRecord]] = {}
    for record, region in chosen:
        by_region.setdefault(region, []).append(record)
        by_buyer.setdefault(record.buyer or "not stated", []).append(record)
    regions = sorted(
        (_figures(key, describe(key), rows) for key, rows in by_region.items()),
        key=lambda f: (-f.contracts, f.name),
    )
    buyers = sorted(
        (_figures(name, name, rows) for name, rows in by_buyer.items()),
        key=lambda f: (-f.contracts, f.name),
    )
    return EndingSection(
        as_of=as_of,
        until=until,
        total=_figures("UK", "All", [r for r, _ in chosen]),
        regions=tuple(regions),
        buyers=tuple(buyers),
    )


def _row(figures: EndingFigures) -> dict[str, Any]:
    return {
        "key": figures.key,
        "name": figures.name,
        "contracts": figures.contracts,
        "value_per_year": int(figures.value_per_year),
        "held_sme_vcse": figures.held_small,
        "sme_vcse_share": figures.small_share,
        "extendable": figures.extendable,
        "let_without_competition": figures.direct,
        "extendable_or_without_competition": figures.extendable_or_direct,
        "extendable_or_without_competition_share": figures.open_share,
    }


def ending_document(section: EndingSection) -> dict[str, Any]:
    """The section as JSON-ready data."""
    return {
        "as_of": section.as_of.isoformat(),
        "until": section.until.isoformat(),
        "total": _row(section.total),
        "regions": [_row(r) for r in section.regions],
        "buyers": [_row(b) for b in section.buyers],
    }
