"""Slack and Telegram delivery with the real client libraries against local imitations."""

from __future__ import annotations

import asyncio
import copy
import html
import io
import logging
import re
import threading

import pytest

from bot.app import App
from bot.cli import main
from bot.config import load_config
from bot.delivery.outbox import Outbox
from tests.conftest import made_releases, write_config
from tests.integration.chat_helpers import until
from tests.integration.conftest import chat_channels

ALL = made_releases()
MATCHING = {
    "Domestic Abuse Support Services - Children",
    "Domestic Abuse Support Services - Adults",
    "Tenancy Sustainment Service",
    "Befriending Service for Older People",
}


def short(title):
    title = html.unescape(title)
    return next((m for m in MATCHING if title.startswith(m)), title)


CHAT = "-1001234567890"


pytestmark = pytest.mark.usefixtures("chat_tokens")


def config_for(tmp_path, cf, slack, telegram, *, mode="instant", extra_sub="", bot_extra=""):
    channels = chat_channels(slack, telegram)
    subs = "".join(
        f'[[subscriptions]]\nchannel = "{c}"\nrules = ["small-charities"]\nmode = "{mode}"\n'
        f"remind_days = 0\n{extra_sub}\n"
        for c in ("slack", "telegram")
    )
    path = write_config(tmp_path, cf.url, subscriptions=subs, extra=channels)
    if bot_extra:
        path.write_text(
            path.read_text().replace(
                'timezone = "Europe/London"', f'timezone = "Europe/London"\n{bot_extra}'
            )
        )
    return load_config(path)


def slack_titles(slack):
    return [short(m["blocks"][0]["text"]["text"]) for m in slack.messages]


def telegram_titles(telegram):
    return [short(re.search(r"· <b>(.*?)</b>", m["text"]).group(1)) for m in telegram.messages]


async def poll_and_deliver(config, clock):
    async with App(config, clock=clock) as app:
        await app.poll("cf")
        return await app.deliver()


async def deliver(config, clock):
    async with App(config, clock=clock) as app:
        return await app.deliver()


