"""The engine features the rebuilt rule sets stand on: value a year and per lot, frameworks,
exclusions that spare a service main code, Find a Tender's signals, national notices."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from rules.errors import RuleFileError
from rules.explain import explain, render_explanation
from rules.library import shipped_paths
from rules.loader import load_rule_set, parse_rule_set
from sources.notice import Lot, Notice

NOW = datetime(2026, 8, 10, 9, 0, tzinfo=UTC)
START = datetime(2026, 11, 1, tzinfo=UTC)
BASE = Notice(
    source="fat",
    id="ocds-x",
    release_id="r1",
    stage="tender",
    title="Befriending Service",
    description="Befriending for older people.",
    buyer="Anytown Council",
    buyer_postcode="NE1 4XX",
    value_high=Decimal("1200000"),
    value_low=Decimal("1200000"),
    currency="GBP",
    cpv_main="85312000",
    release_date=NOW,
    deadline=NOW + timedelta(days=30),
    contract_start=START,
    contract_end=START + timedelta(days=4 * 365.25),
)


def rules(body: str):
    return parse_rule_set(f'name = "t"\ntitle = "T"\n{body}', "t.toml", Path("."))


def test_value_a_year_judges_a_multi_year_contract_by_its_yearly_value():
    whole = rules('[require]\nvalue = { at_most = 500000, missing = "fail" }')
    yearly = rules('[require]\nvalue = { at_most = 500000, per_year = true, missing = "fail" }')
    assert whole.evaluate(BASE, NOW) is None
    match = yearly.evaluate(BASE, NOW)
    assert match.reasons == ("value £1.2m over 4 years ≈ £300k a year ≤ £500,000",)


def test_value_per_lot_passes_on_any_lot_and_names_it():
    notice = dataclasses.replace(
        BASE,
        lots=(
            Lot(id="1", title="Main hub", value=Decimal("900000")),
            Lot(
                id="2",
                title="Befriending, Harrow",
                value=Decimal("160000"),
                contract_start=START,
                contract_end=START + timedelta(days=4 * 365.25),
            ),
        ),
    )
    per_lot = rules(
        '[require]\nvalue = { at_most = 50000, per_year = true, lots = true, missing = "fail" }'
    )
    assert per_lot.evaluate(notice, NOW).reasons == (
        "Lot 2 'Befriending, Harrow' £160k over 4 years ≈ £40k a year ≤ £50,000",
    )
    assert (
        rules('[require]\nvalue = { at_most = 30000, lots = true, missing = "fail" }').evaluate(
            notice, NOW
        )
        is None
    )


def test_a_framework_for_many_providers_is_judged_by_one_providers_share():
    share = rules(
        "[require]\nvalue = { at_most = 400000, per_year = true, per_provider = true, "
        'missing = "fail" }'
    )
    open_framework = dataclasses.replace(BASE, value_high=Decimal("1e8"), open_framework=True)
    assert share.evaluate(open_framework, NOW) is None  # scale unknown, and missing fails
    unknown = rules(
        "[require]\nvalue = { at_most = 400000, per_year = true, per_provider = true, "
        'missing = "pass" }'
    )
    assert unknown.evaluate(open_framework, NOW).reasons == (
        "value £100m in all, scale unknown: framework open to many providers: "
        "one provider's share is not stated",
    )
    closed = dataclasses.replace(
        BASE, value_high=Decimal("8000000"), framework=True, max_participants=10
    )
    assert share.evaluate(closed, NOW).reasons == (
        "framework for 10 providers: £800k each over 4 years ≈ £200k a year ≤ £400,000",
    )
    few = dataclasses.replace(closed, max_participants=2)
    assert share.evaluate(few, NOW) is None  # two providers: judged as a whole, too big


def test_an_exclusion_can_spare_a_service_main_code():
    body = (
        '[[exclude]]\ncpv = { any = ["48", "30"], unless_main = ["853"] }\n'
        '[require]\nstage = ["tender"]'
    )
    support = dataclasses.replace(BASE, cpv_additional=("48000000", "30213000"))
    software = dataclasses.replace(support, cpv_main="48000000", cpv_additional=("85312000",))
    assert rules(body).evaluate(support, NOW) is not None
    assert rules(body).evaluate(software, NOW) is None


def test_find_a_tender_signals_are_conditions_with_reasons():
    notice = dataclasses.replace(
        BASE,
        legal_basis="UKPGA",
        special_regimes=("lightTouch",),
        above_threshold=False,
        reserved=("smeVcse",),
        notice_type="UK4",
    )
    body = (
        '[require]\nregime = ["lightTouch"]\nbelow_threshold = true\nreserved = true\n'
        'notice_type = ["UK4"]'
    )
    assert rules(body).evaluate(notice, NOW).reasons == (
        "light-touch regime (social, health and education services)",
        "below the procurement threshold",
        "reserved for SMEs and VCSEs",
        "notice type UK4",
    )
    assert rules(body).evaluate(BASE, NOW) is None
    with pytest.raises(RuleFileError, match="unknown regime 'lighttouch'"):
        rules('[require]\nregime = ["lighttouch"]')


def test_lot_level_vcse_suitability_names_the_lot():
    notice = dataclasses.replace(
        BASE,
        suitable_vcse=True,
        lots=(Lot(id="1", title="North"), Lot(id="2", title="South", suitable_vcse=True)),
    )
    assert rules("[require]\nvcse = true").evaluate(notice, NOW).reasons == (
        "Lot 2 'South' marked suitable for VCSE",
    )


def test_national_notices_pass_a_regional_filter_only_by_their_buyers_location():
    region = rules(
        'role = "filter"\n[require]\nplace = { any = ["North East"], national = "exclude" }'
    )
    wide = rules(
        'role = "filter"\n[require]\nplace = { any = ["North East"], national = "include" }'
    )
    england_here = dataclasses.replace(BASE, regions=("England",))
    england_elsewhere = dataclasses.replace(england_here, buyer_postcode="LU1 2BQ")
    assert region.evaluate(england_here, NOW).reasons == ("buyer's postcode area NE in North East",)
    assert region.evaluate(england_elsewhere, NOW) is None
    assert wide.evaluate(england_elsewhere, NOW) is not None
    local = dataclasses.replace(england_elsewhere, regions=("UKC22",))
    assert region.evaluate(local, NOW) is not None


def test_every_shipped_regional_filter_refuses_a_national_notice_from_elsewhere():
    notice = dataclasses.replace(BASE, regions=("UK",), buyer_postcode="ZZ1 1ZZ")
    for name, path in shipped_paths().items():
        rule_set = load_rule_set(path)
        if rule_set.role == "filter":
            assert rule_set.evaluate(notice, NOW) is None, name


def test_explain_lists_each_condition_and_what_was_lacking():
    rule_set = rules(
        'threshold = 5\n[require]\nstage = ["tender"]\n'
        '[[score]]\nweight = 3\nkeywords = { fields = ["title"], any = ["befriend*"] }\n'
        "[[score]]\nweight = 3\nreserved = true\n"
    )
    verdict = explain(rule_set, BASE, NOW)
    assert not verdict.matched and verdict.near_miss
    assert verdict.lacking == ("score 3 of 5 needed",)
    text = "\n".join(render_explanation(verdict))
    assert '✓ keywords in title: any of "befriend*" (+3)' in text
    assert "✗ reserved for SMEs and VCSEs" in text


def test_small_charities_alerts_the_readmes_council_feed_example():
    feed_item = Notice(
        source="anytown",
        id="https://www.anytown.gov.uk/tenders/1234",
        release_id="x",
        stage="tender",
        title="Befriending and Social Isolation Service for Older People",
        description=(
            "Anytown Borough Council is seeking a voluntary or community sector provider to "
            "deliver befriending. Estimated value: £45,000 per annum. Closing date: 21/02/2025 "
            "12:00"
        ),
        buyer="Anytown Borough Council",
        regions=("North East",),
        value_low=Decimal("45000"),
        value_high=Decimal("45000"),
        currency="GBP",
        release_date=NOW,
        deadline=NOW + timedelta(days=20),
    )
    small = load_rule_set(shipped_paths()["small-charities"])
    match = small.evaluate(feed_item, NOW)
    assert match is not None
    assert any("befriend*" in r for r in match.reasons)
