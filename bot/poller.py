"""One pass over one source: fetch pages, store each in one transaction, queue alerts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import SourceConfig
from bot.digests import due_time
from bot.events import Event
from bot.mirrors import Mirrors
from bot.outbox import Outbox
from bot.routing import Router
from bot.store import Store
from sources.base import Source
from sources.clock import Clock
from sources.errors import SourceError, ThrottledError
from sources.notice import Notice

log = logging.getLogger("tenderbot.poll")
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True, kw_only=True)
class PollResult:
    """What one pass over a source did."""

    source: str
    pages: int = 0
    notices: int = 0
    new: int = 0
    updated: int = 0
    queued: int = 0
    problems: int = 0
    error: str | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the pass completed (a skipped pass is not a failure)."""
        return self.error is None


def store_page(
    notices: Sequence[Notice],
    store: Store,
    outbox: Outbox,
    router: Router,
    now: datetime,
    zone: ZoneInfo = UTC_ZONE,
) -> tuple[list[Event], int]:
    """Store one page and queue its alerts in one transaction; the events and rows queued.

    Alerts for digest subscriptions are due at the next digest time in `zone`.
    """
    queued = 0
    mirrors = Mirrors(store)
    with store.transaction():
        events = store.save_notices(notices, now)
        for event in events:
            primary = mirrors.primary_of(event.notice)
            if primary is not None:
                mirrors.link(event.notice, primary)
                log.info(
                    "%s: %s is the same tender as %s %s (same %s); not alerted again",
                    event.notice.source,
                    event.notice.id,
                    primary.source,
                    primary.notice_id,
                    primary.matched_on,
                )
                continue
            mirrors.remember(event.notice)
            for route in router.route(event, now):
                subscription = route.subscription
                queued += outbox.enqueue(
                    event,
                    subscription=subscription.name,
                    channel=subscription.channel,
                    reasons=route.reasons,
                    now=now,
                    due_at=due_time(subscription.mode, subscription.digest_at, zone, now),
                    mode=subscription.mode,
                )
    return events, queued


async def poll_source(
    config: SourceConfig,
    source: Source,
    *,
    store: Store,
    outbox: Outbox,
    router: Router,
    clock: Clock,
    zone: ZoneInfo = UTC_ZONE,
) -> PollResult:
    """Run one pass over `source` and return what it did.

    The watermark moves only when every page was fetched and stored; a failure leaves it
    where it was so the next pass fetches everything again (stored notices are not repeated).
    Source errors are recorded and reported, never raised.
    """
    name = config.name
    started = clock.now()
    state = store.source_state(name)
    if state.throttled_until is not None and started < state.throttled_until:
        wait = (state.throttled_until - started).total_seconds()
        log.info("%s: throttled by the publisher; next try in %.0fs", name, wait)
        return PollResult(source=name, skipped=f"throttled for {wait:.0f}s more")
    since = (
        state.watermark - config.overlap if state.watermark is not None else started - config.since
    )
    router.refresh()
    with store.transaction():
        store.record_attempt(name, started)
    pages = notices = new = updated = queued = problems = 0
    try:
        async for page in source.pages(since, started):
            if page.not_modified:
                log.info("%s: %s not modified since the last poll", name, page.url)
            for problem in page.problems:
                log.warning("%s (skipped)", problem)
            events, added = store_page(page.notices, store, outbox, router, clock.now(), zone)
            queued += added
            pages += 1
            notices += len(page.notices)
            problems += len(page.problems)
            new += sum(e.kind == "new" for e in events)
            updated += sum(e.kind == "updated" for e in events)
    except ThrottledError as exc:
        until = clock.now() + timedelta(seconds=exc.retry_after)
        with store.transaction():
            store.record_failure(name, str(exc), now=clock.now(), throttled_until=until)
        log.warning("%s", exc)
        return PollResult(source=name, pages=pages, notices=notices, error=str(exc))
    except SourceError as exc:
        with store.transaction():
            store.record_failure(name, str(exc), now=clock.now())
        log.error("%s", exc)
        return PollResult(source=name, pages=pages, notices=notices, error=str(exc))
    with store.transaction():
        store.record_success(name, watermark=started, now=clock.now(), notices=notices)
    log.info(
        "%s: %d page(s), %d notice(s): %d new, %d updated, %d alert(s) queued, %d skipped",
        name,
        pages,
        notices,
        new,
        updated,
        queued,
        problems,
    )
    return PollResult(
        source=name,
        pages=pages,
        notices=notices,
        new=new,
        updated=updated,
        queued=queued,
        problems=problems,
    )
