"""Two `tenderbot run` processes on one PostgreSQL: kill, freeze and database restart.

Notices are published over the whole test (200 in all) by the Contracts Finder imitation;
alerts go to a webhook receiver (an HTTP imitation) and to each process's console, and the
ones about lighthouses (one notice in twenty, spread over every step) also to a Slack channel
and a Telegram chat served by their imitations: chat sends are paced at about one a second,
as the services ask, so a narrower subscription keeps the test short. The
leader is SIGKILLed, then the new leader SIGSTOPped (a third process stands by) and later
SIGCONTed, then PostgreSQL is restarted. Every alert must arrive exactly once per channel,
the woken former leader must send nothing, and each take-over must come within two
heartbeats.
"""

from __future__ import annotations

import copy
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.conftest import (
    NO_PG,
    PG_DSN,
    ROOT,
    drop_pg_database,
    fresh_pg_database,
    made_releases,
    write_config,
)
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram
from tests.fakes.webhook import SECRET

HEARTBEAT = 3.0
NOTICES = 200
RESTART = (os.environ.get("TENDERBOT_TEST_PG_CTL"), os.environ.get("TENDERBOT_TEST_PG_DATA"))
pytestmark = [
    pytest.mark.skipif(not PG_DSN, reason=NO_PG),
    pytest.mark.skipif(
        not all(RESTART),
        reason="TENDERBOT_TEST_PG_CTL/TENDERBOT_TEST_PG_DATA not set (scripts/with-postgres sets "
        "them): the test restarts the server",
    ),
]
ID = re.compile(r"Id:\s+cf (\S+)")
TOOK = re.compile(r"took the lead at epoch (\d+)")
CHATTY = 20
"""Every CHATTY-th notice (from number 7 on) is about lighthouses and goes to the chats too."""
SERVICE = re.compile(r"service (\d+)")
SLACK_TOKEN = "xoxb-failover-token"
TELEGRAM_TOKEN = "654321:FAILOVER-token"
SLACK_CHANNEL = "C0FAILOVER1"
TELEGRAM_CHAT = "424242"
"""A private chat: one message a second (a group's twenty a minute would slow the test)."""


def chatty(number: int) -> bool:
    """Whether notice `number` is one the chat subscriptions pick (its title says lighthouse)."""
    return number % CHATTY == 7


def notice_of(text: str) -> str:
    """The notice id an alert's text is about, from the number in its title."""
    found = SERVICE.search(text)
    assert found, f"no notice title in {text!r}"
    return f"ocds-failover-{int(found.group(1)):04d}"


