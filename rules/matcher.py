"""Matching a notice for one subscription: its topic sets (any), filter sets (all), narrowing.

Topic rule sets say what a notice is about; a subscription with several matches any of them.
Filter rule sets (`role = "filter"`, such as the regional sets) and the subscription's own
narrowing must all hold. A subscription with no topic sets takes every open notice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rules.conditions import All, Condition, Value
from rules.context import Context
from rules.loader import parse_condition_key
from rules.ruleset import FILTER, Match, RuleSet

Cache = dict[int, Match | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Narrowing:
    """A subscription's own limits on top of its rule sets."""

    regions: tuple[str, ...] = ()
    max_value: Decimal | None = None
    keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()


def compile_narrowing(narrowing: Narrowing) -> tuple[tuple[Condition, ...], tuple[Condition, ...]]:
    """The conditions (required, excluding) a narrowing stands for.

    Raises:
        ValueError: a value is invalid; the message starts with the key at fault.
    """
    required: list[Condition] = []
    excluding: list[Condition] = []
    if narrowing.regions:
        required.append(parse_condition_key("place", list(narrowing.regions), "regions"))
    if narrowing.max_value is not None:
        required.append(Value(at_most=narrowing.max_value, at_least=None, missing_passes=True))
    if narrowing.keywords:
        required.append(parse_condition_key("keywords", list(narrowing.keywords), "keywords"))
    if narrowing.exclude_keywords:
        excluding.append(
            parse_condition_key("keywords", list(narrowing.exclude_keywords), "exclude_keywords")
        )
    return tuple(required), tuple(excluding)


class SubscriptionMatcher:
    """Decides whether a notice reaches one subscription, and why."""

    def __init__(
        self,
        refs: Sequence[str],
        lookup: Callable[[str], RuleSet],
        narrowing: Narrowing = Narrowing(),
    ) -> None:
        """Match against rule-set `refs`, looked up at each match so reloads apply at once."""
        self.refs = tuple(refs)
        self._lookup = lookup
        required, excluding = compile_narrowing(narrowing)
        self._required = All(required) if required else None
        self._excluding = excluding

    def match(self, notice_ctx: Context, cache: Cache | None = None) -> Match | None:
        """The combined match for the notice in `notice_ctx`, or None."""
        cache = {} if cache is None else cache
        ctx = notice_ctx
        for exclusion in self._excluding:
            if exclusion.test(ctx) is not None:
                return None
        topics: list[Match] = []
        filters: list[Match] = []
        has_topics = False
        for ref in self.refs:
            rule_set = self._lookup(ref)
            key = id(rule_set)
            if key not in cache:
                cache[key] = rule_set.evaluate(ctx.notice, ctx.now, ctx)
            found = cache[key]
            if rule_set.role == FILTER:
                if found is None:
                    return None
                filters.append(found)
            else:
                has_topics = True
                if found is not None:
                    topics.append(found)
        if has_topics and not topics:
            return None
        reasons: list[str] = []
        if not has_topics:
            if not ctx.notice.is_open_stage:
                return None
            reasons.append(f"open notice: {ctx.notice.stage_label.lower()}")
        if self._required is not None:
            narrowed = self._required.test(ctx)
            if narrowed is None:
                return None
        best = max(topics, key=lambda m: m.score, default=None)
        for found in ([best] if best else []) + filters:
            reasons.extend(found.reasons)
        if self._required is not None and narrowed:
            reasons.extend(narrowed)
        name = "+".join(self.refs) or "open-notices"
        return Match(
            rule_set=name, score=best.score if best else 0.0, reasons=tuple(dict.fromkeys(reasons))
        )


def evaluate_for(
    notice_ctx: Context, matchers: Sequence[SubscriptionMatcher]
) -> list[Match | None]:
    """Match one notice against many subscriptions, evaluating each rule set once."""
    cache: Cache = {}
    return [m.match(notice_ctx, cache) for m in matchers]
