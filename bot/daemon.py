"""The daemon: every enabled source on its own schedule, every channel on its own worker.

Polling and delivery never wait on each other: a source's job only polls; each alert it
queues wakes its channel's worker (`bot.delivery.workers`), which sends as soon as the alert
is due, at the channel's own pace, whatever the other channels are doing. The delivery loop
queues reminders and radar items as they fall due and tells the admin channel of problems,
every minute (or sooner when a backed-off channel may be retried). If the database stops
taking writes, the daemon stops at once rather than send alerts it cannot record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import App
from bot.chat.host import ChatBot, build_bots
from bot.durations import format_duration
from bot.listener import Listener, make_web_app
from bot.moments import local_moment
from bot.store import DatabaseFailed

log = logging.getLogger("tenderbot")

MAX_JITTER_SECONDS = 60.0
DELIVERY_INTERVAL_SECONDS = 60.0
MIN_DELIVERY_WAIT_SECONDS = 1.0
STALE_DELIVERY = timedelta(minutes=5)
PRUNE_INTERVAL_HOURS = 24
BOT_RESTART_SECONDS = 30.0
SEND_GRACE_SECONDS = 30.0
"""How long a stop waits for sends already under way to finish and be recorded."""


class SkippedRunWording(logging.Filter):
    """APScheduler's "maximum number of running instances reached", said as tenderbot says it.

    Installed on the scheduler's logger: a run skipped because the previous one of the same
    job is still going is normal for a slow publisher, and deserves plain words.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Reword the skipped-run record in place; every record passes."""
        if "maximum number of running instances" in str(record.msg) and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            job = args[0]
            record.msg = (
                "%s: the previous run is still going (a slow publisher or a long backlog), "
                "so this one is skipped; the next starts on schedule"
            )
            record.args = (getattr(job, "name", None) or str(job),)
        return True


def scheduler_logger() -> logging.Logger:
    """The logger the scheduler writes to, with skipped runs said in tenderbot's words."""
    logger = logging.getLogger("tenderbot.scheduler")
    logger.setLevel(logging.WARNING)  # not "job added", "scheduler started": only what matters
    if not any(isinstance(f, SkippedRunWording) for f in logger.filters):
        logger.addFilter(SkippedRunWording())
    return logger


def jitter_for(every_seconds: float) -> float:
    """Up to a tenth of the interval (at most a minute), so sources do not poll in lockstep."""
    return min(MAX_JITTER_SECONDS, every_seconds / 10)


def delivery_wait(app: App) -> float:
    """Seconds until the delivery loop runs again: a minute, or less when a backoff ends.

    A backoff already over (its channel has sent nothing since, so it is still recorded) is
    no reason to look again: it would wake the loop every second until that channel sends.
    """
    wait = DELIVERY_INTERVAL_SECONDS
    now = app.clock.now()
    retry_at = app.outbox.next_retry_at(after=now)
    if retry_at is not None:
        wait = min(wait, (retry_at - now).total_seconds())
    return max(MIN_DELIVERY_WAIT_SECONDS, wait)


def _schedule(
    scheduler: AsyncIOScheduler,
    job: Callable[..., Awaitable[None]],
    trigger: IntervalTrigger,
    job_id: str,
    name: str,
    *args: object,
) -> None:
    """Run `job` on `trigger`, first at once; never two at a time, missed runs folded."""
    scheduler.add_job(
        job,
        trigger,
        args=list(args),
        id=job_id,
        name=name,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )


async def report_job(app: App) -> None:
    """Write the cold-spots report (in a worker thread); a failure keeps the last one.

    The outcome goes in the store: `status` shows a failure as a problem, ``/report`` says
    why there is none.
    """
    from bot.report.command import write_configured_report
    from bot.report.outcome import failure_message, read_outcome, record_failed, record_written

    if not app.lead.may_act():
        return
    settings = app.config.report
    assert settings is not None
    now = app.clock.now()
    try:
        out = await asyncio.to_thread(write_configured_report, app.config, now)
    except Exception as exc:  # a job boundary: the next run tries again
        record_failed(app.store, settings.out, now, str(exc) or type(exc).__name__)
        log.error("%s", failure_message(read_outcome(app.store), settings.out, app.config.bot.zone))
        return
    record_written(app.store, out, now)


