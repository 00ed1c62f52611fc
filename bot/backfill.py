"""`tenderbot backfill --source NAME --since DATE`: load a source's history, quietly, resumably.

The history is read at the publisher's own pace (its `min_gap`, `Retry-After` obeyed), page
by page, each page stored in one transaction with how far the backfill got (in the store's
`meta` table, under ``backfill:NAME``). Stopped by Ctrl-C, a kill or a failing publisher, the
same command continues where it stopped; run again after it finished, it reads only what was
published since. Nothing it loads is alerted: the notices are stored (merged, versioned) but
never routed to subscriptions. Contracts it loads do reach the re-tender radar, whose items
go out in the next digest of the subscriptions that opted in.

Progress is printed after each page: the date reached, the share of the period done, the
releases and requests so far, and an estimate of the time left (from the pace of this run).
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.config import Config, ConfigError
from bot.moments import local_moment
from bot.store import Store
from bot.store.records import from_text, to_text
from sources.clock import Clock
from sources.errors import SourceError

log = logging.getLogger("tenderbot.backfill")

EXIT_OK = 0
EXIT_FAILED = 1
META_KEY = "backfill:{name}"


def add_backfill_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add `tenderbot backfill` to the CLI parser."""
    backfill = commands.add_parser(
        "backfill",
        parents=[common],
        help="load a source's history at its own pace, resumably, without alerting it",
    )
    backfill.add_argument("--source", metavar="NAME", required=True, help="the source to read")
    backfill.add_argument(
        "--since",
        metavar="DATE",
        required=True,
        help="from this date (2025-02-24) or this long ago (90d)",
    )


