"""Find a Tender's own mapping, on the recorded day and on the hand-made package."""

from __future__ import annotations

import collections
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.store import Store
from sources.find_a_tender import api_time
from sources.find_a_tender_release import NOTICE_TYPES, fat_release_to_notice
from sources.ocds import map_releases
from sources.ocds_fields import first_url, parse_deadline
from sources.releases import map_any_releases
from tests.conftest import DATA, fat_day_releases

MADE = json.loads((DATA / "made" / "find_a_tender_package.json").read_text())["releases"]
OPEN_TYPES = {"UK1", "UK2", "UK3", "UK4"}


def made(release_id):
    release = next(r for r in MADE if r["id"] == release_id)
    return fat_release_to_notice(release, source="fat")


def own_type(release):
    sections = [release.get("planning") or {}, release.get("tender") or {}]
    sections += release.get("awards") or []
    sections += release.get("contracts") or []
    for section in sections:
        for doc in section.get("documents") or []:
            if doc.get("id") == release["id"] and doc.get("noticeType"):
                return doc["noticeType"]
    return None


# The recorded day (skipped when ../shared/fixtures is absent).


@pytest.fixture(scope="module")
def day():
    return fat_day_releases()


def test_every_release_of_the_recorded_day_maps_without_error(day):
    mapped = map_releases(day, source="fat", mapper=fat_release_to_notice)
    assert len(day) == 459 and mapped.problems == ()
    assert len(mapped.notices) == 459


def test_stages_follow_the_notice_types_on_the_recorded_day(day):
    counts = collections.Counter()
    for release in day:
        notice = fat_release_to_notice(release, source="fat")
        kind = own_type(release)
        assert notice.notice_type == kind
        if kind is None:  # legacy regime: the tags decide
            assert release["tender"]["legalBasis"]["scheme"] == "CELEX"
            continue
        base_stage, label = NOTICE_TYPES[kind]
        if set(release["tag"]) & {"tenderUpdate", "planningUpdate"}:
            assert notice.stage in ("tenderUpdate", "planningUpdate")
            assert notice.is_open_stage and notice.stage_label == f"{label} (updated)"
        else:
            assert notice.stage == base_stage and notice.stage_label == label
        assert notice.is_open_stage == (kind in OPEN_TYPES)
        counts[kind] += 1
    assert counts["UK4"] == 79 and counts["UK7"] == 181 and counts["UK15"] == 0
    uk15 = [r for r in day if own_type(r) == "UK15"]
    assert all(not fat_release_to_notice(r, source="fat").is_open_stage for r in uk15)


def test_lot_level_suitability_and_reservations_are_read(day):
    notices = [fat_release_to_notice(r, source="fat") for r in day]
    with_vcse_lots = [n for n in notices if any(lot.suitable_vcse for lot in n.lots)]
    assert with_vcse_lots and all(n.suitable_vcse is True for n in with_vcse_lots)
    reserved = [n for n in notices if n.reserved_for_sme_vcse]
    assert len(reserved) == 2
    light_touch = [n for n in notices if "lightTouch" in n.special_regimes]
    assert len(light_touch) == 71


def test_gross_only_values_are_read_not_lost(day):
    gross_only = [
        r
        for r in day
        if r["tender"].get("value", {}).get("amountGross") is not None
        and r["tender"]["value"].get("amount") is None
    ]
    assert gross_only
    for release in gross_only:
        notice = fat_release_to_notice(release, source="fat")
        gross = Decimal(str(release["tender"]["value"]["amountGross"]))
        assert notice.value_high == (gross if gross > 0 else None)  # £0 means "not stated"


def test_every_release_links_to_its_find_a_tender_page(day):
    for release in day:
        notice = fat_release_to_notice(release, source="fat")
        assert notice.url == f"https://www.find-tender.service.gov.uk/Notice/{release['id']}"


def test_two_stage_procedures_keep_their_only_deadline(day):
    two_stage = [
        r
        for r in day
        if r["tender"].get("expressionOfInterestDeadline") and not r["tender"].get("tenderPeriod")
    ]
    assert two_stage
    for release in two_stage:
        notice = fat_release_to_notice(release, source="fat")
        assert notice.deadline is not None and notice.deadline == notice.eoi_deadline


def test_portal_links_are_the_first_url_never_prose(day):
    for release in day:
        notice = fat_release_to_notice(release, source="fat")
        if notice.portal_url:
            assert notice.portal_url.startswith(("https://", "http://"))
            assert " " not in notice.portal_url and "\n" not in notice.portal_url


def test_rules_preview_reads_a_file_of_releases_with_the_same_mapping(day):
    assert map_any_releases(day, source="file").notices == tuple(
        fat_release_to_notice(r, source="file") for r in day
    )


# The hand-made package (always runs).


