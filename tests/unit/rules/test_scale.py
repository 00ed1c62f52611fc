"""The value a year as charities read it, and the words that say which figure was used."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.delivery.formatting import format_lots, format_value
from rules.context import Context
from rules.scale import contract_scale, lot_scale, scale_text, short_money
from rules.value import Value
from sources.notice import Lot, Notice

NOW = datetime(2026, 8, 10, tzinfo=UTC)
START = datetime(2027, 4, 1, tzinfo=UTC)
YEAR = timedelta(days=365.25)
BASE = Notice(
    source="fat",
    id="ocds-x",
    release_id="r1",
    stage="tender",
    title="Carers support",
    value_high=Decimal(1_300_000),
    currency="GBP",
    release_date=NOW,
    contract_start=START,
    contract_end=START + 3 * YEAR,
    max_end=START + 5 * YEAR,
)


def test_the_estimate_is_spread_over_the_longest_duration_extensions_included():
    scale = contract_scale(BASE)
    assert scale.per_year == 260_000 and scale.extended
    assert scale_text(scale) == "£1.3m over up to 5 years incl. extensions ≈ £260k a year"
    assert format_value(BASE) == "£1,300,000 (£260,000 a year over up to 5 years incl. extensions)"


def test_no_period_means_an_unknown_scale_never_a_year():
    scale = contract_scale(dataclasses.replace(BASE, contract_start=None, contract_end=None))
    assert scale.per_year is None
    assert scale_text(scale) == "£1.3m, scale unknown: no contract period stated"


def test_a_framework_with_no_number_of_providers_shows_its_whole_value():
    framework = dataclasses.replace(BASE, open_framework=True)
    scale = contract_scale(framework)
    assert scale.per_year is None and scale.total == 1_300_000
    assert scale_text(scale).startswith("£1.3m in all, scale unknown: framework open to many")
    assert "(in all: framework open to many providers" in format_value(framework)
    shared = contract_scale(dataclasses.replace(BASE, framework=True, max_participants=10))
    assert scale_text(shared) == (
        "framework for 10 providers: £130k each over up to 5 years incl. extensions ≈ £26k a year"
    )


def test_a_lot_without_a_period_takes_the_contracts_and_a_short_one_counts_whole():
    lots = (
        Lot(id="1", title="North", value=Decimal(500_000)),
        Lot(
            id="2",
            value=Decimal(80_000),
            contract_start=START,
            contract_end=START + timedelta(days=240),
        ),
    )
    notice = dataclasses.replace(BASE, lots=lots)
    assert lot_scale(lots[0], notice).per_year == 100_000
    assert lot_scale(lots[1], notice).per_year == 80_000
    assert (
        scale_text(lot_scale(lots[1], notice))
        == "£80k over 0.7 years: a year or less, counted whole"
    )
    assert format_lots(notice)[0] == (
        "Lot 1 'North' £500,000 (£100,000 a year over up to 5 years incl. extensions)"
    )


def test_a_length_stated_only_in_days_is_read_as_years():
    # Public Contracts Scotland and Sell2Wales: "durationInDays" and no dates.
    undated = dataclasses.replace(
        BASE, contract_start=None, contract_end=None, max_end=None, duration_days=1461
    )
    assert scale_text(contract_scale(undated)) == "£1.3m over 4 years ≈ £325k a year"
    lots = (
        Lot(id="1", value=Decimal(200_000), duration_days=730),
        Lot(id="2", value=Decimal(90_000)),
    )
    with_lots = dataclasses.replace(undated, lots=lots)
    assert abs(lot_scale(lots[0], with_lots).per_year - 100_000) < 100  # its own length
    assert lot_scale(lots[1], with_lots).per_year == 22_500  # the contract's
    assert format_value(undated) == "£1,300,000 (£325,000 a year over 4 years)"


def test_short_money_reads_at_a_glance():
    assert [short_money(Decimal(v)) for v in (900, 1500, 45_000, 1_300_000, 2_000_000)] == [
        "£900",
        "£1.5k",
        "£45k",
        "£1.3m",
        "£2m",
    ]


def test_no_period_still_has_a_floor_a_year_over_the_longest_term():
    no_period = dataclasses.replace(
        BASE, contract_start=None, contract_end=None, max_end=None, value_high=Decimal(15_000_000)
    )
    scale = contract_scale(no_period)
    assert scale.per_year is None and scale.least_per_year == Decimal(1_500_000)
    assert contract_scale(BASE).least_per_year is None  # a known period needs no floor


SMALL_CHARITY_CAP = Value(
    at_most=Decimal(400_000),
    at_least=None,
    missing_passes=True,
    per_year=True,
    soft=True,
    possible_at_most=Decimal(1_000_000),
)
"""small-charities' value condition: £400k a year, possible up to £1m, unknown scale soft."""


def test_a_value_too_large_even_over_the_longest_term_fails_and_a_smaller_one_is_unknown():
    from rules.value import FAIL, UNKNOWN

    cap = SMALL_CHARITY_CAP
    huge = dataclasses.replace(
        BASE, contract_start=None, contract_end=None, max_end=None, value_high=Decimal(15_000_000)
    )
    verdict, reasons = cap.judge(Context(huge, NOW))
    assert verdict == FAIL and "even over 10 years" in reasons[0]
    middling = dataclasses.replace(huge, value_high=Decimal(2_000_000))
    assert cap.judge(Context(middling, NOW))[0] == UNKNOWN


def test_a_value_over_the_cap_is_said_to_be_above_it_never_within_it():
    from rules.value import NEAR

    cap = SMALL_CHARITY_CAP
    verdict, reasons = cap.judge(Context(BASE, NOW))  # £1.3m over 5 years: £260k a year
    assert reasons[0].endswith("≈ £260k a year ≤ £400,000")
    dearer = dataclasses.replace(BASE, value_high=Decimal(2_165_000))  # £433k a year
    verdict, reasons = cap.judge(Context(dearer, NOW))
    assert verdict == NEAR
    assert reasons[0].endswith("≈ £433k a year above £400,000") and "≤" not in reasons[0]
