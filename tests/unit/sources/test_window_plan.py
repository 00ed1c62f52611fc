"""Planning Find a Tender windows: a page's worth with a margin, and the plan after a full page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sources.window_plan import SAFETY, WindowPlanner
from sources.window_sizing import RateEstimate

MONDAY = datetime(2026, 8, 9, 23, tzinfo=UTC)  # Monday 10 August, 00:00 London
NINE, ONE = MONDAY + timedelta(hours=9), MONDAY + timedelta(hours=13)
TOMORROW = MONDAY + timedelta(days=1)


def listed(count: int, start: datetime, end: datetime) -> list[tuple[str, datetime]]:
    """`count` releases dated evenly from `start` to `end`, as a full page lists them."""
    step = (end - start) / count
    return [(f"{n:06d}-2026", start + step * n) for n in range(count)]


def test_a_window_is_planned_to_fit_a_page_with_a_margin() -> None:
    planner = WindowPlanner(rate=RateEstimate(seed=500))
    end = planner.next_window(NINE, TOMORROW, 100)
    mean, deviation = planner.forecast(NINE, end)
    assert mean + SAFETY * deviation <= 99
    longer = planner.forecast(NINE, end + timedelta(seconds=2))
    assert longer[0] + SAFETY * longer[1] > 99  # as long as it can be, to the second
    assert mean > 55  # a day not yet read is doubtful: its first window keeps a wide margin
    assert end.microsecond == 0  # windows are sent to the second


def test_after_a_full_page_the_older_part_and_the_listed_tail_are_read_together() -> None:
    # A window from 09:00 to 13:00 came back full: its newest 100 releases span 09:30-13:00.
    planner = WindowPlanner(rate=RateEstimate(seed=150))
    page = listed(100, NINE + timedelta(minutes=30), ONE)
    planner.overflowed(NINE, ONE, page)
    end = planner.next_window(NINE, TOMORROW, 100)
    assert end < ONE
    known = sum(NINE <= d < end for _, d in page)
    mean, deviation = planner.forecast(NINE, end)
    # Far more than halving's window (09:00-11:00) would hold, with little doubt: only the
    # half hour before the page's oldest release is estimated, from the rate the page shows.
    assert known > 75
    assert mean + SAFETY * deviation <= 99
    assert deviation < 6
    assert mean - known == pytest.approx(100 / 7 / 2, rel=0.6)  # about a page per 3.5 hours


def test_a_burst_on_a_full_page_leaves_the_hours_before_it_planned_at_the_usual_rate() -> None:
    planner = WindowPlanner(rate=RateEstimate(seed=500))
    usual = planner.next_window(NINE, TOMORROW, 100)
    planner.overflowed(NINE, ONE, listed(100, ONE - timedelta(minutes=2), ONE))
    assert planner.next_window(NINE, TOMORROW, 100) == usual


def test_after_a_full_page_the_next_window_from_there_is_always_shorter() -> None:
    planner = WindowPlanner(rate=RateEstimate(seed=500))
    end = planner.next_window(NINE, TOMORROW, 100)
    planner.overflowed(NINE, end, listed(100, end - timedelta(seconds=1), end))
    again = planner.next_window(NINE, TOMORROW, 100)
    assert again < end


def test_a_full_page_with_nothing_dated_halves_the_window() -> None:
    planner = WindowPlanner(rate=RateEstimate(seed=500))
    planner.overflowed(NINE, ONE, [])
    end = planner.next_window(NINE, TOMORROW, 100)
    assert end <= NINE + timedelta(hours=2, seconds=1)


def test_a_full_page_that_does_not_explain_itself_halves_the_window() -> None:
    planner = WindowPlanner(rate=RateEstimate(seed=100))
    usual = planner.next_window(NINE, TOMORROW, 100)
    assert usual > NINE + timedelta(hours=3)  # a quiet day: long windows
    page = listed(100, NINE + timedelta(minutes=230), ONE)  # the last ten minutes
    planner.overflowed(NINE, ONE, page, undated=1)
    assert planner.next_window(NINE, TOMORROW, 100) <= NINE + timedelta(hours=2, seconds=1)
    outside = [*page[1:], ("000999-2026", ONE + timedelta(hours=1))]
    planner = WindowPlanner(rate=RateEstimate(seed=100))
    planner.overflowed(NINE, ONE, outside)
    assert planner.next_window(NINE, TOMORROW, 100) <= NINE + timedelta(hours=2, seconds=1)


def test_a_listed_release_is_counted_but_never_taken_as_read() -> None:
    planner = WindowPlanner(rate=RateEstimate(seed=500))
    page = listed(100, NINE + timedelta(minutes=30), ONE)
    planner.overflowed(NINE, ONE, page)
    end = planner.next_window(NINE, TOMORROW, 100)
    planner.completed(NINE, end, [d for _, d in page if d < end])
    assert all(d >= end for d in planner.known.values())
    assert len(planner.known) == sum(d >= end for _, d in page)
    assert planner.spans == [(end, ONE)]
    # The rest of the listed stretch is still read: the next window starts where this ended
    # and counts what is left of the page.
    mean, _ = planner.forecast(end, ONE)
    assert mean >= len(planner.known)


def test_the_rest_of_a_read_is_one_window_when_it_is_expected_to_fit() -> None:
    planner = WindowPlanner(rate=RateEstimate(seed=500))
    start = MONDAY + timedelta(hours=16)
    until = start + timedelta(hours=3)
    mean, deviation = planner.forecast(start, until)
    assert mean + SAFETY * deviation > 99 >= mean  # fits only without the margin
    assert planner.next_window(start, until, 100) == until
    assert planner.next_window(start, until + timedelta(hours=20), 100) < until
