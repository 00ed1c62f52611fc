"""The store on a real PostgreSQL server beside SQLite: migrations, the lead, fencing, faults."""

from __future__ import annotations

import dataclasses
import re
import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from bot.chat.store import ChatStore, FeedbackRow
from bot.config import ConfigError, load_config
from bot.delivery.outbox import Outbox
from bot.lead import LeadKeeper
from bot.store import MIGRATIONS, Fenced, Store, StoreError
from bot.store.instances import Instance
from sources.ocds import map_releases
from tests.conftest import (
    NO_PG,
    PG_DSN,
    FakeClock,
    drop_pg_database,
    fresh_pg_database,
    made_releases,
)

START = datetime(2025, 1, 24, 9, 0, tzinfo=UTC)
BEAT = timedelta(seconds=4)
needs_pg = pytest.mark.skipif(not PG_DSN, reason=NO_PG)


@pytest.fixture
def pg_url():
    url = fresh_pg_database()
    yield url
    drop_pg_database(url)


def queue(store: Store, count: int) -> None:
    notices = map_releases(made_releases(), source="cf").notices
    with store.transaction():
        events = store.save_notices(notices, START)
        outbox = Outbox(store)
        for event in [e for e in events if e.notice.is_open_stage][:count]:
            outbox.enqueue(event, subscription="s", channel="c", reasons=(), now=START)


def instance(name: str) -> Instance:
    return Instance(id=name, command="run", pid=1, host="h", started_at=START)


@needs_pg
def test_instances_starting_together_apply_each_migration_once(pg_url):
    errors: list[BaseException] = []
    stores: list[Store] = []
    gate = threading.Barrier(4)

    def open_store() -> None:
        gate.wait()
        try:
            stores.append(Store(pg_url))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [s.schema_version() for s in stores] == [len(MIGRATIONS)] * 4
    for store in stores:
        store.close()
    with psycopg.connect(pg_url) as db:
        assert db.execute("SELECT COUNT(*) FROM schema_version").fetchone() == (1,)
        assert db.execute("SELECT COUNT(*) FROM link_keys").fetchone() == (1,)
        (key,) = db.execute("SELECT key FROM link_keys").fetchone()
        assert len(key) == 32


