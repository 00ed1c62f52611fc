"""Self-service through the Telegram bot: real python-telegram-bot against the imitation."""

from __future__ import annotations

import csv
import io

import pytest

from bot.cli import main
from tests.conftest import made_releases, write_config
from tests.integration.chat_helpers import RunningBot, until

ALL = made_releases()
GROUP = "-1001111111111"
OTHER = "-1002222222222"
ADMIN, MEMBER, BOT_ADMIN = 501, 502, 900


def bot_config(tmp_path, fake_cf, telegram, **bot: str):
    keys = {"open": "true", "admins": f"[{BOT_ADMIN}]", **bot}
    table = "\n".join(f"{k} = {v}" for k, v in keys.items())
    extra = f"""
[[bots]]
name = "tg"
kind = "telegram"
token_env = "TB_TELEGRAM_TOKEN"
api_url = "{telegram.api_url}"
{table}
"""
    return write_config(
        tmp_path, fake_cf.url, source={"every": '"1h"'}, extra=extra, subscriptions=""
    )


@pytest.fixture
def group(tmp_path, fake_cf, telegram, chat_tokens):
    """A config with the Telegram bot; ADMIN administers GROUP; no notices published yet."""
    telegram.members[(GROUP, str(ADMIN))] = "administrator"
    fake_cf.pages = [[]]
    return bot_config(tmp_path, fake_cf, telegram)


async def subscribe_group(telegram) -> None:
    """ADMIN subscribes GROUP to small-charities; wait for the reply."""
    telegram.command(GROUP, ADMIN, "/subscribe small-charities")
    await until(lambda: texts(telegram, GROUP))


def Running(path, clock):
    return RunningBot(path, clock)


def texts(telegram, chat):
    return [m["text"] for m in telegram.sent_to(chat)]


