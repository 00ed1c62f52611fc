"""Regional sets are checked for place: a notice delivered elsewhere never matches one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rules.library import shipped_paths
from rules.loader import load_rule_set
from rules.places import REGION_NAMES
from rules.ruleset import FILTER
from sources.notice import Notice

NOW = datetime(2026, 8, 10, 9, 0, tzinfo=UTC)
REGIONAL = {
    name: rule_set
    for name, path in shipped_paths().items()
    if (rule_set := load_rule_set(path)).role == FILTER
}
NAMES = {name.lower().replace(" ", "-"): name for name in REGION_NAMES.values()}
# One buyer postcode in each region, so "judged by the buyer" is put to the test too.
BUYERS = {
    "North East": "NE1 4XX",
    "North West": "M1 1AA",
    "Yorkshire and the Humber": "LS1 1AA",
    "East Midlands": "NG1 1AA",
    "West Midlands": "B1 1AA",
    "East of England": "CB1 1AA",
    "London": "EC1A 1AA",
    "South East": "BN1 1AA",
    "South West": "BS1 1AA",
    "Wales": "CF10 1AA",
    "Scotland": "EH1 1AA",
    "Northern Ireland": "BT1 1AA",
}


def notice(region: str) -> Notice:
    return Notice(
        source="fat",
        id=f"ocds-{region}",
        release_id="r1",
        stage="tender",
        title="Befriending service",
        buyer_postcode=BUYERS[region],
        regions=(region,),
        value_high=Decimal(50000),
        release_date=NOW,
        deadline=NOW + timedelta(days=30),
    )


def test_every_region_has_a_regional_set() -> None:
    assert set(REGIONAL) == set(NAMES) and set(BUYERS) == set(NAMES.values())


@pytest.mark.parametrize("name", sorted(REGIONAL))
@pytest.mark.parametrize("elsewhere", sorted(BUYERS))
def test_a_notice_delivered_elsewhere_never_matches_a_regional_set(name, elsewhere) -> None:
    home = NAMES[name]
    verdict = REGIONAL[name].evaluate(notice(elsewhere), NOW)
    if elsewhere == home:
        assert verdict is not None
    else:
        assert verdict is None, f"{name} matched a notice delivered in {elsewhere}"


@pytest.mark.parametrize("name", sorted(REGIONAL))
def test_a_buyer_in_the_region_does_not_bring_in_work_delivered_elsewhere(name) -> None:
    import dataclasses

    home = NAMES[name]
    for elsewhere in sorted(set(BUYERS) - {home}):
        delivered = dataclasses.replace(notice(elsewhere), buyer_postcode=BUYERS[home])
        assert REGIONAL[name].evaluate(delivered, NOW) is None, (name, elsewhere)
