"""Delivery at scale: 500 chats × 5 alerts through the real clients to the local imitations.

Builds (in a temporary folder) a store with five open notices and one pending alert for each
notice on every chat: by default 250 Telegram groups and 250 Slack channels, 2,500 alerts.
Then one delivery pass (as `tenderbot poll` delivers) sends them all, through
python-telegram-bot and slack-sdk, to the imitations in `tests/fakes/` on 127.0.0.1, and the
figures are printed:

- time to deliver all of them, paced at the services' documented limits made `--speed`
  times faster (so the run takes seconds, not minutes; every interval is divided by it);
- what those limits allow: for each service the longest of (its messages ÷ the account's
  cap a second) and (one chat's messages spaced by the per-chat gap, or its per-minute cap),
  the services counted at once since they run side by side; and the ratio of the time taken
  to that (1.0 = the limits were the only thing that took time);
- the floor measured in the same run: a tenth of the chats (25 + 25) on a fresh database
  with pacing off, i.e. what the machinery itself (claims, rendering, HTTP, records) does a
  second on this machine; the paced run cannot beat the limits or this rate, whichever is
  slower. (Unpaced, all 500 chats would open 500 connections at once, which measures the
  imitations' thread-per-connection server rather than tenderbot.)
- the same alerts on a fresh store delivered by the daemon's channel workers (a worker per
  channel, as `tenderbot run` delivers), and their ratio to the limits.

With a PostgreSQL server (`--postgres URL`, or $TENDERBOT_TEST_PG_DSN as
`scripts/with-postgres` sets it; the password from PGPASSWORD), the floor and the paced run
are repeated on a fresh PostgreSQL database and printed beside SQLite's.

    python bench/delivery.py [--telegram 250] [--slack 250] [--alerts 5] [--speed 4]
        [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.throwaway_pg import drop_pg_database, fresh_pg_database  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.delivery.notifiers.slack import ACCOUNT_PER_SECOND, SECONDS_PER_MESSAGE  # noqa: E402
from bot.delivery.notifiers.telegram import BOT_PER_SECOND, GROUP_PER_MINUTE  # noqa: E402
from bot.delivery.pacing import Pacer  # noqa: E402
from bot.store import Store, to_text  # noqa: E402
from sources.notice import Notice  # noqa: E402
from sources.notice_codec import notice_to_dict  # noqa: E402
from tests.fakes.slack import FakeSlack  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)
UNPACED = 1e6
"""A speed at which pacing never waits: the floor."""


def write_config(
    folder: Path,
    telegram: FakeTelegram,
    slack: FakeSlack,
    args: argparse.Namespace,
    database: str = "delivery.db",
) -> Path:
    lines = [
        f'[bot]\ndatabase = "{database}"\nmax_instant = 50\n',
        '[[sources]]\nname = "fat"\nkind = "find_a_tender"\nenabled = false\n',
    ]
    for c in range(args.telegram):
        lines.append(
            f'[[channels]]\nname = "tg{c}"\nkind = "telegram"\ntoken_env = "BENCH_TG"\n'
            f'chat_id = "-100{c:010d}"\napi_url = "{telegram.api_url}"\n'
        )
    for c in range(args.slack):
        lines.append(
            f'[[channels]]\nname = "sl{c}"\nkind = "slack"\ntoken_env = "BENCH_SLACK"\n'
            f'channel = "C{c:010d}"\napi_url = "{slack.api_url}"\n'
        )
    path = folder / "tenderbot.toml"
    path.write_text("\n".join(lines))
    return path


def fill_store(location: Path | str, channels: list[str], alerts: int) -> None:
    """Five open notices, and one pending alert about each for every channel."""
    store = Store(location)
    db = store.db
    db.execute("BEGIN")
    stamp = to_text(NOW - timedelta(hours=1))
    for i in range(alerts):
        notice = Notice(
            source="fat",
            id=f"ocds-bench-{i}",
            release_id=f"r{i}",
            stage="tender",
            title=f"Befriending & Wellbeing Service <Lot {i}>",
            description="A service for older people in the community. " * 6,
            buyer="Northbridge Borough Council",
            regions=("UKC22",),
            release_date=NOW - timedelta(hours=1),
            deadline=NOW + timedelta(days=30),
            url=f"https://www.find-tender.service.gov.uk/Notice/{i}",
        )
        data = json.dumps(notice_to_dict(notice))
        db.execute(
            "INSERT INTO notice_versions (source, id, release_id, release_date, stage, "
            "stored_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("fat", notice.id, notice.release_id, stamp, notice.stage, stamp, data),
        )
        db.execute(
            "INSERT INTO notices (source, id, release_id, release_date, stage, first_seen, "
            "updated_at, versions, deadline) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
            ("fat", notice.id, notice.release_id, stamp, notice.stage, stamp, stamp, stamp),
        )
        db.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
            (i + 1, "new", "fat", notice.id, notice.release_id, None, stamp),
        )
    db.executemany(
        "INSERT INTO outbox (subscription, channel, event_id, source, notice_id, kind, "
        "release_id, due_at, created_at, reasons) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                f"sub-{name}",
                name,
                i + 1,
                "fat",
                f"ocds-bench-{i}",
                "new",
                f"r{i}",
                stamp,
                stamp,
                '["matches: befriending"]',
            )
            for name in channels
            for i in range(alerts)
        ],
    )
    db.execute("COMMIT")
    store.close()


def allowed_seconds(
    chats: int, alerts: int, *, gap: float, per_second: float, per_minute: int | None, speed: float
) -> float:
    """The least time one service's limits allow for `alerts` messages to each of `chats`."""
    if chats == 0:
        return 0.0
    one_chat = (alerts - 1) * gap
    if per_minute is not None and alerts > per_minute:
        one_chat = max(one_chat, ((alerts - 1) // per_minute) * 60.0)
    return max(chats * alerts / per_second, one_chat) / speed


async def deliver_all(config_path: Path, speed: float, *, workers: bool) -> tuple[float, int]:
    """Deliver everything queued: in one pass (`poll`), or by the daemon's channel workers."""
    config = load_config(config_path)
    async with App(config) as app:
        app.sender.pacer = Pacer(app.clock, speed=speed)
        started = time.perf_counter()
        if not workers:
            result = await app.deliver()
            return time.perf_counter() - started, result.sent
        total = app.outbox.depth().total
        app.workers.start(on_db_error=lambda exc: False)
        while app.outbox.count_sent() < total and not app.workers.stopped():
            await asyncio.sleep(0.02)
        seconds = time.perf_counter() - started
        await app.workers.stop()
        return seconds, app.outbox.count_sent()


def run_once(
    args: argparse.Namespace, speed: float, server: str | None = None, *, workers: bool = False
) -> tuple[float, int, int, int]:
    """One delivery on a fresh store (SQLite, or a new database on `server`)."""
    database = fresh_pg_database(server) if server else None
    try:
        with FakeTelegram() as telegram, FakeSlack() as slack:
            os.environ["BENCH_TG"] = telegram.token
            os.environ["BENCH_SLACK"] = slack.token
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                path = write_config(folder, telegram, slack, args, database or "delivery.db")
                names = [f"tg{c}" for c in range(args.telegram)]
                names += [f"sl{c}" for c in range(args.slack)]
                fill_store(database or folder / "delivery.db", names, args.alerts)
                seconds, sent = asyncio.run(deliver_all(path, speed, workers=workers))
            return seconds, sent, len(telegram.messages), len(slack.messages)
    finally:
        if server and database:
            drop_pg_database(server, database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--telegram", type=int, default=250, help="Telegram groups")
    parser.add_argument("--slack", type=int, default=250, help="Slack channels")
    parser.add_argument("--alerts", type=int, default=5, help="alerts per chat")
    parser.add_argument(
        "--speed", type=float, default=4.0, help="limits made this many times faster"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("TENDERBOT_TEST_PG_DSN") or None,
        help="a PostgreSQL server to measure too (default: $TENDERBOT_TEST_PG_DSN)",
    )
    args = parser.parse_args()
    total = (args.telegram + args.slack) * args.alerts

    sample = argparse.Namespace(
        telegram=max(1, args.telegram // 10) if args.telegram else 0,
        slack=max(1, args.slack // 10) if args.slack else 0,
        alerts=args.alerts,
    )
    floor, floor_sent, _, _ = run_once(sample, UNPACED)
    seconds, sent, to_telegram, to_slack = run_once(args, args.speed)
    telegram_allows = allowed_seconds(
        args.telegram,
        args.alerts,
        gap=1.0,
        per_second=BOT_PER_SECOND,
        per_minute=GROUP_PER_MINUTE,
        speed=args.speed,
    )
    slack_allows = allowed_seconds(
        args.slack,
        args.alerts,
        gap=SECONDS_PER_MESSAGE,
        per_second=ACCOUNT_PER_SECOND,
        per_minute=None,
        speed=args.speed,
    )
    allows = max(telegram_allows, slack_allows)
    print(
        f"chats:            {args.telegram} Telegram groups, {args.slack} Slack channels, "
        f"{args.alerts} alerts each ({total:,} alerts)"
    )
    print(
        f"limits:           Telegram {BOT_PER_SECOND:g}/s per bot, 1/s and "
        f"{GROUP_PER_MINUTE}/min per group; Slack {1 / SECONDS_PER_MESSAGE:g}/s per channel, "
        f"{ACCOUNT_PER_SECOND:g}/s per token; all × {args.speed:g} for this run"
    )
    print(
        f"delivered:        {sent:,} in {seconds:.2f} s "
        f"(Telegram received {to_telegram:,}, Slack {to_slack:,})"
    )
    print(
        f"limits allow:     {allows:.2f} s (Telegram {telegram_allows:.2f} s, "
        f"Slack {slack_allows:.2f} s, side by side)"
    )
    print(f"ratio to limits:  {seconds / allows:.2f} (target: at most 1.5)")
    print(
        f"floor:            {floor_sent / floor:,.0f} alerts/s with pacing off "
        f"({floor_sent:,} alerts to {sample.telegram + sample.slack} chats in {floor:.2f} s: "
        f"claims, rendering, HTTP and records alone); {total / seconds:,.0f} alerts/s paced"
    )
    at_real_speed = allows * args.speed
    print(
        f"at the real limits, the same {total:,} alerts would take at least "
        f"{at_real_speed:.0f} s (computed, not measured)"
    )
    if sent != total or to_telegram + to_slack != total:
        raise SystemExit(f"delivered {sent} of {total}: the bench is wrong, or delivery is")
    w_seconds, w_sent, w_tg, w_slack = run_once(args, args.speed, workers=True)
    print(
        f"daemon workers:   delivered {w_sent:,} in {w_seconds:.2f} s, a worker per channel "
        f"as `tenderbot run` delivers; ratio to limits {w_seconds / allows:.2f}"
    )
    if w_sent != total or w_tg + w_slack != total:
        raise SystemExit(f"daemon workers: delivered {w_sent} of {total}")
    if args.postgres:
        pg_floor, pg_floor_sent, _, _ = run_once(sample, UNPACED, args.postgres)
        pg_seconds, pg_sent, pg_tg, pg_slack = run_once(args, args.speed, args.postgres)
        print(
            f"PostgreSQL:       delivered {pg_sent:,} in {pg_seconds:.2f} s; ratio to limits "
            f"{pg_seconds / allows:.2f}; floor {pg_floor_sent / pg_floor:,.0f} alerts/s with "
            f"pacing off ({pg_floor_sent / pg_floor / (floor_sent / floor):.2f} × SQLite's)"
        )
        if pg_sent != total or pg_tg + pg_slack != total:
            raise SystemExit(f"PostgreSQL: delivered {pg_sent} of {total}")


if __name__ == "__main__":
    main()