async def test_each_matching_notice_once_to_each_channel_and_a_second_poll_sends_nothing(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [ALL]
    config = config_for(tmp_path, fake_cf, slack, telegram)
    result = await poll_and_deliver(config, clock)
    assert result.sent == 8
    assert sorted(slack_titles(slack)) == sorted(MATCHING)
    assert sorted(telegram_titles(telegram)) == sorted(MATCHING)

    message = next(
        m
        for m in slack.messages
        if "Children" in m["blocks"][0]["text"]["text"]
        and "Abuse" in m["blocks"][0]["text"]["text"]
    )
    assert message["channel"] == "C0123456789"
    assert "link_names" not in message and message["unfurl_links"] is False
    kinds = [b["type"] for b in message["blocks"]]
    assert kinds[0] == "header" and kinds[-1] == "actions"
    buttons = message["blocks"][-1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["View notice", "Bid on portal"]
    context = [b for b in message["blocks"] if b["type"] == "context"][-1]["elements"][0]["text"]
    assert "· £48,000–£60,000 ≤ £400,000 a year whatever its length ·" in context
    assert "Domestic Abuse Support Services - Children" in message["text"]

    sent = next(
        m for m in telegram.messages if "Children</b>" in m["text"] and "Abuse" in m["text"]
    )
    assert sent["chat_id"] == CHAT and sent["parse_mode"] == "HTML"
    assert sent["link_preview_options"]["is_disabled"] is True
    assert [b["text"] for b in sent["reply_markup"]["inline_keyboard"][0]] == [
        "View notice",
        "Bid on portal",
    ]
    assert "<b>Value:</b> £48,000–£60,000" in sent["text"]

    clock.advance(minutes=10)
    result = await poll_and_deliver(config, clock)
    assert result.sent == 0 and len(slack.messages) == 4 and len(telegram.messages) == 4


async def test_rate_limits_are_waited_exactly_as_told(tmp_path, fake_cf, slack, telegram, clock):
    fake_cf.pages = [[r for r in ALL if r["tender"]["title"] in MATCHING][:1]]
    slack.fail(("429", 7))
    telegram.fail(("429", 5))
    config = config_for(tmp_path, fake_cf, slack, telegram)
    result = await poll_and_deliver(config, clock)
    assert result.retrying == 2 and result.sent == 0
    clock.advance(seconds=4)
    assert (await deliver(config, clock)).sent == 0
    clock.advance(seconds=1.5)  # 5.5 s: Telegram's wait is over, Slack's is not
    assert (await deliver(config, clock)).sent == 1 and len(telegram.messages) == 1
    assert slack.messages == []
    clock.advance(seconds=1.5)
    assert (await deliver(config, clock)).sent == 1 and len(slack.messages) == 1


async def test_a_slow_channel_does_not_delay_another(tmp_path, fake_cf, slack, telegram, clock):
    fake_cf.pages = [ALL]
    release = threading.Event()
    slack.held["C0123456789"] = release  # Slack answers nothing until the test says so
    config = config_for(tmp_path, fake_cf, slack, telegram)
    async with App(config, clock=clock) as app:
        await app.poll("cf")
        delivery = asyncio.create_task(app.deliver())
        try:
            await until(lambda: len(telegram.messages) == 4)
            assert slack.messages == [] and not delivery.done()
        finally:
            release.set()
        result = await delivery
    assert result.sent == 8
    assert sorted(slack_titles(slack)) == sorted(MATCHING)


async def test_a_bug_met_in_one_channel_leaves_the_others_delivering(
    tmp_path, fake_cf, slack, telegram, clock, monkeypatch, caplog
):
    from bot.delivery.notifiers.slack import SlackNotifier

    async def broken(self, alert, *, now):
        raise RuntimeError("a bug in rendering")

    working = SlackNotifier.send
    monkeypatch.setattr(SlackNotifier, "send", broken)
    fake_cf.pages = [ALL]
    config = config_for(tmp_path, fake_cf, slack, telegram)
    result = await poll_and_deliver(config, clock)
    assert result.sent == 4 and len(telegram.messages) == 4 and slack.messages == []
    assert "slack: delivery failed unexpectedly" in caplog.text
    monkeypatch.setattr(SlackNotifier, "send", working)
    assert (await deliver(config, clock)).sent == 4, "the next round sends what waited"
    assert sorted(slack_titles(slack)) == sorted(MATCHING)


async def test_a_ten_minute_outage_loses_nothing_and_repeats_nothing(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [ALL]
    slack.fail(("down", None))
    config = config_for(tmp_path, fake_cf, slack, telegram)
    await poll_and_deliver(config, clock)
    assert len(telegram.messages) == 4 and slack.messages == []
    for _ in range(10):
        clock.advance(minutes=1)
        await deliver(config, clock)
    attempts = len([r for r in slack.requests if r["path"].endswith("chat.postMessage")])
    # Waits of 22.5-30 s, 45-60 s, then 67.5-90 s, tried once a minute: 0, 1, 2, 4, 6, 8, 10.
    assert 2 <= attempts <= 7, "retries back off instead of hammering"
    slack.faults.clear()
    for _ in range(60):
        clock.advance(minutes=1)
        await deliver(config, clock)
    assert sorted(slack_titles(slack)) == sorted(MATCHING)
    assert len(telegram.messages) == 4


async def test_server_errors_for_a_while_then_success(tmp_path, fake_cf, slack, telegram, clock):
    fake_cf.pages = [[r for r in ALL if r["tender"]["title"] in MATCHING][:1]]
    slack.fail(("500", None), ("500", None), ("500", None))
    telegram.fail(("500", None))
    config = config_for(tmp_path, fake_cf, slack, telegram)
    await poll_and_deliver(config, clock)
    for _ in range(30):
        clock.advance(minutes=1)
        await deliver(config, clock)
    assert len(slack.messages) == 1 and len(telegram.messages) == 1


async def test_a_telegram_503_is_one_log_line(tmp_path, fake_cf, slack, telegram, clock, caplog):
    fake_cf.pages = [[r for r in ALL if r["tender"]["title"] in MATCHING][:1]]
    telegram.fail(("503", None))
    config = config_for(tmp_path, fake_cf, slack, telegram)
    caplog.set_level(logging.DEBUG)
    result = await poll_and_deliver(config, clock)
    assert result.retrying == 1
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage().split("; ")[0] for r in problems] == [
        "telegram: send failed (telegram: unreadable answer (HTTP 503))"
    ]
    assert not any(r.exc_info for r in caplog.records), "no traceback"


async def test_hostile_text_reaches_telegram_as_text_the_api_accepts(
    tmp_path, fake_cf, slack, telegram, clock
):
    release = copy.deepcopy(next(r for r in ALL if r["tender"]["title"] in MATCHING))
    hostile = ' <b>bold & <script>x</script> <i>unclosed <a href="javascript:x">'
    release["tender"]["title"] += hostile
    release["tender"]["description"] = "Tom & Jerry <tg-spoiler> 3 < 4 </blockquote>"
    fake_cf.pages = [[release]]
    config = config_for(tmp_path, fake_cf, slack, telegram)
    result = await poll_and_deliver(config, clock)
    assert result.sent == 2 and result.failed == 0
    text = telegram.messages[0]["text"]
    assert "bold &amp; x" in text and "Tom &amp; Jerry" in text and "3 &lt; 4" in text


async def test_the_imitation_refuses_html_telegram_cannot_parse(telegram, clock):
    from zoneinfo import ZoneInfo

    from bot.delivery.notifiers import SendError
    from bot.delivery.notifiers.telegram import TelegramMessage, TelegramNotifier

    notifier = TelegramNotifier(
        token=telegram.token, chat_id=CHAT, zone=ZoneInfo("Europe/London"), api_url=telegram.api_url
    )
    try:
        for bad in ("<b>open", "<b><i>x</b></i>", "<script>x</script>", "a < b", "Tom & Jerry"):
            with pytest.raises(SendError, match=r"(?i)can't parse entities") as refused:
                await notifier._send(TelegramMessage(text=bad))
            assert not refused.value.retryable
        await notifier._send(TelegramMessage(text='<b>ok</b> &amp; <a href="https://x">x</a>'))
    finally:
        await notifier.aclose()
    assert len(telegram.messages) == 1


async def test_permanent_errors_pause_only_that_channel(tmp_path, fake_cf, slack, telegram, clock):
    fake_cf.pages = [ALL]
    slack.fail(("error", "channel_not_found"))
    config = config_for(tmp_path, fake_cf, slack, telegram)
    result = await poll_and_deliver(config, clock)
    assert result.paused == {"slack": "slack: channel_not_found"}
    assert len(telegram.messages) == 4 and slack.messages == []
    clock.advance(hours=2)
    assert (await deliver(config, clock)).paused == {"slack": "slack: channel_not_found"}
    assert len([r for r in slack.requests if "postMessage" in r["path"]]) == 1, "not retried"

    out = io.StringIO()
    await asyncio.to_thread(main, ["status", "--config", str(config.path)], clock=clock, stdout=out)
    assert "slack: slack: channel_not_found" in out.getvalue()
    assert "Outbox: 4 pending (slack: 4)" in out.getvalue()

    out = io.StringIO()
    code = await asyncio.to_thread(
        main, ["send-test", "slack", "--config", str(config.path)], clock=clock, stdout=out
    )
    assert code == 0
    assert (
        "slack: test message sent (was paused: slack: channel_not_found; resumed)" in out.getvalue()
    )
    assert "tenderbot test message" in slack.messages[0]["text"]
    await deliver(config, clock)
    assert sorted(slack_titles(slack)[1:]) == sorted(MATCHING)


async def test_telegram_forbidden_pauses_and_send_test_reports_the_exact_error(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [[r for r in ALL if r["tender"]["title"] in MATCHING][:1]]
    telegram.fail(("403", None))
    config = config_for(tmp_path, fake_cf, slack, telegram)
    result = await poll_and_deliver(config, clock)
    assert result.paused == {"telegram": "telegram: Forbidden: bot was kicked from the group chat"}
    telegram.fail(("chat_not_found", None))
    out = io.StringIO()
    code = await asyncio.to_thread(
        main, ["send-test", "telegram", "--config", str(config.path)], clock=clock, stdout=out
    )
    assert code == 1
    assert out.getvalue().strip() == "telegram: test message NOT sent: telegram: Chat not found"


async def test_telegram_group_upgraded_to_supergroup_moves_and_resends(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [[r for r in ALL if r["tender"]["title"] in MATCHING][:1]]
    telegram.migrated[CHAT] = "-1009999999999"
    config = config_for(tmp_path, fake_cf, slack, telegram)
    await poll_and_deliver(config, clock)
    assert [m["chat_id"] for m in telegram.messages] == ["-1009999999999"]
    async with App(config, clock=clock) as app:
        assert app.outbox.channel_state("telegram").chat_id == "-1009999999999"


async def test_an_update_is_a_threaded_reply_saying_what_changed(
    tmp_path, fake_cf, slack, telegram, clock
):
    tender = next(
        r for r in ALL if r["tender"]["title"] == "Domestic Abuse Support Services - Children"
    )
    fake_cf.pages = [[tender]]
    config = config_for(tmp_path, fake_cf, slack, telegram)
    await poll_and_deliver(config, clock)
    amended = copy.deepcopy(tender)
    amended["id"] += "-2"
    amended["tag"] = ["tenderAmendment"]
    amended["date"] = "2025-01-24T09:30:00Z"
    amended["tender"]["tenderPeriod"]["endDate"] = "2025-02-28T12:00:00Z"
    fake_cf.pages = [[amended]]
    clock.advance(hours=1)
    await poll_and_deliver(config, clock)
    first, update = slack.messages
    assert update["thread_ts"] == first["ts"]
    assert "deadline moved from 14 Feb 2025 14:00 to 28 Feb 2025 12:00" in str(update["blocks"])
    assert update["blocks"][1]["elements"][0]["text"].startswith("*Updated*")
    t_first, t_update = telegram.messages
    assert t_update["reply_parameters"]["message_id"] == t_first["message_id"]
    assert "deadline moved from 14 Feb 2025 14:00 to 28 Feb 2025 12:00" in t_update["text"]


async def test_closing_soon_reminder_replies_to_the_alert(
    tmp_path, fake_cf, slack, telegram, clock
):
    tender = next(
        r for r in ALL if r["tender"]["title"] == "Domestic Abuse Support Services - Children"
    )
    fake_cf.pages = [[tender]]
    config = config_for(tmp_path, fake_cf, slack, telegram, extra_sub="")
    text = config.path.read_text().replace("remind_days = 0", "remind_days = 3")
    config.path.write_text(text)
    config = load_config(config.path)
    await poll_and_deliver(config, clock)
    clock.advance(days=15)  # deadline 14 Feb 14:00; now 8 Feb 09:00: six days left
    assert (await deliver(config, clock)).sent == 0
    clock.advance(days=3, hours=6)  # 11 Feb 15:00: under three days left
    assert (await deliver(config, clock)).sent == 2
    assert (await deliver(config, clock)).sent == 0, "one reminder only"
    reminder = slack.messages[-1]
    assert reminder["thread_ts"] == slack.messages[0]["ts"]
    assert "*Closing soon*" in str(reminder["blocks"])


async def test_catch_up_sends_one_digest_instead_of_a_flood(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [ALL]
    config = config_for(tmp_path, fake_cf, slack, telegram, bot_extra="max_instant = 2")
    result = await poll_and_deliver(config, clock)
    assert result.sent == 8
    assert len(slack.messages) == 1 and len(telegram.messages) == 1
    assert slack.messages[0]["blocks"][0]["text"]["text"].startswith("Catch-up: 4 notices")
    for title in MATCHING:
        assert title in str(slack.messages[0]["blocks"])


async def test_daily_digest_waits_for_its_time_and_splits_without_losing_anything(
    tmp_path, fake_cf, slack, telegram, clock
):
    many = []
    base = next(
        r for r in ALL if r["tender"]["title"] == "Domestic Abuse Support Services - Children"
    )
    for i in range(90):
        copy_ = copy.deepcopy(base)
        copy_["ocid"] += f"-{i}"
        copy_["id"] += f"-{i}"
        copy_["tender"]["title"] = f"Domestic Abuse Support Services - Lot {i} " + "x" * 60
        many.append(copy_)
    fake_cf.pages = [many]
    config = config_for(tmp_path, fake_cf, slack, telegram, mode="daily")
    await poll_and_deliver(config, clock)  # 09:00 on 24 January: the next digest is tomorrow 08:00
    assert slack.messages == [] and telegram.messages == []
    clock.advance(hours=22, minutes=59)
    assert (await deliver(config, clock)).sent == 0
    clock.advance(minutes=2)
    assert (await deliver(config, clock)).sent == 180
    assert len(slack.messages) == 3  # 40 + 40 + 10
    assert slack.messages[0]["blocks"][0]["text"]["text"].endswith("(part 1 of 3)")
    assert all(len(m["blocks"]) <= 50 for m in slack.messages)
    from bot.delivery.notifiers.telegram import visible_length

    assert len(telegram.messages) >= 2
    assert all(visible_length(m["text"]) <= 4096 for m in telegram.messages)
    for i in range(90):
        assert sum(f"Lot {i} " in m["text"] for m in telegram.messages) == 1
        assert sum(f"Lot {i} " in str(m["blocks"]) for m in slack.messages) == 1


async def test_process_dying_between_send_and_record_repeats_at_most_one(
    tmp_path, fake_cf, slack, telegram, clock, monkeypatch
):
    fake_cf.pages = [ALL]
    config = config_for(tmp_path, fake_cf, slack, telegram)
    real = Outbox.mark_sent
    calls = {"n": 0}

    class Killed(BaseException):
        """The process dying: nothing in it catches this, and every task stops."""

    def dying(self, ids, now, ref=None):
        calls["n"] += 1
        if calls["n"] == 3:
            raise Killed("killed between send and record")
        return real(self, ids, now, ref)

    monkeypatch.setattr(Outbox, "mark_sent", dying)
    with pytest.raises(Killed):
        await poll_and_deliver(config, clock)
    monkeypatch.setattr(Outbox, "mark_sent", real)
    await deliver(config, clock)
    # Channels deliver at once: each may have had one send in flight when the process died.
    for titles in (slack_titles(slack), telegram_titles(telegram)):
        assert sorted(set(titles)) == sorted(MATCHING)
        assert len(titles) - len(set(titles)) <= 1, "at most one repeat per channel"


def test_the_example_config_pointed_at_the_imitations_delivers_once_per_channel(
    tmp_path, fake_cf, slack, telegram, clock, monkeypatch
):
    from tests.conftest import ROOT
    from tests.fakes.find_a_tender import serve_find_a_tender
    from tests.fakes.publishers import FakePublisher

    fat = FakePublisher(clock).__enter__()
    serve_find_a_tender(fat, [])

    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram.token)
    # The channels part only: the [[bots]] and [report] examples below it stay commented.
    text = (ROOT / "config.example.toml").read_text().split("# Self-service bots")[0]
    text = re.sub(
        r"(?m)^# (\[\[channels\]\](?=\n# name = \"team-)|name = \"team-|kind = \"(slack|telegram)\""
        r"|token_env"
        r"|channel = \"C|chat_id|api_url)",
        r"\1",
        text,
    )
    text = text.replace("https://slack.com/api/", slack.api_url)
    text = text.replace("https://api.telegram.org/bot", telegram.api_url)
    text = text.replace("https://www.contractsfinder.service.gov.uk", fake_cf.url)
    text = text.replace("https://www.find-tender.service.gov.uk", fat.url)
    text = text.replace('since = "1d"', 'since = "1000d"')
    text += (
        '\n[[subscriptions]]\nchannel = "team-slack"\nrules = ["small-charities"]\n'
        '\n[[subscriptions]]\nchannel = "team-telegram"\nrules = ["small-charities"]\n'
    )
    config = tmp_path / "tenderbot.toml"
    config.write_text(text)
    fake_cf.pages = [ALL]
    out = io.StringIO()
    assert main(["poll", "--config", str(config)], clock=clock, stdout=out) == 0
    assert sorted(slack_titles(slack)) == sorted(MATCHING)
    assert sorted(telegram_titles(telegram)) == sorted(MATCHING)
    assert out.getvalue().count("== NEW: ") == 4
    assert main(["poll", "--config", str(config)], clock=clock, stdout=io.StringIO()) == 0
    assert len(slack.messages) == 4 and len(telegram.messages) == 4
    assert [m["chat_id"] for m in telegram.messages] == ["-1001234567890"] * 4
    assert fat.requests_to("/api/1.0/ocdsReleasePackages")  # Find a Tender was polled too
    fat.__exit__()


def test_tokens_never_reach_the_logs_even_in_debug(
    tmp_path, fake_cf, slack, telegram, clock, capsys
):
    fake_cf.pages = [ALL]
    telegram.fail(("500", None))
    config = config_for(tmp_path, fake_cf, slack, telegram)
    main(["poll", "-v", "--config", str(config.path)], clock=clock, stdout=io.StringIO())
    err = capsys.readouterr().err
    assert "send failed" in err  # the failure is logged...
    assert telegram.token not in err and slack.token not in err  # ...without the secrets
