"""Chat commands come from untrusted people: only the table's commands run, each with its
permission, and every number is read with explicit bounds."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.chat.arguments import MAX_DATABASE_ID, ArgumentError, read_amount, read_number
from bot.chat.catalogue import SetCatalogue
from bot.chat.command_records import Asker, ChatServices, Permission
from bot.chat.commands import COMMANDS, ChatCommands
from bot.chat.settings import ChatBotConfig
from bot.chat.store import ChatStore
from bot.chat.telegram_bot import MAX_UPDATE_ID, _update_id
from bot.chat.wording import HELP
from bot.store import Store
from tests.conftest import FakeClock

NOW = datetime(2025, 1, 24, 9, 0, tzinfo=UTC)
CHAT = "-1001"


@pytest.fixture
def commands(tmp_path: Path):
    store = Store(tmp_path / "t.db")
    caught_up: list[tuple[str, int]] = []

    def catch_up(key: str, days: int) -> int:
        caught_up.append((key, days))
        return 1

    services = ChatServices(
        preview=lambda name, days: (0, []),
        catch_up=catch_up,
        status=lambda: "all well",
        read_only=lambda chat: [],
    )
    bot = ChatBotConfig(
        name="tg",
        kind="telegram",
        token_env="X",
        open=True,
        admins=("9",),
        commands_per_minute=1000,
    )
    result = ChatCommands(
        bot,
        ChatStore(store),
        SetCatalogue(("small-charities",), tmp_path),
        services,
        FakeClock(NOW),
        monotonic=lambda: 0.0,
    )
    result.caught_up = caught_up  # type: ignore[attr-defined]
    yield result
    store.close()


def asker(*, manager: bool = False, admin: bool = False) -> Asker:
    async def manage() -> bool:
        return manager

    return Asker(user="9" if admin else "5", bot_admin=admin, manage=manage)


@pytest.mark.parametrize(
    "text", ["/monotonic", "/update x", "/known_set x", "/_help", "/__init__", "/run x", "/limit"]
)
async def test_internal_names_are_unknown_commands(commands, text):
    reply = await commands.run(CHAT, asker(admin=True, manager=True), text)
    assert reply is not None and reply.text.startswith("I don't know the command")
    assert reply.changed is False


def test_every_command_in_the_table_is_in_help_and_has_a_permission():
    for name, command in COMMANDS.items():
        if name != "start":
            assert re.search(rf"(^|\n|/ ){name}\b", HELP), name
        assert isinstance(command.permission, Permission)
        assert list(inspect.signature(command.handler).parameters) == [
            "self",
            "chat",
            "asker",
            "args",
        ]


async def test_changing_commands_need_a_manager_and_status_a_bot_admin(commands):
    member = asker()
    for name, command in COMMANDS.items():
        reply = await commands.run(CHAT, member, f"/{name}")
        assert reply is not None
        refused = "only this chat's administrators" in reply.text or "only this bot's admins" in (
            reply.text
        )
        assert refused == (command.permission is not Permission.ANYONE), name
    assert (await commands.run(CHAT, asker(admin=True), "/status")).text == "all well"
    reply = await commands.run(CHAT, asker(manager=True), "/subscribe small-charities")
    assert reply.changed and reply.text.startswith("Subscribed to small-charities")


@pytest.mark.parametrize("days", ["²", "٣", "0", "31", "-1", "1e1", "9" * 40, "", "7 7"])
async def test_catchup_days_are_ascii_digits_within_bounds(commands, days):
    await commands.run(CHAT, asker(manager=True), "/subscribe small-charities")
    reply = await commands.run(CHAT, asker(manager=True), f"/catchup {days}")
    assert reply.text == "Send catchup DAYS, 1 to 30."
    assert commands.caught_up == []


async def test_catchup_within_bounds_runs(commands):
    await commands.run(CHAT, asker(manager=True), "/subscribe small-charities")
    reply = await commands.run(CHAT, asker(manager=True), "/catchup 30")
    assert "on their way" in reply.text
    assert [days for _, days in commands.caught_up] == [30]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("30", 30),
        ("0", None),
        ("31", None),
        ("²", None),
        ("١٢", None),
        (" 5", None),
        ("+5", None),
        ("5.0", None),
        ("9" * 40, None),
    ],
)
def test_read_number_takes_only_ascii_digits_within_bounds(text, expected):
    assert read_number(text, low=1, high=30) == expected


def test_a_forty_digit_feedback_id_is_not_an_id():
    assert read_number("9" * 40, low=1, high=MAX_DATABASE_ID) is None
    assert read_number(str(MAX_DATABASE_ID), low=1, high=MAX_DATABASE_ID) == MAX_DATABASE_ID


def test_amounts_in_other_scripts_are_refused():
    with pytest.raises(ArgumentError):
        read_amount("٥٠k")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"update_id": 1001}, 1001),
        ({"update_id": 2**70}, None),
        ({"update_id": MAX_UPDATE_ID + 1}, None),
        ({"update_id": -1}, None),
        ({"update_id": True}, None),
        ({"update_id": "12"}, None),
        ({}, None),
        ([1], None),
    ],
)
def test_only_update_ids_that_can_be_committed_are_handled(raw, expected):
    assert _update_id(raw) == expected


@pytest.mark.parametrize("months", ["²", "٣", "0", "37", "-1", "1e1", "9" * 40, "12 12"])
async def test_radar_on_months_are_ascii_digits_within_bounds(commands, months):
    reply = await commands.run(CHAT, asker(manager=True), f"/radar on {months}")
    assert reply.text == "Send radar on MONTHS, 1 to 36."
    assert commands.chats.chat("tg", CHAT).radar is False


async def test_radar_on_and_off_need_a_manager_and_list_does_not(commands):
    member, manager = asker(), asker(manager=True)
    for text in ("/radar on", "/radar ON 12", "/radar off"):
        reply = await commands.run(CHAT, member, text)
        assert "only this chat's administrators" in reply.text, text
    assert commands.chats.chat("tg", CHAT).radar is False
    assert (await commands.run(CHAT, member, "/radar list")).text == (
        "Radar off. No contracts shown here yet."
    )
    reply = await commands.run(CHAT, manager, "/radar on 12")
    assert reply.changed
    settings = commands.chats.chat("tg", CHAT)
    assert (settings.radar, settings.radar_months) == (True, 12)
    assert (await commands.run(CHAT, member, "/radar list")).text.startswith(
        "Radar on (12 months ahead)."
    )
    assert (await commands.run(CHAT, manager, "/radar")).text == (
        "Send radar on [MONTHS], radar off or radar list."
    )