@needs_pg
def test_a_newer_schema_is_refused(pg_url):
    Store(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("UPDATE schema_version SET version = version + 1")
    with pytest.raises(StoreError, match="newer than this tenderbot"):
        Store(pg_url)


def test_a_password_never_appears_in_an_error():
    with pytest.raises(StoreError) as caught:
        Store("postgresql://someone:s3cr3t-pw@127.0.0.1:1/nowhere")
    assert "s3cr3t-pw" not in str(caught.value)
    assert "someone:***@127.0.0.1:1" in str(caught.value)


def test_a_password_in_the_config_file_is_refused_and_the_environment_url_wins(
    tmp_path, monkeypatch
):
    config = tmp_path / "tenderbot.toml"
    config.write_text('[bot]\ndatabase = "postgresql://tb:pw@db.example/tb"\n')
    monkeypatch.delenv("TENDERBOT_DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match=r"bot\.database.*PGPASSWORD") as caught:
        load_config(config)
    assert "pw@" not in str(caught.value)
    config.write_text('[bot]\ndatabase = "postgresql://tb@db.example/tb"\n')
    assert load_config(config).bot.database_url == "postgresql://tb@db.example/tb"
    monkeypatch.setenv("TENDERBOT_DATABASE_URL", "postgresql://tb:hidden@other/tb")
    bot = load_config(config).bot
    assert bot.store_location == "postgresql://tb:hidden@other/tb"
    assert bot.database_label == "postgresql://tb:***@other/tb"


def test_one_leader_takes_over_only_after_the_lease_and_the_old_one_is_fenced(database):
    first, second = Store(database), Store(database)
    try:
        assert first.take_lead("a", START, BEAT) == 1
        assert second.take_lead("b", START + BEAT / 2, BEAT) is None
        assert first.renew_lead("a", 1, START + BEAT / 2, BEAT)
        # "a" freezes: its lease runs out, and "b" takes over at a new epoch.
        later = START + BEAT * 2
        assert second.take_lead("b", later, BEAT) == 2
        state = second.leadership()
        assert (state.holder, state.epoch) == ("b", 2) and state.live(later)
        # "a" wakes up: it cannot renew, and every write it tries is refused.
        assert not first.renew_lead("a", 1, later, BEAT)
        with pytest.raises(Fenced, match="lost the lead"), first.transaction():
            first.record_success("cf", watermark=START, now=later, notices=1)
        assert second.source_state("cf").watermark is None
        with second.transaction():
            second.record_success("cf", watermark=START, now=later, notices=1)
        assert second.source_state("cf").watermark == START
    finally:
        first.close()
        second.close()


def test_a_take_over_frees_the_former_leaders_claims_and_it_cannot_record_a_send(database):
    first, second = Store(database), Store(database)
    try:
        queue(first, 3)
        first.take_lead("a", START, BEAT)
        claimed = Outbox(first, instance=instance("a")).due("c", START)
        assert len(claimed) == 3
        assert second.take_lead("b", START + BEAT * 2, BEAT) == 2
        taken = Outbox(second, instance=instance("b")).due("c", START + BEAT * 2)
        assert sorted(a.ids for a in taken) == sorted(a.ids for a in claimed)
        with pytest.raises(Fenced):
            Outbox(first, instance=instance("a")).mark_sent(list(claimed[0].ids), START)
    finally:
        first.close()
        second.close()


@needs_pg
def test_claims_skip_rows_another_session_is_claiming(pg_url):
    store = Store(pg_url)
    try:
        queue(store, 3)
        with psycopg.connect(pg_url) as other:
            # Another instance is in the middle of claiming the oldest alert.
            other.execute("SELECT id FROM outbox ORDER BY id LIMIT 1 FOR UPDATE")
            claimed = Outbox(store).due("c", START)
            assert len(claimed) == 2
    finally:
        store.close()


@needs_pg
def test_a_lost_connection_is_an_outage_then_reopened_and_told_once(pg_url):
    store = Store(pg_url)
    clock = FakeClock(START)
    keeper = LeadKeeper(store, instance("a"), clock, BEAT)
    try:
        assert keeper.step() == "took the lead at epoch 1" and keeper.may_act()
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND application_name = 'tenderbot'",
                (pg_url.rpartition("/")[2],),
            )
        clock.current += keeper.step_every
        said = keeper.step()
        assert said is not None and "unreachable" in said
        assert keeper.health() and keeper.outage_over is None
        assert keeper.step() is None and keeper.health()  # too soon: backing off
        clock.current += keeper.step_every
        assert keeper.step() is None  # reconnected; still the leader at the same epoch
        assert keeper.health() == [] and keeper.outage_over is not None
        assert keeper.may_act() and keeper.epoch == 1
    finally:
        store.close()


def test_the_leader_stops_acting_when_its_own_lease_runs_out(database):
    store = Store(database)
    clock = FakeClock(START)
    keeper = LeadKeeper(store, instance("a"), clock, BEAT)
    try:
        keeper.step()
        assert keeper.may_act()
        clock.current += BEAT  # frozen for a whole heartbeat: no renewal happened
        assert keeper.may_act() is (store.backend == "sqlite")
    finally:
        store.close()


def test_the_chat_store_keeps_chats_offsets_and_feedback(database):
    store = Store(database)
    chats = ChatStore(store)
    try:
        assert chats.subscribe("tg", "42", ["a", "b"], "u1", START) == ["a", "b"]
        assert chats.subscribe("tg", "42", ["b", "c"], "u1", START) == ["c"]
        assert [r for r, _, _ in chats.chat("tg", "42").created_by] == ["a", "b", "c"]
        assert chats.chats("tg", None)[0].chat == "42" and chats.chats("other", None) == []
        chats.handled_update("tg", 10)
        chats.handled_update("tg", 5)  # an older update handled late never moves it back
        assert chats.next_update("tg") == 11
        row = FeedbackRow(
            outbox_id=1,
            voter="u1",
            verdict="useful",
            subscription="s",
            rule_sets=("a",),
            source="cf",
            notice_id="n",
            title="t",
            reasons=("r",),
            at=START,
        )
        chats.record_feedback(row)
        chats.record_feedback(dataclasses.replace(row, verdict="not_for_us"))
        assert [f.verdict for f in chats.feedback(START - timedelta(days=1))] == ["not_for_us"]
    finally:
        store.close()


@needs_pg
def test_status_and_metrics_show_the_backend_the_leader_its_epoch_and_the_standbys(
    tmp_path, pg_url
):
    import io

    from bot.cli import main
    from bot.metrics import Metrics
    from tests.conftest import write_config

    now = datetime.now(UTC)
    store = Store(pg_url)
    try:
        for name in ("a", "b", "c"):
            store.join(
                Instance(id=name, command="run", pid=1, host="h", started_at=now),
                now,
                exclusive=False,
            )
        store.take_lead("a", now, BEAT)
        store.take_lead("a", now, BEAT)  # a renewal keeps the epoch
        metrics = Metrics(lambda: store, []).render().decode()
    finally:
        store.close()
    assert 'tenderbot_database_backend{backend="postgresql"} 1.0' in metrics
    assert "tenderbot_leader_epoch 1.0" in metrics
    assert 'tenderbot_leader{instance="a"} 1.0' in metrics
    assert "tenderbot_standbys 2.0" in metrics
    config = write_config(tmp_path, "http://127.0.0.1:9")
    config.write_text(config.read_text().replace('database = "bot.db"', f'database = "{pg_url}"'))
    out = io.StringIO()
    main(["status", "--config", str(config)], stdout=out)
    text = out.getvalue()
    assert f"Database: {pg_url} (postgresql)" in text
    assert "Leader:   a, epoch 1; standbys: 2" in text


@needs_pg
async def test_a_leader_frozen_mid_round_sends_nothing_more_once_taken_over(pg_url):
    import io
    from zoneinfo import ZoneInfo

    from bot.config import ChannelConfig
    from bot.delivery.notifiers.console import ConsoleNotifier
    from bot.delivery.sender import Sender

    clock = FakeClock(START)
    first, second = Store(pg_url), Store(pg_url)
    try:
        queue(first, 3)
        leader = LeadKeeper(first, instance("a"), clock, BEAT)
        standby = LeadKeeper(second, instance("b"), clock, BEAT)
        leader.step()
        assert standby.step() is None and not standby.may_act()

        def freeze_after_the_first_send(channel: str, outcome: str, count: int) -> None:
            if outcome == "sent" and standby.epoch is None:
                clock.current += BEAT * 2  # "a" stalls past its lease; "b" takes over
                assert standby.step() == "took the lead at epoch 2"

        channel = ChannelConfig(name="c", kind="console")
        printed = {name: io.StringIO() for name in ("a", "b")}

        def sender(store: Store, keeper: LeadKeeper, name: str, **hooks) -> Sender:
            notifier = ConsoleNotifier(ZoneInfo("Europe/London"), printed[name])
            outbox = Outbox(store, instance=instance(name))
            return Sender(
                [channel], {"c": notifier}, outbox, clock, may_send=keeper.may_act, **hooks
            )

        result = await sender(first, leader, "a", on_outcome=freeze_after_the_first_send).deliver()
        assert result.sent == 1
        assert (await sender(second, standby, "b").deliver()).sent == 2
        ids = [re.findall(r"Id:\s+cf (\S+)", p.getvalue()) for p in printed.values()]
        assert len(ids[0]) == 1 and len(ids[1]) == 2
        assert len(set(ids[0] + ids[1])) == 3
    finally:
        first.close()
        second.close()


def pg_config(tmp_path, url, extra=""):
    from tests.conftest import write_config

    config = write_config(tmp_path, "http://127.0.0.1:9")
    config.write_text(
        config.read_text().replace('database = "bot.db"', f'database = "{url}"\n{extra}', 1)
    )
    return config


@needs_pg
def test_a_one_pass_command_is_refused_while_another_instance_leads(tmp_path, pg_url, capsys):
    import io

    from bot.cli import main

    store = Store(pg_url)
    try:
        store.take_lead("the-daemon", datetime.now(UTC), timedelta(minutes=5))
        config = pg_config(tmp_path, pg_url)
        for command in ("poll", "import"):
            argv = [command, "--config", str(config)]
            if command == "import":
                argv[1:1] = [str(tmp_path / "nothing.json")]
                (tmp_path / "nothing.json").write_text('{"releases": []}')
            assert main(argv, stdout=io.StringIO()) == 2
            err = capsys.readouterr().err
            assert "another tenderbot leads this database (instance the-daemon, epoch 1)" in err
        assert store.leadership().holder == "the-daemon"
    finally:
        store.close()


@needs_pg
async def test_the_admin_channel_hears_once_when_the_database_is_back(tmp_path, pg_url):
    import io

    from bot.app import App

    config = pg_config(tmp_path, pg_url, extra='admin_channel = "console"')
    out = io.StringIO()
    clock = FakeClock(datetime.now(UTC))
    async with App(load_config(config), stdout=out, clock=clock) as app:
        assert app.lead.may_act()
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND application_name = 'tenderbot'",
                (pg_url.rpartition("/")[2],),
            )
        assert "unreachable" in (app.lead.step() or "")
        assert not await app.tell_outage_over()  # still down: nothing to tell yet
        assert app.lead.health() != []
        clock.current += app.lead.step_every
        app.lead.step()
        assert app.lead.health() == []
        assert await app.tell_outage_over()
        assert not await app.tell_outage_over()
    told = [line for line in out.getvalue().splitlines() if line.startswith("== ADMIN")]
    assert len(told) == 1 and "was unreachable from" in told[0]
    assert "delivery has resumed" in told[0]


def test_refused_chats_and_the_report_outcome_are_kept(database, tmp_path):
    from pathlib import Path

    from bot.report.outcome import read_outcome, record_failed, record_written

    store = Store(database)
    chats = ChatStore(store)
    try:
        assert chats.record_refusal("tg", "-5", "u1", START)
        assert not chats.record_refusal("tg", "-5", "u2", START + BEAT)
        (refusal,) = chats.refusals()
        assert (refusal.asks, refusal.last_user) == (2, "u2") and chats.refusals("slack") == []
        chats.subscribe("tg", "42", ["a", "b"], "u1", START)
        assert chats.unsubscribe("tg", "42", None) == ["a", "b"]
        record_failed(store, Path("r.html"), START, "disk full")
        record_written(store, Path("r.html"), START + BEAT)
        record_written(store, Path("r.html"), START + BEAT * 2)
        outcome = read_outcome(store)
        assert outcome.written_at == START + BEAT * 2 and outcome.failed_at is None
    finally:
        store.close()
