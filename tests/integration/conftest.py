"""Fixtures shared by the integration tests: the chat imitations and their tokens."""

from __future__ import annotations

import pytest

from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def telegram():
    with FakeTelegram() as fake:
        yield fake


CHAT = "-1001234567890"


def chat_channels(slack, telegram) -> str:
    """TOML for a Slack and a Telegram channel pointed at the imitations."""
    return f"""
[[channels]]
name = "slack"
kind = "slack"
token_env = "TB_SLACK_TOKEN"
channel = "C0123456789"
api_url = "{slack.api_url}"

[[channels]]
name = "telegram"
kind = "telegram"
token_env = "TB_TELEGRAM_TOKEN"
chat_id = "{CHAT}"
api_url = "{telegram.api_url}"
"""


@pytest.fixture
def chat_tokens(monkeypatch, slack, telegram):
    """The tokens of both imitations in TB_SLACK_TOKEN and TB_TELEGRAM_TOKEN."""
    monkeypatch.setenv("TB_SLACK_TOKEN", slack.token)
    monkeypatch.setenv("TB_TELEGRAM_TOKEN", telegram.token)
