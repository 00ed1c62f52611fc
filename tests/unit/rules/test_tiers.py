"""Two tiers: soft requirements and `possible_threshold` demote to `possible`, with the reason;
exclusions by codes spare a named service to people; early engagement needs no deadline."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from rules.context import Context
from rules.errors import RuleFileError
from rules.explain import explain, render_explanation
from rules.loader import parse_rule_set
from rules.matcher import MatchPlan, Narrowing
from sources.notice import Notice

NOW = datetime(2026, 8, 10, 9, 0, tzinfo=UTC)
START = datetime(2026, 11, 1, tzinfo=UTC)
BASE = Notice(
    source="fat",
    id="ocds-x",
    release_id="r1",
    stage="tender",
    title="Befriending Service for Older People",
    description="Befriending for older people.",
    value_high=Decimal("200000"),
    cpv_main="85312000",
    release_date=NOW,
    deadline=NOW + timedelta(days=30),
    contract_start=START,
    contract_end=START + timedelta(days=2 * 365.25),
)

SET = """
name = "t"
title = "T"
threshold = 5
possible_threshold = 3
[require]
value = { at_most = 1e5, per_year = true, missing = "pass", soft = true, possible_at_most = 3e5 }
deadline = { days_left_at_least = 10, missing = "fail", soft = true }
[[exclude]]
cpv = ["79", "73"]
[[exclude]]
cpv = ["8512"]
spare = false
[[exclude]]
keywords = { fields = ["title"], any = ["software"] }
[[score]]
weight = 3
vocabulary = "service"
keywords = { fields = ["title"], any = ["befriending", "evaluation", "engagement"] }
[[score]]
weight = 2
vocabulary = "people"
keywords = { fields = ["title"], any = ["older people", "young people", "community"] }
[[score]]
weight = 1
vocabulary = "people"
keywords = { fields = ["title"], any = ["residents"] }
"""


def rule_set(text: str = SET):
    return parse_rule_set(text, "t.toml", Path("."))


def test_a_clear_notice_is_a_match():
    match = rule_set().evaluate(BASE, NOW)
    assert match is not None and match.tier == "match" and match.demoted == ()
    assert not any(r.startswith("possible") for r in match.reasons)


def test_few_days_left_demotes_and_says_how_many():
    notice = dataclasses.replace(BASE, deadline=NOW + timedelta(days=8, hours=1))
    match = rule_set().evaluate(notice, NOW)
    assert match.tier == "possible" and match.demoted == ("8 days left",)
    assert match.reasons[0] == "possible: 8 days left"
    closed = dataclasses.replace(BASE, deadline=NOW - timedelta(hours=1))
    assert rule_set().evaluate(closed, NOW) is None


def test_an_unknown_scale_and_a_value_a_little_too_high_demote_a_far_too_high_one_rejects():
    no_period = dataclasses.replace(BASE, contract_start=None, contract_end=None)
    assert rule_set().evaluate(no_period, NOW).demoted == ("scale unknown",)
    higher = dataclasses.replace(BASE, value_high=Decimal("500000"))  # £250k a year
    assert rule_set().evaluate(higher, NOW).demoted == ("value above £100k a year",)
    far = dataclasses.replace(BASE, value_high=Decimal("5000000"))
    assert rule_set().evaluate(far, NOW) is None


def test_a_score_between_the_thresholds_is_possible():
    notice = dataclasses.replace(BASE, title="Befriending")  # 3 of 5
    match = rule_set().evaluate(notice, NOW)
    assert match.tier == "possible" and match.demoted == ("score 3 of 5",)
    assert rule_set().evaluate(dataclasses.replace(BASE, title="Older people"), NOW) is None


def test_without_soft_keys_nothing_is_ever_possible():
    plain = SET.replace(", soft = true, possible_at_most = 3e5", "").replace(", soft = true", "")
    plain = plain.replace("possible_threshold = 3\n", "")
    short = dataclasses.replace(BASE, deadline=NOW + timedelta(days=8))
    assert rule_set(plain).evaluate(short, NOW) is None


def test_an_exclusion_by_codes_spares_a_named_service_to_people():
    engagement = dataclasses.replace(
        BASE, title="Community Engagement Programme", cpv_main="79416000"
    )
    assert rule_set().evaluate(engagement, NOW).tier == "match"
    # A service word without the people served is not a service to people.
    consultancy = dataclasses.replace(
        BASE, title="Engagement consultancy", description="Advice.", cpv_main="79416000"
    )
    assert rule_set().evaluate(consultancy, NOW) is None
    # The people may be named in the description.
    evaluation = dataclasses.replace(
        BASE,
        title="Evaluation of a diversion pilot",
        description="Peer research with young people in the pilot.",
        cpv_main="73200000",
    )
    assert rule_set().evaluate(evaluation, NOW) is not None
    # A firm exclusion (spare = false) and exclusions by title words always fire.
    clinical = dataclasses.replace(BASE, cpv_main="85121000")
    assert rule_set().evaluate(clinical, NOW) is None
    software = dataclasses.replace(BASE, title="Befriending software for older people")
    assert rule_set().evaluate(software, NOW) is None


def test_explain_shows_the_tier_the_value_read_and_a_spared_exclusion():
    notice = dataclasses.replace(
        BASE, title="Community Engagement", cpv_main="79416000", deadline=NOW + timedelta(days=5)
    )
    lines = render_explanation(explain(rule_set(), notice, NOW))
    text = "\n".join(lines)
    assert lines[0].startswith("t: POSSIBLE")
    assert "tier     possible: 5 days left" in text
    assert "value    £200k over 2 years ≈ £100k a year" in text
    assert "spared: a service to people" in text


def test_early_engagement_needs_no_response_deadline():
    planning = dataclasses.replace(BASE, stage="planning", deadline=None)
    match = rule_set().evaluate(planning, NOW)
    assert match.tier == "match"
    assert "early engagement: no response deadline needed" in match.reasons
    # A tender with no deadline (missing = "fail", soft) is only possible.
    tender = rule_set().evaluate(dataclasses.replace(BASE, deadline=None), NOW)
    assert tender.demoted == ("no deadline stated",)


def test_a_subscription_takes_the_best_tier_of_its_topic_sets():
    possible_only = SET.replace('name = "t"', 'name = "p"').replace(
        "threshold = 5", "threshold = 9"
    )
    sets = {"t": rule_set(), "p": rule_set(possible_only)}
    plan = MatchPlan([(["p"], Narrowing()), (["p", "t"], Narrowing())], sets.__getitem__)
    found = dict(plan.match(Context(BASE, NOW)))
    assert found[0].tier == "possible" and found[0].reasons[0].startswith("possible: score")
    assert found[1].tier == "match" and not found[1].reasons[0].startswith("possible")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("possible_threshold = 3", "possible_threshold = 7"),
        ("possible_at_most = 3e5", "possible_at_most = 5e4"),
        ('vocabulary = "service"', 'vocabulary = "places"'),
    ],
)
def test_bad_tier_keys_are_refused_with_their_line(change, message):
    with pytest.raises(RuleFileError) as caught:
        rule_set(SET.replace(*((change, message))))
    assert "t.toml:" in str(caught.value)
