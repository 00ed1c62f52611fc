"""Fixtures shared by the integration tests: the chat imitations and their tokens, an SMTP
server, a webhook receiver and a Teams Workflows imitation."""

from __future__ import annotations

import pytest

from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp
from tests.fakes.teams import Workflow
from tests.fakes.telegram import FakeTelegram
from tests.fakes.webhook import Receiver


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def telegram():
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def smtp():
    with FakeSmtp() as fake:
        yield fake


@pytest.fixture
def receiver():
    fake = Receiver()
    fake.server.start()
    yield fake
    fake.server.stop()


@pytest.fixture
def workflow():
    fake = Workflow()
    fake.server.start()
    yield fake
    fake.server.stop()


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


def webhook_and_teams_channels(receiver, workflow) -> str:
    """TOML for a signed webhook ("crm", secret in $TB_WEBHOOK_SECRET) and a Teams channel."""
    return f"""
[[channels]]
name = "crm"
kind = "webhook"
url = "{receiver.url}"
secret_env = "TB_WEBHOOK_SECRET"

[[channels]]
name = "teams"
kind = "teams"
url = "{workflow.url}"
"""
