"""Chat listeners run only while this process leads (PostgreSQL: one leader, standbys)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace

from bot.daemon import _serve_bot


class SwitchableLead:
    """A lead that the test hands over and takes back."""

    def __init__(self) -> None:
        self.leading = False
        self.step_every = timedelta(milliseconds=10)

    def may_act(self) -> bool:
        return self.leading


class ListeningBot:
    """Records each time it starts listening and stops when told."""

    def __init__(self) -> None:
        self.started = 0
        self.listening = asyncio.Event()
        self.stopped = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        self.started += 1
        self.stopped.clear()
        self.listening.set()
        await stop.wait()
        self.listening.clear()
        self.stopped.set()


async def test_a_chat_bot_listens_only_while_this_process_leads():
    lead, bot, stop = SwitchableLead(), ListeningBot(), asyncio.Event()
    serving = asyncio.create_task(_serve_bot(bot, stop, SimpleNamespace(lead=lead)))
    await asyncio.sleep(0.05)  # several steps as a standby
    assert bot.started == 0
    lead.leading = True
    await asyncio.wait_for(bot.listening.wait(), 2)
    lead.leading = False  # taken over: it stops listening, and does not start again
    await asyncio.wait_for(bot.stopped.wait(), 2)
    await asyncio.sleep(0.05)
    assert bot.started == 1 and not bot.listening.is_set()
    lead.leading = True  # leads again
    await asyncio.wait_for(bot.listening.wait(), 2)
    stop.set()
    await asyncio.wait_for(serving, 2)
    assert bot.started == 2
