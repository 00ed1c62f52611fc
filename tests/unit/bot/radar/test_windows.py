"""Radar windows, labels, skips and backtest grades for constructed contracts of every kind."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.radar.backtest import ENDED_OUTCOME, EXTENDED_OUTCOME, HIT, OUTSIDE, UNKNOWN, grade
from bot.radar.contracts import (
    COMPETITIVE,
    DIRECT,
    ENDED,
    EXTENDED,
    FRAMEWORK,
    SUPERSEDED,
    ContractRecord,
)
from bot.radar.selection import judge_with, prospective_notice
from bot.radar.successors import similar_titles, with_successors
from bot.radar.windows import (
    BUYER_DATE,
    CALL_OFF,
    EXTENDABLE,
    NO_COMPETITION,
    NO_EXTENSION,
    on_radar,
    skip_reason,
    window,
)
from rules.library import shipped_paths
from rules.loader import load_rule_set
from sources.notice import Notice

NOW = datetime(2026, 1, 15, tzinfo=UTC)


def _at(year: int, month: int, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def _contract(**changes: object) -> ContractRecord:
    base = ContractRecord(
        source="fat",
        ocid="ocds-x-1",
        award_id="1",
        title="Befriending service for older people",
        buyer="Northbridge Borough Council",
        cpv=("85312000",),
        regions=("UKC22",),
        value=Decimal(300000),
        value_per_year=Decimal(100000),
        start=_at(2024, 4, 1),
        end=_at(2026, 12, 31),
        initial_end=_at(2026, 12, 31),
        procedure=COMPETITIVE,
        published=_at(2024, 3, 1),
        updated=_at(2024, 3, 1),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_no_extension_window_is_the_last_six_to_one_months() -> None:
    found = window(_contract())
    assert found is not None
    assert (found.start, found.end) == (_at(2026, 6, 30), _at(2026, 11, 30))
    assert found.kind == NO_EXTENSION
    assert found.label == "ends 31 Dec 2026, no extension option"
    assert found.text == (
        "market engagement or tender expected between 30 Jun 2026 and 30 Nov 2026"
    )
    assert found.shown_from == _at(2026, 3, 31)  # 9 months before the end


def test_an_extension_option_names_the_date_it_may_reach() -> None:
    found = window(_contract(max_end=_at(2028, 12, 31)))
    assert found is not None
    assert found.kind == EXTENDABLE
    assert found.label == "may be extended to 31 Dec 2028"
    assert found.text.endswith(", unless extended (possible until 31 Dec 2028)")
    assert (found.start, found.end) == (_at(2026, 6, 30), _at(2026, 11, 30))


def test_a_buyer_stated_date_is_taken_at_its_word() -> None:
    found = window(_contract(next_procurement=_at(2027, 6, 1), max_end=_at(2028, 12, 31)))
    assert found is not None
    assert found.kind == BUYER_DATE
    assert found.label == "buyer says next procurement ~1 Jun 2027"
    assert found.text == "around 1 Jun 2027 ± 3 months"
    assert (found.start, found.end) == (_at(2027, 3, 1), _at(2027, 9, 1))
    assert found.shown_from == _at(2026, 12, 1)


@pytest.mark.parametrize(
    ("procedure", "kind", "label"),
    [
        (DIRECT, NO_COMPETITION, "last let without competition"),
        (FRAMEWORK, CALL_OFF, "call-off: re-let happens on the framework"),
    ],
)
def test_how_it_was_let_gives_the_label(procedure: str, kind: str, label: str) -> None:
    found = window(_contract(procedure=procedure, max_end=_at(2028, 1, 1)))
    assert found is not None
    assert (found.kind, found.label) == (kind, label)


def test_radar_months_decide_when_the_window_is_shown() -> None:
    record = _contract()
    assert on_radar(record, _at(2026, 3, 30)) is None
    assert on_radar(record, _at(2026, 3, 31)) is not None
    assert on_radar(record, _at(2026, 1, 31), radar_months=11) is not None
    assert on_radar(record, _at(2026, 1, 30), radar_months=11) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": ENDED}, "ended"),
        ({"status": SUPERSEDED}, "superseded"),
        ({"value": Decimal(1)}, "a nominal value (£0 or £1)"),
        ({"title": "Individual residential placement for a child"}, "a placement of one person"),
        ({"title": "Placement for a young person, 52 weeks"}, "a placement of one person"),
        ({"title": "Social Care & Education Placement"}, "a placement of one person"),
        ({"end": _at(2026, 3, 14)}, "ended or ending within 2 months"),
        ({"end": _at(2025, 12, 1)}, "ended or ending within 2 months"),
        ({"end": None, "initial_end": None}, "no end date"),
    ],
)
def test_contracts_left_off_the_radar(changes: dict[str, object], reason: str) -> None:
    assert skip_reason(_contract(**changes), NOW) == reason
    assert on_radar(_contract(**changes), _at(2026, 11, 1)) is None


def test_contracts_kept_on_the_radar() -> None:
    assert skip_reason(_contract(), NOW) is None
    assert skip_reason(_contract(end=_at(2026, 3, 16), initial_end=_at(2026, 3, 16)), NOW) is None
    assert skip_reason(_contract(value=None), NOW) is None
    assert skip_reason(_contract(title="Supported placements service"), NOW) is None
    assert skip_reason(_contract(title="Work Placement Programme for care leavers"), NOW) is None


def test_a_closed_window_is_off_the_radar() -> None:
    record = _contract(next_procurement=_at(2027, 6, 1), end=_at(2029, 3, 31))
    assert on_radar(record, _at(2027, 9, 1)) is not None
    assert on_radar(record, _at(2027, 9, 2)) is None


def _notice(oid: str, title: str, published: datetime, cpv: str, buyer: str) -> Notice:
    return Notice(
        source="fat",
        id=oid,
        release_id=f"{oid}-1",
        stage="tender",
        title=title,
        buyer=buyer,
        cpv_main=cpv,
        published=published,
        release_date=published,
    )


def test_a_successor_is_the_same_buyer_with_the_same_cpv_group_or_a_similar_title() -> None:
    record = _contract()
    council = "NORTHBRIDGE Borough Council"
    notices = [
        _notice("a", "Road resurfacing", _at(2026, 8, 1), "45233000", council),
        _notice("b", "Befriending for older people", _at(2026, 9, 1), "79000000", "Other Council"),
        _notice("c", "Befriending older people service", _at(2026, 10, 1), "79000000", council),
        _notice("d", "Day centre", _at(2026, 9, 15), "85311000", council),
        _notice("ocds-x-1", "Befriending", _at(2026, 7, 1), "85312000", council),
    ]
    (found,) = with_successors([record], notices)
    assert (found.successor, found.successor_date) == ("c", _at(2026, 10, 1))  # similar title
    (by_group,) = with_successors([record], [n for n in notices if n.id != "c"])
    assert (by_group.successor, by_group.successor_date) == ("d", _at(2026, 9, 15))
    (none,) = with_successors([record], [notices[0], notices[1], notices[4]])
    assert none.successor is None
    assert similar_titles("Befriending service for older people", "Older people befriending")
    assert not similar_titles("Befriending service", "Day centre service")


def test_backtest_grades_each_outcome_per_label() -> None:
    in_window = _contract(successor="s", successor_date=_at(2026, 8, 1))
    early = _contract(successor="s", successor_date=_at(2026, 2, 1), award_id="2")
    extended = _contract(status=EXTENDED, end=_at(2027, 12, 31), award_id="3")
    ended = _contract(status=ENDED, award_id="4", procedure=DIRECT)
    unknown = _contract(award_id="5", procedure=DIRECT)
    still_open = _contract(award_id="6", end=_at(2027, 6, 1), initial_end=_at(2027, 6, 1))
    superseded = _contract(award_id="7", status=SUPERSEDED)
    grades = grade(
        [in_window, early, extended, ended, unknown, still_open, superseded], _at(2027, 1, 1)
    )
    counts = grades[NO_EXTENSION].counts
    assert (counts[HIT], counts[OUTSIDE], counts[EXTENDED_OUTCOME]) == (1, 1, 1)
    assert grades[NO_EXTENSION].hit_rate == pytest.approx(1 / 3)
    direct = grades[NO_COMPETITION]
    assert (direct.counts[ENDED_OUTCOME], direct.counts[UNKNOWN], direct.graded) == (1, 1, 1)
    assert direct.hit_rate == 0
    assert grades[CALL_OFF].hit_rate is None


def test_the_prospective_notice_is_judged_on_value_a_year_not_stage_or_deadline() -> None:
    rules = load_rule_set(shipped_paths()["small-charities"])
    small = _contract(title="Befriending and social isolation service for older people")
    assert prospective_notice(small, NOW).stage == "tender"
    assert rules.evaluate(prospective_notice(small, NOW), NOW) is not None
    # 3 years at £1.5m a year: past the set's £400,000 a year.
    large = dataclasses.replace(small, value=Decimal(4_500_000))
    assert rules.evaluate(prospective_notice(large, NOW), NOW) is None


def test_only_a_match_puts_a_contract_on_the_radar() -> None:
    rules = load_rule_set(shipped_paths()["small-charities"])
    judge = judge_with([rules], NOW)
    suitable = _contract(title="Befriending and social isolation service for older people")
    assert judge(suitable) is not None
    # A generic service word and the people served, nothing else: worth a look as a tender
    # (4 of 5 points), not a radar item.
    vague = _contract(title="Residents' Support 2026/27", cpv=("73000000",))
    judged = rules.evaluate(prospective_notice(vague, NOW), NOW)
    assert judged is not None and judged.tier == "possible"
    assert judge(vague) is None
