"""The daemon: every enabled source on its own schedule, delivery after each pass, clean stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import App

log = logging.getLogger("tenderbot")

MAX_JITTER_SECONDS = 60.0
DELIVERY_INTERVAL_SECONDS = 60.0


def jitter_for(every_seconds: float) -> float:
    """Up to a tenth of the interval (at most a minute), so sources do not poll in lockstep."""
    return min(MAX_JITTER_SECONDS, every_seconds / 10)


async def run_daemon(app: App, *, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set or SIGINT/SIGTERM arrives, then stop cleanly.

    A pass in flight is cancelled at its next network wait; a page being written commits
    first, because writes never wait on the network inside a transaction.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    running: set[asyncio.Task[None]] = set()

    async def source_job(name: str) -> None:
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        try:
            await app.poll(name)
            await app.deliver()
        except asyncio.CancelledError:
            # Only a shutdown cancels a job; the interrupted pass starts over next run.
            log.info("%s: pass interrupted by shutdown; the next run fetches it again", name)
        finally:
            running.discard(task)

    async def delivery_job() -> None:
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        try:
            await app.deliver()
        except asyncio.CancelledError:
            log.info("delivery interrupted by shutdown; unsent alerts stay queued")
        finally:
            running.discard(task)

    scheduler = AsyncIOScheduler(timezone=UTC, event_loop=loop)
    # Retries, digests and closing-soon reminders fall due between polls.
    scheduler.add_job(
        delivery_job,
        IntervalTrigger(seconds=DELIVERY_INTERVAL_SECONDS, timezone=UTC),
        id="deliver",
        name="deliver due alerts",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    sources = [s for s in app.config.sources if s.enabled]
    for source in sources:
        every = source.every.total_seconds()
        scheduler.add_job(
            source_job,
            IntervalTrigger(seconds=every, jitter=jitter_for(every), timezone=UTC),
            args=[source.name],
            id=source.name,
            name=f"poll {source.name}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),
        )
    log.info(
        "tenderbot running: %d source(s), %d channel(s), database %s",
        len(sources),
        len(app.config.channels),
        app.config.bot.database,
    )
    try:
        await app.deliver()
        scheduler.start()
        await stop.wait()
    finally:
        log.info("stopping: finishing the current write and closing")
        if scheduler.running:
            scheduler.shutdown(wait=False)
        for task in list(running):
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
