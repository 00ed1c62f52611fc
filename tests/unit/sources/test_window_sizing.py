"""Window sizing for Find a Tender: windows planned to fill most of a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sources.window_sizing import HOURLY_SHARE, TARGET_FILL, RateEstimate, expected_share

MONDAY = datetime(2026, 8, 10, tzinfo=UTC)  # 01:00 London


def test_the_hourly_profile_is_a_whole_day() -> None:
    assert sum(HOURLY_SHARE) == pytest.approx(1.0, abs=0.001)
    assert min(HOURLY_SHARE) > 0
    assert expected_share(MONDAY, MONDAY + timedelta(days=1)) == pytest.approx(1.0, abs=0.001)
    # 10:00-11:00 London (09:00-10:00 UTC in August) is the eleventh hour of the profile.
    one_hour = expected_share(MONDAY + timedelta(hours=9), MONDAY + timedelta(hours=10))
    assert one_hour == pytest.approx(HOURLY_SHARE[10])


def test_a_window_is_planned_to_hold_most_of_a_page() -> None:
    rate = RateEstimate(per_day=500)
    start = MONDAY + timedelta(hours=8)  # 09:00 London
    end = rate.next_window(start, MONDAY + timedelta(days=2), 100)
    assert rate.expected(start, end) == pytest.approx(TARGET_FILL * 100, rel=0.01)
    night = MONDAY + timedelta(hours=20)
    assert rate.next_window(night, MONDAY + timedelta(days=2), 100) - night > end - start


def test_a_short_remainder_is_read_in_one_window() -> None:
    rate = RateEstimate(per_day=100)
    until = MONDAY + timedelta(days=1)
    assert rate.next_window(MONDAY, until, 100) == until


def test_observations_move_the_volume() -> None:
    rate = RateEstimate(per_day=600)
    start, end = MONDAY + timedelta(hours=8), MONDAY + timedelta(hours=10)
    share = expected_share(start, end)
    rate.observe(30, start, end, full=False)
    assert rate.per_day == pytest.approx(0.5 * 30 / share + 0.5 * 600)
    low = rate.per_day
    rate.observe(100, start, end, full=True)
    assert rate.per_day >= 100 / share > low  # a full page never lowers it
    for _ in range(50):
        rate.observe(0, start, end, full=False)
    assert rate.per_day > 0


def test_an_empty_window_is_believed_at_once() -> None:
    rate = RateEstimate(per_day=600)
    start, end = MONDAY + timedelta(hours=8), MONDAY + timedelta(hours=10)
    rate.observe(0, start, end, full=False)
    assert rate.per_day == pytest.approx(0.5 / expected_share(start, end))
