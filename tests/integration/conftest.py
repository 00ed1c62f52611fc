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


@pytest.fixture
def chat_tokens(monkeypatch, slack, telegram):
    """The tokens of both imitations in TB_SLACK_TOKEN and TB_TELEGRAM_TOKEN."""
    monkeypatch.setenv("TB_SLACK_TOKEN", slack.token)
    monkeypatch.setenv("TB_TELEGRAM_TOKEN", telegram.token)
