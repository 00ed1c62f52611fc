"""`tenderbot run` as a real process: SIGTERM mid-poll, restart, nothing lost or repeated."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, made_releases, write_config

ALL = made_releases()


def open_ids():
    latest = {}
    for r in sorted(ALL, key=lambda r: r["date"]):
        latest[r["ocid"]] = r
    return {
        o for o, r in latest.items() if r["tag"][0] in ("planning", "tender", "tenderAmendment")
    }


def start(config: Path, tmp: Path, run: int) -> tuple[subprocess.Popen[bytes], Path, Path]:
    out, err = tmp / f"out{run}.txt", tmp / f"err{run}.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config)],
            cwd=ROOT,
            stdout=stdout,
            stderr=stderr,
        )
    return proc, out, err


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=20)


def pending(database: Path) -> int:
    """Alerts still waiting in the outbox (read-only, beside the running daemon)."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        return int(db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0])
    finally:
        db.close()


def ids_in(path: Path) -> list[str]:
    return re.findall(r"Id:\s+cf (\S+)", path.read_text())


def test_sigterm_mid_poll_then_restart_loses_nothing_and_repeats_nothing(tmp_path, fake_cf):
    fake_cf.pages = [ALL[:50], ALL[50:]]
    fake_cf.delays[1] = 8.0  # the second page hangs: the daemon is stopped while it waits
    config = write_config(tmp_path, fake_cf.url)

    proc, out1, err1 = start(config, tmp_path, 1)
    # The second page has been asked for: the daemon is waiting on it now.
    wait_for(lambda: 1 in fake_cf.page_requests())
    assert stop(proc) == 0
    assert "Traceback" not in err1.read_text()

    fake_cf.delays.clear()
    proc, out2, err2 = start(config, tmp_path, 2)
    # The interrupted pass resumes at the page it was reading when it was stopped.
    wait_for(lambda: "resuming an unfinished backlog" in err2.read_text())
    wait_for(lambda: "cf: 1 page(s)" in err2.read_text())
    wait_for(lambda: len(ids_in(out1)) + len(ids_in(out2)) >= len(open_ids()))
    # Nothing more is due: every alert queued is recorded as sent (or superseded).
    wait_for(lambda: pending(tmp_path / "bot.db") == 0)
    assert stop(proc) == 0

    proc, out3, err3 = start(config, tmp_path, 3)
    wait_for(lambda: "cf: 2 page(s)" in err3.read_text())
    # Anything that pass queued (in the page's own transaction) has been delivered.
    wait_for(lambda: pending(tmp_path / "bot.db") == 0)
    assert stop(proc) == 0

    printed = ids_in(out1) + ids_in(out2) + ids_in(out3)
    assert len(printed) == len(set(printed)), "an alert was printed twice"
    assert set(printed) == open_ids(), "an alert was lost"
    assert ids_in(out3) == []
    assert "Traceback" not in err2.read_text() + err3.read_text()


def test_a_second_daemon_or_poll_on_the_same_database_exits_naming_the_first(tmp_path, fake_cf):
    fake_cf.pages = [ALL[:20]]
    config = write_config(tmp_path, fake_cf.url)
    proc, out1, err1 = start(config, tmp_path, 1)
    try:
        wait_for(lambda: "cf: 1 page(s)" in err1.read_text())
        for command in ("run", "poll"):
            second = subprocess.run(
                [sys.executable, "-m", "bot", command, "--config", str(config)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert second.returncode == 2
            assert f"already in use by tenderbot run (pid {proc.pid}" in second.stderr
    finally:
        assert stop(proc) == 0
    # SIGKILL leaves no stale lock behind.
    proc, _, err2 = start(config, tmp_path, 2)
    wait_for(lambda: "tenderbot running" in err2.read_text())
    proc.kill()
    proc.wait(timeout=20)
    again = subprocess.run(
        [sys.executable, "-m", "bot", "poll", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    printed = ids_in(out1)
    assert len(printed) == len(set(printed))
