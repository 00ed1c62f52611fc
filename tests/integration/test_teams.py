"""Teams channels against a local imitation of a Workflows webhook trigger."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from bot.app import App
from bot.config import ConfigError, load_config
from bot.delivery.notifiers.teams import workflow_url_problem
from tests.conftest import made_releases, write_config

ALL = made_releases()
MATCHING = 4
BEFRIENDING = next(r for r in ALL if r["tender"]["title"].startswith("Befriending"))


def config_for(tmp_path, cf, workflow):
    channel = f'[[channels]]\nname = "teams"\nkind = "teams"\nurl = "{workflow.url}"\n'
    subs = '[[subscriptions]]\nchannel = "teams"\nrules = ["small-charities"]\nremind_days = 0\n'
    return load_config(write_config(tmp_path, cf.url, subscriptions=subs, extra=channel))


async def poll_and_deliver(config, clock):
    async with App(config, clock=clock) as app:
        await app.poll("cf")
        return await app.deliver(), app.outbox.channel_state("teams")


def texts(card):
    return [e.get("text", "") for e in card["body"]]


async def test_each_match_is_one_valid_card_and_an_update_names_the_original(
    tmp_path, fake_cf, workflow, clock
):
    fake_cf.pages = [ALL]
    config = config_for(tmp_path, fake_cf, workflow)
    result, _ = await poll_and_deliver(config, clock)
    assert result.sent == MATCHING and len(workflow.cards) == MATCHING
    card = next(c for c in workflow.cards if "Befriending" in c["body"][1]["text"])
    assert card["actions"][0]["title"] == "View notice"
    facts = next(e for e in card["body"] if e["type"] == "FactSet")["facts"]
    assert {"Buyer", "Value", "Deadline"} <= {f["title"] for f in facts}
    assert any(t.startswith("Why it matched") for t in texts(card))

    amended = copy.deepcopy(BEFRIENDING)
    amended["id"] += "-2"
    amended["tag"] = ["tenderAmendment"]
    amended["date"] = "2025-01-24T09:30:00Z"
    amended["tender"]["tenderPeriod"]["endDate"] = "2025-03-28T12:00:00Z"
    fake_cf.pages = [[amended]]
    clock.advance(hours=1)
    result, _ = await poll_and_deliver(config, clock)
    update = workflow.cards[-1]
    assert result.sent == 1 and update["body"][0]["text"].startswith("Updated")
    assert any(t.startswith("Follows the earlier alert “Befriending") for t in texts(update))


async def test_markdown_in_feed_text_is_escaped_and_a_huge_notice_fits(
    tmp_path, fake_cf, workflow, clock
):
    hostile = copy.deepcopy(BEFRIENDING)
    hostile["tender"]["title"] = "Befriending [click](https://evil.example) **now**"
    hostile["tender"]["description"] = "Befriending support. " + "🙂 x" * 40_000
    fake_cf.pages = [[hostile]]
    config = config_for(tmp_path, fake_cf, workflow)
    result, _ = await poll_and_deliver(config, clock)
    assert result.sent == 1
    title = workflow.cards[0]["body"][1]["text"]
    description = next(t for t in texts(workflow.cards[0]) if t.startswith("Befriending support"))
    assert description.endswith("…") and len(description) > 5000
    assert title == r"Befriending \[click\]\(https://evil\.example\) \*\*now\*\*"


async def test_429_is_retried_after_the_time_asked_and_404_pauses(
    tmp_path, fake_cf, workflow, clock
):
    fake_cf.pages = [[BEFRIENDING]]
    workflow.replies = [(429, {"Retry-After": "30"})]
    config = config_for(tmp_path, fake_cf, workflow)
    result, state = await poll_and_deliver(config, clock)
    assert result.retrying == 1 and state.retry_at == clock.now() + timedelta(seconds=30)
    clock.advance(seconds=31)
    workflow.replies = [(404, {})]
    async with App(config, clock=clock) as app:
        result = await app.deliver()
    assert "teams" in result.paused and workflow.cards == []


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://prod-00.uksouth.logic.azure.com/workflows/x", True),
        ("https://default123.environment.api.powerplatform.com/powerautomate/x", True),
        ("https://x.api.powerautomate.com/x", True),
        ("https://flow.microsoft.com/x", True),
        ("https://evil.example/api.powerplatform.com", False),
        ("https://api.powerplatform.com.evil.example/x", False),
        ("http://prod-00.uksouth.logic.azure.com/x", False),
    ],
)
def test_power_platform_hosts_are_accepted_by_pattern(url, ok):
    assert (workflow_url_problem(url) is None) is ok


def test_a_url_on_another_host_is_a_config_error(tmp_path, fake_cf):
    channel = '[[channels]]\nname = "teams"\nkind = "teams"\nurl = "https://evil.example/x"\n'
    path = write_config(tmp_path, fake_cf.url, extra=channel)
    with pytest.raises(ConfigError, match=r"channels\[1\] \(teams\)\.url: host 'evil.example'"):
        load_config(path)
