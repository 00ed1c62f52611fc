"""Two real `tenderbot run` processes on one database: claims belong to live instances.

The first daemon delivers to a slow Slack; a second daemon reaches the same database through a
symlinked path and is restarted again and again. A plain second start is refused (the lock is
taken on the real path, and by the database itself); with both locks bypassed, as an admin
could by accident (an NFS path, a copy of the unit file with another path), the second one's
starts never free the first one's claims, so no alert is sent twice.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.app import App
from bot.config import load_config
from bot.daemon import run_daemon
from tests.conftest import ROOT, made_releases, write_config
from tests.integration.conftest import chat_channels

pytestmark = pytest.mark.usefixtures("chat_tokens")

ALL = made_releases()
TENDERS = [r for r in ALL if r["tag"] == ["tender"]][:10]

# The second daemon with both locks bypassed: no lock file, no exclusive lease. It still
# joins the database as an instance and claims alerts as any tenderbot does.
UNLOCKED = """
import sys
from bot.instance import InstanceLock
from bot.store.instances import InstanceStore
InstanceLock.acquire = lambda self: None
InstanceStore.exclusive_holder = lambda self, instance_id, now: None
from bot.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def configs(tmp_path: Path, fake_cf, slack, telegram) -> tuple[Path, Path]:
    """The first daemon's config, and the second's, whose database is a symlink to the first's."""
    subs = "".join(
        f'[[subscriptions]]\nchannel = "{c}"\nrules = []\nremind_days = 0\n\n'
        for c in ("slack", "telegram")
    )
    first = write_config(
        tmp_path, fake_cf.url, subscriptions=subs, extra=chat_channels(slack, telegram)
    )
    other = tmp_path / "other"
    other.mkdir()
    (other / "bot.db").symlink_to(tmp_path / "bot.db")
    second = other / "tenderbot.toml"
    second.write_text(first.read_text())
    return first, second


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err
        )


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=60)


def outbox(database: Path, where: str) -> int:
    """How many outbox rows match `where` (-1 while the database or table does not exist)."""
    try:
        db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    except sqlite3.OperationalError:
        return -1
    try:
        return int(db.execute(f"SELECT COUNT(*) FROM outbox WHERE {where}").fetchone()[0])
    except sqlite3.OperationalError:
        return -1
    finally:
        db.close()


def test_a_second_daemon_on_a_symlinked_path_is_refused(tmp_path, fake_cf, slack, telegram):
    fake_cf.pages = [TENDERS[:2]]
    first, second = configs(tmp_path, fake_cf, slack, telegram)
    proc = start(["-m", "bot", "run", "--config", str(first)], tmp_path / "first.log")
    try:
        wait_for(lambda: "tenderbot running" in (tmp_path / "first.log").read_text())
        refused = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--config", str(second)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        # The lock file is bypassed: only the database's own lease can refuse it.
        lease_only = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from bot.instance import InstanceLock; "
                "InstanceLock.acquire = lambda self: None; from bot.cli import main; "
                "raise SystemExit(main(sys.argv[1:]))",
                "poll",
                "--config",
                str(second),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        assert stop(proc) == 0
    real = (tmp_path / "bot.db").resolve()
    assert refused.returncode == 2
    assert f"{real}: already in use by tenderbot run (pid {proc.pid}" in refused.stderr
    assert lease_only.returncode == 2
    assert f"already in use by tenderbot run (pid {proc.pid} on " in lease_only.stderr


def test_restarting_a_second_daemon_while_the_first_delivers_sends_nothing_twice(
    tmp_path, fake_cf, slack, telegram
):
    fake_cf.pages = [TENDERS]
    slack.delay = 0.4  # a slow chat service: the first daemon's round lasts seconds
    first, second = configs(tmp_path, fake_cf, slack, telegram)
    database = tmp_path / "bot.db"
    expected = 2 * len(TENDERS)
    a = start(["-m", "bot", "run", "--config", str(first)], tmp_path / "a.log")
    restarts_during_claims = 0
    try:
        # The first daemon has claimed its round and is sending it.
        wait_for(lambda: outbox(database, "claimed_by IS NOT NULL AND status = 'pending'") > 0)
        for run in range(4):
            log = tmp_path / f"b{run}.log"
            b = start(["-c", UNLOCKED, "run", "--config", str(second)], log)
            wait_for(lambda log=log: "tenderbot running" in log.read_text())
            claimed = outbox(database, "claimed_by IS NOT NULL AND status = 'pending'")
            restarts_during_claims += claimed > 0
            assert stop(b) == 0
            assert "Traceback" not in log.read_text()
        wait_for(lambda: outbox(database, "status = 'sent'") == expected, timeout=120)
    finally:
        assert stop(a) == 0
    assert restarts_during_claims >= 2, "the second daemon never started mid-round"
    sent = [m["blocks"][0]["text"]["text"] for m in slack.messages]
    sent += [m["text"].splitlines()[0] for m in telegram.messages]
    repeated = {text: n for text, n in Counter(sent).items() if n > 1}
    assert repeated == {}
    assert len(slack.messages) == len(telegram.messages) == len(TENDERS)
    assert outbox(database, "status != 'sent'") == 0
    assert "Traceback" not in (tmp_path / "a.log").read_text()


async def test_a_daemon_stopped_mid_send_records_that_send_and_it_is_never_repeated(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [TENDERS[:4]]
    slack.delay = 0.5  # each post takes half a second: the stop comes while one is under way
    first, _ = configs(tmp_path, fake_cf, slack, telegram)
    config = load_config(first)

    def posts() -> int:
        return sum(r["path"].endswith("/chat.postMessage") for r in slack.requests)

    stop = asyncio.Event()
    async with App(config, clock=clock, exclusive="run") as app:
        daemon = asyncio.create_task(run_daemon(app, stop=stop))
        while posts() == 0:  # until the first post has reached Slack and waits for its answer
            await asyncio.sleep(0.01)
        stop.set()
        await daemon
        recorded = app.outbox.count_sent("slack")
    while posts() != len(slack.messages):  # every post Slack received has been answered
        await asyncio.sleep(0.01)
    assert recorded == len(slack.messages) >= 1  # what reached Slack was recorded as sent
    async with App(config, clock=clock, exclusive="run") as again:
        await again.deliver()
        assert again.outbox.count_sent("slack") == len(TENDERS[:4])
    sent = [m["blocks"][0]["text"]["text"] for m in slack.messages]
    assert len(sent) == len(set(sent)) == len(TENDERS[:4])
