"""The radar's chat commands through the Telegram imitation: on, off, list, and who may."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import FakeClock
from tests.integration.chat_helpers import RunningBot, until
from tests.integration.test_chat_telegram import ADMIN, GROUP, MEMBER, bot_config, texts
from tests.integration.test_radar_daemon import BEFRIENDING, ROAD


async def test_radar_on_off_and_list(tmp_path, fake_cf, telegram, chat_tokens):
    telegram.members[(GROUP, str(ADMIN))] = "administrator"
    fake_cf.pages = [[BEFRIENDING, ROAD]]
    clock = FakeClock(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    path = bot_config(tmp_path, fake_cf, telegram, commands_per_minute="100")
    script = [
        (ADMIN, "/subscribe small-charities", "Subscribed to small-charities"),
        (ADMIN, "/radar list", "Radar off. No contracts shown here yet."),
        (MEMBER, "/radar on", "only this chat's administrators"),
        (ADMIN, "/radar on 99", "Send radar on MONTHS, 1 to 36."),
        (ADMIN, "/radar sometimes", "Send radar on [MONTHS], radar off or radar list."),
        (ADMIN, "/radar on 12", "contracts of your kind ending in the next 12 months"),
        (ADMIN, "/list", "radar on (12 months ahead)"),
    ]
    async with RunningBot(path, clock) as app:
        for who, text, _ in script:
            telegram.command(GROUP, who, text)
        await until(lambda: len(texts(telegram, GROUP)) >= len(script))
        settings = app.chats.chat("tg", GROUP)
        assert (settings.radar, settings.radar_months) == (True, 12)
        await app.poll("cf")
        await app.deliver()
        telegram.command(GROUP, MEMBER, "/radar list")
        await until(lambda: len(texts(telegram, GROUP)) >= len(script) + 1)
        telegram.command(GROUP, ADMIN, "/radar off")
        await until(lambda: len(texts(telegram, GROUP)) >= len(script) + 2)
        assert app.chats.chat("tg", GROUP).radar is False
    replies = texts(telegram, GROUP)
    for (_, command, expected), reply in zip(script, replies[: len(script)], strict=True):
        assert expected in reply, (command, reply)
    listed = replies[len(script)]
    assert listed.startswith("Radar on (12 months ahead).")
    assert "Befriending service for older people: Northbridge Borough Council" in listed
    assert "Road resurfacing" not in listed
    assert replies[len(script) + 1].startswith("Radar off")
