"""A recorded day of Find a Tender through email, webhook and Teams at once, with faults.

Each open process reaches each channel exactly once although every service fails first
(SMTP 421, webhook 500, Teams 429), and an amendment threads under its alert in email.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pytest

from bot.app import App
from bot.config import load_config
from tests.conftest import FakeClock, fat_day_releases, write_config
from tests.fakes.find_a_tender import serve_find_a_tender
from tests.fakes.publishers import FakePublisher
from tests.fakes.smtp import FakeSmtp
from tests.fakes.teams import Workflow
from tests.fakes.webhook import SECRET, Receiver
from tests.integration.conftest import webhook_and_teams_channels
from tests.integration.test_find_a_tender import open_processes

NOTICE = "https://www.find-tender.service.gov.uk/Notice/"


@pytest.fixture
def fat_clock():
    return FakeClock(datetime.fromisoformat("2026-08-10T23:30:00+00:00"))


@pytest.fixture
def services(fat_clock, monkeypatch):
    monkeypatch.setenv("TB_WEBHOOK_SECRET", SECRET)
    receiver, workflow = Receiver(), Workflow()
    receiver.server.start()
    workflow.server.start()
    with FakePublisher(fat_clock) as web, FakeSmtp() as smtp:
        yield web, smtp, receiver, workflow
    receiver.server.stop()
    workflow.server.stop()


def config_for(tmp_path, web, smtp, receiver, workflow):
    extra = f"""
[[sources]]
name = "fat"
kind = "find_a_tender"
url = "{web.url}"
since = "2d"
retries = 1
backoff = "1s"
timeout = "5s"

[[channels]]
name = "mail"
kind = "email"
to = ["bids@charity.example"]
from = "tenderbot@network.example"
smtp = "smtp://127.0.0.1:{smtp.port}"
"""
    extra += webhook_and_teams_channels(receiver, workflow)
    subs = "".join(
        f'[[subscriptions]]\nchannel = "{c}"\nrules = []\nremind_days = 0\n'
        for c in ("mail", "crm", "teams")
    )
    path = write_config(tmp_path, web.url + "/nothing", subscriptions=subs, extra=extra)
    text = path.read_text().replace('name = "cf"', 'name = "cf"\nenabled = false')
    text = text.replace(
        'timezone = "Europe/London"', 'timezone = "Europe/London"\nmax_instant = 500'
    )
    path.write_text(text)
    return load_config(path)


async def deliver_until_done(app, clock, rounds=10):
    for _ in range(rounds):
        result = await app.deliver()
        if not result.retrying:
            return
        clock.advance(minutes=3)
    raise AssertionError("deliveries still retrying")


def urls_in(texts):
    return [t for text in texts for t in text.split() if t.startswith(NOTICE)]


async def test_the_recorded_day_reaches_each_channel_once_despite_faults(
    tmp_path, services, fat_clock
):
    web, smtp, receiver, workflow = services
    day = fat_day_releases()
    expected = open_processes(day)
    serve_find_a_tender(web, day)
    smtp.fail(("rcpt", "421 4.3.2 busy, try later"))
    receiver.replies = [(500, {})]
    workflow.replies = [(429, {"Retry-After": "30"})]
    config = config_for(tmp_path, web, smtp, receiver, workflow)
    async with App(config, clock=fat_clock) as app:
        assert (await app.poll("fat")).ok
        await deliver_until_done(app, fat_clock)

    # Webhook: one document per process, and every retry kept its webhook-id.
    alerted = sorted(m["data"]["notice"]["id"] for m in receiver.received)
    assert alerted == sorted(expected)
    assert len(set(receiver.attempts)) == len(expected) == len(receiver.attempts) - 1

    # Email: one message per process, each naming its notice's page once.
    mails = [m.get_body(preferencelist=("plain",)).get_content() for m in smtp.messages]
    assert len(mails) == len(expected) == len({m["Message-ID"] for m in smtp.messages})
    assert sorted(u for u in urls_in(mails) if "/Notice/" in u) == sorted(
        NOTICE + r for r in expected.values()
    )

    # Teams: one valid card per process, its first button on the notice's page.
    buttons = sorted(c["actions"][0]["url"] for c in workflow.cards)
    assert buttons == sorted(NOTICE + r for r in expected.values())

    # An amendment of one process threads under its first email.
    ocid, release_id = next(iter(expected.items()))
    original = next(r for r in day if r["id"] == release_id)
    amended = copy.deepcopy(original)
    amended["id"] = release_id + "-amended"
    for document in amended["tender"].get("documents") or []:
        if document.get("id") == release_id:
            document["id"] = amended["id"]
    fat_clock.advance(minutes=30)
    amended["date"] = (fat_clock.now() - timedelta(minutes=5)).isoformat()
    amended["tender"]["title"] = original["tender"]["title"] + " (amended)"
    web.routes.clear()
    serve_find_a_tender(web, [amended])
    before = len(smtp.messages)
    async with App(config, clock=fat_clock) as app:
        assert (await app.poll("fat")).ok
        await deliver_until_done(app, fat_clock)
    first = next(m for m in smtp.messages[:before] if NOTICE + release_id in str(m))
    update = smtp.messages[before:]
    assert len(update) == 1 and update[0]["In-Reply-To"] == first["Message-ID"]
    assert len(receiver.received) == len(expected) + 1
    first_hook = next(m for m in receiver.received if m["data"]["notice"]["id"] == ocid)
    assert receiver.received[-1]["type"] == "alert.updated"
    assert receiver.received[-1]["data"]["replaces"] == first_hook["id"]