async def test_an_admin_subscribes_a_group_and_only_that_group_hears(
    group, fake_cf, telegram, clock
):
    path = group
    async with Running(path, clock) as app:
        telegram.command(GROUP, ADMIN, "/subscribe small-charities")
        telegram.command(OTHER, MEMBER, "/subscribe@tenderbot_test_bot small-charities")
        await until(lambda: texts(telegram, GROUP) and texts(telegram, OTHER))
        assert texts(telegram, GROUP)[0].startswith("Subscribed to small-charities")
        assert "only this chat's administrators" in texts(telegram, OTHER)[0]
        offer = telegram.sent_to(GROUP)[0]["reply_markup"]["inline_keyboard"][0][0]
        assert offer["callback_data"] == "c:catchup 7"
        fake_cf.pages = [ALL]
        await app.poll("cf")
        await app.deliver()
    alerts = [m for m in telegram.sent_to(GROUP) if "Why it matched" in m["text"]]
    assert len(alerts) == 4
    rows = alerts[0]["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in rows[-1]] == ["Useful", "Not for us", "Why?"]
    assert rows[-1][0]["callback_data"].startswith("f:u:")
    assert len(texts(telegram, OTHER)) == 1, "the refused chat hears nothing more"


async def test_every_command_and_its_bad_input(tmp_path, fake_cf, telegram, chat_tokens, clock):
    telegram.members[(GROUP, str(ADMIN))] = "creator"
    fake_cf.pages = [ALL]
    path = bot_config(tmp_path, fake_cf, telegram, commands_per_minute="100")
    script = [
        ("/help", "Commands:"),
        ("/sets domestic", "domestic-abuse-and-victim-support"),
        ("/sets zzzz", "No rule set matches"),
        ("/subscribe no-such-set", "There is no rule set called 'no-such-set'"),
        ("/subscribe small-charities housing-and-homelessness", "Subscribed to small-charities"),
        ("/subscribe small-charities", "already has"),
        ("/region North East London", "Alerts now cover: North East, London."),
        ("/region Atlantis", "I don't know the region 'Atlantis'"),
        ("/maxvalue 150k", "more than £150,000 are left out"),
        ("/maxvalue lots", "is not an amount"),
        ("/mute framework", "mention 'framework' are left out"),
        ("/mute <b>", "A muted word is"),
        ("/unmute framework", "no longer muted"),
        ("/unmute nothing", "was not muted"),
        ("/digest weekly friday 07:30", "One digest every Friday at 07:30."),
        ("/digest monthly", "Send digest off"),
        ("/digest daily 25:00", "is not a time of day"),
        ("/possible off", "no longer sent"),
        ("/possible sometimes", "Send possible digest, possible instant or possible off."),
        ("/possible", "only worth a look"),
        ("/list", "Subscriptions: small-charities, housing-and-homelessness"),
        ("/pause", "Alerts paused"),
        ("/resume", "Alerts resumed"),
        ("/resume", "not paused"),
        ("/preview small-charities", "small-charities would have sent"),
        ("/preview", "Send preview SET"),
        ("/status", "only this bot's admins"),
        ("/unsubscribe housing-and-homelessness", "Unsubscribed from housing-and-homelessness"),
        ("/unsubscribe housing-and-homelessness", "no such subscription"),
        ("/frobnicate", "I don't know the command 'frobnicate'"),
        ("/subscribe " + "x" * 600, "too long"),
    ]
    async with Running(path, clock) as app:
        await app.poll("cf")
        for text, _ in script:
            telegram.command(GROUP, ADMIN, text)
        await until(lambda: len(texts(telegram, GROUP)) >= len(script))
        settings = app.chats.chat("tg", GROUP)
    replies = texts(telegram, GROUP)
    for (command, expected), reply in zip(script, replies, strict=True):
        assert expected in reply, (command, reply)
    assert settings.rule_sets == ("small-charities",)
    assert settings.regions == ("North East", "London")
    assert settings.max_value == 150_000
    assert settings.mutes == ()
    assert (settings.mode, settings.digest_day, f"{settings.digest_at:%H:%M}") == (
        "weekly",
        4,
        "07:30",
    )
    assert settings.paused is None
    assert settings.possible == "off"
    assert "worth-a-look notices: not sent" in next(r for r in replies if "Subscriptions" in r)
    preview = next(r for r in replies if "would have sent" in r)
    assert "would have sent 0 alert" not in preview


async def test_a_member_cannot_change_anything_but_may_read(
    tmp_path, fake_cf, telegram, chat_tokens, clock
):
    fake_cf.pages = [[]]
    path = bot_config(tmp_path, fake_cf, telegram)
    async with Running(path, clock) as app:
        for text in ("/subscribe small-charities", "/pause", "/region London", "/list", "/sets"):
            telegram.command(GROUP, MEMBER, text)
        telegram.command(GROUP, BOT_ADMIN, "/status")
        await until(lambda: len(texts(telegram, GROUP)) >= 6)
        assert app.chats.chats() == []
    replies = texts(telegram, GROUP)
    assert all("Nothing was changed" in r for r in replies[:3])
    assert replies[3].startswith("No subscriptions made in this chat.")
    assert replies[4].startswith("Rule sets:")
    assert "Sources: 1" in replies[5] and "Chat subscriptions: 0" in replies[5]


async def test_a_bot_not_open_answers_only_its_chats_and_limits_commands(
    tmp_path, fake_cf, telegram, chat_tokens, clock
):
    fake_cf.pages = [[]]
    path = bot_config(
        tmp_path, fake_cf, telegram, open="false", chats=f'["{GROUP}"]', commands_per_minute="3"
    )
    async with Running(path, clock) as app:
        telegram.command(OTHER, ADMIN, "/help")
        for _ in range(6):
            last = telegram.command(GROUP, MEMBER, "/help")
        # Every command handled (its offset committed after its reply): nothing more to come.
        await until(lambda: app.chats.next_update("tg") == last + 1)
    assert texts(telegram, OTHER)[0].startswith("This bot is not open to this chat (chat id")
    replies = texts(telegram, GROUP)
    assert [r.startswith("tenderbot finds") for r in replies] == [True, True, True, False]
    assert replies[3] == "That is a lot of commands at once; please wait a minute."


async def test_a_refused_chat_learns_its_id_the_log_hears_once_and_bots_lists_it(
    tmp_path, fake_cf, telegram, chat_tokens, clock, caplog
):
    fake_cf.pages = [[]]
    path = bot_config(tmp_path, fake_cf, telegram, open="false")  # the defaults: no chats
    async with Running(path, clock):
        telegram.command(OTHER, MEMBER, "/help")
        await until(lambda: texts(telegram, OTHER))
        telegram.command(OTHER, MEMBER, "/subscribe small-charities")
        await until(lambda: len(texts(telegram, OTHER)) == 2)
        telegram.command(OTHER, BOT_ADMIN, "/help")
        await until(lambda: len(texts(telegram, OTHER)) == 3)
    refused, again, admin = texts(telegram, OTHER)
    assert refused == again
    assert f"(chat id {OTHER})" in refused and f'add "{OTHER}" to chats' in refused
    assert admin.startswith("tenderbot finds")
    assert f"Note for the bot's admin: this chat, id {OTHER}, is not in the chats" in admin
    logged = [r.getMessage() for r in caplog.records if "refused chat" in r.getMessage()]
    assert len(logged) == 1 and OTHER in logged[0] and "open = true" in logged[0]
    out = io.StringIO()
    assert main(["bots", "--config", str(path)], stdout=out) == 0
    listing = out.getvalue()
    assert "tg (telegram): 0 chat(s) allowed; 1 admin(s)" in listing
    assert f"tg: chat {OTHER}: asked 2 time(s)" in listing
    assert f"(by user {MEMBER})" in listing


async def test_feedback_buttons_are_recorded_and_shown_by_rules_feedback(
    group, fake_cf, telegram, clock
):
    path = group
    async with Running(path, clock) as app:
        await subscribe_group(telegram)
        fake_cf.pages = [ALL]
        await app.poll("cf")
        await app.deliver()
        alerts = [m for m in telegram.sent_to(GROUP) if "Why it matched" in m["text"]]
        useful = alerts[0]["reply_markup"]["inline_keyboard"][-1][0]["callback_data"]
        not_for_us = alerts[1]["reply_markup"]["inline_keyboard"][-1][1]["callback_data"]
        telegram.press(GROUP, MEMBER, useful)
        telegram.press(GROUP, ADMIN, useful)
        telegram.press(GROUP, MEMBER, not_for_us)
        telegram.press(OTHER, MEMBER, useful)  # not sent there: refused
        await until(lambda: len(telegram.answers) >= 4)
    answers = [a.get("text", "") for a in telegram.answers]
    assert answers[:3] == [
        "Thanks: noted as useful.",
        "Thanks: noted as useful.",
        "Thanks: noted as not for you.",
    ]
    assert "can't find that alert" in answers[3]
    out = io.StringIO()
    assert main(["rules", "feedback", "--config", str(path)], stdout=out, clock=clock) == 0
    report = out.getvalue()
    assert "small-charities: 3 verdict(s) on 2 alert(s): 2 useful, 1 not for us" in report
    assert "Why it matched" not in report and "matched on:" in report
    labels = path.parent / "labels.csv"
    args = ["rules", "feedback", "small-charities", "--config", str(path)]
    assert main([*args, "--labels-out", str(labels)], stdout=io.StringIO(), clock=clock) == 0
    rows = list(csv.DictReader(io.StringIO(labels.read_text())))
    assert sorted(r["label"] for r in rows) == ["no", "yes"]


async def test_the_why_button_gives_every_reason_grouped_only_where_the_alert_went(
    group, fake_cf, telegram, clock
):
    async with Running(group, clock) as app:
        await subscribe_group(telegram)
        fake_cf.pages = [ALL]
        await app.poll("cf")
        await app.deliver()
        alert = next(m for m in telegram.sent_to(GROUP) if "Why it matched" in m["text"])
        why = alert["reply_markup"]["inline_keyboard"][-1][2]["callback_data"]
        assert why.startswith("w:")
        before = len(texts(telegram, GROUP))
        telegram.press(GROUP, MEMBER, why)
        telegram.press(OTHER, MEMBER, why)  # not sent there: it learns nothing
        await until(lambda: len(texts(telegram, GROUP)) > before and texts(telegram, OTHER))
    answer = texts(telegram, GROUP)[-1]
    assert answer.startswith("Why “")
    assert "• what it is: " in answer and "• time left: " in answer
    assert len(answer) > len(alert["text"].split("Why it matched: ")[1])
    assert "can't find that alert" in texts(telegram, OTHER)[-1]


async def test_a_restart_in_the_middle_of_commands_loses_nothing(group, fake_cf, telegram, clock):
    path = group
    telegram.command(GROUP, ADMIN, "/subscribe small-charities")
    async with Running(path, clock):
        await until(lambda: texts(telegram, GROUP))
    # Sent while the daemon was down: handled when it is back; the first is not repeated.
    telegram.command(GROUP, ADMIN, "/region London")
    last = telegram.command(GROUP, ADMIN, "/maxvalue 50k")
    async with Running(path, clock) as app:
        await until(lambda: app.chats.next_update("tg") == last + 1)
        settings = app.chats.chat("tg", GROUP)
    replies = texts(telegram, GROUP)
    assert sum(r.startswith("Subscribed") for r in replies) == 1
    assert settings.regions == ("London",) and settings.max_value == 50_000


async def test_a_chat_that_removed_the_bot_is_paused_and_resumes_when_added_back(
    group, fake_cf, telegram, clock
):
    path = group
    async with Running(path, clock) as app:
        await subscribe_group(telegram)
        telegram.membership(GROUP, ADMIN, "member", "kicked")
        await until(lambda: app.chats.chat("tg", GROUP).paused is not None)
        fake_cf.pages = [ALL]
        await app.poll("cf")
        await app.deliver()
        assert len(texts(telegram, GROUP)) == 1, "nothing is sent to a chat that removed the bot"
        assert not any(s.name.startswith("chat:") for s in app.config.subscriptions)
        out = io.StringIO()
        assert main(["status", "--config", str(path)], stdout=out, clock=clock) == 0
        assert "Chat subscriptions: 1 in 1 chat(s), 1 paused" in out.getvalue()
        telegram.membership(GROUP, ADMIN, "left", "member")
        await until(lambda: app.chats.chat("tg", GROUP).paused is None)


def test_bots_are_checked_in_the_config(tmp_path, fake_cf, telegram, capsys):
    path = bot_config(tmp_path, fake_cf, telegram, open='"yes"')
    assert main(["status", "--config", str(path)]) == 2
    assert "bots[0] (tg).open: expected true/false, got a string" in capsys.readouterr().err


@pytest.mark.parametrize("missing", ["TB_TELEGRAM_TOKEN"])
def test_a_bot_token_must_be_set(tmp_path, fake_cf, telegram, capsys, monkeypatch, missing):
    monkeypatch.delenv(missing, raising=False)
    path = bot_config(tmp_path, fake_cf, telegram)
    assert main(["poll", "--config", str(path)]) == 2
    assert f"bots (tg).token_env: environment variable {missing} is not set" in (
        capsys.readouterr().err
    )


async def test_pause_holds_queued_alerts_until_resume(group, fake_cf, telegram, clock):
    path = group
    async with Running(path, clock) as app:
        telegram.command(GROUP, ADMIN, "/subscribe small-charities")
        telegram.command(GROUP, ADMIN, "/digest daily 10:00")
        await until(lambda: len(texts(telegram, GROUP)) >= 2)
        fake_cf.pages = [ALL]
        await app.poll("cf")
        telegram.command(GROUP, ADMIN, "/pause")
        await until(lambda: len(texts(telegram, GROUP)) >= 3)
        clock.advance(hours=3)  # past 10:00 London time: the digest is due
        await app.deliver()
        assert len(texts(telegram, GROUP)) == 3, "a paused chat hears nothing"
        telegram.command(GROUP, ADMIN, "/resume")
        await until(lambda: len(texts(telegram, GROUP)) >= 4)
        await app.deliver()
    digest = texts(telegram, GROUP)[4]
    assert "Daily digest" in digest and "Befriending Service for Older People" in digest


async def test_an_update_the_library_cannot_read_is_skipped_alone(
    tmp_path, fake_cf, telegram, chat_tokens, clock
):
    fake_cf.pages = [[]]
    path = bot_config(tmp_path, fake_cf, telegram)
    odd = telegram.push(
        "my_chat_member",
        {
            "chat": {"id": int(GROUP), "type": "supergroup", "title": "T"},
            "from": {"id": ADMIN, "is_bot": False, "first_name": "A"},
            "date": 0,
            "old_chat_member": {"status": "member", "user": telegram.USER},
            "new_chat_member": {"status": "kicked", "user": telegram.USER},  # no until_date
        },
    )
    telegram.command(GROUP, MEMBER, "/help")
    async with Running(path, clock) as app:
        await until(lambda: app.chats.next_update("tg") == odd + 2)
    assert texts(telegram, GROUP)[0].startswith("tenderbot finds")


async def test_buttons_with_numbers_out_of_bounds_are_unknown_buttons(
    group, fake_cf, telegram, clock
):
    async with Running(group, clock) as app:
        for data in ("f:u:" + "9" * 40, "f:u:²", "f:n:-1", "f:u:0", "f:x:12", "c:catchup ²"):
            last = telegram.press(GROUP, MEMBER, data)
        await until(lambda: app.chats.next_update("tg") == last + 1)
    answers = [a.get("text") for a in telegram.answers]
    assert answers == ["Unknown button."] * 5 + [None]
    assert texts(telegram, GROUP) == [
        "Sorry, only this chat's administrators may change its subscriptions. Nothing was changed."
    ]


async def test_an_update_with_an_impossible_id_is_logged_once_and_never_handled(
    group, fake_cf, telegram, clock, caplog
):
    telegram.updates.append(
        {
            "update_id": 2**70,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": int(GROUP), "type": "supergroup", "title": "T"},
                "from": {"id": ADMIN, "is_bot": False, "first_name": "A"},
                "text": "/subscribe small-charities",
                "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
            },
        }
    )
    async with Running(group, clock) as app:
        last = telegram.command(GROUP, MEMBER, "/help")
        await until(lambda: app.chats.next_update("tg") == last + 1)
        fetches = len([r for r in telegram.requests if r["path"].endswith("getUpdates")])
        # The impossible update keeps coming back from the imitation: fetched twice more.
        await until(
            lambda: (
                len([r for r in telegram.requests if r["path"].endswith("getUpdates")])
                >= fetches + 2
            )
        )
        never_ran = app.chats.chat("tg", GROUP).rule_sets == ()
    skipped = [r for r in caplog.records if "was skipped" in r.getMessage()]
    assert [r.getMessage() for r in skipped] == [
        f"tg: an update with id {2**70} was skipped (an update id is a whole number from 0 "
        f"to {2**53 - 1})"
    ]
    assert texts(telegram, GROUP)[0].startswith("tenderbot finds"), "the next one is answered"
    assert never_ran, "the impossible one was never handled"


