"""Routing: which subscriptions an event goes to, and why (the rules step of the flow).

Rule sets are loaded once at start-up from the shipped sets or the files named in the
config; `refresh()` picks up edited files, and a file with errors is refused (and logged)
while the version already in force keeps working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Config, ConfigError, SubscriptionConfig
from bot.config_delivery import POSSIBLE_DIGEST, POSSIBLE_OFF
from bot.delivery.digests import DAILY, INSTANT, due_time
from bot.events import Event
from rules.context import Context
from rules.library import RuleLibrary
from rules.matcher import MatchPlan, Narrowing, NarrowingError
from rules.ruleset import MATCH, POSSIBLE

log = logging.getLogger("tenderbot.rules")


@dataclass(frozen=True, slots=True)
class Route:
    """One subscription an event should reach, with the reasons it matched and its tier."""

    subscription: SubscriptionConfig
    reasons: tuple[str, ...]
    tier: str = MATCH


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a routed alert is queued: in which mode, and when it is due."""

    mode: str
    due_at: datetime


def delivery_of(route: Route, zone: ZoneInfo, now: datetime) -> Delivery | None:
    """How the subscription gets this alert, by its tier; None when it wants none of it.

    A match goes as the subscription's mode says. A possible one follows the
    subscription's `possible`: ``instant`` as a match; ``off`` not at all; ``digest`` into
    its next digest ("Also worth a look"), or a daily digest of its own for an instant
    subscription.
    """
    subscription = route.subscription
    mode = subscription.mode
    if route.tier == POSSIBLE:
        if subscription.possible == POSSIBLE_OFF:
            return None
        if subscription.possible == POSSIBLE_DIGEST and mode == INSTANT:
            mode = DAILY
    due = due_time(mode, subscription.digest_at, zone, now, subscription.digest_day)
    return Delivery(mode=mode, due_at=due)


def narrowing_of(subscription: SubscriptionConfig) -> Narrowing:
    """A subscription's own limits (regions, max value, keywords) for the matcher."""
    return Narrowing(
        regions=subscription.regions,
        max_value=subscription.max_value,
        keywords=subscription.keywords,
        exclude_keywords=subscription.exclude_keywords,
    )


class Router:
    """Matches events against the configured subscriptions."""

    def __init__(self, config: Config) -> None:
        """Load every rule set the subscriptions name and prepare matching.

        Raises:
            ConfigError: a subscription has an invalid narrowing value.
            RuleFileError: a named rule set cannot be found or is invalid.
        """
        refs = [ref for s in config.subscriptions for ref in s.rules]
        self.library = RuleLibrary(refs, config.path.parent)
        self._subscriptions = config.subscriptions
        self.refused: dict[str, str] = {}
        """Rule files whose edit was refused, and why (cleared when a later edit loads)."""
        self.on_refused: Callable[[str, str], None] | None = None
        try:
            self._plan = MatchPlan(
                [(s.rules, narrowing_of(s)) for s in config.subscriptions], self.library.get
            )
        except NarrowingError as exc:
            index = config.subscriptions[exc.index].index
            raise ConfigError(f"{config.path}: subscriptions[{index}].{exc}") from None

    def refresh(self) -> None:
        """Reload edited rule files; log each reload, and each refusal."""
        for reload in self.library.refresh():
            if reload.error:
                log.error(
                    "rule set %s refused, previous version stays in force: %s",
                    reload.ref,
                    reload.error,
                )
                self.refused[reload.ref] = reload.error
                if self.on_refused is not None:
                    self.on_refused(reload.ref, reload.error)
            else:
                log.info("rule set %s reloaded", reload.ref)
                self.refused.pop(reload.ref, None)

    @property
    def subscriptions(self) -> tuple[SubscriptionConfig, ...]:
        """Every configured subscription."""
        return tuple(self._subscriptions)

    def route(self, event: Event, now: datetime) -> list[Route]:
        """The subscriptions `event` should reach, judged at `now`."""
        return [
            Route(subscription=self._subscriptions[index], reasons=match.reasons, tier=match.tier)
            for index, match in self._plan.match(Context(event.notice, now))
        ]
