"""A compiled rule set and its verdicts: `RuleSet.evaluate(notice, now) -> Match | None`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rules.conditions import All, AnyOf, Condition, Cpv
from rules.context import Context
from rules.text_conditions import Keywords
from sources.notice import Notice

TOPIC = "topic"
FILTER = "filter"
MATCH = "match"
POSSIBLE = "possible"
TIERS = (MATCH, POSSIBLE)
"""A match is alerted as the subscription says; a possible one is "worth a look"."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """A notice matched: the score it reached, why in words, and its tier.

    `tier` is ``match`` or ``possible``; a possible one says in `demoted` why it is not a
    full match ("scale unknown", "8 days left", "score 4 of 5"), and its reasons start with
    ``possible: ...``.
    """

    rule_set: str
    score: float
    reasons: tuple[str, ...]
    tier: str = MATCH
    demoted: tuple[str, ...] = ()


def is_classification(condition: Condition) -> bool:
    """Whether a condition looks only at the buyer's classification codes."""
    if isinstance(condition, Cpv):
        return True
    if isinstance(condition, All | AnyOf):
        return all(is_classification(child) for child in condition.children)
    return False


def soft_test(condition: Condition, ctx: Context) -> tuple[list[str] | None, str | None]:
    """A requirement's verdict: (reasons or None to reject, why it demotes or None)."""
    judge = getattr(condition, "soft_test", None)
    if judge is not None and getattr(condition, "soft", False):
        reasons, why = judge(ctx)
        return reasons, why
    return condition.test(ctx), None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreRule:
    """A weighted condition: its weight counts towards the threshold when it holds.

    `vocabulary` marks its words as the set's words for a service (``service``) or for the
    people served (``people``): together they spare a notice from exclusions by codes.
    """

    weight: float
    condition: Condition
    label: str | None = None
    vocabulary: str | None = None


VOCABULARIES = ("service", "people")
"""What a score rule's words may stand for: the services a set is about, the people served."""


def _anywhere(condition: Condition) -> Condition:
    """A keyword condition widened to the title and the description."""
    if isinstance(condition, Keywords):
        return Keywords(fields=("title", "description"), any_of=condition.any_of)
    return condition


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    """An embedded test: a notice (fields or a release file) and the expected verdict.

    `expect_tier` is the tier a matching notice must have (``match`` or ``possible``).
    """

    index: int
    line: int | None
    expect_match: bool
    expect_tier: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    release: Path | None = None
    ocid: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSet:
    """A loaded, validated rule set. Evaluation is pure."""

    name: str
    title: str
    description: str = ""
    curator: str = ""
    version: str = ""
    role: str = TOPIC
    require: All | None = None
    exclude: tuple[Condition, ...] = ()
    firm_exclusions: tuple[int, ...] = ()
    score: tuple[ScoreRule, ...] = ()
    threshold: float = 0
    possible_threshold: float | None = None
    examples: tuple[Example, ...] = ()
    path: Path | None = None
    _reachable: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _services: tuple[Condition, ...] = field(init=False, repr=False, compare=False)
    _people: tuple[Condition, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The most each tail of the score rules can still add: the positive weights from there.
        reachable = [0.0] * (len(self.score) + 1)
        for position in range(len(self.score) - 1, -1, -1):
            reachable[position] = reachable[position + 1] + max(self.score[position].weight, 0)
        object.__setattr__(self, "_reachable", tuple(reachable))
        services = [r.condition for r in self.score if r.vocabulary == "service"]
        people = [_anywhere(r.condition) for r in self.score if r.vocabulary == "people"]
        object.__setattr__(self, "_services", tuple(services))
        object.__setattr__(self, "_people", tuple(people))

    @property
    def lowest_threshold(self) -> float:
        """The score a notice needs to be at least possible."""
        if self.possible_threshold is None:
            return self.threshold
        return min(self.threshold, self.possible_threshold)

    def names_people_service(self, ctx: Context) -> list[str] | None:
        """The set's own words for a service to people, when the notice names one.

        A service word (a ``vocabulary = "service"`` score rule) in the title, and a word for
        the people served (``vocabulary = "people"``) in the title or the description.
        """
        service = next((f for c in self._services if (f := c.test(ctx))), None)
        if not service:
            return None
        people = next((f for c in self._people if (f := c.test(ctx))), None)
        return [*service, *people] if people else None

    def sparable(self, position: int) -> bool:
        """Whether the exclusion at `position` is by codes alone and not marked firm."""
        if position in self.firm_exclusions:
            return False
        return is_classification(self.exclude[position])

    def excluded_by(self, ctx: Context) -> tuple[Condition, list[str]] | None:
        """The first exclusion that fires, with its reasons.

        Buyers use classification codes loosely, words less so: an exclusion by codes alone
        does not fire when the notice names a service to people in the set's own words.
        """
        spared: bool | None = None
        for position, exclusion in enumerate(self.exclude):
            found = exclusion.test(ctx)
            if found is None:
                continue
            if self.sparable(position):
                if spared is None:
                    spared = self.names_people_service(ctx) is not None
                if spared:
                    continue
            return exclusion, found
        return None

    def evaluate(self, notice: Notice, now: datetime, ctx: Context | None = None) -> Match | None:
        """Judge `notice` at time `now`; `ctx` may be shared across rule sets for speed."""
        ctx = ctx if ctx is not None and ctx.notice is notice else Context(notice, now)
        # The requirements (stage, value, deadline) are cheap and fail most notices, so they
        # run before the exclusions; either failing gives None, so the order cannot change it.
        reasons: list[str] = []
        demoted: list[str] = []
        if self.require is not None:
            for requirement in self.require.children:
                found, why = soft_test(requirement, ctx)
                if found is None:
                    return None
                reasons.extend(found)
                if why is not None:
                    demoted.append(why)
        if self.exclude and self.excluded_by(ctx) is not None:
            return None
        total = 0.0
        reachable = self._reachable
        lowest = self.lowest_threshold
        for position, rule in enumerate(self.score):
            if total + reachable[position] < lowest:
                return None  # even every remaining rule holding could not reach the threshold
            found = rule.condition.test(ctx)
            if found is not None:
                total += rule.weight
                reasons.extend([rule.label] if rule.label else found)
        if self.score and total < lowest:
            return None
        if self.score and total < self.threshold:
            demoted.append(f"score {total:g} of {self.threshold:g}")
        if demoted:
            reasons[:0] = [f"possible: {', '.join(demoted)}"]
        return Match(
            rule_set=self.name,
            score=total,
            reasons=tuple(dict.fromkeys(reasons)),
            tier=POSSIBLE if demoted else MATCH,
            demoted=tuple(demoted),
        )

    def explain(self, notice: Notice, now: datetime) -> str:
        """Why `notice` does or does not match, in one line (for `rules test`)."""
        ctx = Context(notice, now)
        excluded = self.excluded_by(ctx)
        if excluded is not None:
            exclusion, found = excluded
            detail = "; ".join(found) or exclusion.describe()
            return f"excluded ({detail})"
        if self.require is not None:
            for requirement in self.require.children:
                if soft_test(requirement, ctx)[0] is None:
                    return f"requirement not met: {requirement.describe()}"
        total = sum(r.weight for r in self.score if r.condition.test(ctx) is not None)
        if self.score and total < self.lowest_threshold:
            return f"score {total:g} below threshold {self.lowest_threshold:g}"
        match = self.evaluate(notice, now)
        assert match is not None
        return f"{match.tier} with score {match.score:g}: {'; '.join(match.reasons)}"
