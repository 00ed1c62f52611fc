"""`tenderbot import FILE...`: load OCDS files into the store, merged exactly as polling merges.

Each file (a release package, a record package, or JSON lines of either) is mapped as the
sources map what they fetch, then stored through the poller's own `store_page`: the same
versions, events, mirrors and (with ``--alerts``) the same routing to subscriptions.
Importing the same file twice changes nothing the second time. `--source` must name a
configured source or be the default `import`: a typing mistake would otherwise file the
notices under a name nothing polls, beside the same notices under the right one.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from bot.app import App
from bot.config import Config, ConfigError
from bot.delivery.routing import Router
from bot.file_args import expand_files
from bot.import_options import IMPORT_SOURCE
from bot.poller import log_linked, store_page
from bot.rules_cli import read_notices_file
from rules.library import hint
from sources.clock import Clock
from sources.errors import Problem
from sources.notice import Notice

log = logging.getLogger("tenderbot.import")

BATCH = 500
"""Notices stored per transaction: a file is stored in batches like a poll stores pages."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    """What one import did."""

    files: int
    releases: int
    new: int
    updated: int
    queued: int
    skipped: int


class Progress:
    """A one-line progress report on standard error, only when it is a terminal."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self._total = total
        self._stream = stream
        self._shown = stream.isatty()

    def show(self, done: int, name: str, releases: int) -> None:
        """Redraw the line: files done of total, the current file, releases read so far."""
        if not self._shown:
            return
        width = 24
        filled = width * done // max(self._total, 1)
        bar = "#" * filled + "-" * (width - filled)
        self._stream.write(
            f"\r[{bar}] {done}/{self._total} file(s), {releases} release(s)  {name[-40:]:<40}"
        )
        self._stream.flush()

    def close(self) -> None:
        """End the line so what follows starts on its own."""
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()


async def import_files(
    app: App, paths: Sequence[Path], *, source: str, alerts: bool, progress: Progress
) -> ImportResult:
    """Store the notices in `paths` under `source`; route them to subscriptions if `alerts`.

    Raises:
        bot.config.ConfigError: a file cannot be read or is not OCDS.
    """
    router = app.router if alerts else Router(replace(app.config, subscriptions=()))
    zone = app.config.bot.zone
    releases = new = updated = queued = skipped = 0
    seen: set[tuple[str, str]] = set()
    linked: list[Notice] = []
    for done, path in enumerate(paths):
        progress.show(done, path.name, releases)
        notices, problems = read_notices_file(path, source=source)
        for text in problems:
            log.warning("%s: skipped: %s", path, text)
        skipped += len(problems)
        seen.update((n.id, n.release_id) for n in notices)
        releases = len(seen)
        for start in range(0, len(notices), BATCH):
            found: list[Problem] = []
            events, added = store_page(
                notices[start : start + BATCH],
                app.store,
                app.outbox,
                router,
                app.clock.now(),
                zone,
                problems=found,
                linked=linked,
            )
            for problem in found:
                log.warning("%s: skipped: %s", path, problem)
            skipped += len(found)
            queued += added
            new += sum(e.kind == "new" for e in events)
            updated += sum(e.kind == "updated" for e in events)
    progress.show(len(paths), "done", releases)
    progress.close()
    log_linked(source, linked)
    return ImportResult(
        files=len(paths),
        releases=releases,
        new=new,
        updated=updated,
        queued=queued,
        skipped=skipped,
    )


def check_source_name(config: Config, name: str) -> None:
    """Refuse a `--source` that is neither a configured source nor the default `import`.

    Raises:
        bot.config.ConfigError: naming the config, the option and the closest known name.
    """
    known = [IMPORT_SOURCE, *(s.name for s in config.sources)]
    if name not in known:
        raise ConfigError(
            f"{config.path}: --source: no source named {name!r} {hint(name, known, 'sources')}"
        )


async def run_import(
    config: Config, args: argparse.Namespace, clock: Clock, stdout: TextIO | None, out: TextIO
) -> int:
    """`tenderbot import`; returns the exit code (1 when alerts could not all be sent).

    Raises:
        bot.config.ConfigError: `--source` names no configured source, or a file is
            missing, unreadable or not OCDS.
        bot.store.StoreError: the database cannot be created or written.
        bot.instance.InstanceError: another tenderbot holds the database.
    """
    check_source_name(config, args.source)
    paths = expand_files(args.files, option="import")
    async with App(config, clock=clock, stdout=stdout, exclusive="import") as app:
        result = await import_files(
            app,
            paths,
            source=args.source,
            alerts=args.alerts,
            progress=Progress(len(paths), sys.stderr),
        )
        delivery = await app.deliver() if args.alerts else None
    alerts = (
        f", {result.queued} alert(s) queued" if args.alerts else " (no alerts: --alerts sends them)"
    )
    print(
        f"imported {result.files} file(s) into {config.bot.database_label}: "
        f"{result.releases} release(s), {result.new} new notice(s), {result.updated} updated, "
        f"{result.skipped} skipped{alerts}",
        file=out,
    )
    if delivery is not None and (delivery.failed or delivery.retrying or delivery.paused):
        return 1
    return 0
