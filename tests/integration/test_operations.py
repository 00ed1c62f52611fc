"""Running tenderbot for years: health and metrics, the admin channel, backup and retention."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.app import App
from bot.cli import main
from bot.config import load_config
from bot.daemon import run_daemon
from bot.health import WRITE_CHECK_EVERY
from bot.store import Store
from tests.conftest import FakeClock, made_releases, write_config

ALL = made_releases()


def with_bot(path, extra):
    path.write_text(
        path.read_text().replace(
            'timezone = "Europe/London"', f'timezone = "Europe/London"\n{extra}'
        )
    )
    return path


async def test_healthz_and_metrics_answer_from_a_running_daemon(tmp_path, fake_cf):
    fake_cf.pages = [ALL[:30]]
    path = with_bot(
        write_config(tmp_path, fake_cf.url, source={"every": '"1h"'}), 'http = "127.0.0.1:0"'
    )
    stop = asyncio.Event()
    clock = FakeClock(datetime.now(UTC))
    async with App(load_config(path), clock=clock, exclusive="run") as app:
        daemon = asyncio.create_task(run_daemon(app, stop=stop))
        for _ in range(200):
            await asyncio.sleep(0.05)
            if app.http_port and app.store.count_notices("cf"):
                break
        base = f"http://127.0.0.1:{app.http_port}"
        async with httpx.AsyncClient() as client:
            for _ in range(100):
                metrics = (await client.get(f"{base}/metrics")).text
                if 'tenderbot_alerts_total{channel="console",outcome="sent"}' in metrics:
                    break
                await asyncio.sleep(0.05)
            health = await client.get(f"{base}/healthz")
            assert health.status_code == 200 and health.text == "ok\n"
            assert 'tenderbot_notices_stored{source="cf"}' in metrics
            assert 'tenderbot_poll_duration_seconds_count{source="cf"} 1.0' in metrics
            assert 'tenderbot_alerts_total{channel="console",outcome="queued"}' in metrics
            assert "tenderbot_source_last_success_timestamp_seconds" in metrics
            assert (await client.get(f"{base}/nothing")).status_code == 404
            assert (await client.get(f"{base}/report")).status_code == 404  # no [report]
            app.store.db.execute("PRAGMA query_only = ON")  # the disk turned read-only
            cached = await client.get(f"{base}/healthz")  # within seconds: the last answer
            clock.advance(seconds=WRITE_CHECK_EVERY.total_seconds())
            sick = await client.get(f"{base}/healthz")
            app.store.db.execute("PRAGMA query_only = OFF")
        stop.set()
        await daemon
    assert cached.status_code == 200
    assert sick.status_code == 503 and "database cannot be written" in sick.text


async def test_the_daemon_writes_the_report_on_schedule_and_serves_it(tmp_path, fake_cf):
    fake_cf.pages = [ALL[:30]]
    path = with_bot(
        write_config(tmp_path, fake_cf.url, source={"every": '"1h"'}), 'http = "127.0.0.1:0"'
    )
    path.write_text(path.read_text() + '\n[report]\nevery = "1d"\nout = "out/report.html"\n')
    stop = asyncio.Event()
    async with App(load_config(path), exclusive="run") as app:
        daemon = asyncio.create_task(run_daemon(app, stop=stop))
        report = tmp_path / "out" / "report.html"
        for _ in range(400):
            await asyncio.sleep(0.05)
            if app.http_port and report.exists():
                break
        async with httpx.AsyncClient() as client:
            served = await client.get(f"http://127.0.0.1:{app.http_port}/report")
        stop.set()
        await daemon
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/html")
    assert "<svg" in served.text and "Cold spots" in served.text
    assert served.content == report.read_bytes()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('every = "1m"', "report.every: must be at least 5 minutes"),
        ('format = "pdf"', "report.format: must be one of html, csv, json"),
        ('colour = "red"', "report.colour"),
    ],
)
def test_a_bad_report_table_is_a_config_error(tmp_path, fake_cf, capsys, table, message):
    path = write_config(tmp_path, fake_cf.url)
    path.write_text(path.read_text() + f"\n[report]\n{table}\n")
    assert main(["status", "--config", str(path)], stdout=io.StringIO()) == 2
    assert message in capsys.readouterr().err


def test_a_bad_listen_address_is_a_config_error(tmp_path, fake_cf, capsys):
    path = with_bot(write_config(tmp_path, fake_cf.url), 'http = "8787"')
    assert main(["status", "--config", str(path)], stdout=io.StringIO()) == 2
    assert 'bot.http: expected "HOST:PORT"' in capsys.readouterr().err


async def test_the_admin_hears_once_of_a_failing_source_and_once_of_its_recovery(
    tmp_path, fake_cf, clock
):
    fake_cf.pages = [ALL[:5]]
    path = with_bot(
        write_config(tmp_path, fake_cf.url, source={"retries": "0"}),
        'admin_channel = "console"\nadmin_after = 3',
    )
    out = io.StringIO()
    async with App(load_config(path), clock=clock, stdout=out) as app:
        for _ in range(5):
            fake_cf.fail(0, "500")
            await app.poll("cf")
            await app.admin_round()
            clock.advance(minutes=10)
        await app.poll("cf")  # recovered
        await app.admin_round()
        await app.admin_round()
    admin = [line for line in out.getvalue().splitlines() if line.startswith("== ADMIN")]
    assert len(admin) == 2, admin
    assert admin[0].startswith("== ADMIN: ⚠ source cf has failed 3 polls in a row")
    assert admin[1].startswith("== ADMIN: ✓ recovered: source cf has failed")


async def test_a_paused_channel_and_a_refused_rule_file_reach_the_admin_once(
    tmp_path, fake_cf, clock
):
    rules = tmp_path / "mine.toml"
    rules.write_text('name = "mine"\ntitle = "Mine"\n[require]\nstage = ["tender"]\n')
    subs = '[[subscriptions]]\nchannel = "console"\nrules = ["mine.toml"]\nremind_days = 0\n'
    path = with_bot(
        write_config(tmp_path, fake_cf.url, subscriptions=subs), 'admin_channel = "console"'
    )
    fake_cf.pages = [[]]
    out = io.StringIO()
    async with App(load_config(path), clock=clock, stdout=out) as app:
        app.outbox.pause("console-2", "bot was removed", clock.now())
        rules.write_text("name = broken\n")
        await app.poll("cf")
        await app.admin_round()
        await app.poll("cf")
        await app.admin_round()
    admin = [line for line in out.getvalue().splitlines() if line.startswith("== ADMIN")]
    assert len(admin) == 2
    assert any("channel console-2 is paused: bot was removed" in line for line in admin)
    assert any("rule file mine.toml was refused" in line for line in admin)


def test_backup_is_an_online_copy_that_passes_its_integrity_check(tmp_path, fake_cf, clock):
    fake_cf.pages = [ALL[:20]]
    path = write_config(tmp_path, fake_cf.url)
    assert main(["poll", "--config", str(path)], clock=clock, stdout=io.StringIO()) == 0
    copy = tmp_path / "copy.db"
    held = Store(tmp_path / "bot.db")  # another connection holds the database meanwhile
    out = io.StringIO()
    assert main(["backup", str(copy), "--config", str(path)], stdout=out) == 0
    held.close()
    assert out.getvalue().startswith(f"backup written to {copy}")
    db = sqlite3.connect(copy)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*) FROM notices").fetchone()[0] == len(
        {r["ocid"] for r in ALL[:20]}
    )
    db.close()
    assert main(["backup", str(copy), "--config", str(path)], stdout=io.StringIO()) == 2


def test_retention_prunes_closed_history_and_keeps_what_is_open(tmp_path, fake_cf, clock):
    fake_cf.pages = [ALL]
    path = write_config(tmp_path, fake_cf.url)
    assert main(["poll", "--config", str(path)], clock=clock, stdout=io.StringIO()) == 0
    store = Store(tmp_path / "bot.db")
    before = store.count_notices()
    cutoff = clock.now() + timedelta(days=1)
    open_before = store.db.execute(
        "SELECT COUNT(*) FROM notices WHERE stage IN ('tender', 'planning', 'tenderAmendment') "
        "AND (deadline IS NULL OR deadline >= ?)",
        (cutoff.isoformat(),),
    ).fetchone()[0]
    removed = store.prune(cutoff)
    after = store.count_notices()
    sent_left = store.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").fetchone()[0]
    store.close()
    assert removed["notices"] == before - after > 0
    assert after == open_before  # every open notice kept, every closed one gone
    assert sent_left == 0 and removed["alerts"] > 0


def test_keep_is_checked(tmp_path, fake_cf, capsys):
    path = with_bot(write_config(tmp_path, fake_cf.url), 'keep = "1d"')
    assert main(["status", "--config", str(path)], stdout=io.StringIO()) == 2
    assert "bot.keep: must be at least 30 days" in capsys.readouterr().err


def test_status_says_when_each_source_polls_next(tmp_path, fake_cf, clock):
    fake_cf.pages = [ALL[:3]]
    path = write_config(tmp_path, fake_cf.url)
    main(["poll", "--config", str(path)], clock=clock, stdout=io.StringIO())
    out = io.StringIO()
    assert main(["status", "--format", "json", "--config", str(path)], clock=clock, stdout=out) == 0
    source = json.loads(out.getvalue())["sources"][0]
    assert source["next_poll"] == (clock.now() + timedelta(minutes=10)).isoformat()


@pytest.fixture
def clock():
    from datetime import UTC, datetime

    from tests.conftest import FakeClock

    return FakeClock(datetime(2025, 1, 24, 9, 0, tzinfo=UTC))
