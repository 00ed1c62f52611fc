"""The faults found when tenderbot was attacked, each reproduced against the imitations.

One test (or a few) per fault of the reliability issue: two processes on one database,
Slack answers that are not JSON, emoji-heavy text, tokens echoed in errors, hostile releases,
slow publishers, a database that stops taking writes, hostile feeds, links to other hosts,
backlogs longer than `max_pages`, slow recovery and polls stalled behind delivery, and control
characters in feed text.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import sqlite3
import time

import pytest

from bot.app import App
from bot.cli import main
from bot.config import load_config
from bot.daemon import delivery_wait, run_daemon
from bot.delivery.outbox import Outbox
from bot.delivery.sender import RETRY_CAP_SECONDS, retry_delay
from bot.instance import InstanceError, InstanceLock
from bot.store import Store, StoreError
from tests.conftest import made_releases, write_config
from tests.fakes.contracts_finder import FakeContractsFinder
from tests.fakes.publishers import ENTITY_BOMB, FakePublisher
from tests.integration.conftest import chat_channels

ALL = made_releases()
DUDLEY = next(
    r
    for r in ALL
    if r["tender"]["title"].startswith("Domestic Abuse Support Services") and r["tag"] == ["tender"]
)
CHAT = "-1001234567890"


pytestmark = pytest.mark.usefixtures("chat_tokens")


def chat_config(tmp_path, cf, slack, telegram, *, source=None, rules="[]"):
    channels = chat_channels(slack, telegram)
    subs = "".join(
        f'[[subscriptions]]\nchannel = "{c}"\nrules = {rules}\nremind_days = 0\n\n'
        for c in ("slack", "telegram")
    )
    return write_config(tmp_path, cf.url, subscriptions=subs, extra=channels, source=source)


def variant(base, n, **tender):
    release = copy.deepcopy(base)
    release["ocid"] += f"-v{n}"
    release["id"] += f"-v{n}"
    release["tender"].update(tender)
    return release


# 2. Two daemons on one database send nothing twice.


def test_a_second_process_on_the_same_database_is_refused_with_a_clear_message(
    tmp_path, fake_cf, clock, capsys
):
    fake_cf.pages = [ALL[:5]]
    path = write_config(tmp_path, fake_cf.url)
    config = load_config(path)

    with InstanceLock(config.bot.database, "run"):
        with pytest.raises(InstanceError, match="already in use by tenderbot run"):
            App(config, clock=clock, exclusive="run")
        assert main(["poll", "--config", str(path)], clock=clock, stdout=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "already in use by tenderbot run (pid" in err and "bot.db" in err
    assert fake_cf.requests == []  # the refused poll fetched nothing
    # The lock goes with its holder: the next poll runs.
    assert main(["poll", "--config", str(path)], clock=clock, stdout=io.StringIO()) == 0


async def test_two_processes_delivering_from_one_database_never_send_an_alert_twice(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [[variant(DUDLEY, n, title=f"Befriending {n}") for n in range(12)]]
    config = load_config(chat_config(tmp_path, fake_cf, slack, telegram))
    async with App(config, clock=clock) as first:
        await first.poll("cf")
    slack.delay = 0.05  # the two rounds overlap
    async with App(config, clock=clock) as one, App(config, clock=clock) as two:
        results = await asyncio.gather(one.deliver(), two.deliver())
    assert sum(r.sent for r in results) == 24
    ids = [m["blocks"][0]["text"]["text"] for m in slack.messages]
    assert len(ids) == 12 and len(set(ids)) == 12
    assert len(telegram.messages) == 12


# 3. A Slack server error whose body is not JSON is retried, not dropped.


@pytest.mark.parametrize("body", [b"", b"<html>Bad gateway</html>", b"upstream connect error"])
async def test_a_slack_5xx_with_an_unreadable_body_is_retried_not_dropped(
    tmp_path, fake_cf, slack, telegram, clock, body
):
    fake_cf.pages = [[DUDLEY]]
    slack.fail(("502", body))
    config = load_config(chat_config(tmp_path, fake_cf, slack, telegram))
    async with App(config, clock=clock) as app:
        await app.poll("cf")
        first = await app.deliver()
        assert first.retrying == 1 and first.failed == 0
        row = app.store.db.execute(
            "SELECT status, last_error FROM outbox WHERE channel = 'slack'"
        ).fetchone()
        assert row["status"] == "pending"
        assert "None" not in row["last_error"] and "HTTP 502" in row["last_error"]
        clock.advance(minutes=2)
        assert (await app.deliver()).sent == 1
    assert len(slack.messages) == 1


# 4. Telegram counts UTF-16 units: emoji-heavy text is cut to fit, never refused.


async def test_emoji_heavy_text_fits_telegrams_limit_as_telegram_counts_it(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [[variant(DUDLEY, 1, description="🤝 Befriending 🧓 " * 600)]]
    config = load_config(chat_config(tmp_path, fake_cf, slack, telegram))
    async with App(config, clock=clock) as app:
        await app.poll("cf")
        result = await app.deliver()
    assert result.sent == 2 and result.failed == 0
    assert len(telegram.messages) == 1 and "🤝" in telegram.messages[0]["text"]


# 5. A token echoed in an error is never stored or printed.


def test_a_rejected_telegram_token_is_never_stored_or_printed(
    tmp_path, fake_cf, slack, telegram, clock, monkeypatch, capsys
):
    wrong = "987654:WrOnG-Token-Value"
    monkeypatch.setenv("TB_TELEGRAM_TOKEN", wrong)
    fake_cf.pages = [[DUDLEY]]
    path = chat_config(tmp_path, fake_cf, slack, telegram)
    main(["poll", "-v", "--config", str(path)], clock=clock, stdout=io.StringIO())
    store = Store(tmp_path / "bot.db")
    dumped = "\n".join(store.db.iterdump())
    store.close()
    assert "paused" in dumped or "rejected" in dumped.lower()
    out = io.StringIO()
    main(["status", "--config", str(path)], clock=clock, stdout=out)
    send_test = io.StringIO()
    code = main(["send-test", "telegram", "--config", str(path)], clock=clock, stdout=send_test)
    assert code == 1, "the send failed: the exact error, exit code 1"
    everything = dumped + out.getvalue() + send_test.getvalue() + capsys.readouterr().err
    assert "telegram" in out.getvalue()
    for form in (wrong, wrong.lower(), wrong.upper()):
        assert form not in everything
    assert "[redacted]" in everything


# 6. One bad release is skipped; the rest of its page is kept and the watermark moves.


def test_hostile_releases_are_skipped_one_by_one_and_the_page_is_kept(
    tmp_path, fake_cf, clock, capsys
):
    good = [variant(DUDLEY, n) for n in range(3)]
    surrogate = variant(DUDLEY, 10, title="Befriending \ud800 service")
    surrogate["ocid"] += "\udfff"
    deep = variant(DUDLEY, 11)
    huge = variant(DUDLEY, 12)
    body = json.dumps({"releases": [good[0], surrogate, good[1], deep, huge, good[2]]})
    nested = "[" * 5000 + "]" * 5000
    body = body.replace(f'"id": "{deep["id"]}"', f'"id": "{deep["id"]}", "deep": {nested}')
    body = body.replace(f'"id": "{huge["id"]}"', f'"id": "{huge["id"]}", "n": 1{"0" * 5000}')
    fake_cf.raw_pages = {0: body.encode()}
    path = write_config(tmp_path, fake_cf.url)
    assert main(["poll", "--config", str(path)], clock=clock, stdout=io.StringIO()) == 0
    store = Store(tmp_path / "bot.db")
    ids = {r[0] for r in store.db.execute("SELECT id FROM notices")}
    state = store.source_state("cf")
    store.close()
    assert {g["ocid"] for g in good} <= ids
    assert deep["ocid"] not in ids
    assert state.watermark == clock.now() and state.consecutive_failures == 0
    err = capsys.readouterr().err
    assert f"release {deep['ocid']}: release cannot be read (RecursionError" in err
    assert "cannot be stored (UnicodeEncodeError" in err


# 7. A publisher that drips its answer cannot hold a poll past `timeout`.


def test_a_dripping_publisher_cannot_hold_a_poll_longer_than_the_timeout(tmp_path, clock):
    with FakeContractsFinder([ALL[:3]]) as dripping:
        dripping.fail(0, "drip", "drip")
        path = write_config(
            tmp_path, dripping.url, source={"timeout": '"1s"', "retries": "1", "backoff": '"1s"'}
        )
        started = time.monotonic()
        assert main(["poll", "--config", str(path)], clock=clock, stdout=io.StringIO()) == 1
        assert time.monotonic() - started < 6
    store = Store(tmp_path / "bot.db")
    assert "no complete answer within 1s" in store.source_state("cf").last_error
    store.close()


# 8. A database that stops taking writes stops sending (no resend loop).


async def test_a_database_that_stops_taking_writes_sends_nothing_it_cannot_record(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [[variant(DUDLEY, n) for n in range(3)]]
    config = load_config(chat_config(tmp_path, fake_cf, slack, telegram))
    async with App(config, clock=clock, exclusive="run") as app:
        await app.poll("cf")
        app.store.db.execute("PRAGMA query_only = ON")  # the file turned read-only
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await app.deliver()
        app.store.db.execute("PRAGMA query_only = OFF")
    assert slack.messages == [] and telegram.messages == []


async def test_a_send_that_cannot_be_recorded_stops_the_daemon_and_is_not_resent_in_a_loop(
    tmp_path, fake_cf, slack, telegram, clock, monkeypatch
):
    fake_cf.pages = [[variant(DUDLEY, n) for n in range(3)]]
    config = load_config(chat_config(tmp_path, fake_cf, slack, telegram))
    real = Outbox.mark_sent

    def disk_full(self, ids, now, ref=None):
        self._db.execute("PRAGMA query_only = ON")
        return real(self, ids, now, ref)

    async with App(config, clock=clock, exclusive="run") as app:
        await app.poll("cf")
        monkeypatch.setattr(Outbox, "mark_sent", disk_full)
        with pytest.raises(sqlite3.OperationalError):
            await app.deliver()
        monkeypatch.setattr(Outbox, "mark_sent", real)
    # Channels deliver at once: each may have had one send in flight when the first record
    # failed; nothing after that.
    unrecorded = len(slack.messages) + len(telegram.messages)
    assert 1 <= unrecorded <= 2
    # Restarts while the database still cannot be written refuse to start: no resend loop.
    real_init = Store.__init__

    def read_only(self, path):
        real_init(self, path)
        self.db.execute("PRAGMA query_only = ON")

    monkeypatch.setattr(Store, "__init__", read_only)
    for _ in range(5):
        with pytest.raises(StoreError, match="cannot be written"):
            App(config, clock=clock, exclusive="run")
    monkeypatch.setattr(Store, "__init__", real_init)
    assert len(slack.messages) + len(telegram.messages) == unrecorded
    # Once it can be written again, everything goes out; only the unrecorded sends repeat.
    async with App(config, clock=clock, exclusive="run") as app:
        await app.deliver()
    assert len(slack.messages) + len(telegram.messages) == 6 + unrecorded
    assert max(len(slack.messages), len(telegram.messages)) <= 4, "one repeat per channel"


def test_a_read_only_database_is_refused_at_start(tmp_path, fake_cf, clock, monkeypatch):
    path = write_config(tmp_path, fake_cf.url)
    Store(tmp_path / "bot.db").close()
    real = Store.__init__

    def read_only(self, path):
        real(self, path)
        self.db.execute("PRAGMA query_only = ON")

    monkeypatch.setattr(Store, "__init__", read_only)
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    for _ in range(3):
        assert main(["poll", "--config", str(path)], clock=clock, stdout=io.StringIO()) == 2
    assert "database cannot be written" in err.getvalue()
    assert fake_cf.requests == []


# 9. Hostile feeds fail as documented: nothing from them is stored or alerted.

BAD_UTF8 = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>Comm\xff\xfeunity befriending</title><link>http://x.example/1</link>"
    b"</item></channel></rss>"
)
BOMB_WITH_ITEM = ENTITY_BOMB.replace(
    b"<channel><title>&lol9;</title></channel>",
    b"<channel><title>&lol9;</title><item><title>&lol9; befriending</title>"
    b"<link>http://x.example/1</link></item></channel>",
)


@pytest.mark.parametrize(
    ("body", "why"), [(BAD_UTF8, "wrong text encoding"), (BOMB_WITH_ITEM, "declares XML entities")]
)
def test_hostile_feeds_with_items_fail_and_alert_nothing(tmp_path, fake_cf, clock, body, why):
    with FakePublisher(clock) as web:
        web.serve("/feed.rss", body)
        extra = (
            f'[[sources]]\nname = "council"\nkind = "feed"\nurl = "{web.url}/feed.rss"\n'
            'since = "1000d"\nretries = 0\n'
        )
        path = write_config(tmp_path, fake_cf.url, extra=extra)
        out = io.StringIO()
        code = main(["poll", "--config", str(path), "--source", "council"], clock=clock, stdout=out)
        assert code == 1, "the source failed"
    assert "befriending" not in out.getvalue().lower()
    store = Store(tmp_path / "bot.db")
    assert store.count_notices("council") == 0
    assert why in store.source_state("council").last_error
    store.close()


# 10. Paging stays on the configured host.


def test_links_to_another_host_are_never_followed(tmp_path, fake_cf, clock):
    with FakeContractsFinder([ALL[:5], ALL[5:10]]) as elsewhere:
        fake_cf.pages = [ALL[:5], ALL[5:10]]
        fake_cf.next_base = elsewhere.url
        path = write_config(tmp_path, fake_cf.url)
        assert main(["poll", "--config", str(path)], clock=clock, stdout=io.StringIO()) == 1
        assert elsewhere.requests == []
    store = Store(tmp_path / "bot.db")
    assert "the link leaves" in store.source_state("cf").last_error
    store.close()


# 11. A backlog longer than max_pages is read over several polls.


def test_a_backlog_longer_than_max_pages_is_read_over_several_polls(
    tmp_path, fake_cf, clock, capsys
):
    fake_cf.pages = [ALL[i : i + 20] for i in range(0, 100, 20)]
    path = write_config(tmp_path, fake_cf.url, source={"max_pages": "2"})
    codes = []
    for _ in range(3):
        codes.append(main(["poll", "--config", str(path)], clock=clock, stdout=io.StringIO()))
        clock.advance(minutes=10)
    assert codes == [0, 0, 0]
    assert fake_cf.page_requests() == [0, 1, 2, 3, 4]
    store = Store(tmp_path / "bot.db")
    assert store.count_notices("cf") == len({r["ocid"] for r in ALL})
    state = store.source_state("cf")
    assert state.resume_url is None and state.consecutive_failures == 0
    store.close()
    assert "backlog: read 2 page(s)" in capsys.readouterr().err


# 12. Recovery is quick, and polling never waits on delivery.


def test_channel_backoff_is_capped_so_a_recovered_service_is_noticed_quickly():
    import random

    rng = random.Random(1)
    waits = [retry_delay(n, rng) for n in range(1, 400)]
    assert max(waits) <= RETRY_CAP_SECONDS <= 90, "the README promises every 90 s at most"
    assert len(set(waits[3:])) > 1, "jittered"


async def test_the_delivery_loop_wakes_when_a_backed_off_channel_may_retry(
    tmp_path, fake_cf, slack, telegram, clock
):
    from datetime import timedelta

    config = load_config(chat_config(tmp_path, fake_cf, slack, telegram))
    async with App(config, clock=clock) as app:
        assert delivery_wait(app) == 60
        app.outbox.back_off("slack", clock.now() + timedelta(seconds=7))
        assert delivery_wait(app) == 7


async def test_a_long_delivery_round_does_not_delay_the_next_poll(
    tmp_path, fake_cf, slack, telegram
):
    fake_cf.pages = [[variant(DUDLEY, n) for n in range(6)]]
    slack.delay = 1.0  # six posts: a round of six seconds or more
    path = chat_config(tmp_path, fake_cf, slack, telegram, source={"every": '"2s"'})
    config = load_config(path)
    stop = asyncio.Event()

    async with App(config) as app:
        daemon = asyncio.create_task(run_daemon(app, stop=stop))
        for _ in range(100):
            await asyncio.sleep(0.1)
            if len(fake_cf.requests) >= 3:
                break
        sent_while_polling = len(slack.messages)
        stop.set()
        await daemon
    assert len(fake_cf.requests) >= 3, "polls waited for the delivery round"
    assert sent_while_polling < 6


# 13. Control and bidi characters never reach a chat.


async def test_control_and_bidi_characters_never_reach_slack_or_telegram(
    tmp_path, fake_cf, slack, telegram, clock
):
    nasty = "Befriending\x00 \x1b[31mservice\u202e reversed\u2066 \x07bell"
    fake_cf.pages = [[variant(DUDLEY, 1, title=nasty, description=nasty)]]
    config = load_config(chat_config(tmp_path, fake_cf, slack, telegram))
    async with App(config, clock=clock) as app:
        await app.poll("cf")
        await app.deliver()
    sent = json.dumps(slack.messages, ensure_ascii=False) + json.dumps(
        telegram.messages, ensure_ascii=False
    )
    assert "Befriending" in sent
    for char in ("\x00", "\x1b", "\u202e", "\u2066", "\x07"):
        assert char not in sent


# A refused alert is kept, listed by status, and can be queued again.


def test_a_refused_alert_is_kept_listed_and_requeued(tmp_path, fake_cf, slack, telegram, clock):
    fake_cf.pages = [[DUDLEY]]
    slack.fail(("error", "invalid_blocks"))
    path = chat_config(tmp_path, fake_cf, slack, telegram)
    assert main(["poll", "--config", str(path)], clock=clock, stdout=io.StringIO()) == 1
    assert slack.messages == [] and len(telegram.messages) == 1
    out = io.StringIO()
    assert main(["status", "--config", str(path)], clock=clock, stdout=out) == 1
    assert "refused: slack: cf ocds-" in out.getvalue() and "invalid_blocks" in out.getvalue()
    out = io.StringIO()
    assert (
        main(
            ["outbox", "retry", "--channel", "slack", "--config", str(path)],
            clock=clock,
            stdout=out,
        )
        == 0
    )
    assert out.getvalue().startswith("1 refused alert(s) for slack queued again")
    assert main(["poll", "--config", str(path)], clock=clock, stdout=io.StringIO()) == 0
    assert len(slack.messages) == 1 and len(telegram.messages) == 1
    assert main(["status", "--config", str(path)], clock=clock, stdout=io.StringIO()) == 0
    err = io.StringIO()
    assert (
        main(
            ["outbox", "retry", "--channel", "nope", "--config", str(path)], clock=clock, stdout=err
        )
        == 2
    )
