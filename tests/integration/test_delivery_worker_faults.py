"""What a channel's worker must not do once its channel changes under it, and how it waits.

Real slack-sdk against the local imitation; a Slack chat subscribed through the `sl` bot is
a channel of its own (`chat:sl:CHANNEL`). The bot itself need not run: its subscriptions
live in the database.
"""

from __future__ import annotations

import asyncio
import copy
import threading

import pytest

from bot.app import App
from bot.config import load_config
from bot.delivery.sender import CLAIM_HOLD
from tests.conftest import made_releases, write_config
from tests.integration.chat_helpers import until
from tests.integration.conftest import chat_channels

ALL = made_releases()
DUDLEY = next(
    r
    for r in ALL
    if r["tender"]["title"].startswith("Domestic Abuse Support Services") and r["tag"] == ["tender"]
)
CHANNEL = "C0SUBSCRIBE"
SLACK_CHANNEL = "C0123456789"
CHAT = f"chat:sl:{CHANNEL}"

pytestmark = pytest.mark.usefixtures("chat_tokens")


@pytest.fixture
def slack_bot_config(tmp_path, fake_cf, slack, monkeypatch):
    """A config with the Slack bot `sl` and no subscriptions of its own."""
    monkeypatch.setenv("TB_SLACK_APP_TOKEN", slack.app_token)
    extra = f"""
[[bots]]
name = "sl"
kind = "slack"
token_env = "TB_SLACK_TOKEN"
app_token_env = "TB_SLACK_APP_TOKEN"
api_url = "{slack.api_url}"
chats = ["{CHANNEL}"]
"""
    return write_config(
        tmp_path, fake_cf.url, source={"every": '"1h"'}, extra=extra, subscriptions=""
    )


def slack_posts(slack) -> int:
    """Posts that reached the configured Slack channel, answered or not."""
    return sum(
        r["path"].endswith("/chat.postMessage") and r["data"].get("channel") == SLACK_CHANNEL
        for r in slack.requests
    )


def posts(slack) -> int:
    """Posts that reached the chat's Slack channel, answered or not."""
    return sum(
        r["path"].endswith("/chat.postMessage") and r["data"].get("channel") == CHANNEL
        for r in slack.requests
    )


def claimed(app: App) -> int:
    """Pending rows of the chat still claimed by someone."""
    row = app.store.db.execute(
        "SELECT COUNT(*) FROM outbox WHERE channel = ? AND status = 'pending' "
        "AND claimed_by IS NOT NULL",
        (CHAT,),
    ).fetchone()
    return int(row[0])


def pending(app: App) -> int:
    """Pending rows of the chat."""
    row = app.store.db.execute(
        "SELECT COUNT(*) FROM outbox WHERE channel = ? AND status = 'pending'", (CHAT,)
    ).fetchone()
    return int(row[0])


async def test_a_chat_paused_while_its_batch_is_under_way_hears_nothing_more(
    slack_bot_config, fake_cf, slack, clock
):
    fake_cf.pages = [ALL]
    release = threading.Event()
    slack.held[CHANNEL] = release  # the first alert's post hangs until the chat has paused
    async with App(load_config(slack_bot_config), clock=clock) as app:
        app.chats.subscribe("sl", CHANNEL, ["small-charities"], "UADMIN", clock.now())
        app.refresh_chats()
        app.workers.start(on_db_error=lambda exc: False)
        try:
            await app.poll("cf")
            await until(lambda: posts(slack) == 1)
            queued = pending(app)
            assert queued >= 3, "several alerts in the worker's batch"
            app.chats.update("sl", CHANNEL, "UADMIN", clock.now(), paused="paused in chat")
            app.refresh_chats()
        finally:
            release.set()
        # The post under way completes and is recorded; the rest is given back, unsent.
        await until(lambda: pending(app) < queued and claimed(app) == 0)
        assert posts(slack) == 1, "a paused chat hears nothing after its pause"
        assert pending(app) == queued - 1, "the rest waits for /resume"
        await app.workers.stop()


def variant(n: int) -> dict:
    """A distinct open tender (a copy of a recorded one under another id and title)."""
    release = copy.deepcopy(DUDLEY)
    release["ocid"] += f"-v{n}"
    release["id"] += f"-v{n}"
    release["tender"]["title"] = f"Befriending {n}"
    return release


