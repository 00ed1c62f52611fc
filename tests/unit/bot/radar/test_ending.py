"""The report's section on charity-kind contracts ending soon, per region and buyer."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from bot.radar.contracts import COMPETITIVE, DIRECT, ENDED, ContractRecord
from bot.radar.ending import ending_soon
from sources.notice import Supplier

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


def _record(key: str, **changes: object) -> ContractRecord:
    base = ContractRecord(
        source="fat",
        ocid=f"ocds-{key}",
        award_id="1",
        title=f"Service {key}",
        buyer="North Council",
        regions=("UKC22",),
        value=Decimal(100000),
        value_per_year=Decimal(50000),
        start=datetime(2024, 7, 1, tzinfo=UTC),
        end=datetime(2026, 6, 30, tzinfo=UTC),
        initial_end=datetime(2026, 6, 30, tzinfo=UTC),
        procedure=COMPETITIVE,
        published=datetime(2024, 6, 1, tzinfo=UTC),
        updated=datetime(2024, 6, 1, tzinfo=UTC),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_counts_and_shares_per_region_and_buyer() -> None:
    records = [
        _record("a", suppliers=(Supplier(name="Small", sme=True, vcse=False),)),
        _record("b", max_end=datetime(2027, 6, 30, tzinfo=UTC)),
        _record("c", procedure=DIRECT, buyer="South Council", regions=("UKJ11",)),
        _record(
            "d",
            suppliers=(Supplier(name="Charity", sme=False, vcse=True),),
            buyer="South Council",
            regions=("UKJ",),
        ),
        _record(
            "late",
            end=datetime(2027, 6, 30, tzinfo=UTC),
            initial_end=datetime(2027, 6, 30, tzinfo=UTC),
        ),
        _record("over", status=ENDED),
        _record("other-kind", title="Road resurfacing"),
    ]
    section = ending_soon(records, lambda r: None if "Road" in r.title else r, AS_OF)
    total = section.total
    assert (total.contracts, total.held_small, total.extendable, total.direct) == (4, 2, 1, 1)
    assert total.small_share == 0.5 and total.open_share == 0.5
    assert total.value_per_year == Decimal(200000)
    regions = {r.key: r for r in section.regions}
    assert set(regions) == {"UKC", "UKJ"}
    assert regions["UKC"].name == "North East"
    assert (regions["UKJ"].contracts, regions["UKJ"].held_small, regions["UKJ"].direct) == (2, 1, 1)
    buyers = {b.name: b for b in section.buyers}
    assert buyers["North Council"].contracts == 2
    assert buyers["North Council"].open_share == 0.5