@dataclass(slots=True, kw_only=True)
class Progress:
    """How far a backfill of one source got (kept in the store between runs)."""

    since: datetime
    until: datetime
    done: datetime | None = None
    resume_url: str | None = None
    releases: int = 0
    requests: int = 0
    finished: bool = False

    def to_json(self) -> str:
        """The progress as the JSON kept in the store."""
        return json.dumps(
            {
                "since": to_text(self.since),
                "until": to_text(self.until),
                "done": to_text(self.done),
                "resume_url": self.resume_url,
                "releases": self.releases,
                "requests": self.requests,
                "finished": self.finished,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Progress:
        """Progress read back from `to_json`.

        Raises:
            ValueError, KeyError, TypeError: the text is not progress.
        """
        data = json.loads(text)
        since, until = from_text(data["since"]), from_text(data["until"])
        if since is None or until is None:
            raise ValueError("progress without its period")
        return cls(
            since=since,
            until=until,
            done=from_text(data.get("done")),
            resume_url=data.get("resume_url"),
            releases=int(data.get("releases", 0)),
            requests=int(data.get("requests", 0)),
            finished=bool(data.get("finished", False)),
        )

    def share_done(self) -> float:
        """The share of the period read so far (0 to 1)."""
        whole = (self.until - self.since).total_seconds()
        if self.finished or whole <= 0:
            return 1.0
        if self.done is None:
            return 0.0
        return min(1.0, max(0.0, (self.done - self.since).total_seconds() / whole))


def load_progress(store: Store, name: str) -> Progress | None:
    """The stored progress of a backfill of `name`, if any (unreadable progress: none)."""
    row = store.db.execute(
        "SELECT value FROM meta WHERE key = ?", (META_KEY.format(name=name),)
    ).fetchone()
    if row is None:
        return None
    try:
        return Progress.from_json(str(row[0]))
    except (ValueError, KeyError, TypeError):
        log.warning("%s: the stored backfill progress is unreadable; starting afresh", name)
        return None


def _save(store: Store, name: str, progress: Progress) -> None:
    store.db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (META_KEY.format(name=name), progress.to_json()),
    )


def plan(previous: Progress | None, since: datetime, now: datetime) -> tuple[Progress, bool]:
    """The progress to run with, and whether it continues an interrupted run.

    An unfinished run with the same start is continued; a finished one is followed by a run
    from where it ended to `now`; anything else starts afresh from `since`.
    """
    if previous is not None and previous.since == since and not previous.finished:
        return previous, True
    if previous is not None and previous.finished and previous.since <= since <= previous.until:
        return Progress(since=previous.until, until=now), False
    return Progress(since=since, until=now), False


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m" if minutes else f"{seconds}s"


def progress_line(
    name: str, progress: Progress, started: float, elapsed: float, zone: ZoneInfo
) -> str:
    """One line of progress: date reached, share done, counts and time left (in `zone`)."""
    share = progress.share_done()
    reached = (progress.done or progress.since).astimezone(zone)
    since, until = progress.since.astimezone(zone), progress.until.astimezone(zone)
    line = (
        f"backfill {name}: {reached:%Y-%m-%d %H:%M} reached ({share:.1%} of "
        f"{since:%Y-%m-%d} to {until:%Y-%m-%d}), "
        f"{progress.releases} release(s) read, {progress.requests} request(s)"
    )
    gained = share - started
    if gained > 0 and share < 1:
        line += f", about {_duration(elapsed / gained * (1 - share))} left"
    return line


async def run_backfill(
    config: Config, name: str, since: datetime, clock: Clock, out: TextIO
) -> int:
    """Backfill source `name` from `since` to now; returns the exit code.

    Raises:
        ConfigError: no source of that name.
    """
    from bot.app import App  # the HTTP clients load only for commands that fetch
    from bot.source_registry import build_source
    from sources.http import HttpFetcher, make_client

    names = [s.name for s in config.sources]
    if name not in names:
        known = ", ".join(names) or "none configured"
        raise ConfigError(f"{config.path}: --source: no source named {name!r} (sources: {known})")
    async with App(config, clock=clock, exclusive="backfill") as app:
        store = app.store
        settings = app.config.source(name).settings
        progress, resumed = plan(load_progress(store, name), since, clock.now())
        start = progress.done or progress.since
        zone = config.bot.zone
        if resumed:
            print(f"backfill {name}: resuming from {local_moment(start, zone)}", file=out)
        client = make_client(settings)
        try:
            source = build_source(settings, HttpFetcher(settings, client, clock, gate=app.gate))
            rate = getattr(source, "rate", None)
            days = ((progress.done or start) - progress.since).total_seconds() / 86400
            if rate is not None and progress.releases and days >= 1:
                rate.per_day = progress.releases / days  # the pace of the earlier run
            share_at_start = progress.share_done()
            began = clock.now()
            resume = progress.resume_url
            try:
                async for page in source.pages(start, progress.until, resume=resume):
                    with store.transaction():
                        store.save_notices(page.notices, clock.now())
                        progress.releases += len(page.notices)
                        progress.requests += 1 if page.url else 0
                        if page.watermark is not None:
                            progress.done = page.watermark
                        progress.resume_url = page.resume_url
                        _save(store, name, progress)
                    if page.url:
                        elapsed = (clock.now() - began).total_seconds()
                        print(
                            progress_line(name, progress, share_at_start, elapsed, zone), file=out
                        )
            except SourceError as exc:
                print(f"backfill {name}: stopped: {exc}; run the same command to resume", file=out)
                return EXIT_FAILED
        finally:
            await client.aclose()
        with store.transaction():
            progress.finished, progress.done, progress.resume_url = True, progress.until, None
            _save(store, name, progress)
        took = _duration((clock.now() - began).total_seconds())
        print(
            f"backfill {name}: done, {progress.since.astimezone(zone):%Y-%m-%d} to "
            f"{local_moment(progress.until, zone)}: {progress.releases} release(s) read in "
            f"{progress.requests} request(s) ({took} "
            "this run); nothing was alerted",
            file=out,
        )
    return EXIT_OK


def backfill_command(config: Config, args: argparse.Namespace, clock: Clock, out: TextIO) -> int:
    """`tenderbot backfill`; returns the exit code.

    Raises:
        ConfigError: a bad `--since` or `--source`.
    """
    import asyncio

    from bot.rules_cli import parse_when

    now = clock.now()
    since = parse_when(args.since, now, "--since", config.bot.zone)
    if since >= now:
        raise ConfigError(f"--since {args.since}: must be in the past")
    if now - since > timedelta(days=3660):
        raise ConfigError(f"--since {args.since}: more than ten years back")
    return asyncio.run(run_backfill(config, args.source, since, clock, out))
