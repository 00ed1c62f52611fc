from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sources.notice_codec import notice_from_dict, notice_from_json, notice_json, notice_to_dict
from sources.ocds import MappingError, load_json, map_releases, release_to_notice, releases_of
from tests.conftest import (
    CF_2022,
    CF_2025,
    PCS_RELEASE,
    S2W_RELEASE,
    made_releases,
    recorded,
    releases,
)


@pytest.mark.parametrize("path", [CF_2025, CF_2022])
def test_every_recorded_release_maps_and_none_is_dropped(path):
    raw = releases(path)
    mapped = map_releases(load_json(recorded(path).read_bytes())["releases"], source="cf")
    assert mapped.problems == ()
    assert len(mapped.notices) == len(raw)
    assert [n.release_id for n in mapped.notices] == [r["id"] for r in raw]
    for notice in mapped.notices:
        assert notice.title and notice.id.startswith("ocds-")
        assert notice.release_date.tzinfo is UTC
        assert notice.url is None or notice.url.startswith("https://")


def by_title(fragment, path=CF_2025):
    for release in load_json(recorded(path).read_bytes())["releases"]:
        if fragment in release["tender"]["title"]:
            return release
    raise AssertionError(fragment)


def test_html_entities_are_decoded():
    notice = release_to_notice(by_title("St Bede&apos;s"), source="cf")
    assert "St Bede's Catholic Middle School" in notice.title
    assert "&apos;" not in notice.title


def test_mojibake_is_repaired_and_whitespace_normalised():
    notice = release_to_notice(by_title("Parking Pilot"), source="cf")
    assert "â€" not in notice.description
    assert "framework. The initial intention" in notice.description


def test_zulu_and_offset_dates_become_the_right_utc_instants():
    notice_2025 = release_to_notice(by_title("Provision for Children looked after"), source="cf")
    assert notice_2025.release_date == datetime(2025, 1, 23, 18, 30, 29, tzinfo=UTC)
    assert notice_2025.deadline == datetime(2025, 2, 17, 17, 0, tzinfo=UTC)
    assert notice_2025.published == datetime(2025, 1, 16, 14, 26, 39, tzinfo=UTC)

    notice_2022 = release_to_notice(by_title("BNF Storage", CF_2022), source="cf")
    # 2022-10-18T23:12:38+01:00 is 22:12:38 UTC.
    assert notice_2022.release_date == datetime(2022, 10, 18, 22, 12, 38, tzinfo=UTC)
    assert notice_2022.release_date.tzinfo is UTC


def test_the_big_fields_of_a_tender():
    notice = release_to_notice(by_title("Provision for Children looked after"), source="cf")
    assert notice.source == "cf"
    assert notice.id == "ocds-b5fd17-7445ba73-19af-4b2c-9156-bc70b3b4ee87"
    assert notice.release_id == "06c7e0ea-fd0b-431c-93b4-d1fcf3801ce5-819945"
    assert notice.stage == "tender"
    assert notice.buyer == "Luton Council"
    assert notice.buyer_postcode == "LU1 2BQ"
    assert notice.regions == ("England",)
    assert notice.value_low == notice.value_high == Decimal("118000000")
    assert notice.currency == "GBP"
    assert notice.cpv_main == "85300000"
    assert notice.suitable_sme is True and notice.suitable_vcse is True
    assert notice.procedure == "Open procedure (above threshold)"
    assert (
        notice.url
        == "https://www.contractsfinder.service.gov.uk/Notice/06c7e0ea-fd0b-431c-93b4-d1fcf3801ce5"
    )
    assert notice.portal_url.startswith("https://procontract.due-north.com/")


def test_value_range_from_min_value():
    notice = release_to_notice(by_title("Linking Levisham Grazing"), source="cf")
    assert (notice.value_low, notice.value_high) == (Decimal("5000"), Decimal("22000"))


def test_missing_value_deadline_and_region_give_none():
    release = copy.deepcopy(by_title("Provision for Children looked after"))
    for key in ("value", "minValue", "tenderPeriod", "items", "suitability"):
        release["tender"].pop(key, None)
    notice = release_to_notice(release, source="cf")
    assert notice.value_low is None and notice.value_high is None
    assert notice.deadline is None
    assert notice.regions == () and notice.postcodes == ()
    assert notice.suitable_sme is None and notice.suitable_vcse is None


def test_planning_notice_takes_its_engagement_deadline_and_additional_cpv():
    notice = release_to_notice(by_title("Analytical Testing Support RFI"), source="cf")
    assert notice.stage == "planning"
    assert notice.deadline == datetime(2025, 1, 31, 23, 59, 59, tzinfo=UTC)
    assert notice.cpv_codes == ("09100000", "71630000")
    assert notice.portal_url.startswith("https://contracts.mod.uk/")


def test_amendment_stage():
    raw = next(r for r in releases() if r["tag"] == ["tenderAmendment"])
    assert release_to_notice(raw, source="cf").stage == "tenderAmendment"


def test_scotland_release_without_release_id_and_with_item_cpv():
    notice = release_to_notice(json.loads(recorded(PCS_RELEASE).read_text()), source="pcs")
    assert notice.release_id == "ocds-r6ebe6-0000567519@2019-04-15T00:00:00+00:00"
    assert notice.regions == ("UKM82",)
    assert notice.cpv_main == "85000000"
    assert notice.buyer == "Glasgow City Council"
    assert notice.url.startswith("https://www.publiccontractsscotland.gov.uk/")
    assert notice.portal_url == "https://www.publictendersscotland.publiccontractsscotland.gov.uk"


