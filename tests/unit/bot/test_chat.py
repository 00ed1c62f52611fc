from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.chat.arguments import ArgumentError, read_amount, read_day, read_regions, read_time
from bot.chat.channels import with_chats
from bot.chat.command_limit import RateLimit
from bot.chat.store import ChatSettings
from bot.config import parse_config

CONFIG = """
[[channels]]
name = "console"
kind = "console"

[[bots]]
name = "tg"
kind = "telegram"
token_env = "TB_TELEGRAM_TOKEN"
"""


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("North East London", ("North East", "London")),
        ("UKC, NE Scotland", ("UKC", "NE", "Scotland")),
        ("yorkshire and the humber", ("yorkshire and the humber",)),
    ],
)
def test_regions_take_the_longest_known_name(words, expected):
    assert read_regions(words.split()) == expected


def test_an_unknown_region_is_named():
    with pytest.raises(ArgumentError, match="'Narnia'"):
        read_regions(["London", "Narnia"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [("50000", 50_000), ("£50,000", 50_000), ("50k", 50_000), ("1.5m", 1_500_000)],
)
def test_amounts(text, expected):
    assert read_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["-5", "0", "lots", "1e9", "£", "20000000000"])
def test_bad_amounts(text):
    with pytest.raises(ArgumentError):
        read_amount(text)


def test_days_and_times():
    assert read_day("Fri") == 4 and read_day("sunday") == 6
    with pytest.raises(ArgumentError):
        read_day("fr")
    assert f"{read_time('07:30'):%H:%M}" == "07:30"
    with pytest.raises(ArgumentError):
        read_time("25:00")


def test_rate_limit_refuses_once_then_stays_silent_until_the_minute_is_up():
    limit = RateLimit(2)
    answers = [limit.allow("c", t) for t in (0, 1, 2, 3)]
    assert answers == [True, True, False, None]
    assert limit.allow("other", 3) is True
    assert limit.allow("c", 61) is True


def test_chats_join_routing_without_a_vanished_set_and_without_paused_chats():
    config = parse_config(CONFIG, Path("/tmp/tenderbot.toml"))
    active = ChatSettings(bot="tg", chat="-1001", rule_sets=("small-charities", "gone-set"))
    paused = ChatSettings(bot="tg", chat="-1002", rule_sets=("london",), paused="paused by 1")
    orphan = ChatSettings(bot="removed-bot", chat="-1003", rule_sets=("london",))
    merged = with_chats(config, [active, paused, orphan])
    assert [c.name for c in merged.channels] == ["console", "chat:tg:-1001"]
    (subscription,) = merged.subscriptions
    assert subscription.rules == ("small-charities",)
    assert merged.channels[1].feedback and merged.channels[1].chat_id == "-1001"


def test_bot_tokens_are_redacted_everywhere(monkeypatch):
    from bot.redaction import redactor_for

    text = (
        CONFIG
        + '[[bots]]\nname = "sl"\nkind = "slack"\ntoken_env = "TB_S"\napp_token_env = "TB_A"\n'
    )
    config = parse_config(text, Path("/tmp/tenderbot.toml"))
    monkeypatch.setenv("TB_TELEGRAM_TOKEN", "123456:telegram-secret")
    monkeypatch.setenv("TB_S", "xoxb-slack-secret")
    monkeypatch.setenv("TB_A", "xapp-app-secret")
    redact = redactor_for(config)
    line = "GET /bot123456:TELEGRAM-SECRET/getUpdates xoxb-slack-secret xapp-app-secret"
    assert redact(line) == "GET /bot[redacted]/getUpdates [redacted] [redacted]"
