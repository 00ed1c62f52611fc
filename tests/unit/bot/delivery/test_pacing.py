"""Pacing keeps each chat and each account under its service's limits; retry waits keep
within what the README promises."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.delivery.notifiers.slack import SlackNotifier
from bot.delivery.notifiers.telegram import TelegramNotifier
from bot.delivery.pacing import Pacer, RateLimits, account_key
from bot.delivery.sender import RETRY_CAP_SECONDS, retry_delay
from sources.base import SourceSettings
from sources.http import HttpFetcher
from tests.conftest import FakeClock

NOW = datetime(2025, 1, 24, 9, 0, tzinfo=UTC)
CHAT = RateLimits(account="svc:a", per_chat_gap=1.0, account_per_second=1000)
GROUP = RateLimits(
    account="svc:a", per_chat_gap=0.0, per_chat_per_minute=20, account_per_second=1000
)


class SteppedClock(FakeClock):
    """Sleeps wait for the test to move time on, so concurrent waiters overlap in time."""

    def __init__(self, now: datetime) -> None:
        super().__init__(now)
        self.sleepers: list[tuple[datetime, asyncio.Event]] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        from datetime import timedelta

        wake = asyncio.Event()
        self.sleepers.append((self.current + timedelta(seconds=seconds), wake))
        await wake.wait()

    async def run_until_idle(self) -> None:
        """Move time to each sleeper's wake-up in turn until nobody sleeps."""
        while True:
            for _ in range(20):
                await asyncio.sleep(0)
            if not self.sleepers:
                return
            self.sleepers.sort(key=lambda s: s[0])
            at, wake = self.sleepers.pop(0)
            self.current = max(self.current, at)
            wake.set()


async def test_one_chat_waits_its_gap():
    clock = FakeClock(NOW)
    pacer = Pacer(clock)
    for _ in range(3):
        await pacer.wait("a", CHAT)
    assert clock.sleeps == [1.0, 1.0]


async def test_a_group_gets_at_most_twenty_a_minute():
    clock = FakeClock(NOW)
    pacer = Pacer(clock)
    for _ in range(21):
        await pacer.wait("g", GROUP)
    assert round(sum(clock.sleeps)) == 60


async def test_no_limits_no_wait():
    clock = FakeClock(NOW)
    pacer = Pacer(clock)
    for _ in range(5):
        await pacer.wait("console", None)
    assert clock.sleeps == []


async def test_the_account_cap_is_shared_by_every_chat_and_kept():
    clock = SteppedClock(NOW)
    pacer = Pacer(clock)
    limits = RateLimits(account="svc:a", per_chat_gap=1.0, account_per_second=10)
    other = RateLimits(account="svc:b", per_chat_gap=1.0, account_per_second=10)
    sent: list[tuple[str, float]] = []

    async def chat(name: str, lim: RateLimits, count: int) -> None:
        for _ in range(count):
            await pacer.wait(name, lim)
            sent.append((lim.account, clock.now().timestamp() - NOW.timestamp()))

    tasks = [asyncio.create_task(chat(f"c{i}", limits, 3)) for i in range(20)]
    tasks.append(asyncio.create_task(chat("b", other, 3)))
    await clock.run_until_idle()
    await asyncio.gather(*tasks)
    times = sorted(t for account, t in sent if account == "svc:a")
    assert len(times) == 60
    for index in range(len(times) - 10):
        assert times[index + 10] - times[index] >= 1 - 1e-5, "never 11 in one second"
    assert times[-1] <= 6.0, "the cap is used, not wasted: 60 at 10 a second"
    theirs = sorted(t for account, t in sent if account == "svc:b")
    assert theirs == [0.0, 1.0, 2.0], "another account is not held up by this one"


