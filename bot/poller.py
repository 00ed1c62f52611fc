"""One pass over one source: fetch pages, store each in one transaction, queue alerts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config_sources import SourceConfig
from bot.delivery.alerts import UPDATED
from bot.delivery.outbox import Outbox
from bot.delivery.routing import Route, Router, delivery_of
from bot.events import Event
from bot.mirrors import Mirrors, match_keys
from bot.moments import local_moment
from bot.store import SourceState, Store
from sources.base import Page, Source
from sources.clock import Clock
from sources.errors import Problem, SourceError, ThrottledError
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
    backlog: bool = False

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
    *,
    problems: list[Problem] | None = None,
    checkpoint: Callable[[], None] | None = None,
    linked: list[Notice] | None = None,
) -> tuple[list[Event], int]:
    """Store one page and queue its alerts in one transaction; the events and rows queued.

    Alerts for digest subscriptions are due at the next digest time in `zone`. Notices that
    cannot be stored are added to `problems`; `checkpoint` runs in the same transaction (a
    pass records how far it got together with what it stored). Notices found to be the same
    tender as one stored from another source are added to `linked` (and each is logged at
    debug level: the caller logs how many).
    """
    queued = 0
    mirrors = Mirrors(store)
    with store.transaction():
        events = store.save_notices(notices, now, problems)
        if checkpoint is not None:
            checkpoint()
        keyed = [(event.notice, match_keys(event.notice)) for event in events]
        primaries = mirrors.primaries(keyed)
        fresh = []
        for event, keys_of in zip(events, keyed, strict=True):
            primary = primaries.get((event.notice.source, event.notice.id))
            if primary is not None:
                mirrors.link(event.notice, primary)
                if linked is not None:
                    linked.append(event.notice)
                log.debug(
                    "%s: %s is the same tender as %s %s (same %s); not alerted again",
                    event.notice.source,
                    event.notice.id,
                    primary.source,
                    primary.notice_id,
                    primary.matched_on,
                )
                continue
            fresh.append(keys_of)
            routes = router.route(event, now)
            for route in routes + _cancellations(event, routes, router, outbox):
                subscription = route.subscription
                delivery = delivery_of(route, zone, now)
                if delivery is None:
                    continue
                queued += outbox.enqueue(
                    event,
                    subscription=subscription.name,
                    channel=subscription.channel,
                    reasons=route.reasons,
                    now=now,
                    due_at=delivery.due_at,
                    mode=delivery.mode,
                    tier=route.tier,
                )
        # One page is one source, so its notices cannot be copies of each other: their keys
        # are remembered together, after the page.
        mirrors.remember_all(fresh)
    return events, queued


def window_start(config: SourceConfig, state: SourceState, now: datetime) -> datetime:
    """Where a new pass starts reading.

    The first pass looks back `since`. Later passes start from the newest release already
    stored minus `margin`, so an idle poll costs one small request instead of re-reading the
    last `overlap`: never later than the last pass's start (a publisher's future-dated
    release must not hide what comes next), and never earlier than the last pass's start
    minus `overlap` (a quiet source does not widen the window).
    """
    if state.watermark is None:
        return now - config.since
    floor = state.watermark - config.overlap
    if state.newest_release is None:
        return floor
    return max(floor, min(state.newest_release - config.margin, state.watermark))


def _cancellations(
    event: Event, routes: list[Route], router: Router, outbox: Outbox
) -> list[Route]:
    """Subscriptions told about a notice that is now cancelled: they hear of it, matched or not.

    `routes` are the event's own routes; those subscriptions hear of it through them already.
    """
    if event.kind != UPDATED or not event.notice.stage.endswith("Cancellation"):
        return []
    routed = {id(route.subscription) for route in routes}
    return [
        Route(subscription=s, reasons=("you were alerted about this notice; it was cancelled",))
        for s in router.subscriptions
        if id(s) not in routed and outbox.was_told(s.name, event.notice.source, event.notice.id)
    ]


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

    Each page is stored with the checkpoint it carries (a watermark, or the link to resume
    from), so a pass that fails or stops on its page budget (`max_pages`) leaves the next one
    to continue from there; a complete pass moves the watermark to its start. Stored notices
    are never repeated. Source errors are recorded and reported, never raised.
    """
    name = config.name
    started = clock.now()
    state = store.source_state(name)
    if state.throttled_until is not None and started < state.throttled_until:
        wait = (state.throttled_until - started).total_seconds()
        log.info("%s: throttled by the publisher; next try in %.0fs", name, wait)
        return PollResult(source=name, skipped=f"throttled for {wait:.0f}s more")
    resume = state.resume_url
    if resume is not None and state.resume_since is not None and state.resume_until is not None:
        since, until = state.resume_since, state.resume_until
        log.info("%s: resuming an unfinished backlog at %s", name, resume)
    else:
        resume = None
        until = started
        since = window_start(config, state, started)
    router.refresh()
    with store.transaction():
        store.record_attempt(name, started)
    budget = config.settings.max_pages
    pages = notices = new = updated = queued = problems = 0
    linked: list[Notice] = []
    # A window read again after a full page re-reads its releases: count each release once.
    seen: set[tuple[str, str]] = set()
    stopped_early = False
    try:
        async for page in source.pages(since, until, resume=resume):
            if page.not_modified:
                log.info("%s: %s not modified since the last poll", name, page.url)
            skipped = list(page.problems)

            def checkpoint(page: Page = page) -> None:
                store.record_checkpoint(
                    name,
                    watermark=page.watermark,
                    resume_url=page.resume_url,
                    window=(since, until),
                )
                if page.notices:
                    store.record_newest(name, max(n.release_date for n in page.notices))

            events, added = store_page(
                page.notices,
                store,
                outbox,
                router,
                clock.now(),
                zone,
                problems=skipped,
                checkpoint=checkpoint,
                linked=linked,
            )
            for problem in skipped:
                log.warning("%s (skipped)", problem)
            queued += added
            pages += 1 if page.url else 0
            seen.update((n.id, n.release_id) for n in page.notices)
            notices = len(seen)
            problems += len(skipped)
            new += sum(e.kind == "new" for e in events)
            updated += sum(e.kind == "updated" for e in events)
            if pages >= budget:
                stopped_early = True
                break
    except ThrottledError as exc:
        until_ = clock.now() + timedelta(seconds=exc.retry_after)
        with store.transaction():
            store.record_failure(name, str(exc), now=clock.now(), throttled_until=until_)
        log.warning("%s", exc)
        return PollResult(source=name, pages=pages, notices=notices, error=str(exc))
    except SourceError as exc:
        with store.transaction():
            store.record_failure(name, str(exc), now=clock.now())
        log.error("%s", exc)
        return PollResult(source=name, pages=pages, notices=notices, error=str(exc))
    with store.transaction():
        if stopped_early:
            store.record_partial(name, now=clock.now(), notices=notices)
        else:
            store.record_success(name, watermark=until, now=clock.now(), notices=notices)
    if stopped_early:
        _log_backlog(name, budget, store.source_state(name), state, zone)
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
    log_linked(name, linked)
    return PollResult(
        source=name,
        pages=pages,
        notices=notices,
        new=new,
        updated=updated,
        queued=queued,
        problems=problems,
        backlog=stopped_early,
    )


def log_linked(source: str, linked: Sequence[Notice]) -> None:
    """One line on how many notices were the same tender as one from another source."""
    if linked:
        log.info(
            "%s: %d notice(s) are the same tender as one stored from another source; not "
            "alerted again (-v names each)",
            source,
            len({notice.id for notice in linked}),
        )


def _log_backlog(
    name: str, budget: int, after: SourceState, before: SourceState, zone: ZoneInfo
) -> None:
    moved = after.resume_url is not None or (
        after.watermark is not None and after.watermark != before.watermark
    )
    if moved:
        checkpoint = after.watermark and f"the checkpoint {local_moment(after.watermark, zone)}"
        log.warning(
            "%s: backlog: read %d page(s), the most one poll reads (max_pages); the next "
            "poll continues from %s",
            name,
            budget,
            after.resume_url or checkpoint,
        )
    else:
        log.error(
            "%s: backlog: %d page(s) (max_pages) were not enough to reach a checkpoint, so the "
            "next poll starts over; raise max_pages for this source",
            name,
            budget,
        )
