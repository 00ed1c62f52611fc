"""Why a notice did or did not match a rule set, condition by condition.

Curators need the near misses as much as the hits: `explain` lists every exclusion,
requirement and scoring condition with whether it held and why, and says in a line what
the notice lacked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rules.conditions import Condition
from rules.context import Context
from rules.ruleset import MATCH, RuleSet, soft_test
from rules.scale import contract_scale, scale_text
from sources.notice import Notice

NEAR_MISS_POINTS = 2.0
"""A notice this many points short of the threshold (and meeting every requirement) is near."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One condition of a rule set, judged on one notice."""

    part: str
    condition: str
    held: bool
    reasons: tuple[str, ...] = ()
    weight: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    """A rule set's verdict on a notice, with every step that led to it."""

    rule_set: str
    matched: bool
    score: float
    threshold: float
    steps: tuple[Step, ...]
    lacking: tuple[str, ...]
    tier: str | None = None
    demoted: tuple[str, ...] = ()
    value: str = ""

    @property
    def excluded(self) -> bool:
        """Whether an exclusion fired."""
        return any(s.part == "exclude" and s.held for s in self.steps)

    @property
    def near_miss(self) -> bool:
        """Not matched, not excluded, and short by one requirement or a couple of points."""
        if self.matched or self.excluded:
            return False
        failed = [s for s in self.steps if s.part == "require" and not s.held]
        short = self.threshold - self.score
        return (len(failed) == 1 and short <= 0) or (not failed and short <= NEAR_MISS_POINTS)


def explain(rule_set: RuleSet, notice: Notice, now: datetime) -> Explanation:
    """Judge `notice` with `rule_set` at `now`, keeping every step."""
    ctx = Context(notice, now)
    steps: list[Step] = []
    lacking: list[str] = []
    words = rule_set.names_people_service(ctx)
    for position, exclusion in enumerate(rule_set.exclude):
        step = _step("exclude", exclusion, ctx)
        if step.held and words and rule_set.sparable(position):
            step = Step(
                part="exclude",
                condition=f"{step.condition} (spared: a service to people: {'; '.join(words)})",
                held=False,
            )
        steps.append(step)
        if step.held:
            lacking.append(f"excluded: {'; '.join(step.reasons) or step.condition}")
    requirements = rule_set.require.children if rule_set.require is not None else ()
    for requirement in requirements:
        found, why = soft_test(requirement, ctx)
        reasons = tuple(found or ()) + ((f"possible: {why}",) if why else ())
        steps.append(
            Step(
                part="require",
                condition=requirement.describe(),
                held=found is not None,
                reasons=reasons,
            )
        )
        if found is None:
            lacking.append(f"requirement not met: {requirement.describe()}")
    total = 0.0
    for rule in rule_set.score:
        found = rule.condition.test(ctx)
        if found is not None:
            total += rule.weight
        steps.append(
            Step(
                part="score",
                condition=rule.label or rule.condition.describe(),
                held=found is not None,
                reasons=tuple(found or ()),
                weight=rule.weight,
            )
        )
    if rule_set.score and total < rule_set.lowest_threshold:
        lacking.append(f"score {total:g} of {rule_set.lowest_threshold:g} needed")
    match = rule_set.evaluate(notice, now)
    return Explanation(
        rule_set=rule_set.name,
        matched=match is not None,
        score=total,
        threshold=rule_set.threshold,
        steps=tuple(steps),
        lacking=tuple(lacking),
        tier=match.tier if match is not None else None,
        demoted=match.demoted if match is not None else (),
        value=scale_text(contract_scale(notice)),
    )


def _step(part: str, condition: Condition, ctx: Context) -> Step:
    found = condition.test(ctx)
    return Step(
        part=part,
        condition=condition.describe(),
        held=found is not None,
        reasons=tuple(found or ()),
    )


def render_explanation(explanation: Explanation) -> list[str]:
    """The explanation as plain lines of text."""
    verdict = "does not match"
    if explanation.matched:
        verdict = "MATCHES" if explanation.tier == MATCH else "POSSIBLE"
    lines = [f"{explanation.rule_set}: {verdict} (score {explanation.score:g}"]
    if explanation.threshold:
        lines[0] += f" of {explanation.threshold:g} needed)"
    else:
        lines[0] += ")"
    if explanation.demoted:
        lines.append(f"  tier     possible: {', '.join(explanation.demoted)}")
    if explanation.value:
        lines.append(f"  value    {explanation.value}")
    for step in explanation.steps:
        mark = "✓" if step.held else "✗"
        if step.part == "exclude":
            mark = "EXCLUDED BY" if step.held else "not excluded by"
        weight = f" (+{step.weight:g})" if step.weight is not None and step.held else ""
        why = f": {'; '.join(step.reasons)}" if step.reasons and step.held else ""
        lines.append(f"  {step.part:<8} {mark} {step.condition}{weight}{why}")
    if explanation.lacking and not explanation.matched:
        lines.append("  lacking: " + "; ".join(explanation.lacking))
    return lines
