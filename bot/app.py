"""The wired application: one store, the sources, rules, outbox and notifiers, from a config."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from collections.abc import Sequence
from types import TracebackType
from typing import TextIO

import httpx

from bot.chat.channels import with_chats
from bot.chat.store import ChatStore, parse_chat_key
from bot.config import ChannelConfig, Config
from bot.delivery.admin import AdminNotices, current_problems
from bot.delivery.notifiers import Notifier
from bot.delivery.notifiers.console import ConsoleNotifier
from bot.delivery.notifiers.slack import SlackNotifier
from bot.delivery.notifiers.telegram import TelegramNotifier, TelegramRequests
from bot.delivery.outbox import Outbox
from bot.delivery.pacing import Pacer
from bot.delivery.reminders import queue_reminders
from bot.delivery.routing import Router
from bot.delivery.sender import DeliveryResult, Sender
from bot.instance import InstanceLock
from bot.metrics import Metrics
from bot.poller import PollResult, poll_source
from bot.radar.queue import RadarQueue
from bot.redaction import redactor_for
from bot.source_registry import build_source
from bot.store import Store, StoreError
from sources.clock import Clock, SystemClock
from sources.http import HttpFetcher, make_client
from sources.politeness import HostGate

log = logging.getLogger("tenderbot")


def build_notifier(
    channel: ChannelConfig,
    config: Config,
    outbox: Outbox,
    stdout: TextIO | None = None,
    *,
    telegram: TelegramRequests | None = None,
) -> Notifier:
    """The notifier for one configured channel (its token read from the environment).

    `telegram`: HTTP clients shared by every Telegram channel (the caller closes them).
    """
    zone = config.bot.zone
    token = os.environ.get(channel.token_env or "", "")
    if channel.kind == "slack":
        assert channel.channel is not None
        return SlackNotifier(
            token=token,
            channel=channel.channel,
            zone=zone,
            api_url=channel.api_url,
            feedback=channel.feedback,
        )
    if channel.kind == "telegram":
        assert channel.chat_id is not None

        def remember(new_chat_id: str) -> None:
            log.warning(
                "%s: the chat moved to %s (group upgraded); using it", channel.name, new_chat_id
            )
            outbox.set_chat_id(channel.name, new_chat_id)

        return TelegramNotifier(
            token=token,
            chat_id=outbox.channel_state(channel.name).chat_id or channel.chat_id,
            zone=zone,
            api_url=channel.api_url,
            on_migrate=remember,
            requests=telegram,
            feedback=channel.feedback,
        )
    return ConsoleNotifier(zone, stdout)


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
                its lock is taken, the database is proved writable, and alerts claimed by
                a process that died are freed.

        Raises:
            bot.config.ConfigError: a subscription's settings are invalid.
            rules.errors.RuleFileError: a rule set cannot be loaded.
            bot.store.StoreError: the database cannot be opened or written.
            bot.instance.InstanceError: another tenderbot holds the database.
        """
        self.base_config = config
        """The config file as loaded; `config` adds the chats' own subscriptions."""
        self.clock: Clock = clock or SystemClock()
        self.lock: InstanceLock | None = None
        if exclusive is not None:
            self.lock = InstanceLock(config.bot.database, exclusive)
            self.lock.acquire()
        try:
            self.store = Store(config.bot.database)
        except StoreError:
            self._release_lock()
            raise
        self.chats = ChatStore(self.store)
        try:
            self.config = with_chats(config, self.chats.chats())
            self.router = Router(self.config)
        except Exception:
            self.store.close()
            self._release_lock()
            raise
        config = self.config
        self.redact = redactor_for(config)
        self.metrics = Metrics(lambda: self.store, [s.name for s in config.sources])
        self.outbox = Outbox(
            self.store,
            redact=self.redact,
            on_queued=lambda channel: self.metrics.alerts(channel, "queued"),
        )
        self.router.on_refused = lambda ref, error: self.metrics.rule_file_refused()
        self.radar = RadarQueue(self.store, self.outbox)
        if self.lock is not None:
            try:
                self.store.check_writable(self.clock.now())
            except StoreError:
                self.store.close()
                self._release_lock()
                raise
            freed = self.outbox.release_all_claims()
            if freed:
                log.warning(
                    "%d alert(s) were claimed by a tenderbot that stopped before recording "
                    "them; they are queued again (at most one repeat each)",
                    freed,
                )
        self._telegram = TelegramRequests()
        self._stdout = stdout
        self.notifiers: dict[str, Notifier] = {
            c.name: build_notifier(c, config, self.outbox, stdout, telegram=self._telegram)
            for c in config.channels
        }
        self.sender = Sender(
            config.channels,
            self.notifiers,
            self.outbox,
            self.clock,
            max_instant=config.bot.max_instant,
            pacer=Pacer(self.clock),
            on_outcome=self.metrics.alerts,
            on_gone=self._chat_gone,
        )
        self._clients: dict[str, httpx.AsyncClient] = {}
        self.gate = HostGate(self.clock)
        self._delivery_lock = asyncio.Lock()
        self._admin: AdminNotices | None = None
        self.http_port: int | None = None
        """The port the HTTP listener bound (set by the daemon)."""

    async def __aenter__(self) -> App:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close HTTP clients, notifiers and the database."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        for notifier in self.notifiers.values():
            await notifier.aclose()
        await self._telegram.aclose()
        self.store.close()
        self._release_lock()

    def _release_lock(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None

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
        """Take up what chats changed: their channels, subscriptions and filters.

        Raises:
            RuleFileError: a chat names a rule set that no longer loads (nothing changes).
        """
        config = with_chats(self.base_config, self.chats.chats())
        router = Router(config)
        router.refused, router.on_refused = self.router.refused, self.router.on_refused
        for channel in config.channels:
            if channel.name not in self.notifiers:
                self.notifiers[channel.name] = build_notifier(
                    channel, config, self.outbox, self._stdout, telegram=self._telegram
                )
        self.config, self.router = config, router
        self.sender.channels = config.channels

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

    def unhealthy(self) -> list[str]:
        """Why the store cannot work now (empty when it can): it must take writes."""
        try:
            self.store.check_writable(self.clock.now(), key="health")
        except StoreError as exc:
            return [str(exc)]
        return []

    async def deliver(self) -> DeliveryResult:
        """Queue due reminders and radar items, then send whatever is due (one round at a time)."""
        async with self._delivery_lock:
            now = self.clock.now()
            if self.radar.due(now):
                await self.radar.run(
                    self.config.subscriptions, self.router, now, self.config.bot.zone
                )
            queue_reminders(
                self.config.subscriptions,
                self.store,
                self.outbox,
                self.clock.now(),
                self.config.bot.zone,
            )
            return await self.sender.deliver()