async def test_a_chat_that_cannot_be_reached_is_paused_not_the_admins_problem(
    group, fake_cf, telegram, clock
):
    path = group
    async with Running(path, clock) as app:
        await subscribe_group(telegram)
        fake_cf.pages = [ALL]
        await app.poll("cf")
        telegram.fail(("403", None))
        await app.deliver()
        settings = app.chats.chat("tg", GROUP)
        assert settings.paused is not None and settings.paused.startswith("unreachable")
        assert app.outbox.paused() == {}, "no channel pause for the admin to clear"
        telegram.command(GROUP, ADMIN, "/resume")
        await until(lambda: app.chats.chat("tg", GROUP).paused is None)
        await app.deliver()
    alerts = [m for m in telegram.sent_to(GROUP) if "Why it matched" in m["text"]]
    assert len(alerts) == 4, "the alerts that waited are all delivered after resume"


async def test_a_group_upgraded_to_a_supergroup_keeps_its_subscription(
    tmp_path, fake_cf, telegram, chat_tokens, clock
):
    old, new = "-4001", "-1004001"
    telegram.members[(old, str(ADMIN))] = "administrator"
    fake_cf.pages = [[]]
    path = bot_config(tmp_path, fake_cf, telegram)
    async with Running(path, clock) as app:
        telegram.command(old, ADMIN, "/subscribe small-charities")
        await until(lambda: texts(telegram, old))
        telegram.push(
            "message",
            {
                "message_id": 7,
                "date": 0,
                "chat": {"id": int(old), "type": "group", "title": "T"},
                "from": {"id": ADMIN, "is_bot": False, "first_name": "A"},
                "migrate_to_chat_id": int(new),
            },
        )
        await until(lambda: app.chats.chat("tg", new).rule_sets == ("small-charities",))
        assert app.chats.chat("tg", old).rule_sets == ()
        fake_cf.pages = [ALL]
        await app.poll("cf")
        await app.deliver()
    assert len([m for m in telegram.sent_to(new) if "Why it matched" in m["text"]]) == 4
    assert len(texts(telegram, old)) == 1
