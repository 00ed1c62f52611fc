from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, check_secrets, find_config_path, load_config, parse_config
from tests.conftest import ROOT

GOOD = """
[bot]
database = "data/bot.db"

[[sources]]
name = "cf"
kind = "contracts_finder"
every = "5m"

[[channels]]
name = "console"
kind = "console"

[[channels]]
name = "slack"
kind = "slack"
token_env = "SLACK_BOT_TOKEN"
channel = "C0123"

[[subscriptions]]
channel = "console"
rules = []
"""


def test_example_config_loads_as_shipped():
    config = load_config(ROOT / "config.example.toml")
    assert [s.kind for s in config.sources] == ["find_a_tender", "contracts_finder"]
    assert config.sources[0].settings.min_gap == 13
    assert [c.kind for c in config.channels] == ["console"]
    assert config.bot.database == ROOT / "tenderbot.db"
    assert config.sources[0].every == timedelta(minutes=10)
    assert config.sources[0].since == timedelta(days=1)


def test_defaults_and_paths_relative_to_the_file(tmp_path):
    config = parse_config(GOOD, tmp_path / "x.toml")
    assert config.bot.database == tmp_path / "data" / "bot.db"
    assert config.bot.timezone == "Europe/London"
    source = config.source("cf")
    assert source.settings.url == "https://www.contractsfinder.service.gov.uk"
    assert source.every == timedelta(minutes=5)
    assert source.since == timedelta(days=1)
    assert config.subscriptions[0].name == "console:*:instant"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace('every = "5m"', 'every = "5x"'),
            "x.toml: sources[0] (cf).every: '5x' is not a duration",
        ),
        (
            GOOD.replace('every = "5m"', "every = 5"),
            "sources[0] (cf).every: expected a string, got an integer",
        ),
        (
            GOOD.replace('kind = "contracts_finder"', 'kind = "carrier_pigeon"'),
            "sources[0] (cf).kind: unknown source kind 'carrier_pigeon'",
        ),
        (GOOD.replace('every = "5m"', 'colour = "red"'), "sources[0] (cf).colour: unknown key"),
        (
            GOOD.replace('channel = "console"\nrules', 'channel = "nope"\nrules'),
            "subscriptions[0].channel: no channel named 'nope'",
        ),
        (
            GOOD.replace('token_env = "SLACK_BOT_TOKEN"\n', ""),
            "channels[1] (slack).token_env: is required for a slack channel",
        ),
        (
            GOOD.replace("[bot]", '[bot]\ntimezone = "Mars/Olympus"'),
            "bot.timezone: unknown timezone 'Mars/Olympus'",
        ),
        (
            GOOD + '\n[[sources]]\nname = "cf"\nkind = "contracts_finder"\n',
            "sources[1].name: 'cf' is used twice",
        ),
        ("[bot\n", "x.toml: not valid TOML"),
        (GOOD + "\n[extra]\n", "x.toml: extra: unknown key"),
        (GOOD.replace("rules = []", "rules = [1]"), "subscriptions[0].rules: expected an array"),
        (
            GOOD.replace("rules = []", 'rules = []\nmode = "hourly"'),
            "subscriptions[0].mode: must be one of instant, daily, weekly",
        ),
    ],
)
def test_bad_config_names_file_key_and_problem(tmp_path, text, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "x.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "x.toml"))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml")


def test_secrets_come_from_the_environment_and_are_named_not_shown(tmp_path):
    config = parse_config(GOOD, tmp_path / "x.toml")
    with pytest.raises(
        ConfigError,
        match=r"channels \(slack\).token_env: environment variable SLACK_BOT_TOKEN is not set",
    ):
        check_secrets(config, environ={})
    check_secrets(config, environ={"SLACK_BOT_TOKEN": "xoxb-secret"})


def test_config_path_resolution():
    assert find_config_path("a.toml", {"TENDERBOT_CONFIG": "b.toml"}) == Path("a.toml")
    assert find_config_path(None, {"TENDERBOT_CONFIG": "b.toml"}) == Path("b.toml")
    assert find_config_path(None, {}) == Path("tenderbot.toml")
