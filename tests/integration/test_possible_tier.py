"""The `possible` tier end to end: Slack and Telegram imitations, with the real clients."""

from __future__ import annotations

import copy

import pytest

from bot.app import App
from tests.conftest import made_releases
from tests.integration.test_delivery import config_for

pytestmark = pytest.mark.usefixtures("chat_tokens")

SHORT = "Befriending Service for Older People (short notice)"


def releases_with_a_short_deadline():
    """The made releases, plus a befriending service with only 5 days left to respond."""
    releases = made_releases()
    base = next(
        r for r in releases if r["tender"]["title"] == "Befriending Service for Older People"
    )
    short = copy.deepcopy(base)
    short["ocid"] += "-short"
    short["id"] += "-short"
    short["tender"]["title"] = SHORT
    short["tender"]["tenderPeriod"]["endDate"] = "2025-01-29T12:00:00Z"  # 5 days after the clock
    return [*releases, short]


async def run(config, clock, *, hours=0):
    async with App(config, clock=clock) as app:
        if not hours:
            await app.poll("cf")
        return await app.deliver()


async def test_possible_digest_gets_an_also_worth_a_look_section_next_morning(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [releases_with_a_short_deadline()]
    config = config_for(tmp_path, fake_cf, slack, telegram)  # instant; possible = digest
    await run(config, clock)
    assert slack.messages and telegram.messages
    assert SHORT not in str(slack.messages) and SHORT not in str(telegram.messages)
    slack.messages.clear()
    telegram.messages.clear()
    clock.advance(hours=23, minutes=1)  # 08:01 the next day: the daily digest of possibles
    result = await run(config, clock, hours=23)
    assert result.sent == 2
    [slack_digest] = slack.messages
    [telegram_digest] = telegram.messages
    blocks = slack_digest["blocks"]
    assert blocks[0]["text"]["text"].startswith("Daily digest")
    assert blocks[1]["text"]["text"] == "*Also worth a look*"
    assert SHORT in blocks[2]["text"]["text"] and "5 days left" in blocks[2]["text"]["text"]
    text = telegram_digest["text"]
    assert "<b>Also worth a look</b>" in text
    assert text.index("Also worth a look") < text.index(SHORT)
    assert "5 days left" in text


async def test_a_daily_digest_puts_the_possible_ones_after_the_matches(
    tmp_path, fake_cf, slack, telegram, clock
):
    fake_cf.pages = [releases_with_a_short_deadline()]
    config = config_for(tmp_path, fake_cf, slack, telegram, mode="daily")
    await run(config, clock)
    clock.advance(hours=23, minutes=1)
    await run(config, clock, hours=23)
    [slack_digest] = slack.messages
    texts = [b["text"]["text"] for b in slack_digest["blocks"]]
    heading = texts.index("*Also worth a look*")
    assert heading > 1 and SHORT in texts[heading + 1]
    assert all(SHORT not in t for t in texts[:heading])
    [telegram_digest] = telegram.messages
    text = telegram_digest["text"]
    assert text.index("Befriending Service for Older People<") < text.index("Also worth a look")


@pytest.mark.parametrize("choice", ["instant", "off"])
async def test_possible_instant_sends_it_at_once_and_off_never(
    tmp_path, fake_cf, slack, telegram, clock, choice
):
    fake_cf.pages = [releases_with_a_short_deadline()]
    config = config_for(tmp_path, fake_cf, slack, telegram, extra_sub=f'possible = "{choice}"')
    await run(config, clock)
    sent_now = str(slack.messages) + str(telegram.messages)
    clock.advance(days=2)
    await run(config, clock, hours=48)
    later = str(slack.messages) + str(telegram.messages)
    if choice == "instant":
        assert SHORT in sent_now and "possible: 5 days left" in sent_now
        assert "New (worth a look)" in sent_now
    else:
        assert SHORT not in later
