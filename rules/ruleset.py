"""A compiled rule set and its verdicts: `RuleSet.evaluate(notice, now) -> Match | None`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rules.conditions import All, Condition
from rules.context import Context
from sources.notice import Notice

TOPIC = "topic"
FILTER = "filter"


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """A notice matched: the score it reached and why, in words."""

    rule_set: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreRule:
    """A weighted condition: its weight counts towards the threshold when it holds."""

    weight: float
    condition: Condition
    label: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    """An embedded test: a notice (fields or a release file) and the expected verdict."""

    index: int
    line: int | None
    expect_match: bool
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
    score: tuple[ScoreRule, ...] = ()
    threshold: float = 0
    examples: tuple[Example, ...] = ()
    path: Path | None = None
    _reachable: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The most each tail of the score rules can still add: the positive weights from there.
        reachable = [0.0] * (len(self.score) + 1)
        for position in range(len(self.score) - 1, -1, -1):
            reachable[position] = reachable[position + 1] + max(self.score[position].weight, 0)
        object.__setattr__(self, "_reachable", tuple(reachable))

    def evaluate(self, notice: Notice, now: datetime, ctx: Context | None = None) -> Match | None:
        """Judge `notice` at time `now`; `ctx` may be shared across rule sets for speed."""
        ctx = ctx if ctx is not None and ctx.notice is notice else Context(notice, now)
        # The requirements (stage, value, deadline) are cheap and fail most notices, so they
        # run before the exclusions; either failing gives None, so the order cannot change it.
        reasons: list[str] = []
        if self.require is not None:
            required = self.require.test(ctx)
            if required is None:
                return None
            reasons.extend(required)
        for exclusion in self.exclude:
            if exclusion.test(ctx) is not None:
                return None
        total = 0.0
        reachable = self._reachable
        for position, rule in enumerate(self.score):
            if total + reachable[position] < self.threshold:
                return None  # even every remaining rule holding could not reach the threshold
            found = rule.condition.test(ctx)
            if found is not None:
                total += rule.weight
                reasons.extend([rule.label] if rule.label else found)
        if self.score and total < self.threshold:
            return None
        return Match(rule_set=self.name, score=total, reasons=tuple(dict.fromkeys(reasons)))

    def explain(self, notice: Notice, now: datetime) -> str:
        """Why `notice` does or does not match, in one line (for `rules test`)."""
        ctx = Context(notice, now)
        for exclusion in self.exclude:
            found = exclusion.test(ctx)
            if found is not None:
                detail = "; ".join(found) or exclusion.describe()
                return f"excluded ({detail})"
        if self.require is not None:
            failed = self.require.first_failure(ctx)
            if failed is not None:
                return f"requirement not met: {failed.describe()}"
        total = sum(r.weight for r in self.score if r.condition.test(ctx) is not None)
        if self.score and total < self.threshold:
            return f"score {total:g} below threshold {self.threshold:g}"
        match = self.evaluate(notice, now)
        assert match is not None
        return f"matched with score {match.score:g}: {'; '.join(match.reasons)}"
