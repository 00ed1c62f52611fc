"""Channel workers: one per channel, woken on their own, ended when their channel goes."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.delivery.channel_state import ChannelState
from bot.delivery.workers import IDLE_SECONDS, MIN_WAIT_SECONDS, ChannelWorkers
from tests.conftest import FakeClock

START = datetime.fromisoformat("2026-01-05T09:00:00+00:00")


@dataclass
class Channel:
    name: str


@dataclass
class RecordingSender:
    """Stands in for `Sender`: counts batches per channel; `more[name]` batches say "more"."""

    channels: list[Channel]
    batches: dict[str, int] = field(default_factory=dict)
    more: dict[str, int] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    buggy: set[str] = field(default_factory=set)
    called: asyncio.Event = field(default_factory=asyncio.Event)

    async def deliver_channel(self, name: str) -> bool:
        self.batches[name] = self.batches.get(name, 0) + 1
        self.called.set()
        if name in self.broken:
            raise sqlite3.OperationalError("disk I/O error")
        if name in self.buggy:
            raise KeyError("a bug")
        if self.more.get(name, 0):
            self.more[name] -= 1
            return True
        return False


@dataclass
class Outbox:
    due_at: datetime | None = None
    retry_at: datetime | None = None
    waiting: bool = False

    def next_due_at(self, channel: str, now: datetime) -> datetime | None:
        return self.due_at

    def due_now(self, channel: str, now: datetime) -> bool:
        return self.waiting

    def channel_state(self, channel: str) -> ChannelState:
        return ChannelState(channel=channel, retry_at=self.retry_at)


async def settle(sender: RecordingSender, predicate) -> None:
    for _ in range(200):
        if predicate():
            return
        sender.called.clear()
        await asyncio.wait([asyncio.create_task(sender.called.wait())], timeout=0.05)
    raise AssertionError(f"never settled: {sender.batches}")


def workers_for(sender, outbox=None, clock=None) -> ChannelWorkers:
    return ChannelWorkers(
        sender, outbox or Outbox(), clock or FakeClock(START), may_act=lambda: True
    )


async def test_each_channel_gets_its_worker_and_new_channels_get_theirs():
    sender = RecordingSender(channels=[Channel("a"), Channel("b")])
    workers = workers_for(sender)
    workers.start(on_db_error=lambda exc: False)
    try:
        await settle(sender, lambda: sender.batches == {"a": 1, "b": 1})
        sender.channels.append(Channel("chat"))
        workers.sync()
        await settle(sender, lambda: sender.batches.get("chat") == 1)
        sender.channels[:] = [Channel("b"), Channel("chat")]
        workers.sync()  # "a" is gone: its worker ends, and that is no failure
        await settle(sender, lambda: workers._tasks["a"].done())
        assert workers.stopped() == []
        workers.wake("b")
        await settle(sender, lambda: sender.batches["b"] == 2)
        assert sender.batches["a"] == 1 and sender.batches["chat"] == 1, "only b was woken"
    finally:
        await workers.stop()
    assert not workers.running


async def test_a_worker_claims_again_at_once_while_more_is_due():
    sender = RecordingSender(channels=[Channel("a")], more={"a": 3})
    workers = workers_for(sender)
    workers.start(on_db_error=lambda exc: False)
    try:
        await settle(sender, lambda: sender.batches == {"a": 4})  # no wake needed
    finally:
        await workers.stop()


async def test_a_worker_stopped_by_the_database_is_reported_and_others_go_on():
    sender = RecordingSender(channels=[Channel("a"), Channel("b")], broken={"a"})
    heard: list[str] = []
    workers = workers_for(sender)
    workers.start(on_db_error=lambda exc: bool(heard.append(str(exc))))
    try:
        await settle(sender, lambda: workers._tasks["a"].done())
        assert heard == ["disk I/O error"] and workers.stopped() == ["a"]
        workers.wake("b")
        await settle(sender, lambda: sender.batches["b"] == 2)
    finally:
        await workers.stop()


def test_an_idle_worker_waits_for_its_next_due_alert_or_retry_within_a_minute():
    clock = FakeClock(START)
    outbox = Outbox()
    workers = workers_for(RecordingSender(channels=[]), outbox, clock)
    assert workers._wait("a") == IDLE_SECONDS
    outbox.waiting = True  # due, but held by another instance: look again soon
    assert workers._wait("a") == MIN_WAIT_SECONDS
    outbox.waiting = False
    outbox.due_at = START + timedelta(seconds=5)
    assert workers._wait("a") == 5
    outbox.retry_at = START + timedelta(seconds=3)
    assert workers._wait("a") == 3
    outbox.retry_at = START - timedelta(seconds=30)  # a backoff that is over: not a reason
    assert workers._wait("a") == 5
    outbox.waiting = True  # ... unless alerts wait for it to be over (Retry-After: 0)
    assert workers._wait("a") == MIN_WAIT_SECONDS
    outbox.waiting = False
    outbox.due_at = START + timedelta(milliseconds=10)
    assert workers._wait("a") == MIN_WAIT_SECONDS
    outbox.due_at = START + timedelta(hours=2)
    assert workers._wait("a") == IDLE_SECONDS


async def test_stop_ends_a_worker_even_when_woken_at_the_same_moment():
    sender = RecordingSender(channels=[Channel("a"), Channel("b")])
    workers = workers_for(sender)
    workers.start(on_db_error=lambda exc: False)
    await settle(sender, lambda: sender.batches == {"a": 1, "b": 1})
    await asyncio.sleep(0)  # both wait to be woken now
    workers.wake_all()  # a wake and the stop's cancellation arrive together
    await asyncio.wait_for(workers.stop(), timeout=5)
    before = dict(sender.batches)
    await asyncio.sleep(0.05)
    assert sender.batches == before, "no worker runs on after stop"


async def test_a_worker_meeting_a_bug_goes_on_and_says_so_until_a_batch_goes_through():
    sender = RecordingSender(channels=[Channel("a"), Channel("b")], buggy={"a"})
    workers = workers_for(sender)
    workers.start(on_db_error=lambda exc: False)
    try:
        await settle(sender, lambda: workers.failing() != {})
        assert workers.failing() == {"a": "KeyError: 'a bug'"}
        assert workers.stopped() == [], "the worker runs on"
        sender.buggy.clear()
        workers.wake("a")
        await settle(sender, lambda: sender.batches["a"] == 2)
        await settle(sender, lambda: workers.failing() == {})
    finally:
        await workers.stop()
