"""Matching a notice for one subscription: its topic sets (any), filter sets (all), narrowing.

Topic rule sets say what a notice is about; a subscription with several matches any of them.
Filter rule sets (`role = "filter"`, such as the regional sets) and the subscription's own
narrowing must all hold. A subscription with no topic sets takes every open notice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rules.conditions import All, Condition
from rules.context import Context
from rules.loader import parse_condition_key
from rules.ruleset import FILTER, MATCH, POSSIBLE, Match, RuleSet
from rules.value import Value


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


@dataclass(frozen=True, slots=True)
class _Subscription:
    refs: tuple[str, ...]
    required: All | None
    excluding: tuple[Condition, ...]


class MatchPlan:
    """Matches notices against many subscriptions at once.

    Each rule set is evaluated at most once per notice, and only subscriptions whose topic
    sets matched (or that have none) are looked at further, so the cost grows with the
    number of distinct rule sets, not with the number of subscriptions.
    """

    def __init__(
        self,
        subscriptions: Sequence[tuple[Sequence[str], Narrowing]],
        lookup: Callable[[str], RuleSet],
    ) -> None:
        """Prepare matching; rule sets are looked up at each match, so reloads apply at once.

        Raises:
            ValueError: a narrowing value is invalid; the message starts with its key and
                the subscription's position is in `index`.
        """
        self._lookup = lookup
        self._subs: list[_Subscription] = []
        self._by_ref: dict[str, list[int]] = {}
        for index, (refs, narrowing) in enumerate(subscriptions):
            try:
                required, excluding = compile_narrowing(narrowing)
            except ValueError as exc:
                raise NarrowingError(index, str(exc)) from None
            self._subs.append(
                _Subscription(tuple(refs), All(required) if required else None, excluding)
            )
            for ref in dict.fromkeys(refs):
                self._by_ref.setdefault(ref, []).append(index)
        self._without_topics: tuple[tuple[str, ...] | None, list[int]] = (None, [])

    def _subscriptions_without_topics(self, roles: dict[str, str]) -> list[int]:
        key = tuple(roles.values())
        if self._without_topics[0] != key:
            self._without_topics = (
                key,
                [
                    i
                    for i, sub in enumerate(self._subs)
                    if all(roles[ref] == FILTER for ref in sub.refs)
                ],
            )
        return self._without_topics[1]

    def match(self, ctx: Context) -> list[tuple[int, Match]]:
        """The subscriptions (by position) the notice in `ctx` matches, with their matches."""
        rule_sets = {ref: self._lookup(ref) for ref in self._by_ref}
        roles = {ref: rule_set.role for ref, rule_set in rule_sets.items()}
        results: dict[str, Match | None] = {}

        def result(ref: str) -> Match | None:
            if ref not in results:
                results[ref] = rule_sets[ref].evaluate(ctx.notice, ctx.now, ctx)
            return results[ref]

        candidates: set[int] = set()
        for ref, subs in self._by_ref.items():
            if roles[ref] != FILTER and result(ref) is not None:
                candidates.update(subs)
        if ctx.notice.is_open_stage:
            candidates.update(self._subscriptions_without_topics(roles))
        found = []
        for index in sorted(candidates):
            match = self._finish(self._subs[index], ctx, roles, result)
            if match is not None:
                found.append((index, match))
        return found

    def _finish(
        self,
        sub: _Subscription,
        ctx: Context,
        roles: dict[str, str],
        result: Callable[[str], Match | None],
    ) -> Match | None:
        for exclusion in sub.excluding:
            if exclusion.test(ctx) is not None:
                return None
        topics: list[Match] = []
        filters: list[Match] = []
        for ref in sub.refs:
            found = result(ref)
            if roles[ref] == FILTER:
                if found is None:
                    return None
                filters.append(found)
            elif found is not None:
                topics.append(found)
        reasons: list[str] = []
        if len(topics) == 0:
            reasons.append(f"open notice: {ctx.notice.stage_label.lower()}")
        narrowed: list[str] = []
        if sub.required is not None:
            tested = sub.required.test(ctx)
            if tested is None:
                return None
            narrowed = tested
        # A full match of any topic set beats a possible one, whatever the scores.
        best = max(topics, key=lambda m: (m.tier == MATCH, m.score), default=None)
        chosen = ([best] if best else []) + filters
        demoted = tuple(dict.fromkeys(why for match in chosen for why in match.demoted))
        for match in chosen:
            reasons.extend(r for r in match.reasons if not r.startswith("possible: "))
        reasons.extend(narrowed)
        if demoted:
            reasons.insert(0, f"possible: {', '.join(demoted)}")
        return Match(
            rule_set="+".join(sub.refs) or "open-notices",
            score=best.score if best else 0.0,
            reasons=tuple(dict.fromkeys(reasons)),
            tier=POSSIBLE if demoted else MATCH,
            demoted=demoted,
        )


class NarrowingError(ValueError):
    """A subscription's narrowing is invalid (raised by `MatchPlan`); `index` says which."""

    def __init__(self, index: int, what: str) -> None:
        super().__init__(what)
        self.index = index
