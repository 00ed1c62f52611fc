"""The engine's shortcuts give the verdicts and reasons of the plain reading.

`RuleSet.evaluate` tests requirements before exclusions and stops scoring once the threshold
is out of reach; `Keywords` looks `any_of` keywords up by kind. Here every shipped rule set
judges notices (the project's made page, and invented ones aimed at its keywords) and each
verdict is recomputed the plain way: every exclusion, the requirements, every score rule,
and every keyword tested on its own.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rules.conditions import AnyOf, Not
from rules.context import Context
from rules.library import shipped_paths
from rules.loader import load_rule_set
from rules.ruleset import Match, RuleSet, ScoreRule
from rules.text import parse_keyword
from rules.text_conditions import Keywords
from sources.notice import Notice
from sources.ocds import map_releases
from tests.conftest import made_releases
from tests.unit.rules.test_engine import NOTICE

NOW = datetime(2025, 1, 24, 9, 0, tzinfo=UTC)
SETS = {name: load_rule_set(path) for name, path in shipped_paths().items()}


def _plain_verdict(rule_set: RuleSet, notice: Notice) -> Match | None:
    ctx = Context(notice, NOW)
    spared = rule_set.names_people_service(ctx) is not None
    for position, exclusion in enumerate(rule_set.exclude):
        if exclusion.test(ctx) is not None and not (spared and rule_set.sparable(position)):
            return None
    reasons: list[str] = []
    demoted: list[str] = []
    for requirement in rule_set.require.children if rule_set.require is not None else ():
        if getattr(requirement, "soft", False):
            found, why = requirement.soft_test(ctx)
        else:
            found, why = requirement.test(ctx), None
        if found is None:
            return None
        reasons.extend(found)
        demoted.extend([why] if why else [])
    total = 0.0
    for rule in rule_set.score:
        found = rule.condition.test(ctx)
        if found is not None:
            total += rule.weight
            reasons.extend([rule.label] if rule.label else found)
    if rule_set.score and total < rule_set.lowest_threshold:
        return None
    if rule_set.score and total < rule_set.threshold:
        demoted.append(f"score {total:g} of {rule_set.threshold:g}")
    if demoted:
        reasons.insert(0, f"possible: {', '.join(demoted)}")
    return Match(
        rule_set=rule_set.name,
        score=total,
        reasons=tuple(dict.fromkeys(reasons)),
        tier="possible" if demoted else "match",
        demoted=tuple(demoted),
    )


def _keywords_in(condition: object) -> list[Keywords]:
    if isinstance(condition, Keywords):
        return [condition]
    if isinstance(condition, Not):
        return _keywords_in(condition.child)
    children = getattr(condition, "children", ())
    return [k for child in children for k in _keywords_in(child)]


def _notices() -> list[Notice]:
    made = list(map_releases(made_releases(), source="cf").notices)
    # Invented titles made of each set's own keywords, so phrases and prefixes are hit.
    aimed = []
    for rule_set in SETS.values():
        conditions = [*rule_set.exclude, *(r.condition for r in rule_set.score)]
        for keywords in [k for c in conditions for k in _keywords_in(c)]:
            words = [" ".join(k.words) + ("ing" if k.prefix else "") for k in keywords.any_of]
            for start in range(0, len(words), 3):
                aimed.append(
                    dataclasses.replace(
                        NOTICE,
                        title=" and ".join(words[start : start + 3]).title(),
                        description=" ".join(reversed(words[start : start + 5])),
                    )
                )
    regions = ["London", "Scotland", "Wales", "Northern Ireland", "South West", "East Midlands"]
    placed = [dataclasses.replace(NOTICE, regions=(r,), postcodes=()) for r in regions]
    return made + placed + aimed[:400]


NOTICES = _notices()


@pytest.mark.parametrize("name", sorted(SETS))
def test_each_shipped_set_judges_as_the_plain_reading_does(name: str) -> None:
    rule_set = SETS[name]
    verdicts = [rule_set.evaluate(n, NOW) for n in NOTICES]
    assert verdicts == [_plain_verdict(rule_set, n) for n in NOTICES]
    assert any(v is not None for v in verdicts), "no notice matched: the test proves nothing"


def test_keywords_find_what_testing_each_keyword_finds() -> None:
    checked = hits = 0
    for rule_set in SETS.values():
        conditions = [*rule_set.exclude, *(r.condition for r in rule_set.score)]
        for keywords in [k for c in conditions for k in _keywords_in(c)]:
            for notice in NOTICES:
                ctx = Context(notice, NOW)
                plain = [
                    k
                    for k in keywords.any_of
                    if any(ctx.index(f).contains(k) for f in keywords.fields)
                ]
                assert keywords._any_found(ctx) == plain
                checked += 1
                hits += bool(plain)
    assert checked > 1000 and hits > 100


def test_scoring_stops_only_when_the_threshold_is_out_of_reach() -> None:
    def score(weight: float, word: str) -> ScoreRule:
        return ScoreRule(
            weight=weight,
            condition=AnyOf(children=(Keywords(fields=("title",), any_of=(parse_keyword(word),)),)),
        )

    rule_set = RuleSet(
        name="t",
        title="t",
        threshold=3,
        score=(score(2, "abuse"), score(-4, "construction"), score(2, "children")),
    )
    assert rule_set.evaluate(NOTICE, NOW) is not None  # 2 + 2 reaches 3
    built = dataclasses.replace(NOTICE, title="Domestic abuse construction for children")
    assert rule_set.evaluate(built, NOW) is None  # 2 - 4 + 2
    plain = dataclasses.replace(NOTICE, title="Support", value_low=Decimal(1))
    assert rule_set.evaluate(plain, NOW) is None
    assert rule_set.evaluate(NOTICE, NOW) == _plain_verdict(rule_set, NOTICE)