def test_a_uk4_with_lots_gives_lots_values_per_year_and_suitability():
    notice = made("900001-2026")
    assert notice.stage_label == "Open for bids" and notice.regime == "act"
    assert notice.title == "Befriending & Social Isolation Service for Older People"
    assert [lot.title for lot in notice.lots] == [
        "Befriending, Northbridge East",
        "Befriending, Northbridge West",
    ]
    assert notice.lots[0].value == Decimal("160000") and notice.lots[0].suitable_vcse is True
    assert notice.lots[0].value_per_year == Decimal("40000")
    assert notice.value_per_year == Decimal("100000")
    assert notice.suitable_vcse is True and notice.below_threshold is False
    assert notice.special_regimes == ("lightTouch",)
    assert notice.enquiry_deadline == datetime(2026, 9, 4, 11, 0, tzinfo=UTC)
    assert notice.portal_url == "https://procontract.example.org/Advert?id=77"


def test_reserved_gross_only_two_stage_notice():
    notice = made("900002-2026")
    assert notice.reserved_for_sme_vcse and notice.reserved_locations == ("E92000001",)
    assert notice.value_high == Decimal("1200000")
    assert notice.deadline == datetime(2026, 8, 28, 22, 59, 59, tzinfo=UTC)
    assert notice.portal_url == "https://www.westmoor-tenders.example.org"


def test_a_bare_date_deadline_is_the_end_of_that_day_in_london():
    notice = made("900007-2026")
    assert notice.regime == "legacy" and notice.stage == "tender"
    assert notice.deadline == datetime(2026, 9, 1, 22, 59, 59, tzinfo=UTC)  # 23:59:59 BST
    assert parse_deadline("2026-12-01", field="x") == datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)


def test_pipeline_planned_notice_has_its_expected_tender_date():
    notice = made("900003-2026")
    assert notice.stage == "planning" and notice.stage_label == "Planned procurement"
    assert notice.expected_tender_date == datetime(2026, 9, 7, 22, 59, 59, tzinfo=UTC)


def test_awards_contracts_and_modifications_are_never_open():
    for release_id in ("900009-2026", "900010-2026", "900011-2026", "900006-2026"):
        assert not made(release_id).is_open_stage
    assert made("900011-2026").stage_label == "Dynamic market changed"


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("www.the-chest.org.uk", "https://www.the-chest.org.uk"),
        ("https://procontract.due-north.com", "https://procontract.due-north.com"),
        (
            'submitted via. Our e-procurement portal, "The Chest": https://www.the-chest.org.uk/',
            "https://www.the-chest.org.uk/",
        ),
        (
            "Defence Sourcing Portal (www.contracts.mod.uk). In order",
            "https://www.contracts.mod.uk",
        ),
        ("procurement@royalnavymuseums.org.uk", None),
        (
            "following this link: https://atamis.example/s/Welcome.",
            "https://atamis.example/s/Welcome",
        ),
    ],
)
def test_first_url_takes_the_first_address_and_never_prose(text, url):
    assert first_url(text) == url


def test_api_time_is_london_local_time_without_a_zone():
    assert api_time(datetime(2026, 8, 10, 12, 0, tzinfo=UTC)) == "2026-08-10T13:00:00"
    assert api_time(datetime(2026, 1, 10, 12, 0, tzinfo=UTC)) == "2026-01-10T12:00:00"


def test_a_sparse_update_merged_over_a_full_notice_keeps_value_and_description(tmp_path):
    store = Store(tmp_path / "bot.db")
    now = datetime(2026, 8, 10, 19, 0, tzinfo=UTC)
    full, stub = made("900005-2026"), made("900006-2026")
    with store.transaction():
        store.save_notices([full], now)
    with store.transaction():
        events = store.save_notices([stub], now)
    merged = store.notice("fat", full.id)
    store.close()
    assert [e.kind for e in events] == ["updated"]
    assert merged.stage == "tenderCancellation" and merged.stage_label == "Cancelled"
    assert merged.value_high == Decimal("4000000")
    assert merged.description == full.description and merged.deadline == full.deadline
    assert merged.lots[0].contract_start == full.lots[0].contract_start


def test_a_window_edge_in_the_repeated_october_hour_is_moved_outwards():
    from sources.find_a_tender import api_window

    # 26 October 2025: London clocks go back at 02:00 BST, so 01:00–02:00 happens twice.
    first_pass = datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 01:30 BST
    second_pass = datetime(2025, 10, 26, 1, 20, tzinfo=UTC)  # 01:20 GMT
    assert api_window(first_pass, second_pass) == ("2025-10-26T00:30:00", "2025-10-26T02:20:00")
    plain = (datetime(2025, 8, 10, 9, 0, tzinfo=UTC), datetime(2025, 8, 10, 10, 0, tzinfo=UTC))
    assert api_window(*plain) == ("2025-08-10T10:00:00", "2025-08-10T11:00:00")
