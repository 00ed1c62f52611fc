"""The rate of Find a Tender releases: each day's volume, learnt from the windows read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sources.window_sizing import (
    DAY_SPREAD,
    HOURLY_SHARE,
    PROFILE_ERROR,
    RateEstimate,
    day_shares,
    expected_share,
)

MONDAY = datetime(2026, 8, 9, 23, tzinfo=UTC)  # Monday 10 August, 00:00 London


def at(day: int, hour: float) -> datetime:
    """`hour` o'clock (London) on day `day` after Monday 10 August 2026."""
    return MONDAY + timedelta(days=day, hours=hour)


def day_of(day: int) -> date:
    """The London date of day `day` after Monday 10 August 2026."""
    return date(2026, 8, 10) + timedelta(days=day)


def spread_evenly(count: int, start: datetime, end: datetime) -> list[datetime]:
    step = (end - start) / count
    return [start + step * (n + 0.5) for n in range(count)]


def test_the_hourly_profile_is_a_whole_day() -> None:
    assert sum(HOURLY_SHARE) == pytest.approx(1.0, abs=0.001)
    assert min(HOURLY_SHARE) > 0
    assert expected_share(at(0, 0), at(1, 0)) == pytest.approx(1.0, abs=0.001)
    assert expected_share(at(0, 10), at(0, 11)) == pytest.approx(HOURLY_SHARE[10])
    # A stretch over midnight is shared between the two London days.
    shares = day_shares(at(0, 23), at(1, 1))
    assert list(shares.values()) == pytest.approx([HOURLY_SHARE[23], HOURLY_SHARE[0]])


def test_a_day_not_yet_read_is_expected_at_its_kinds_mean_with_its_doubt() -> None:
    rate = RateEstimate(seed=500)
    volume, spread = rate.volume(day_of(0))
    assert volume == pytest.approx(500, rel=0.01)
    # The assumed spread, and a little more: a day may be nothing like its kind (a holiday).
    assert (DAY_SPREAD**2 + PROFILE_ERROR**2) ** 0.5 <= spread < 0.5
    assert rate.expected(at(0, 10), at(0, 11)) == pytest.approx(500 * HOURLY_SHARE[10], rel=0.01)


def test_a_morning_read_pulls_the_day_towards_its_count_and_the_doubt_shrinks() -> None:
    rate = RateEstimate(seed=500)
    start, end = at(0, 8), at(0, 12)
    share = expected_share(start, end)
    rate.observe(start, end, spread_evenly(round(700 * share), start, end))
    volume, spread = rate.volume(day_of(0))
    assert 600 < volume < 700
    assert spread < (DAY_SPREAD**2 + PROFILE_ERROR**2) ** 0.5
    assert rate.volume(day_of(1))[0] == pytest.approx(500, rel=0.01)  # not tomorrow


def test_an_empty_morning_is_believed_at_once() -> None:
    rate = RateEstimate(seed=600)
    rate.observe(at(0, 6), at(0, 11), [])  # a bank holiday
    assert rate.volume(day_of(0))[0] < 60


def test_a_seed_far_off_yields_to_what_a_page_shows() -> None:
    rate = RateEstimate(seed=30)
    start, end = at(0, 13), at(0, 17)
    rate.provisionally({(start, end): spread_evenly(100, start, end)})
    implied = 100 / expected_share(start, end)
    assert rate.volume(day_of(0))[0] > 0.8 * implied
    rate.provisionally({})  # what full pages showed is replaced, never added twice
    assert rate.volume(day_of(0))[0] == pytest.approx(30, rel=0.01)


def test_a_burst_on_a_full_page_never_lowers_nor_inflates_the_day() -> None:
    rate = RateEstimate(seed=500)
    # 100 releases in the last two minutes of a stretch from 09:00 to 13:00 not yet read:
    # at least 100 in those four hours, which says less than the day's usual volume.
    burst = spread_evenly(100, at(0, 12.96), at(0, 13))
    rate.provisionally({(at(0, 9), at(0, 13)): burst})
    assert rate.volume(day_of(0))[0] == pytest.approx(500, rel=0.01)


def test_weekdays_and_weekends_are_learnt_apart() -> None:
    rate = RateEstimate(seed=600)
    for day in range(7):  # Monday to Sunday, each read whole
        count = 400 if day < 5 else 40
        rate.observe(at(day, 0), at(day + 1, 0), spread_evenly(count, at(day, 9), at(day, 17)))
    saturday, monday = day_of(12), day_of(7)
    assert 35 < rate.volume(saturday)[0] < 55  # the seed (120) weighs a quarter of a day
    assert rate.volume(monday)[0] == pytest.approx(400, rel=0.1)
    assert rate.per_day == pytest.approx(400, rel=0.1)
    # Alike weekdays make the next weekday less doubtful than the assumed spread.
    assert rate.volume(monday)[1] < (DAY_SPREAD**2 + PROFILE_ERROR**2) ** 0.5


def test_the_hourly_profile_is_learnt_from_days_read_whole() -> None:
    rate = RateEstimate(seed=600)
    for day in range(6):  # every release between 14:00 and 15:00
        rate.observe(at(day, 0), at(day + 1, 0), spread_evenly(600, at(day, 14), at(day, 15)))
    assert sum(rate.profile) == pytest.approx(1.0, abs=0.001)
    assert rate.profile[14] > 0.5 > HOURLY_SHARE[14]
    assert rate.profile[10] < HOURLY_SHARE[10] / 2
