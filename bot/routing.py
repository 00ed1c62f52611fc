"""Routing: which subscriptions an event goes to, and why (the rules step of the flow)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import Config, ConfigError, SubscriptionConfig
from bot.events import Event
from bot.formatting import format_stage


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """One subscription an event should reach, with the reasons it matched."""

    subscription: SubscriptionConfig
    reasons: tuple[str, ...]


class Router:
    """Matches events against the configured subscriptions.

    A subscription without rules receives every new or updated notice that is still open
    (planning, tender, tender amendment).
    """

    def __init__(self, config: Config) -> None:
        """Prepare routing for `config`.

        Raises:
            ConfigError: a subscription names rule sets, which this version cannot evaluate.
        """
        for index, subscription in enumerate(config.subscriptions):
            if subscription.rules:
                raise ConfigError(
                    f"{config.path}: subscriptions[{index}].rules: rule sets are not available "
                    "in this version yet; use rules = [] to receive every open notice"
                )
            if subscription.mode != "instant":
                raise ConfigError(
                    f"{config.path}: subscriptions[{index}].mode: {subscription.mode!r} digests "
                    'are not available in this version yet; use mode = "instant"'
                )
        self._subscriptions: Sequence[SubscriptionConfig] = config.subscriptions

    def route(self, event: Event) -> list[Route]:
        """The subscriptions `event` should reach."""
        notice = event.notice
        if not notice.is_open_stage:
            return []
        reason = f"open notice: {format_stage(notice).lower()}"
        return [Route(subscription=s, reasons=(reason,)) for s in self._subscriptions]
