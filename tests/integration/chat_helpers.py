"""Running an app with its first chat bot in the background, for the chat tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.app import App
from bot.chat.host import build_bots
from bot.config import load_config


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait until `condition()` is true; fail after `timeout` seconds."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out waiting")


class RunningBot:
    """``async with RunningBot(path, clock) as app``: the app, its bot serving meanwhile.

    `connections`: how many times the service has seen the bot connect (Slack's Socket
    Mode); entering waits for one more.
    """

    def __init__(self, path, clock, connections: Callable[[], int] | None = None) -> None:
        self.path, self.clock, self.connections = path, clock, connections

    async def __aenter__(self) -> App:
        self.app = App(load_config(self.path), clock=self.clock)
        self.bot = build_bots(self.app)[0]
        self.stop = asyncio.Event()
        before = self.connections() if self.connections else 0
        self.task = asyncio.create_task(self.bot.run(self.stop))
        if self.connections is not None:
            count = self.connections
            await until(lambda: count() > before)
        return self.app

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        await self.task
        await self.bot.aclose()
        await self.app.aclose()
