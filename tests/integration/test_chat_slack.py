"""Self-service through the Slack app: real slack-sdk Socket Mode against the imitations."""

from __future__ import annotations

import io
import json

import pytest

from bot.cli import main
from tests.conftest import made_releases, write_config
from tests.fakes.slack_socket import FakeSocketMode
from tests.integration.chat_helpers import RunningBot, until

ALL = made_releases()
CHANNEL = "C0SUBSCRIBE"
WORKSPACE_ADMIN, MEMBER, BOT_ADMIN = "UWSADMIN", "UMEMBER", "UBOTADMIN"


@pytest.fixture
def socket(slack):
    with FakeSocketMode() as fake:
        slack.socket_url = fake.url
        slack.workspace_admins = {WORKSPACE_ADMIN}
        yield fake


@pytest.fixture
def slack_app(tmp_path, fake_cf, slack, socket, chat_tokens, monkeypatch):
    monkeypatch.setenv("TB_SLACK_APP_TOKEN", slack.app_token)
    extra = f"""
[[bots]]
name = "sl"
kind = "slack"
token_env = "TB_SLACK_TOKEN"
app_token_env = "TB_SLACK_APP_TOKEN"
api_url = "{slack.api_url}"
admins = ["{BOT_ADMIN}"]
chats = ["{CHANNEL}"]
"""
    return write_config(
        tmp_path, fake_cf.url, source={"every": '"1h"'}, extra=extra, subscriptions=""
    )


def Running(path, clock, socket):
    return RunningBot(path, clock, lambda: socket.connections)


async def command(socket, user, text, channel=CHANNEL):
    envelope = socket.send(
        "slash_commands",
        {"command": "/tenderbot", "text": text, "user_id": user, "channel_id": channel},
    )
    await until(lambda: socket.ack(envelope))
    return socket.ack(envelope)["payload"]["text"]


