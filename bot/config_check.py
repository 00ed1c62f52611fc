"""One validation of what a config names, shared by every command that reads a config.

`tenderbot status`, `poll`, `run` and `import` all judge a config the same way: a
subscription's narrowing (`regions`, `max_value`, keywords) must be valid, and every rule
set a subscription names must exist and load. The messages name the config file and key.
"""

from __future__ import annotations

from bot.config import Config, ConfigError
from bot.delivery.routing import narrowing_of
from rules.errors import RuleFileError
from rules.library import resolve
from rules.loader import load_rule_set
from rules.matcher import compile_narrowing


def check_narrowing(config: Config) -> None:
    """Check every subscription's narrowing values.

    Raises:
        ConfigError: one is invalid (e.g. an unknown region); names the file and key.
    """
    for subscription in config.subscriptions:
        try:
            compile_narrowing(narrowing_of(subscription))
        except ValueError as exc:
            raise ConfigError(f"{config.path}: subscriptions[{subscription.index}].{exc}") from None


def rule_set_problems(config: Config) -> dict[str, str]:
    """Each rule set the subscriptions name that is missing or refused, with why.

    The message names the config file and the subscription's `rules` key, e.g.
    ``tenderbot.toml: subscriptions[0].rules: no rule set named 'small-charites' (did you
    mean 'small-charities'?)``.
    """
    problems: dict[str, str] = {}
    for subscription in config.subscriptions:
        for ref in subscription.rules:
            if ref in problems:
                continue
            try:
                load_rule_set(resolve(ref, config.path.parent))
            except RuleFileError as exc:
                what = exc.what if exc.file == ref else str(exc)
                problems[ref] = f"{config.path}: subscriptions[{subscription.index}].rules: {what}"
    return problems


def check_config(config: Config) -> None:
    """The whole check for commands that fetch, store or send: refuse any problem.

    Raises:
        ConfigError: a narrowing is invalid, or a named rule set is missing or refused.
    """
    check_narrowing(config)
    problems = rule_set_problems(config)
    if problems:
        raise ConfigError("\n".join(problems.values()))
