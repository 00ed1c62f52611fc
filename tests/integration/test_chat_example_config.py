"""The README's promise: the example config's bot sections, pointed at the imitations, run by
the daemon, let a Telegram group's administrator and a Slack user manage their subscriptions
entirely from chat, and nobody else."""

from __future__ import annotations

import asyncio
import re

from bot.app import App
from bot.config import load_config
from bot.daemon import run_daemon
from tests.conftest import ROOT
from tests.fakes.slack_socket import FakeSocketMode
from tests.integration.chat_helpers import until

GROUP = "-1003333333333"
ADMIN, MEMBER = 777, 778
SLACK_CHANNEL, SLACK_ADMIN, SLACK_MEMBER = "C0123456789", "U0123456789", "U0SOMEONE"


def example_with_bots(tmp_path, fake_cf, telegram, slack) -> str:
    text = (ROOT / "config.example.toml").read_text()
    head, bots = text.split("# Self-service bots", 1)
    bots = bots.split("# The cold-spots report", 1)[0]
    bots = bots.replace('"https://api.telegram.org/bot"', f'"{telegram.api_url}"')
    bots = bots.replace('"https://slack.com/api/"', f'"{slack.api_url}"')
    bots = bots.replace("admins = [123456789]", f"admins = [{ADMIN + 1000}]")
    bots = re.sub(r"(?m)^# (\[\[bots\]\]|[a-z_]+ = )", r"\1", bots)
    head = head.replace('"https://www.contractsfinder.service.gov.uk"', f'"{fake_cf.url}"')
    head = head.replace('kind = "find_a_tender"', 'kind = "find_a_tender"\nenabled = false')
    path = tmp_path / "tenderbot.toml"
    path.write_text(head + "# Self-service bots" + bots)
    return str(path)


async def test_example_config_bots_let_chat_admins_manage_everything_from_chat(
    tmp_path, fake_cf, telegram, slack, monkeypatch, clock
):
    fake_cf.pages = [[]]
    telegram.members[(GROUP, str(ADMIN))] = "administrator"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram.token)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    monkeypatch.setenv("SLACK_APP_TOKEN", slack.app_token)
    with FakeSocketMode() as socket:
        slack.socket_url = socket.url
        example_with_bots(tmp_path, fake_cf, telegram, slack)
        config = load_config(tmp_path / "tenderbot.toml")
        assert [b.name for b in config.bots] == ["telegram-bot", "slack-app"]
        stop = asyncio.Event()
        async with App(config, clock=clock, exclusive="run") as app:
            daemon = asyncio.create_task(run_daemon(app, stop=stop))
            await until(lambda: socket.connections)
            steps = [
                "/subscribe small-charities",
                "/region North East",
                "/maxvalue 200k",
                "/digest weekly monday 09:00",
                "/pause",
                "/resume",
                "/unsubscribe",
            ]
            telegram.command(GROUP, MEMBER, "/subscribe small-charities")
            for step in steps:
                telegram.command(GROUP, ADMIN, step)
            sent = lambda: [m["text"] for m in telegram.sent_to(GROUP)]  # noqa: E731
            await until(lambda: len(sent()) >= len(steps) + 1)
            slack_replies = []
            for user, step in [(SLACK_MEMBER, "subscribe small-charities")] + [
                (SLACK_ADMIN, s.lstrip("/")) for s in steps
            ]:
                envelope = socket.send(
                    "slash_commands",
                    {
                        "command": "/tenderbot",
                        "text": step,
                        "user_id": user,
                        "channel_id": SLACK_CHANNEL,
                    },
                )
                await until(lambda envelope=envelope: socket.ack(envelope))
                slack_replies.append(socket.ack(envelope)["payload"]["text"])
            stop.set()
            await daemon
            telegram_chat = app.chats.chat("telegram-bot", GROUP)
            slack_chat = app.chats.chat("slack-app", SLACK_CHANNEL)
    for replies in (sent(), slack_replies):
        assert "Nothing was changed" in replies[0]
        assert replies[1].startswith("Subscribed to small-charities")
        assert "North East" in replies[2]
        assert "£200,000" in replies[3]
        assert "every Monday at 09:00" in replies[4]
        assert "paused" in replies[5] and "resumed" in replies[6]
        assert replies[7].startswith("Unsubscribed from small-charities")
    for chat in (telegram_chat, slack_chat):
        assert chat.rule_sets == () and chat.regions == ("North East",)
        assert chat.mode == "weekly" and chat.paused is None