def _report_failure(app: App) -> str | None:
    """Why the report is missing, from the daemon's last attempt (None: no failure noted)."""
    from bot.report.outcome import read_outcome

    outcome = read_outcome(app.store)
    return f"the last attempt failed: {outcome.error}" if outcome.failing else None


async def _serve_bot(bot: ChatBot, stop: asyncio.Event, app: App) -> None:
    """Run one chat bot while this process leads; if it fails, start it again a little later."""
    while not stop.is_set():
        if not app.lead.may_act():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=app.lead.step_every.total_seconds())
            continue
        term = asyncio.Event()
        watch = asyncio.create_task(_end_term(app, stop, term))
        try:
            await bot.run(term)
        except asyncio.CancelledError:
            raise
        except Exception:  # a job boundary: the daemon goes on without the bot meanwhile
            log.exception("chat bot failed; starting it again in %ss", BOT_RESTART_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=BOT_RESTART_SECONDS)
        finally:
            watch.cancel()


async def _end_term(app: App, stop: asyncio.Event, term: asyncio.Event) -> None:
    """Stop a chat bot's listening when the daemon stops or this process loses the lead."""
    while not stop.is_set() and app.lead.may_act():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=app.lead.step_every.total_seconds())
    term.set()


async def run_daemon(app: App, *, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set or SIGINT/SIGTERM arrives, then stop cleanly.

    A pass in flight is cancelled at its next network wait; a page being written commits
    first, because writes never wait on the network inside a transaction. Sends already under
    way finish and are recorded first (up to `SEND_GRACE_SECONDS`); no new send starts.

    Raises:
        DatabaseFailed: the database could not be written; the daemon stopped sending.
    """
    stop = stop or asyncio.Event()
    wake = asyncio.Event()
    failure: list[str] = []
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    running: set[asyncio.Task[None]] = set()

    def fatal(exc: sqlite3.Error) -> None:
        if app.lead.shared:
            # PostgreSQL: a lost connection or a lost lead is waited out, not fatal. The lead
            # keeper reconnects; until this process leads again it sends and writes nothing.
            log.warning("%s: database write refused or failed: %s", app.instance.id, exc)
            return
        failure.append(f"{app.config.bot.database_label}: database cannot be written: {exc}")
        log.critical(
            "%s; stopping now, so that nothing is sent that cannot be recorded", failure[-1]
        )
        stop.set()

    async def source_job(name: str) -> None:
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        try:
            if not app.lead.may_act():
                return
            await app.poll(name)
            wake.set()
        except sqlite3.Error as exc:
            fatal(exc)
        except asyncio.CancelledError:
            # Only a shutdown cancels a job; the interrupted pass resumes next run.
            log.info("%s: pass interrupted by shutdown; the next run continues it", name)
        finally:
            running.discard(task)

    last_round = [datetime.now(UTC)]

    async def prune_job() -> None:
        keep = app.config.bot.keep
        assert keep is not None
        if not app.lead.may_act():
            return
        try:
            removed = app.store.prune(app.clock.now() - keep)
        except sqlite3.Error as exc:
            fatal(exc)
            return
        if any(removed.values()):
            log.info(
                "pruned history older than %s: %s",
                format_duration(keep),
                ", ".join(f"{n} {what}" for what, n in removed.items()),
            )

    def worker_db_error(exc: sqlite3.Error) -> bool:
        fatal(exc)
        return app.lead.shared

    async def delivery_loop() -> None:
        """What delivery needs besides the channels' workers: reminders, radar, admin notices.

        The workers send; this queues what falls due by the clock (waking their workers),
        starts workers for new chats, wakes every worker when this process takes the lead,
        and tells the admin channel of problems.
        """
        acting = False
        while not stop.is_set():
            try:
                app.workers.sync()
                if app.lead.may_act():
                    if not acting:
                        app.workers.wake_all()  # the former leader's claims are ours now
                    acting = True
                    await app.queue_due()
                    await app.admin_round()
                    await app.tell_outage_over()
                else:
                    acting = False
            except sqlite3.Error as exc:
                fatal(exc)
                if not app.lead.shared:
                    return
            except Exception:  # a job boundary: log, and try again next time
                log.exception("delivery housekeeping failed unexpectedly")
            last_round[0] = datetime.now(UTC)
            wake.clear()
            wait = delivery_wait(app)
            if app.lead.shared:
                # A standby (or a leader just taken over) looks again within a heartbeat step.
                wait = min(wait, app.lead.step_every.total_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=wait)

    scheduler = AsyncIOScheduler(timezone=UTC, event_loop=loop, logger=scheduler_logger())
    sources = [s for s in app.config.sources if s.enabled]
    for source in sources:
        every = source.every.total_seconds()
        trigger = IntervalTrigger(seconds=every, jitter=jitter_for(every), timezone=UTC)
        _schedule(scheduler, source_job, trigger, source.name, f"poll {source.name}", source.name)
    log.info(
        "tenderbot running: %d source(s), %d channel(s), database %s",
        len(sources),
        len(app.config.channels),
        app.config.bot.database_label,
    )
    if app.config.bot.keep is not None:
        trigger = IntervalTrigger(hours=PRUNE_INTERVAL_HOURS, timezone=UTC)
        _schedule(scheduler, prune_job, trigger, "prune", "prune old history")

    report = app.config.report
    if report is not None and report.every is not None:
        trigger = IntervalTrigger(seconds=report.every.total_seconds(), timezone=UTC)
        _schedule(scheduler, report_job, trigger, "report", "write the cold-spots report", app)
    if app.lead.shared:
        log.info(
            "%s: PostgreSQL database shared with other tenderbots: this one acts while it "
            "leads (heartbeat %s)",
            app.instance.id,
            format_duration(app.config.bot.heartbeat),
        )

    def health() -> list[str]:
        reasons = [] if scheduler.running else ["the scheduler is not running"]
        if delivery.done():
            reasons.append("the delivery loop has stopped")
        elif datetime.now(UTC) - last_round[0] > STALE_DELIVERY:
            reasons.append(
                "the delivery loop has not run since "
                + local_moment(last_round[0], app.config.bot.zone, seconds=True)
            )
        reasons.extend(f"delivery to {name} has stopped" for name in app.workers.stopped())
        reasons.extend(
            f"delivery to {name} fails unexpectedly ({why}); see the log"
            for name, why in app.workers.failing().items()
        )
        return reasons + failure + app.lead.health() + app.unhealthy()

    chat_bots = build_bots(app) if app.base_config.bots else []
    listener = None
    if app.config.bot.http is not None:
        host, port = app.config.bot.http
        served = (report.out, report.format) if report is not None else None
        listener = Listener(
            make_web_app(
                app.metrics,
                health,
                served,
                app.web_routes(),
                report_failure=lambda: _report_failure(app),
            ),
            host,
            port,
        )
        await listener.start()
        app.http_port = listener.port
    # Only once listening worked: a daemon that fails to start must not leave sends under way
    # that its close would cut off half-way (the send gate is closed only by a clean stop).
    # No probe of /healthz can run before `delivery` exists: nothing awaits in between.
    app.workers.start(on_db_error=worker_db_error, error_wait=app.lead.step_every.total_seconds())
    delivery = asyncio.create_task(delivery_loop(), name="delivery")
    bot_tasks = [
        asyncio.create_task(_serve_bot(bot, stop, app), name=f"chat bot {index}")
        for index, bot in enumerate(chat_bots)
    ]
    try:
        scheduler.start()
        await stop.wait()
    finally:
        log.info("stopping: finishing the current write and closing")
        if listener is not None:
            await listener.stop()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        # A send cut off half-way may still arrive, unrecorded, and be sent again: let the
        # ones under way finish (and be recorded) first; no new one starts.
        app.send_gate.close()
        if not await app.send_gate.drained(SEND_GRACE_SECONDS):
            log.warning(
                "a send was still under way after %.0fs; it is cut off and may be repeated",
                SEND_GRACE_SECONDS,
            )
        await app.workers.stop()
        delivery.cancel()
        for task in [*list(running), *bot_tasks]:
            task.cancel()
        await asyncio.gather(delivery, *running, *bot_tasks, return_exceptions=True)
        for bot in chat_bots:
            with contextlib.suppress(Exception):
                await bot.aclose()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    if failure:
        raise DatabaseFailed(failure[-1])