async def test_a_backlogged_chat_does_not_hold_up_another():
    clock = SteppedClock(NOW)
    pacer = Pacer(clock)
    limits = RateLimits(account="svc:a", per_chat_gap=1.0, account_per_second=30)
    quiet_sent: list[float] = []

    async def backlog() -> None:
        for _ in range(100):
            await pacer.wait("busy", limits)

    async def quiet() -> None:
        for _ in range(3):
            await pacer.wait("quiet", limits)
            quiet_sent.append(clock.now().timestamp() - NOW.timestamp())

    busy = asyncio.create_task(backlog())
    await asyncio.sleep(0)
    small = asyncio.create_task(quiet())
    await clock.run_until_idle()
    await asyncio.gather(busy, small)
    assert quiet_sent[-1] < 3.0, quiet_sent


def test_speed_scales_every_interval():
    clock = FakeClock(NOW)
    pacer = Pacer(clock, speed=10)
    asyncio.run(pacer.wait("a", CHAT))
    asyncio.run(pacer.wait("a", CHAT))
    assert clock.sleeps == [pytest.approx(0.1, abs=1e-5)]


def test_notifiers_declare_their_services_limits_without_revealing_the_token():
    zone = datetime.now(UTC).tzinfo
    assert zone is not None
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    group = TelegramNotifier(token="123:secret", chat_id="-100", zone=london).limits
    person = TelegramNotifier(token="123:secret", chat_id="42", zone=london).limits
    assert group.per_chat_per_minute == 20 and person.per_chat_per_minute is None
    assert group.account == person.account == account_key("telegram", "123:secret")
    assert group.account_per_second == 30 and group.per_chat_gap == 1
    assert "secret" not in group.account
    slack = SlackNotifier(token="xoxb-secret", channel="C1", zone=london).limits
    assert slack.per_chat_gap == 1 and "secret" not in slack.account


def test_delivery_retry_waits_never_exceed_the_promised_90_seconds():
    rng = random.Random(7)
    waits = [retry_delay(n, rng) for n in range(1, 2000)]
    assert max(waits) <= RETRY_CAP_SECONDS == 90
    assert min(waits[5:]) >= 90 * 0.75, "jitter stays in the last quarter below the cap"
    assert 22.5 <= retry_delay(1, rng) <= 30 and 45 <= retry_delay(2, rng) <= 60


def test_source_retry_waits_never_exceed_the_cap():
    settings = SourceSettings(name="s", kind="feed", url="http://x", backoff=2, backoff_cap=60)
    fetcher = HttpFetcher(settings, httpx.AsyncClient(), FakeClock(NOW), rng=random.Random(3))
    waits = [fetcher.backoff_delay(n) for n in range(1, 2000)]
    assert max(waits) <= 60, "README: capped at one minute"
    assert 1.5 <= fetcher.backoff_delay(1) <= 2


def test_email_and_teams_declare_limits_shared_by_login_or_workflow(tmp_path):
    from bot.config import parse_config

    text = """[bot]
database = "t.db"
[[channels]]
name = "a"
kind = "email"
to = ["a@example.org"]
from = "bot@example.org"
smtp = "smtp://127.0.0.1:2525"
per_minute = 12
[[channels]]
name = "b"
kind = "email"
to = ["b@example.org"]
from = "bot@example.org"
smtp = "smtp://127.0.0.1:2525"
[[channels]]
name = "t"
kind = "teams"
url = "https://prod-00.uksouth.logic.azure.com/workflows/secret-path"
"""
    config = parse_config(text, tmp_path / "c.toml")
    from bot.delivery.notifiers.email import EmailNotifier
    from bot.delivery.notifiers.teams import TeamsNotifier

    london = ZoneInfo("Europe/London")
    a, b, t = config.channels

    def email_limits(channel):
        # Recipients and the link signer are not used to declare limits.
        notifier = EmailNotifier(
            name=channel.name, settings=channel.settings, zone=london, recipients=None, signer=None
        )
        return notifier.limits

    first, second = email_limits(a), email_limits(b)
    assert first.account == second.account, "one server and login: one shared cap"
    assert first.account_per_second == 12 / 60 and second.account_per_second == 30 / 60
    teams = TeamsNotifier(url=t.settings.url, zone=london).limits
    assert teams.account_per_second == 4 and "secret" not in teams.account
