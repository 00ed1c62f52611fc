"""The longest stated duration of a contract and its lots (max extent, renewal periods), read
both ways, and the notice that keeps it through storage."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sources.notice_codec import notice_from_dict, notice_from_json, notice_json, notice_to_dict
from sources.ocds_package import parse_package
from tests.conftest import DATA
from tests.unit.sources.test_package_schema import _both_ways

MADE = sorted((DATA / "made").glob("*.json"))


def _page(tmp_path: Path, tender_changes: dict[str, object]) -> Path:
    release = json.loads(MADE[0].read_text())["releases"][0]
    release["tender"].update(tender_changes)
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"releases": [release]}))
    return page


def test_lots_max_extent_and_renewal_periods_are_read_both_ways(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        {
            "contractPeriod": None,
            "lots": [
                {
                    "id": "1",
                    "value": {"amount": 1300000, "amountGross": 1560000},
                    "contractPeriod": {
                        "startDate": "2027-04-01T00:00:00Z",
                        "endDate": "2030-03-31T23:59:59Z",
                        "maxExtentDate": "2032-03-31T23:59:59Z",
                    },
                },
                {
                    "id": "2",
                    "value": {"amountGross": 120000},
                    "contractPeriod": {"startDate": "2027-04-01T00:00:00Z", "durationInDays": 365},
                    "renewal": {"period": {"durationInDays": 365}},
                },
            ],
        },
    )
    _both_ways(page)
    notice = parse_package(page.read_bytes(), source="s").page.notices[0]
    first, second = notice.lots
    assert first.value == 1300000  # net, not the gross 1,560,000
    assert first.max_end == datetime(2032, 3, 31, 23, 59, 59, tzinfo=UTC)
    assert round(first.longest_years) == 5 and round(first.years) == 3
    assert abs(first.value_per_year - 260000) < 200
    assert second.value == 120000  # gross only when no net is given
    assert second.contract_end == datetime(2028, 3, 31, tzinfo=UTC)
    assert second.max_end == datetime(2029, 3, 31, tzinfo=UTC)
    assert notice.max_end == first.max_end


def test_a_value_with_no_period_has_no_value_a_year(tmp_path: Path) -> None:
    page = _page(tmp_path, {"contractPeriod": None, "lots": []})
    notice = parse_package(page.read_bytes(), source="s").page.notices[0]
    assert notice.value_high is not None and notice.contract_end is None
    assert notice.value_per_year is None


def test_the_longest_end_survives_storage(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        {
            "contractPeriod": {
                "startDate": "2027-04-01T00:00:00Z",
                "endDate": "2028-03-31T00:00:00Z",
                "maxExtentDate": "2030-03-31T00:00:00Z",
            }
        },
    )
    notice = parse_package(page.read_bytes(), source="s").page.notices[0]
    assert notice.max_end == datetime(2030, 3, 31, tzinfo=UTC)
    assert notice_from_json(notice_json(notice)) == notice
    assert notice_from_dict(notice_to_dict(notice)) == notice
    older = notice_to_dict(notice)
    del older["max_end"]  # a notice stored before the field existed
    assert notice_from_dict(older).max_end is None
    assert notice_from_json(json.dumps(older)).max_end is None


def test_a_length_stated_only_in_days_gives_the_value_a_year(tmp_path: Path) -> None:
    # Public Contracts Scotland and Sell2Wales state most terms as days with no dates.
    page = _page(
        tmp_path,
        {
            "value": {"amount": 900000, "currency": "GBP"},
            "minValue": None,
            "contractPeriod": None,
            "lots": [
                {"id": "1", "contractPeriod": {"durationInDays": 1095}},
                {
                    "id": "2",
                    "value": {"amount": 60000, "currency": "GBP"},
                    "contractPeriod": {"durationInDays": 730},
                },
            ],
        },
    )
    _both_ways(page)
    notice = parse_package(page.read_bytes(), source="s").page.notices[0]
    assert notice.contract_start is None and notice.contract_end is None
    assert notice.duration_days == 1095  # the longest lot's
    assert notice.years is not None and round(notice.years, 1) == 3
    assert notice.value_per_year is not None and abs(notice.value_per_year - 300000) < 300
    second = notice.lots[1]
    assert second.value_per_year is not None and abs(second.value_per_year - 30000) < 100
    assert notice_from_json(notice_json(notice)) == notice
    assert notice_from_dict(notice_to_dict(notice)) == notice


def test_the_tenders_own_length_in_days_comes_first(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        {
            "value": {"amount": 100000, "currency": "GBP"},
            "minValue": None,
            "contractPeriod": {"durationInDays": 365},
            "lots": [{"id": "1", "contractPeriod": {"durationInDays": 1460}}],
        },
    )
    notice = parse_package(page.read_bytes(), source="s").page.notices[0]
    assert notice.duration_days == 365
    assert notice.value_per_year == 100000
