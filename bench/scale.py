"""Scale: a UK year in one store, and what the daemon's routine work costs on it.

Builds (in a temporary folder) a store of N notices (default 100,000, spread over a year,
with a version and an event each) and M outbox rows (default 1,000,000, nearly all sent, as
after a year of alerts), with 1,000 subscriptions on 50 channels, then measures:

- one delivery round (reminders, claims, sends) with nothing due, against the floor of one
  empty write transaction per channel on the same database;
- `tenderbot status` and `tenderbot rules preview small-charities --since 365d`, wall time
  and peak memory, against a bare `python -c pass`;
- `tenderbot report --since 365d` (HTML), against that preview (one pass judging every
  notice, which the report also needs);
- the daemon's resident memory with the 1,000 subscriptions on 50 Telegram channels, against
  the same process before it loads tenderbot (`python -c "import sqlite3"`).

    python bench/scale.py [NOTICES] [OUTBOX_ROWS]
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.store import Store, to_text  # noqa: E402
from sources.notice import Notice  # noqa: E402
from sources.notice_codec import notice_to_dict  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)
CHANNELS = 50
SUBSCRIPTIONS = 1000
TITLES = [
    "Befriending Service for Older People",
    "Domestic Abuse Outreach",
    "Highways Resurfacing Framework",
    "Young Carers Support",
    "IT Service Desk Replacement",
    "Community Wellbeing Programme",
]


def write_config(folder: Path) -> Path:
    lines = [
        '[bot]\ndatabase = "scale.db"\n',
        '[[sources]]\nname = "fat"\nkind = "find_a_tender"\nenabled = false\n',
    ]
    for c in range(CHANNELS):
        lines.append(
            f'[[channels]]\nname = "tg{c}"\nkind = "telegram"\ntoken_env = "SCALE_TOKEN"\n'
            f'chat_id = "-100{c:010d}"\napi_url = "http://127.0.0.1:9/bot"\n'
        )
    for s in range(SUBSCRIPTIONS):
        rules = '["small-charities"]' if s % 2 else '["small-charities", "north-east"]'
        lines.append(
            f'[[subscriptions]]\nname = "subscription-{s}"\nchannel = "tg{s % CHANNELS}"\n'
            f"rules = {rules}\n"
        )
    path = folder / "tenderbot.toml"
    path.write_text("\n".join(lines))
    return path


def build_store(path: Path, notices: int, outbox_rows: int) -> None:
    Store(path).close()  # schema
    db = sqlite3.connect(path)
    rng = random.Random(3)
    versions, heads, events = [], [], []
    for i in range(notices):
        released = NOW - timedelta(seconds=rng.randrange(365 * 86400))
        deadline = released + timedelta(days=rng.randrange(5, 60))
        notice = Notice(
            source="fat",
            id=f"ocds-scale-{i}",
            release_id=f"r{i}",
            stage="tender" if i % 3 else "award",
            title=TITLES[i % len(TITLES)],
            description="A service for the community. " * 8,
            buyer=f"Council {i % 400}",
            regions=("UKC22",),
            release_date=released,
            deadline=deadline,
        )
        data = json.dumps(notice_to_dict(notice))
        stamp = to_text(released)
        versions.append(("fat", notice.id, notice.release_id, stamp, notice.stage, stamp, data))
        heads.append(
            (
                "fat",
                notice.id,
                notice.release_id,
                stamp,
                notice.stage,
                stamp,
                stamp,
                to_text(deadline),
            )
        )
        events.append((i + 1, "new", "fat", notice.id, notice.release_id, None, stamp))
    db.executemany(
        "INSERT INTO notice_versions (source, id, release_id, release_date, stage, stored_at, "
        "data) VALUES (?, ?, ?, ?, ?, ?, ?)",
        versions,
    )
    db.executemany(
        "INSERT INTO notices (source, id, release_id, release_date, stage, first_seen, "
        "updated_at, versions, deadline) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
        heads,
    )
    db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", events)
    rows = []
    for j in range(outbox_rows):
        i = j % notices
        sub = j % SUBSCRIPTIONS
        stamp = to_text(NOW - timedelta(seconds=rng.randrange(365 * 86400)))
        rows.append(
            (
                f"subscription-{sub}",
                f"tg{sub % CHANNELS}",
                i + 1,
                "fat",
                f"ocds-scale-{i}",
                "new" if j < notices * SUBSCRIPTIONS else "updated",
                f"r{i}-{j}",
                "sent",
                stamp,
                stamp,
                stamp,
            )
        )
        if len(rows) == 100_000:
            insert_outbox(db, rows)
            rows = []
    insert_outbox(db, rows)
    db.commit()
    db.close()


def insert_outbox(db: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    db.executemany(
        "INSERT INTO outbox (subscription, channel, event_id, source, notice_id, kind, "
        "release_id, status, due_at, created_at, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?)",
        rows,
    )


async def delivery_round(config_path: Path) -> tuple[float, float]:
    config = load_config(config_path)
    async with App(config) as app:
        await app.deliver()  # warm: first round loads what it caches
        started = time.perf_counter()
        rounds = 5
        for _ in range(rounds):
            await app.deliver()
        round_time = (time.perf_counter() - started) / rounds
        started = time.perf_counter()
        for _ in range(rounds):
            for channel in config.channels:
                with app.store.transaction():
                    app.store.db.execute(
                        "SELECT 1 FROM channel_state WHERE channel = ?", (channel.name,)
                    ).fetchone()
        floor = (time.perf_counter() - started) / rounds
    return round_time, floor


MEASURE = (
    "import resource, subprocess, sys; "
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)
"""Runs a command from a small process, so the peak memory read is the command's own (a
child forked from this big process would start with all of its memory)."""


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], cwd=cwd, capture_output=True, text=True
    )
    return time.perf_counter() - started, int(done.stdout.strip() or 0)


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def daemon_memory(config_path: Path, folder: Path) -> tuple[int, int]:
    env = {**os.environ, "SCALE_TOKEN": "123:scale"}
    floor_proc = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, time; time.sleep(3)"], env=env
    )
    time.sleep(1.5)
    floor = resident_kib(floor_proc.pid)
    floor_proc.wait()
    err = folder / "daemon.err"
    with err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config_path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and "tenderbot running" not in err.read_text():
        time.sleep(0.2)
    time.sleep(3)  # a delivery round over every channel
    rss = resident_kib(proc.pid)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    return rss, floor


def main() -> None:
    notices = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    outbox_rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config_path = write_config(folder)
        started = time.perf_counter()
        build_store(folder / "scale.db", notices, outbox_rows)
        print(
            f"store:            {notices:,} notices, {outbox_rows:,} outbox rows, "
            f"{SUBSCRIPTIONS:,} subscriptions on {CHANNELS} channels "
            f"(built in {time.perf_counter() - started:.0f} s)"
        )
        os.environ["SCALE_TOKEN"] = "123:scale"
        round_time, floor = asyncio.run(delivery_round(config_path))
        print(
            f"delivery round:   {round_time * 1000:.1f} ms with nothing due "
            f"(floor, an empty transaction per channel: {floor * 1000:.1f} ms; "
            f"ratio {round_time / floor:.1f})"
        )
        bare, _ = timed([sys.executable, "-c", "pass"], folder)
        status, status_rss = timed(
            [sys.executable, "-m", "bot", "status", "--config", str(config_path)], ROOT
        )
        print(
            f"status:           {status:.2f} s, peak {status_rss / 1024:.0f} MiB "
            f"(bare python: {bare:.2f} s)"
        )
        preview, preview_rss = timed(
            [
                sys.executable,
                "-m",
                "bot",
                "rules",
                "preview",
                "small-charities",
                "--since",
                "365d",
                "--config",
                str(config_path),
                "--format",
                "csv",
            ],
            ROOT,
        )
        print(f"preview 365d:     {preview:.2f} s, peak {preview_rss / 1024:.0f} MiB")
        report, report_rss = timed(
            [
                sys.executable,
                "-m",
                "bot",
                "report",
                "--since",
                "365d",
                "--config",
                str(config_path),
                "--out",
                str(folder / "report.html"),
            ],
            ROOT,
        )
        print(
            f"report 365d:      {report:.2f} s, peak {report_rss / 1024:.0f} MiB "
            f"(ratio to preview 365d, one pass judging every notice: {report / preview:.1f})"
        )
        rss, floor_rss = daemon_memory(config_path, folder)
        print(
            f"daemon resident:  {rss / 1024:.0f} MiB with {SUBSCRIPTIONS:,} subscriptions on "
            f"{CHANNELS} channels (a bare python process: {floor_rss / 1024:.0f} MiB)"
        )


if __name__ == "__main__":
    main()
