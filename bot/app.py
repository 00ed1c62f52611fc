"""The wired application: one store, the sources, routing and delivery, built from a config."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from types import TracebackType
from typing import TextIO

import httpx

from bot.config import Config
from bot.delivery import DeliveryResult, Notifier, deliver_due
from bot.notifiers.console import ConsoleNotifier
from bot.outbox import Outbox
from bot.poller import PollResult, poll_source
from bot.routing import Router
from bot.source_registry import build_source
from bot.store import Store
from sources.clock import Clock, SystemClock
from sources.http import HttpFetcher, make_client

log = logging.getLogger("tenderbot")


class App:
    """Everything a poll or the daemon needs; use as ``async with App(config) as app``."""

    def __init__(
        self, config: Config, *, clock: Clock | None = None, stdout: TextIO | None = None
    ) -> None:
        """Open the store and prepare routing and notifiers.

        Raises:
            bot.config.ConfigError: the config asks for something this version cannot do.
            bot.store.StoreError: the database cannot be opened.
        """
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.router = Router(config)
        self.store = Store(config.bot.database)
        self.outbox = Outbox(self.store)
        self.notifiers: dict[str, Notifier] = {
            c.name: ConsoleNotifier(config.bot.zone, stdout)
            for c in config.channels
            if c.kind == "console"
        }
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._delivery_lock = asyncio.Lock()

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
        """Close HTTP clients and the database."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        self.store.close()

    async def poll(self, name: str) -> PollResult:
        """One pass over the source called `name`; never raises for source failures."""
        source_config = self.config.source(name)
        client = self._clients.get(name)
        if client is None:
            client = self._clients[name] = make_client(source_config.settings)
        source = build_source(
            source_config.settings, HttpFetcher(source_config.settings, client, self.clock)
        )
        try:
            return await poll_source(
                source_config,
                source,
                store=self.store,
                outbox=self.outbox,
                router=self.router,
                clock=self.clock,
            )
        except Exception as exc:  # a job boundary: a bug in one source must not stop others
            log.exception("%s: pass failed unexpectedly", name)
            with self.store.transaction():
                self.store.record_failure(
                    name, f"{name}: internal error: {exc!r}", now=self.clock.now()
                )
            return PollResult(source=name, error=f"internal error: {exc!r}")

    async def poll_many(self, names: Sequence[str]) -> list[PollResult]:
        """Poll several sources concurrently; one failing never stops the others."""
        return list(await asyncio.gather(*(self.poll(name) for name in names)))

    async def deliver(self) -> DeliveryResult:
        """Send whatever is due in the outbox (one delivery round at a time)."""
        async with self._delivery_lock:
            return await deliver_due(self.config.channels, self.notifiers, self.outbox, self.clock)