def slack_config(tmp_path, fake_cf, slack, telegram, *, mode: str, bot_extra: str = ""):
    """Every notice to the configured Slack channel, in `mode`."""
    subs = f'[[subscriptions]]\nchannel = "slack"\nrules = []\nmode = "{mode}"\nremind_days = 0\n'
    path = write_config(
        tmp_path, fake_cf.url, subscriptions=subs, extra=chat_channels(slack, telegram)
    )
    if bot_extra:
        path.write_text(
            path.read_text().replace(
                'timezone = "Europe/London"', f'timezone = "Europe/London"\n{bot_extra}'
            )
        )
    return path


def headings(slack) -> list[str]:
    """The header of every message the configured Slack channel received."""
    return [
        m["blocks"][0]["text"]["text"] for m in slack.messages if m.get("channel") == SLACK_CHANNEL
    ]


async def test_a_digest_whose_claims_are_held_too_long_still_sends_the_parts_it_announced(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [[variant(n) for n in range(50)]]  # 40 + 10: two parts on Slack
    path = slack_config(tmp_path, fake_cf, slack, telegram, mode="daily")
    release = threading.Event()
    async with App(load_config(path), clock=clock) as app:
        await app.poll("cf")
        clock.advance(days=1)  # the daily digest is due
        slack.held[SLACK_CHANNEL] = release
        delivery = asyncio.create_task(app.deliver())
        try:
            await until(lambda: slack_posts(slack) == 1)
            clock.advance(seconds=CLAIM_HOLD.total_seconds() + 1)  # part 1 answers slowly
        finally:
            release.set()
        result = await delivery
    assert result.sent == 50
    assert headings(slack) == ["Daily digest (part 1 of 2)", "Daily digest (part 2 of 2)"]


async def test_an_update_due_with_its_first_alert_is_folded_in_even_across_a_batch_boundary(
    tmp_path, fake_cf, slack, telegram, clock
):
    from bot.delivery.sender import CLAIM_BATCH_ROWS

    watched = variant(10_000)
    watched["tender"]["title"] = "Watched notice"
    path = slack_config(tmp_path, fake_cf, slack, telegram, mode="daily")
    async with App(load_config(path), clock=clock) as app:
        fake_cf.pages = [[watched]]
        await app.poll("cf")  # the first row queued: first in the first batch
        fake_cf.pages = [[variant(n) for n in range(CLAIM_BATCH_ROWS)]]
        await app.poll("cf")  # enough rows to push what follows into a second batch
        amended = copy.deepcopy(watched)
        amended["id"] += "-2"
        amended["tag"] = ["tenderAmendment"]
        amended["date"] = "2025-01-24T09:30:00Z"
        amended["tender"]["tenderPeriod"]["endDate"] = "2025-02-28T12:00:00Z"
        fake_cf.pages = [[amended]]
        clock.advance(minutes=45)
        await app.poll("cf")  # an update, due with the first alert at tomorrow's digest
        clock.advance(days=1)
        result = await app.deliver()
    assert result.sent == CLAIM_BATCH_ROWS + 2, "every row recorded as sent"
    entries = [
        str(block)
        for m in slack.messages
        for block in m["blocks"][1:]
        if "Watched notice" in str(block)
    ]
    assert len(entries) == 1, "one entry about the notice, not its first version and an update"
    assert "28 Feb 2025" in entries[0], "at its latest version"


async def test_a_backoff_long_over_does_not_keep_the_delivery_loop_waking_every_second(
    tmp_path, fake_cf, slack, telegram, clock
):
    from bot.daemon import DELIVERY_INTERVAL_SECONDS, delivery_wait

    fake_cf.pages = [[variant(1)]]
    slack.fail(("429", 5), ("error", "invalid_blocks"))  # wait 5 s; then refused outright
    path = slack_config(tmp_path, fake_cf, slack, telegram, mode="instant")
    async with App(load_config(path), clock=clock) as app:
        await app.poll("cf")
        await app.deliver()
        assert delivery_wait(app) == 5
        clock.advance(seconds=5)
        await app.deliver()  # the retry is refused: no send worked, the backoff is not cleared
        assert app.outbox.count_failed() == 1 and slack.messages == []
        clock.advance(hours=1)
        assert delivery_wait(app) == DELIVERY_INTERVAL_SECONDS, "no retry is waiting"


async def test_a_channel_whose_delivery_fails_unexpectedly_is_reported_by_healthz(
    tmp_path, fake_cf, clock, monkeypatch
):
    import httpx

    from bot.daemon import run_daemon
    from bot.delivery.notifiers import console

    real_render = console.render

    def render(alert, **kwargs):
        if alert.notice.title == "Poison":
            raise RuntimeError("a bug rendering this alert")
        return real_render(alert, **kwargs)

    monkeypatch.setattr(console, "render", render)
    poison = variant(2)
    poison["tender"]["title"] = "Poison"
    fake_cf.pages = [[variant(1), poison]]
    path = write_config(tmp_path, fake_cf.url, source={"every": '"1h"'})
    path.write_text(
        path.read_text().replace(
            'timezone = "Europe/London"', 'timezone = "Europe/London"\nhttp = "127.0.0.1:0"'
        )
    )
    stop = asyncio.Event()
    async with App(load_config(path), clock=clock, exclusive="run") as app:
        daemon = asyncio.create_task(run_daemon(app, stop=stop))
        try:
            await until(lambda: app.http_port and app.outbox.count_sent("console") == 1)
            async with httpx.AsyncClient() as client:
                url = f"http://127.0.0.1:{app.http_port}/healthz"
                answers: list[httpx.Response] = []

                async def probe() -> None:
                    answers.append(await client.get(url))

                for _ in range(100):
                    await probe()
                    if answers[-1].status_code == 503:
                        break
                    await asyncio.sleep(0.05)
        finally:
            stop.set()
            await daemon
    assert answers[-1].status_code == 503
    assert "delivery to console fails unexpectedly (RuntimeError: a bug rendering" in (
        answers[-1].text
    )


async def test_a_daemon_that_cannot_listen_starts_no_delivery_it_cannot_stop_cleanly(
    tmp_path, fake_cf, slack, telegram, clock
):
    import socket

    from bot.daemon import run_daemon

    fake_cf.pages = [[variant(1)]]
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    path = slack_config(
        tmp_path, fake_cf, slack, telegram, mode="instant", bot_extra=f'http = "127.0.0.1:{port}"'
    )
    try:
        async with App(load_config(path), clock=clock) as app:
            await app.poll("cf")  # an alert is due the moment delivery starts
            with pytest.raises(OSError):
                await run_daemon(app, stop=asyncio.Event())
            # Workers started before the failure would be cancelled by the close, a send
            # perhaps half-way (no send gate closed first): none may be running.
            assert not app.workers.running
    finally:
        taken.close()


async def test_a_catch_up_larger_than_a_batch_is_all_catch_up_not_a_tail_of_single_alerts(
    tmp_path, fake_cf, slack, telegram, clock
):
    from bot.delivery.sender import CLAIM_BATCH_ROWS

    count = CLAIM_BATCH_ROWS + 2  # the second batch holds 2: no more than max_instant
    fake_cf.pages = [[variant(n) for n in range(count)]]
    path = slack_config(
        tmp_path, fake_cf, slack, telegram, mode="instant", bot_extra="max_instant = 2"
    )
    async with App(load_config(path), clock=clock) as app:
        await app.poll("cf")
        result = await app.deliver()
    assert result.sent == count
    heads = headings(slack)
    assert heads and all(h.startswith("Catch-up: ") for h in heads), heads[-3:]


async def test_a_retry_after_of_zero_is_retried_at_once_not_a_minute_later(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [[variant(1)]]
    slack.fail(("429", 0))  # rate limited, and free to try again at once
    path = slack_config(tmp_path, fake_cf, slack, telegram, mode="instant")
    async with App(load_config(path), clock=clock) as app:
        app.workers.start(on_db_error=lambda exc: False)
        await app.poll("cf")
        await until(lambda: slack_posts(slack) == 1)
        # The worker looks again within a second or so, not after its idle minute.
        await until(lambda: len(slack.messages) == 1, timeout=10)
        await app.workers.stop()
    assert slack_posts(slack) == 2


async def test_alerts_another_instance_held_go_out_soon_after_it_gives_them_back(
    tmp_path, fake_cf, slack, telegram, clock
):
    from bot.delivery.outbox import Outbox
    from bot.store.instances import Instance

    fake_cf.pages = [[variant(1)]]
    path = slack_config(tmp_path, fake_cf, slack, telegram, mode="instant")
    async with App(load_config(path), clock=clock) as app:
        other = Outbox(app.store, instance=Instance.this_process("other", clock.now()))
        await app.poll("cf")
        taken = other.due("slack", clock.now())  # a former leader, say, still holds it
        assert len(taken) == 1
        tries: list[int] = []
        claim = app.outbox.claim

        def counted(channel, now, *, limit):
            claimed = claim(channel, now, limit=limit)
            if channel == "slack":
                tries.append(len(claimed.alerts))
            return claimed

        app.outbox.claim = counted
        app.workers.start(on_db_error=lambda exc: False)
        await until(lambda: tries == [0])  # the worker looked: nothing it may take
        other.release([i for alert in taken for i in alert.ids])  # no wake crosses processes
        await until(lambda: len(slack.messages) == 1, timeout=10)
        await app.workers.stop()