def blocks_of(message):
    blocks = message["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def posted(slack, channel=CHANNEL):
    return [m for m in slack.messages if m.get("channel") == channel]


async def test_a_workspace_admin_subscribes_and_narrows_a_member_cannot(
    slack_app, fake_cf, slack, socket, clock
):
    fake_cf.pages = [[]]
    async with Running(slack_app, clock, socket) as app:
        assert "Nothing was changed" in await command(socket, MEMBER, "subscribe small-charities")
        assert app.chats.chats() == []
        reply = await command(socket, WORKSPACE_ADMIN, "subscribe small-charities")
        assert reply.startswith("Subscribed to small-charities")
        assert (await command(socket, MEMBER, "list")).startswith("Subscriptions: small-charities")
        assert "Alerts now cover: London" in await command(socket, BOT_ADMIN, "region London")
        assert "is not an amount" in await command(socket, WORKSPACE_ADMIN, "maxvalue lots")
        assert "only this bot's admins" in await command(socket, WORKSPACE_ADMIN, "status")
        assert "Chat subscriptions: 1" in await command(socket, BOT_ADMIN, "status")
        refused = await command(socket, MEMBER, "help", channel="C0OTHER")
        assert "not open to this chat (chat id C0OTHER)" in refused
        assert [r.chat for r in app.chats.refusals()] == ["C0OTHER"]
        await command(socket, WORKSPACE_ADMIN, "region any")
        fake_cf.pages = [ALL]
        await app.poll("cf")
        await app.deliver()
    alerts = posted(slack)
    assert len(alerts) == 4
    blocks = blocks_of(alerts[0])
    feedback = blocks[-1]
    assert [e["action_id"] for e in feedback["elements"]] == [
        "tenderbot_useful",
        "tenderbot_not_for_us",
    ]


async def test_feedback_buttons_digest_pause_and_unsubscribe(
    slack_app, fake_cf, slack, socket, clock
):
    fake_cf.pages = [[]]
    async with Running(slack_app, clock, socket) as app:
        await command(socket, WORKSPACE_ADMIN, "subscribe small-charities")
        fake_cf.pages = [ALL]
        await app.poll("cf")
        await app.deliver()
        outbox_id = blocks_of(posted(slack)[0])[-1]["elements"][0]["value"]
        socket.send(
            "interactive",
            {
                "type": "block_actions",
                "user": {"id": MEMBER},
                "channel": {"id": CHANNEL},
                "actions": [{"action_id": "tenderbot_not_for_us", "value": outbox_id}],
            },
        )
        await until(lambda: slack.ephemeral)
        assert slack.ephemeral[0]["text"] == "Thanks: noted as not for you."
        assert "every day at 09:15" in await command(socket, WORKSPACE_ADMIN, "digest daily 09:15")
        assert "Alerts paused" in await command(socket, WORKSPACE_ADMIN, "pause")
        assert "Alerts resumed" in await command(socket, WORKSPACE_ADMIN, "resume")
        assert "Unsubscribed" in await command(socket, WORKSPACE_ADMIN, "unsubscribe")
        assert app.chats.chat("sl", CHANNEL).rule_sets == ()
        assert not any(s.name.startswith("chat:") for s in app.config.subscriptions)
    out = io.StringIO()
    assert main(["rules", "feedback", "--config", str(slack_app)], stdout=out, clock=clock) == 0
    assert "small-charities: 1 verdict(s) on 1 alert(s): 0 useful, 1 not for us" in out.getvalue()


async def test_feedback_buttons_with_ids_out_of_bounds_are_unknown(
    slack_app, fake_cf, slack, socket, clock
):
    fake_cf.pages = [[]]
    async with Running(slack_app, clock, socket):
        for value in ("9" * 40, "²", "0"):
            socket.send(
                "interactive",
                {
                    "type": "block_actions",
                    "user": {"id": MEMBER},
                    "channel": {"id": CHANNEL},
                    "actions": [{"action_id": "tenderbot_useful", "value": value}],
                },
            )
        await until(lambda: len(slack.ephemeral) == 3)
    assert [e["text"] for e in slack.ephemeral] == ["Unknown button."] * 3


async def test_a_button_runs_its_command_and_a_removed_channel_is_paused(
    slack_app, fake_cf, slack, socket, clock
):
    fake_cf.pages = [ALL]
    async with Running(slack_app, clock, socket) as app:
        await app.poll("cf")
        await command(socket, WORKSPACE_ADMIN, "subscribe small-charities")
        await app.deliver()
        assert posted(slack) == [], "a new subscription starts quietly"
        socket.send(
            "interactive",
            {
                "type": "block_actions",
                "user": {"id": WORKSPACE_ADMIN},
                "channel": {"id": CHANNEL},
                "actions": [{"action_id": "tenderbot_command_0", "value": "catchup 7"}],
            },
        )
        await until(lambda: slack.ephemeral)
        assert "on their way as one digest" in slack.ephemeral[0]["text"]
        await app.deliver()
        digests = posted(slack)
        assert len(digests) == 1 and "Catch-up" in digests[0]["text"]
        socket.send("events_api", {"event": {"type": "channel_left", "channel": CHANNEL}})
        await until(lambda: app.chats.chat("sl", CHANNEL).paused is not None)
        assert not any(s.name.startswith("chat:") for s in app.config.subscriptions)


async def test_subscribing_a_channel_the_bot_is_not_in_says_to_invite_it(
    slack_app, fake_cf, slack, socket, clock
):
    fake_cf.pages = [[]]
    slack.not_member = {CHANNEL}
    async with Running(slack_app, clock, socket):
        reply = await command(socket, WORKSPACE_ADMIN, "subscribe small-charities")
    assert reply.startswith("Subscribed to small-charities")
    assert "invite me (/invite @tenderbot)" in reply


async def test_an_envelope_sent_while_the_daemon_was_down_is_handled_after(
    slack_app, fake_cf, slack, socket, clock
):
    fake_cf.pages = [[]]
    async with Running(slack_app, clock, socket):
        pass
    envelope = socket.send(
        "slash_commands",
        {
            "command": "/tenderbot",
            "text": "subscribe small-charities",
            "user_id": WORKSPACE_ADMIN,
            "channel_id": CHANNEL,
        },
    )
    async with Running(slack_app, clock, socket) as app:
        await until(lambda: socket.ack(envelope))
        assert app.chats.chat("sl", CHANNEL).rule_sets == ("small-charities",)
