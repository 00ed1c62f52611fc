"""The wired application: one store, the sources, rules, outbox and notifiers, from a config."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Sequence
from types import TracebackType
from typing import TextIO

import httpx

from bot.chat.channels import with_chats
from bot.chat.store import ChatStore, parse_chat_key
from bot.config import Config, ConfigError
from bot.delivery.admin import AdminNotices, current_problems
from bot.delivery.notifiers import Notifier
from bot.delivery.notifiers.factory import build_context, build_notifier
from bot.delivery.notifiers.registry import (
    Route,
    channel_kind,
    with_subscribers,
)
from bot.delivery.outbox import Outbox
from bot.delivery.pacing import Pacer
from bot.delivery.reminders import queue_reminders
from bot.delivery.routing import Router
from bot.delivery.send_gate import GatedNotifier, SendGate
from bot.delivery.sender import DeliveryResult, Sender
from bot.delivery.workers import ChannelWorkers
from bot.health import WriteCheck
from bot.instance import InstanceError, InstanceLock, in_use
from bot.lead import LeadKeeper
from bot.metrics import Metrics
from bot.poller import PollResult, poll_source
from bot.radar.queue import RadarQueue
from bot.redaction import redactor_for
from bot.source_registry import build_source
from bot.store import Store, StoreError, make_database_folder
from bot.store.instances import HEARTBEAT_EVERY, INSTANCE_LEASE, Instance
from sources.clock import Clock, SystemClock
from sources.http import HttpFetcher, make_client
from sources.politeness import HostGate

log = logging.getLogger("tenderbot")


class App:
    """Everything a poll or the daemon needs; use as ``async with App(config) as app``."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock | None = None,
        stdout: TextIO | None = None,
        exclusive: str | None = None,
    ) -> None:
        """Open the store, load the rule sets and prepare the notifiers.

        Args:
            config: the loaded configuration.
            clock: the clock (tests pass a controllable one).
            stdout: where the console channel prints.
            exclusive: the command (``run``, ``poll``) that needs the database to itself:
                its lock is taken (a lock file and the database's own exclusive lease),
                the database is proved writable, and alerts claimed by a process whose
                lease has expired are freed (never a live one's).

        Raises:
            bot.config.ConfigError: a subscription's settings are invalid, or a channel's
                secret is unusable.
            rules.errors.RuleFileError: a rule set cannot be loaded.
            bot.store.StoreError: the database cannot be opened or written.
            bot.instance.InstanceError: another tenderbot holds the database.
        """
        self.base_config = config
        """The config file as loaded; `config` adds the chats' own subscriptions."""
        self.clock: Clock = clock or SystemClock()
        self.instance = Instance.this_process(exclusive or "app", self.clock.now())
        """This process as the database knows it: its claims and its lease."""
        self.lock: InstanceLock | None = None
        shared = config.bot.database_url is not None
        """PostgreSQL: several processes share the database; the lead decides who acts."""
        if exclusive is not None and not shared:
            make_database_folder(config.bot.database.parent)
            self.lock = InstanceLock(config.bot.database, exclusive, zone=config.bot.zone)
            self.lock.acquire()
        try:
            self.store = Store(config.bot.store_location)
        except StoreError:
            self._release_lock()
            raise
        try:
            holder = self.store.join(
                self.instance, self.clock.now(), exclusive=exclusive is not None and not shared
            )
        except sqlite3.Error as exc:
            if exclusive is not None:
                self._abandon()
                raise StoreError(
                    f"{config.bot.database_label}: database cannot be written: {exc}"
                ) from None
            holder = None  # a reading command: it claims nothing, so it needs no lease
        if holder is not None:
            self.store.close()
            self._release_lock()
            raise in_use(config.bot.database.resolve(), holder.describe(config.bot.zone))
        self.lead = LeadKeeper(
            self.store, self.instance, self.clock, config.bot.heartbeat, zone=config.bot.zone
        )
        """Whether this process acts (always with SQLite; the leader with PostgreSQL)."""
        if shared and exclusive in ("poll", "import"):
            try:
                self.lead.lead_or_refuse(config.bot.database_label)
            except InstanceError:
                self._abandon()
                raise
        self.chats = ChatStore(self.store)
        try:
            self.config = with_subscribers(with_chats(config, self.chats.chats()), self.store)
            self.router = Router(self.config)
        except Exception:
            self._abandon()
            raise
        config = self.config
        self.redact = redactor_for(config)
        self.metrics = Metrics(lambda: self.store, [s.name for s in config.sources])
        self.outbox = Outbox(
            self.store,
            redact=self.redact,
            on_queued=self._queued,
            instance=self.instance,
        )
        self.router.on_refused = lambda ref, error: self.metrics.rule_file_refused()
        self.radar = RadarQueue(self.store, self.outbox)
        if self.lock is not None:
            try:
                self.store.check_writable(self.clock.now())
            except StoreError:
                self._abandon()
                raise
            freed = self.store.free_dead_claims(self.clock.now())
            if freed:
                log.warning(
                    "%d alert(s) were claimed by a tenderbot that stopped before recording "
                    "them; they are queued again (at most one repeat each)",
                    freed,
                )
        self.build_context = build_context(config, self.store, self.outbox, self.clock, stdout)
        """What channel kinds build their notifiers with (shared HTTP pools are closed with it)."""
        self.build_context.on_change = self.refresh_chats
        self.send_gate = SendGate()
        """Closed when the daemon stops: sends in flight finish, no new one starts."""
        self.notifiers: dict[str, Notifier] = {}
        try:
            for channel in config.channels:
                self.notifiers[channel.name] = GatedNotifier(
                    build_notifier(channel, self.build_context), self.send_gate
                )
        except ConfigError:
            self._abandon()
            raise
        self.sender = Sender(
            config.channels,
            self.notifiers,
            self.outbox,
            self.clock,
            max_instant=config.bot.max_instant,
            pacer=Pacer(self.clock),
            on_outcome=self.metrics.alerts,
            on_gone=self._chat_gone,
            may_send=self.lead.may_act,
        )
        self.workers = ChannelWorkers(
            self.sender, self.outbox, self.clock, may_act=self.lead.may_act
        )
        """The daemon's delivery: a worker per channel, each woken when its alerts are due."""
        self._clients: dict[str, httpx.AsyncClient] = {}
        self.gate = HostGate(self.clock)
        self._delivery_lock = asyncio.Lock()
        self._write_check = WriteCheck(
            lambda now: self.store.check_writable(now, key="health"), self.clock
        )
        self._admin: AdminNotices | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self.http_port: int | None = None
        """The port the HTTP listener bound (set by the daemon)."""

    async def __aenter__(self) -> App:
        if self.lead.shared and self.lead.epoch is None:
            changed = self.lead.step()  # lead (or stand by) from the start, not a step later
            if changed is not None:
                log.warning("%s: %s", self.instance.id, changed)
        self._heartbeat = asyncio.create_task(self._keep_lease(), name="lease")
        return self

    async def _keep_lease(self) -> None:
        """Renew this instance's lease (and, with PostgreSQL, keep or seek the lead)."""
        if self.lead.shared:
            while True:
                await asyncio.sleep(self.lead.step_every.total_seconds())
                changed = self.lead.step()
                if changed is not None:
                    log.warning("%s: %s", self.instance.id, changed)
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY.total_seconds())
            self.renew_lease()

    def renew_lease(self) -> None:
        """Tell the database this instance is alive (see `bot.store.instances`)."""
        try:
            renewed = self.store.renew(self.instance, self.clock.now())
        except sqlite3.Error as exc:
            log.warning("could not renew this tenderbot's lease in the database: %s", exc)
            return
        if not renewed:
            log.warning(
                "this tenderbot's lease had expired (it stalled for over %ds); another "
                "tenderbot may have taken over the alerts it had claimed",
                INSTANCE_LEASE.total_seconds(),
            )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop delivery; close HTTP clients, notifiers and the database; leave the instances."""
        await self.workers.stop()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
            self._heartbeat = None
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        for notifier in self.notifiers.values():
            await notifier.aclose()
        await self.build_context.aclose()
        self.lead.resign()
        try:
            self.store.leave(self.instance)
        except sqlite3.Error as exc:
            log.warning("could not leave the instance table (its lease expires alone): %s", exc)
        self.store.close()
        self._release_lock()

    def _abandon(self) -> None:
        """Undo a start that failed half-way: leave, close the database, let the lock go."""
        with contextlib.suppress(sqlite3.Error):  # unwritable: the lease expires on its own
            self.store.leave(self.instance)
        self.store.close()
        self._release_lock()

    def _release_lock(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def _queued(self, channel: str) -> None:
        """An alert was queued for `channel`: count it, and wake the channel's worker."""
        self.metrics.alerts(channel, "queued")
        self.workers.wake(channel)

    def _chat_gone(self, channel: str, reason: str) -> bool:
        """A chat's channel cannot be reached: pause the chat (its own `resume` restarts it)."""
        parsed = parse_chat_key(channel)
        if parsed is None:
            return False
        bot, chat = parsed
        self.chats.update(bot, chat, "tenderbot", self.clock.now(), paused=f"unreachable: {reason}")
        self.refresh_chats()
        return True

    def refresh_chats(self) -> None:
        """Take up what chats (and email subscribers) changed: channels, subscriptions, filters.

        Raises:
            RuleFileError: a chat names a rule set that no longer loads (nothing changes).
        """
        config = with_subscribers(with_chats(self.base_config, self.chats.chats()), self.store)
        router = Router(config)
        router.refused, router.on_refused = self.router.refused, self.router.on_refused
        for channel in config.channels:
            if channel.name not in self.notifiers:
                self.notifiers[channel.name] = GatedNotifier(
                    build_notifier(channel, self.build_context), self.send_gate
                )
        self.config, self.router = config, router
        self.sender.channels = config.channels
        self.radar.dirty = True  # a subscription may have just turned the radar on
        self.workers.sync()

    def web_routes(self) -> list[Route]:
        """The pages the configured channel kinds serve on the HTTP listener."""
        routes: list[Route] = []
        for name in sorted({c.kind for c in self.config.channels}):
            kind = channel_kind(name)
            if kind.routes is not None:
                routes.extend(kind.routes(self.build_context))
        return routes

    async def poll(self, name: str) -> PollResult:
        """One pass over the source called `name`; never raises for source failures."""
        source_config = self.config.source(name)
        client = self._clients.get(name)
        if client is None:
            client = self._clients[name] = make_client(source_config.settings)
        validators = self.store.load_validators(name)
        fetcher = HttpFetcher(
            source_config.settings, client, self.clock, gate=self.gate, validators=validators
        )
        source = build_source(source_config.settings, fetcher)
        started = time.monotonic()
        try:
            result = await poll_source(
                source_config,
                source,
                store=self.store,
                outbox=self.outbox,
                router=self.router,
                clock=self.clock,
                zone=self.config.bot.zone,
            )
        except sqlite3.Error:
            raise  # the database failing is fatal, not one source's problem
        except Exception as exc:  # a job boundary: a bug in one source must not stop others
            log.exception("%s: pass failed unexpectedly", name)
            with self.store.transaction():
                self.store.record_failure(
                    name, f"{name}: internal error: {exc!r}", now=self.clock.now()
                )
            self.metrics.polled(name, time.monotonic() - started, ok=False)
            return PollResult(source=name, error=f"internal error: {exc!r}")
        self.metrics.polled(name, time.monotonic() - started, ok=result.ok)
        self.radar.dirty = True
        if result.ok and validators:
            self.store.save_validators(name, validators)
        return result

    async def poll_many(self, names: Sequence[str]) -> list[PollResult]:
        """Poll several sources concurrently; one failing never stops the others."""
        return list(await asyncio.gather(*(self.poll(name) for name in names)))

    async def admin_round(self) -> int:
        """Tell the admin channel (if configured) of new problems and recoveries."""
        name = self.config.bot.admin_channel
        if name is None:
            return 0
        if self._admin is None:
            self._admin = AdminNotices(self.store, self.notifiers[name], self.redact)
        problems = current_problems(
            self.config, self.store, self.outbox, self.router.refused, self.clock.now()
        )
        return await self._admin.update(problems, self.clock.now())

    async def tell_outage_over(self) -> bool:
        """Tell the admin channel, once, that the database answers again after an outage."""
        outage, name = self.lead.outage_over, self.config.bot.admin_channel
        if outage is None:
            return False
        self.lead.outage_over = None
        if name is None:
            return False
        text = outage.back_again(self.config.bot.database_label, self.redact, self.config.bot.zone)
        try:
            await self.notifiers[name].send_admin(text, now=self.clock.now())
        except Exception as exc:  # a job boundary: the recovery itself matters more
            log.warning("admin channel %s: could not say the database is back: %s", name, exc)
            return False
        return True

    def unhealthy(self) -> list[str]:
        """Why the store cannot work now (empty when it can): it must take writes.

        The write itself is made at most once every few seconds (see `bot.health`).
        """
        return self._write_check.reasons()

    async def queue_due(self) -> None:
        """Queue the reminders and radar items that are due (their channels' workers wake)."""
        async with self._delivery_lock:
            await self._queue_due()

    async def _queue_due(self) -> None:
        now = self.clock.now()
        if self.radar.due(now):
            await self.radar.run(self.config.subscriptions, self.router, now, self.config.bot.zone)
        queue_reminders(
            self.config.subscriptions,
            self.store,
            self.outbox,
            self.clock.now(),
            self.config.bot.zone,
        )

    async def deliver(self) -> DeliveryResult:
        """Queue due reminders and radar items, then send whatever is due (one pass).

        For the one-pass commands; the daemon runs `workers` instead.
        """
        async with self._delivery_lock:
            await self._queue_due()
            return await self.sender.deliver()