def releases(count: int) -> list[dict]:
    """`count` open notices, distinct and published just now, with a deadline months away."""
    template = next(r for r in made_releases() if r["tag"] == ["tender"])
    now = datetime.now(UTC)
    made = []
    for number in range(count):
        release = copy.deepcopy(template)
        release["ocid"] = f"ocds-failover-{number:04d}"
        release["id"] = f"ocds-failover-{number:04d}-r1"
        release["date"] = (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        topic = "Lighthouse befriending" if chatty(number) else "Befriending"
        release["tender"]["title"] = f"{topic} service {number}"
        release["tender"]["tenderPeriod"] = {
            "endDate": (now + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
        }
        made.append(release)
    return made


class Daemon:
    """One `tenderbot run` process with its output in files."""

    def __init__(self, config: Path, folder: Path, name: str) -> None:
        self.name = name
        self.out, self.err = folder / f"{name}.out", folder / f"{name}.err"
        env = {
            **os.environ,
            "TB_WEBHOOK_SECRET": SECRET,
            "TB_SLACK_TOKEN": SLACK_TOKEN,
            "TB_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        }
        with self.out.open("wb") as stdout, self.err.open("wb") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--config", str(config)],
                cwd=ROOT,
                stdout=stdout,
                stderr=stderr,
                env=env,
            )

    def log(self) -> str:
        return self.err.read_text(errors="replace")

    def printed(self) -> list[str]:
        return ID.findall(self.out.read_text(errors="replace"))

    def epoch(self) -> int:
        """The newest epoch this process took the lead at (0: never)."""
        return max((int(e) for e in TOOK.findall(self.log())), default=0)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_for(predicate, timeout: float, what: str) -> float:
    """Wait until `predicate()`; how many seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def restart_postgres() -> None:
    pg_ctl, data = RESTART
    log = str(Path(data).parent / "server.log")
    command = [pg_ctl, "-D", data, "-l", log, "-m", "fast", "-w", "restart"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, timeout=60)


@pytest.fixture
def slack():
    with FakeSlack(token=SLACK_TOKEN) as fake:
        yield fake


@pytest.fixture
def telegram():
    with FakeTelegram(token=TELEGRAM_TOKEN) as fake:
        yield fake


@pytest.fixture
def pg_url():
    url = fresh_pg_database()
    yield url
    drop_pg_database(url)


def test_kill_freeze_and_restart_deliver_every_alert_once_and_take_over_in_two_heartbeats(
    tmp_path, fake_cf, receiver, slack, telegram, pg_url
):
    published = releases(NOTICES)
    fake_cf.pages = [published[:40]]
    channels = f"""
[[channels]]
name = "hook"
kind = "webhook"
url = "{receiver.url}"
secret_env = "TB_WEBHOOK_SECRET"
timeout = "2s"

[[subscriptions]]
channel = "hook"
rules = []
remind_days = 0

[[channels]]
name = "slack"
kind = "slack"
token_env = "TB_SLACK_TOKEN"
channel = "{SLACK_CHANNEL}"
api_url = "{slack.api_url}"

[[subscriptions]]
channel = "slack"
rules = []
remind_days = 0
keywords = ["lighthouse"]

[[channels]]
name = "telegram"
kind = "telegram"
token_env = "TB_TELEGRAM_TOKEN"
chat_id = "{TELEGRAM_CHAT}"
api_url = "{telegram.api_url}"

[[subscriptions]]
channel = "telegram"
rules = []
remind_days = 0
keywords = ["lighthouse"]
"""
    config = write_config(
        tmp_path, fake_cf.url, source={"every": '"1s"', "since": '"1d"'}, extra=channels
    )
    text = config.read_text().replace(
        'database = "bot.db"',
        f'database = "{pg_url}"\nheartbeat = "{HEARTBEAT:g}s"\nmax_instant = 1000',
    )
    config.write_text(text)
    budget = 2 * HEARTBEAT
    daemons: list[Daemon] = []

    def hooked() -> list[str]:
        return [str(r["data"]["notice"]["id"]) for r in list(receiver.received)]

    def printed() -> list[str]:
        return [i for d in daemons for i in d.printed()]

    def slacked() -> list[str]:
        return [notice_of(m["blocks"][0]["text"]["text"]) for m in list(slack.messages)]

    def telegrammed() -> list[str]:
        return [notice_of(m["text"]) for m in telegram.sent_to(TELEGRAM_CHAT)]

    def unsent() -> int:
        """Alerts queued or claimed but not recorded as sent."""
        with psycopg.connect(pg_url, autocommit=True) as db:
            row = db.execute("SELECT count(*) FROM outbox WHERE status <> 'sent'").fetchone()
        return int(row[0]) if row else 0

    def all_delivered(count: int) -> bool:
        """The first `count` notices' alerts have all reached every channel they go to."""
        chats = {published[n]["ocid"] for n in range(count) if chatty(n)}
        return (
            len(set(hooked())) >= count
            and len(set(printed())) >= count
            and set(slacked()) >= chats
            and set(telegrammed()) >= chats
        )

    try:
        first = Daemon(config, tmp_path, "first")
        daemons.append(first)
        wait_for(lambda: first.epoch() > 0, 30, "the first daemon to lead")
        second = Daemon(config, tmp_path, "second")
        daemons.append(second)
        wait_for(lambda: "tenderbot running" in second.log(), 30, "the standby to start")
        wait_for(lambda: all_delivered(40), 60, "the first 40 alerts")
        # A send that reached a chat but is not yet recorded would be sent again after a
        # kill (the README's limit: a kill -9 may repeat the one alert in flight), so the
        # leader is killed once it has recorded what it sent, before the next notices come.
        wait_for(lambda: unsent() == 0, 30, "the first alerts recorded as sent")

        # 1. The leader dies.
        before = first.epoch()
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait()
        fake_cf.pages = [published[:80]]
        took = wait_for(lambda: second.epoch() > before, budget + 5, "the standby to take over")
        assert took <= budget, f"take-over after a kill took {took:.1f}s"
        wait_for(lambda: all_delivered(80), 60, "80 alerts after the kill")

        # 2. The new leader freezes; a third daemon stands by and takes over.
        third = Daemon(config, tmp_path, "third")
        daemons.append(third)
        wait_for(lambda: "tenderbot running" in third.log(), 30, "the third daemon to start")
        time.sleep(HEARTBEAT)  # it has joined and stands by
        wait_for(lambda: unsent() == 0, 30, "the alerts so far recorded as sent")
        before = second.epoch()
        second.proc.send_signal(signal.SIGSTOP)
        fake_cf.pages = [published[:130]]
        frozen_printed = len(second.printed())
        took = wait_for(
            lambda: third.epoch() > before, budget + 5, "take-over from a frozen leader"
        )
        assert took <= budget, f"take-over from a frozen leader took {took:.1f}s"
        wait_for(lambda: all_delivered(130), 60, "130 alerts after the freeze")

        # 3. The frozen one wakes up: it must send nothing, and it stands by.
        second.proc.send_signal(signal.SIGCONT)
        wait_for(
            lambda: "lost the lead" in second.log(),
            budget + 5,
            "the woken former leader to see it lost the lead",
        )
        fake_cf.pages = [published[:160]]
        wait_for(lambda: all_delivered(160), 60, "160 alerts after the wake-up")
        assert len(second.printed()) == frozen_printed, "the woken former leader sent alerts"

        # 4. PostgreSQL restarts under the running daemons.
        restart_postgres()
        fake_cf.pages = [published]
        wait_for(lambda: all_delivered(NOTICES), 90, "every alert after the restart")
        time.sleep(HEARTBEAT * 2)  # anything repeated would arrive meanwhile
    finally:
        for daemon in daemons:
            daemon.stop()

    wanted = {r["ocid"] for r in published}
    assert sorted(hooked()) == sorted(wanted), "webhook: an alert lost or sent twice"
    assert sorted(printed()) == sorted(wanted), "console: an alert lost or sent twice"
    to_chats = sorted(f"ocds-failover-{n:04d}" for n in range(NOTICES) if chatty(n))
    assert len(to_chats) == NOTICES // CHATTY
    assert sorted(slacked()) == to_chats, "slack: an alert lost or sent twice"
    assert sorted(telegrammed()) == to_chats, "telegram: an alert lost or sent twice"
    assert len(telegram.messages) == len(to_chats), "telegram: a message to another chat"
    assert {m["channel"] for m in slack.messages} == {SLACK_CHANNEL}
    logs = "".join(d.log() for d in daemons)
    assert "Traceback" not in logs
    assert SLACK_TOKEN not in logs and TELEGRAM_TOKEN not in logs
    assert "s3cr3t" not in logs and os.environ.get("PGPASSWORD", "\0") not in logs
