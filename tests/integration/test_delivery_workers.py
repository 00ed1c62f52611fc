"""The daemon serves every channel on its own: a slow channel holds up no other, ever.

Real slack-sdk and python-telegram-bot against the local imitations; Slack is made slow by
holding its answers until the test releases them.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import threading

import pytest

from bot.app import App
from bot.config import load_config
from bot.daemon import run_daemon
from bot.delivery.outbox import Outbox
from bot.store.instances import Instance
from tests.conftest import made_releases, write_config
from tests.integration.chat_helpers import until
from tests.integration.conftest import chat_channels

ALL = made_releases()
DUDLEY = next(
    r
    for r in ALL
    if r["tender"]["title"].startswith("Domestic Abuse Support Services") and r["tag"] == ["tender"]
)
SLACK_CHANNEL = "C0123456789"

pytestmark = pytest.mark.usefixtures("chat_tokens")


def variant(n: int) -> dict:
    release = copy.deepcopy(DUDLEY)
    release["ocid"] += f"-v{n}"
    release["id"] += f"-v{n}"
    release["tender"]["title"] = f"Befriending {n}"
    return release


def config_path(
    tmp_path, cf, slack, telegram, *, every="10m", bot_extra="", to=("slack", "telegram")
):
    subs = "".join(
        f'[[subscriptions]]\nchannel = "{c}"\nrules = []\nremind_days = 0\n\n' for c in to
    )
    path = write_config(
        tmp_path,
        cf.url,
        subscriptions=subs,
        extra=chat_channels(slack, telegram),
        source={"every": f'"{every}"'},
    )
    if bot_extra:
        text = path.read_text()
        path.write_text(
            text.replace('timezone = "Europe/London"', f'timezone = "Europe/London"\n{bot_extra}')
        )
    return path


def slack_posts(slack) -> int:
    """Posts that reached Slack, answered or not."""
    return sum(r["path"].endswith("/chat.postMessage") for r in slack.requests)


async def test_an_alert_queued_while_slack_is_slow_reaches_telegram_at_once(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [[variant(1)]]
    release = threading.Event()
    slack.held[SLACK_CHANNEL] = release  # Slack answers nothing until the test says so
    path = config_path(tmp_path, fake_cf, slack, telegram, every="1s")
    stop = asyncio.Event()
    async with App(load_config(path), clock=clock) as app:
        daemon = asyncio.create_task(run_daemon(app, stop=stop))
        try:
            await until(lambda: len(telegram.messages) == 1 and slack_posts(slack) == 1)
            fake_cf.pages = [[variant(1), variant(2)]]  # the next poll finds a new notice
            # Due while Slack's post still hangs: it must not wait for Slack's answer.
            await until(lambda: len(telegram.messages) == 2)
            assert slack.messages == [] and slack_posts(slack) == 1
        finally:
            release.set()
        await until(lambda: len(slack.messages) == 2)
        stop.set()
        await daemon
    assert [m["text"].count("Befriending 2") for m in telegram.messages] == [0, 1]
    texts = [m["blocks"][0]["text"]["text"] for m in slack.messages]
    assert len(texts) == len(set(texts)) == 2


async def test_a_channel_waiting_out_a_retry_after_holds_up_no_other(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [[variant(1)]]
    slack.fail(("429", 30))  # Slack: wait 30 s
    path = config_path(tmp_path, fake_cf, slack, telegram)
    async with App(load_config(path), clock=clock) as app:
        app.workers.start(on_db_error=lambda exc: False)
        await app.poll("cf")
        await until(lambda: len(telegram.messages) == 1 and slack_posts(slack) == 1)
        assert slack.messages == []
        fake_cf.pages = [[variant(1), variant(2)]]
        clock.advance(seconds=5)
        await app.poll("cf")  # queues the second notice; its channels' workers wake
        await until(lambda: len(telegram.messages) == 2)
        assert slack.messages == [] and slack_posts(slack) == 1, "Slack is still waiting"
        clock.advance(seconds=26)  # Slack's 30 s are over
        app.workers.wake("slack")
        await until(lambda: len(slack.messages) == 2)
    assert len(telegram.messages) == 2


async def test_a_channel_gives_back_only_its_own_claims(tmp_path, fake_cf, slack, telegram, clock):
    fake_cf.pages = [[variant(n) for n in range(3)]]
    release = threading.Event()
    slack.held[SLACK_CHANNEL] = release
    telegram.fail(("429", 30))  # Telegram backs off, giving back the two alerts it had left
    path = config_path(tmp_path, fake_cf, slack, telegram)
    async with App(load_config(path), clock=clock) as app:
        app.workers.start(on_db_error=lambda exc: False)
        other = Outbox(app.store, instance=Instance.this_process("other", clock.now()))
        taken: list[object] = []
        try:
            await app.poll("cf")
            await until(lambda: slack_posts(slack) == 1)
            await until(lambda: taken.extend(other.due("telegram", clock.now())) or taken)
            assert len(taken) == 2, "Telegram gave back what it had not sent"
            # Slack's claims are still held while its post hangs: another live instance
            # finds nothing to take for Slack.
            assert other.due("slack", clock.now()) == []
        finally:
            release.set()
        await until(lambda: len(slack.messages) == 3)
    texts = [m["blocks"][0]["text"]["text"] for m in slack.messages]
    assert len(set(texts)) == 3


async def test_claims_are_given_back_and_taken_again_within_the_lease(
    tmp_path, fake_cf, slack, telegram, clock
):
    from bot.delivery.sender import CLAIM_HOLD

    count = 45  # at Slack's one a second, longer than a claim may be held
    fake_cf.pages = [[variant(n) for n in range(count)]]
    path = config_path(
        tmp_path, fake_cf, slack, telegram, bot_extra="max_instant = 100", to=("slack",)
    )
    async with App(load_config(path), clock=clock) as app:
        await app.poll("cf")
        claims: list[tuple[float, int]] = []
        claim = app.outbox.claim

        def recorded(channel, now, *, limit):
            claimed = claim(channel, now, limit=limit)
            if channel == "slack":
                rows = sum(len(a.ids) for a in claimed.alerts)
                claims.append(((now - start).total_seconds(), rows))
            return claimed

        app.outbox.claim = recorded
        start = clock.now()
        result = await app.deliver()
        elapsed = (clock.now() - start).total_seconds()
    assert result.sent == count and len(slack.messages) == count
    assert elapsed >= count - 1 > CLAIM_HOLD.total_seconds()
    held = [b[0] - a[0] for a, b in itertools.pairwise(claims)]
    assert claims[0][1] == count and len(claims) >= 2, "the rest is claimed again"
    assert all(h <= CLAIM_HOLD.total_seconds() + 1 for h in held), held
    assert claims[1][1] >= count - CLAIM_HOLD.total_seconds() - 1, "what was left, given back"
