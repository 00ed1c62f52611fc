"""The radar's subscription keys: `radar` and `radar_months`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, parse_config

BASE = """
[[channels]]
name = "console"
kind = "console"

[[subscriptions]]
channel = "console"
rules = ["small-charities"]
"""


def test_radar_is_off_unless_asked_for() -> None:
    (subscription,) = parse_config(BASE, Path("/tmp/x.toml")).subscriptions
    assert (subscription.radar, subscription.radar_months) == (False, 9)


def test_radar_on_with_its_months() -> None:
    text = BASE + "radar = true\nradar_months = 12\n"
    (subscription,) = parse_config(text, Path("/tmp/x.toml")).subscriptions
    assert (subscription.radar, subscription.radar_months) == (True, 12)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('radar = "yes"', "subscriptions[0].radar"),
        ("radar_months = 0", "subscriptions[0].radar_months: must be at least 1, got 0"),
        ("radar_months = 40", "subscriptions[0].radar_months: must be at most 36, got 40"),
    ],
)
def test_bad_radar_keys_are_named(extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_config(BASE + extra + "\n", Path("/tmp/x.toml"))
