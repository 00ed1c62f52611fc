"""Signed webhooks against a local receiver that checks signatures with its own code."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from bot.app import App
from bot.config import ConfigError, load_config
from tests.conftest import made_releases, write_config
from tests.fakes.webhook import SECRET

ALL = made_releases()
MATCHING = 4


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("TB_WEBHOOK_SECRET", SECRET)


def config_for(tmp_path, cf, receiver, extra=""):
    channel = f"""
[[channels]]
name = "crm"
kind = "webhook"
url = "{receiver.url}"
secret_env = "TB_WEBHOOK_SECRET"
timeout = "1s"
{extra}
"""
    subs = '[[subscriptions]]\nchannel = "crm"\nrules = ["small-charities"]\nremind_days = 0\n'
    return load_config(write_config(tmp_path, cf.url, subscriptions=subs, extra=channel))


async def poll_and_deliver(config, clock):
    async with App(config, clock=clock) as app:
        await app.poll("cf")
        return await app.deliver(), app.outbox.channel_state("crm")


async def deliver(config, clock):
    async with App(config, clock=clock) as app:
        return await app.deliver(), app.outbox.channel_state("crm")


async def test_each_match_is_posted_once_signed_in_the_documented_schema(
    tmp_path, fake_cf, receiver, clock
):
    fake_cf.pages = [ALL]
    config = config_for(tmp_path, fake_cf, receiver)
    result, _ = await poll_and_deliver(config, clock)
    assert result.sent == MATCHING and len(receiver.received) == MATCHING
    ids = [m["id"] for m in receiver.received]
    assert len(set(ids)) == MATCHING and all(i.startswith("msg_alert_") for i in ids)
    document = receiver.received[0]
    assert document["at"] == str(int(clock.now().timestamp()))
    assert document["type"] == "alert.new" and document["version"] == 1
    data = document["data"]
    assert data["tier"] == "match" and data["reasons"]
    notice = data["notice"]
    assert {"source", "id", "title", "buyer", "url", "deadline", "value_low"} <= set(notice)
    assert notice["source"] == "cf" and isinstance(notice["value_low"], float | None)

    clock.advance(minutes=10)
    result, _ = await poll_and_deliver(config, clock)
    assert result.sent == 0 and len(receiver.received) == MATCHING


async def test_a_5xx_is_retried_later_with_the_same_webhook_id(tmp_path, fake_cf, receiver, clock):
    fake_cf.pages = [[r for r in ALL if "Befriending" in r["tender"]["title"]]]
    receiver.replies = [(500, {})]
    config = config_for(tmp_path, fake_cf, receiver)
    result, state = await poll_and_deliver(config, clock)
    assert result.retrying == 1 and receiver.received == []
    assert state.retry_at is not None
    clock.current = state.retry_at + timedelta(seconds=1)
    result, _ = await deliver(config, clock)
    assert result.sent == 1
    assert len(receiver.attempts) == 2 and receiver.attempts[0] == receiver.attempts[1]
    assert receiver.received[0]["id"] == receiver.attempts[0]


async def test_retry_after_is_obeyed_exactly(tmp_path, fake_cf, receiver, clock):
    fake_cf.pages = [[r for r in ALL if "Befriending" in r["tender"]["title"]]]
    receiver.replies = [(429, {"Retry-After": "120"})]
    config = config_for(tmp_path, fake_cf, receiver)
    result, state = await poll_and_deliver(config, clock)
    assert result.retrying == 1
    assert state.retry_at == clock.now() + timedelta(seconds=120)
    clock.advance(seconds=119)
    result, _ = await deliver(config, clock)
    assert result.sent == 0 and len(receiver.attempts) == 1
    clock.advance(seconds=2)
    result, _ = await deliver(config, clock)
    assert result.sent == 1 and receiver.attempts[0] == receiver.attempts[1]


async def test_a_timeout_is_retried_and_nothing_is_lost(tmp_path, fake_cf, receiver, clock):
    fake_cf.pages = [[r for r in ALL if "Befriending" in r["tender"]["title"]]]
    receiver.replies = [2.0]
    config = config_for(tmp_path, fake_cf, receiver)
    result, state = await poll_and_deliver(config, clock)
    assert result.retrying == 1 and state.retry_at is not None
    clock.current = state.retry_at + timedelta(seconds=1)
    result, _ = await deliver(config, clock)
    assert result.sent == 1 and receiver.attempts[0] == receiver.attempts[-1]


async def test_a_4xx_refuses_the_message_and_keeps_it(tmp_path, fake_cf, receiver, clock):
    fake_cf.pages = [[r for r in ALL if "Befriending" in r["tender"]["title"]]]
    receiver.replies = [(400, {})]
    config = config_for(tmp_path, fake_cf, receiver)
    result, state = await poll_and_deliver(config, clock)
    assert result.failed == 1 and result.retrying == 0 and state.retry_at is None
    assert receiver.received == []


async def test_a_wrong_secret_fails_the_receivers_check(
    tmp_path, fake_cf, receiver, clock, monkeypatch
):
    fake_cf.pages = [[r for r in ALL if "Befriending" in r["tender"]["title"]]]
    monkeypatch.setenv("TB_WEBHOOK_SECRET", base64.b64encode(b"another key, not the one").decode())
    config = config_for(tmp_path, fake_cf, receiver)
    result, _ = await poll_and_deliver(config, clock)
    assert result.failed == 1 and receiver.received == []


async def test_a_secret_that_is_not_base64_is_a_config_error(
    tmp_path, fake_cf, receiver, monkeypatch
):
    monkeypatch.setenv("TB_WEBHOOK_SECRET", "whsec_not base64!")
    config = config_for(tmp_path, fake_cf, receiver)
    with pytest.raises(
        ConfigError, match=r"channels \(crm\)\.secret_env: .*TB_WEBHOOK_SECRET is not base64"
    ):
        App(config)


def test_url_and_url_env_are_exclusive(tmp_path, fake_cf, receiver):
    with pytest.raises(ConfigError, match=r"channels\[1\] \(crm\)\.url: give exactly one"):
        config_for(tmp_path, fake_cf, receiver, extra='url_env = "X"')