def test_wales_release():
    notice = release_to_notice(json.loads(recorded(S2W_RELEASE).read_text()), source="s2w")
    assert notice.title == "Evaluation of the LGBTQ+ Action Plan"
    assert notice.regions == ("UKL",)
    assert notice.value_high == Decimal("160000")
    assert "98200000" in notice.cpv_codes


def test_absurd_numbers_do_not_break_parsing():
    payload = json.dumps(by_title("Linking Levisham")).replace(
        '"amount": 22000', '"amount": 1e9999'
    )
    notice = release_to_notice(load_json(payload.encode()), source="cf")
    assert notice.value_high == Decimal("5000")  # the placeholder is ignored, the minimum kept


def test_a_bad_release_is_reported_and_the_rest_kept():
    raw = releases()[:3]
    broken = copy.deepcopy(raw[1])
    broken["date"] = "yesterday"
    nameless = copy.deepcopy(raw[2])
    del nameless["ocid"]
    mapped = map_releases([raw[0], broken, nameless, "junk"], source="cf")
    assert len(mapped.notices) == 1
    assert [p.record_id for p in mapped.problems] == [raw[1]["id"], raw[2]["id"], "#3"]
    assert "date: 'yesterday' is not an ISO 8601 date-time" in str(mapped.problems[0])
    assert str(mapped.problems[0]).startswith(f"cf: release {raw[1]['id']}: ")


def test_release_without_tag_or_title_is_a_mapping_error():
    release = copy.deepcopy(releases()[0])
    release["tag"] = []
    with pytest.raises(MappingError, match="tag"):
        release_to_notice(release, source="cf")
    release = copy.deepcopy(releases()[0])
    release["tender"]["title"] = "  "
    with pytest.raises(MappingError, match="title"):
        release_to_notice(release, source="cf")


def test_releases_of_accepts_packages_and_bare_releases():
    assert len(releases_of({"releases": [1, 2]})) == 2
    assert releases_of({"ocid": "x"}) == [{"ocid": "x"}]
    with pytest.raises(MappingError):
        releases_of({"hello": 1})


def test_notice_round_trips_through_its_dict_form():
    for notice in map_releases(releases(), source="cf").notices:
        assert notice_from_dict(json.loads(json.dumps(notice_to_dict(notice)))) == notice


def test_stored_notices_read_back_whatever_wrote_them():
    made = map_releases(made_releases(), source="cf").notices
    assert len(made) == 100
    for notice in made:
        # What the store writes now, and what earlier versions wrote: every field (the dict
        # form) or only the non-empty ones.
        assert notice_from_json(notice_json(notice)) == notice
        full = notice_to_dict(notice)
        assert notice_from_json(json.dumps(full)) == notice
        sparse = {k: v for k, v in full.items() if v not in (None, "", [])}
        assert notice_from_json(json.dumps(sparse)) == notice
    # A field of another type than msgspec expects is read as the dict form reads it.
    odd = {**notice_to_dict(made[0]), "regions": "London", "unknown": 1}
    assert notice_from_json(json.dumps(odd)) == notice_from_dict(odd)
    with pytest.raises((ValueError, KeyError, TypeError)):
        notice_from_json(json.dumps({"title": "no id"}))


def test_contracts_finder_parse_reads_a_page_and_refuses_an_error_page():
    from sources import contracts_finder
    from sources.errors import PayloadError

    parsed = contracts_finder.parse(
        recorded(CF_2025).read_bytes(), source="cf", url="https://cf.example/s"
    )
    assert len(parsed.page.notices) == 100 and parsed.next_url.startswith("https://")
    with pytest.raises(
        PayloadError, match=r"^cf: GET https://cf\.example/s: response is not valid JSON"
    ):
        contracts_finder.parse(b"<html>Error</html>", source="cf", url="https://cf.example/s")


def test_awards_carry_their_suppliers_size_flags_from_parties():
    release = {
        "ocid": "ocds-h6vhtk-0aaaaa",
        "id": "ocds-h6vhtk-0aaaaa-2",
        "date": "2026-08-10T09:00:00Z",
        "tag": ["award"],
        "tender": {"title": "Befriending service"},
        "parties": [
            {"id": "GB-A", "name": "Small Co", "roles": ["supplier"], "details": {"scale": "sme"}},
            {"id": "GB-B", "name": "Big plc", "roles": ["supplier"], "details": {"scale": "large"}},
            {"id": "GB-C", "name": "Trust", "roles": ["supplier"], "details": {"vcse": True}},
        ],
        "awards": [
            {"id": "1", "status": "active", "suppliers": [{"id": "GB-A"}], "date": "2026-08-09"},
            {
                "id": "2",
                "status": "active",
                "suppliers": [{"id": "GB-B", "name": "Big plc"}],
                "value": {"amount": 1200, "currency": "GBP"},
            },
            {"id": "3", "status": "pending", "suppliers": [{"id": "GB-C"}]},
            {"id": "4", "suppliers": [{"id": "unknown", "name": "Nobody flagged"}]},
        ],
    }
    awards = release_to_notice(release, source="fat").awards
    assert [a.to_small_supplier for a in awards] == [True, False, True, None]
    assert [a.to_vcse for a in awards] == [False, False, True, False]
    assert awards[0].suppliers[0].name == "Small Co"
    assert awards[1].value == Decimal(1200)
    assert awards[0].date == datetime(2026, 8, 9, tzinfo=UTC)
    again = notice_from_dict(
        json.loads(json.dumps(notice_to_dict(release_to_notice(release, source="fat"))))
    )
    assert again.awards == awards
