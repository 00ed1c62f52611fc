"""What a channel's worker must not do once its channel changes under it, and how it waits.

Real slack-sdk against the local imitation; a Slack chat subscribed through the `sl` bot is
a channel of its own (`chat:sl:CHANNEL`). The bot itself need not run: its subscriptions
live in the database.
"""

from __future__ import annotations

import threading

import pytest

from bot.app import App
from bot.config import load_config
from tests.conftest import made_releases, write_config
from tests.integration.chat_helpers import until

ALL = made_releases()
CHANNEL = "C0SUBSCRIBE"
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
