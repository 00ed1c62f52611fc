"""The radar in the daemon, end to end: a constructed history polled over months.

Awards published long ago, then, months later, a matching tender, an extension and a
termination, served by the Contracts Finder imitation and delivered to the Slack and
Telegram imitations, with a controllable clock. The backtest afterwards grades exactly what
was constructed.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.app import App
from bot.cli import main
from bot.config import load_config
from tests.conftest import FakeClock, write_config
from tests.integration.chat_helpers import until
from tests.integration.conftest import chat_channels

pytestmark = pytest.mark.usefixtures("chat_tokens")

BUYER = "Northbridge Borough Council"
SECTION = "Contracts of your kind ending soon"
PEOPLE = "85312000"
ROADS = "45233000"


def _docs(rid: str, kind: str | None) -> list[dict[str, Any]]:
    doc: dict[str, Any] = {
        "id": rid,
        "documentType": "awardNotice",
        "url": f"https://notices.example/{rid}",
        "format": "text/html",
    }
    if kind:
        doc["noticeType"] = kind
    return [doc]


def _release(
    ocid: str, rid: str, date: str, tags: list[str], title: str, cpv: str
) -> dict[str, Any]:
    return {
        "ocid": ocid,
        "id": rid,
        "date": date,
        "tag": tags,
        "buyer": {"id": "B1", "name": BUYER},
        "parties": [
            {"id": "B1", "name": BUYER, "roles": ["buyer"], "address": {"postalCode": "NE1 4ST"}},
            {
                "id": "S1",
                "name": "Large Care plc",
                "roles": ["supplier"],
                "details": {"scale": "large"},
            },
        ],
        "tender": {
            "title": title,
            "description": f"{title} for residents of Northbridge.",
            "procurementMethodDetails": "Open procedure",
            "items": [{"id": "1", "additionalClassifications": [{"scheme": "CPV", "id": cpv}]}],
        },
    }


def _award(
    ocid: str, title: str, end: str, cpv: str = PEOPLE, kind: str | None = None
) -> dict[str, Any]:
    rid = f"{ocid}-award"
    release = _release(ocid, rid, "2024-03-01T10:00:00Z", ["award"], title, cpv)
    release["awards"] = [
        {
            "id": "1",
            "status": "active",
            "value": {"amount": 240000, "currency": "GBP"},
            "suppliers": [{"id": "S1", "name": "Large Care plc"}],
            "contractPeriod": {"startDate": "2024-04-01T00:00:00Z", "endDate": end},
            "documents": _docs(rid, kind),
        }
    ]
    return release


BEFRIENDING = _award(
    "ocds-t-befriend", "Befriending service for older people", "2027-03-31T00:00:00Z"
)
CARERS = _award("ocds-t-carers", "Carers support service", "2027-01-31T00:00:00Z", kind="UK6")
ADVOCACY = _award(
    "ocds-t-advocacy", "Independent advocacy service", "2027-02-28T00:00:00Z", kind="UK6"
)
ROAD = _award("ocds-t-road", "Road resurfacing programme", "2027-01-31T00:00:00Z", cpv=ROADS)
LATER = _award("ocds-t-later", "Day opportunities for adults", "2028-12-31T00:00:00Z")

RETENDER = _release(
    "ocds-t-new",
    "ocds-t-new-tender",
    "2026-10-15T10:00:00Z",
    ["tender"],
    "Befriending service for older people 2027",
    PEOPLE,
)
RETENDER["tender"].update(
    {
        "value": {"amount": 250000, "currency": "GBP"},
        "tenderPeriod": {"endDate": "2026-12-01T12:00:00Z"},
        "contractPeriod": {"startDate": "2027-04-01T00:00:00Z", "endDate": "2030-03-31T00:00:00Z"},
        "documents": [
            {
                "id": "ocds-t-new-tender",
                "documentType": "tenderNotice",
                "url": "https://notices.example/ocds-t-new-tender",
                "format": "text/html",
            }
        ],
    }
)

EXTENSION = _release(
    "ocds-t-carers",
    "carers-change",
    "2026-09-01T10:00:00Z",
    ["contractAmendment"],
    "Carers support service",
    PEOPLE,
)
EXTENSION["contracts"] = [
    {
        "id": "1",
        "awardID": "1",
        "period": {"startDate": "2024-04-01T00:00:00Z", "endDate": "2028-01-31T00:00:00Z"},
        "documents": _docs("carers-change", "UK10"),
    }
]
TERMINATION = _release(
    "ocds-t-advocacy",
    "advocacy-end",
    "2026-09-10T10:00:00Z",
    ["contractTermination"],
    "Independent advocacy service",
    PEOPLE,
)
TERMINATION["contracts"] = [
    {
        "id": "1",
        "awardID": "1",
        "status": "terminated",
        "implementation": {"endDate": "2026-09-09T00:00:00Z"},
        "documents": _docs("advocacy-end", "UK11"),
    }
]


def _config(tmp_path, cf, slack, telegram, database=None):
    subscriptions = "".join(
        f'[[subscriptions]]\nchannel = "{c}"\nrules = ["small-charities"]\n'
        f"remind_days = 0\nradar = true\nradar_months = 9\n\n"
        for c in ("slack", "telegram")
    )
    path = write_config(
        tmp_path, cf.url, subscriptions=subscriptions, extra=chat_channels(slack, telegram)
    )
    if database is not None:  # the radar on either backend
        text = path.read_text().replace('database = "bot.db"', f'database = "{database}"', 1)
        path.write_text(text)
    return load_config(path)


async def _poll_and_deliver(config, clock):
    async with App(config, clock=clock) as app:
        await app.poll("cf")
        return await app.deliver()


def _slack_digests(slack):
    return [m for m in slack.messages if SECTION in json.dumps(m["blocks"])]


def _telegram_digests(telegram):
    return [m for m in telegram.messages if SECTION in m["text"]]


async def test_radar_items_threaded_news_and_the_backtest(
    tmp_path, fake_cf, slack, telegram, database
):
    clock = FakeClock(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    config = _config(tmp_path, fake_cf, slack, telegram, database)
    fake_cf.pages = [[BEFRIENDING, CARERS, ADVOCACY, ROAD, LATER]]

    # The items are made at once but wait for the next digest time (08:00 London).
    result = await _poll_and_deliver(config, clock)
    assert result.sent == 0 and slack.messages == [] and telegram.messages == []

    clock.current = datetime(2026, 7, 2, 7, 1, tzinfo=UTC)
    result = await _poll_and_deliver(config, clock)
    assert result.sent == 6  # three contracts, two channels
    (digest,) = _slack_digests(slack)
    text = json.dumps(digest["blocks"])
    for title in ("Befriending service", "Carers support", "Independent advocacy"):
        assert title in text
    assert "Road resurfacing" not in text  # not of the subscription's kind
    assert "Day opportunities" not in text  # ends in 2028: not on the radar yet
    assert "ends 31 Mar 2027, no extension option" in text
    assert "held by Large Care plc" in text
    (t_digest,) = _telegram_digests(telegram)
    assert "Befriending service for older people" in t_digest["text"]
    assert (
        "market engagement or tender expected between 30 Sep 2026 and 28 Feb 2027"
        in (t_digest["text"])
    )

    # Once per contract: later rounds make no new items.
    clock.current = datetime(2026, 7, 3, 7, 1, tzinfo=UTC)
    result = await _poll_and_deliver(config, clock)
    assert result.sent == 0 and len(slack.messages) == 1 and len(telegram.messages) == 1

    # An extension, a termination and, later, the re-tender: each a reply under the item.
    fake_cf.pages = [[BEFRIENDING, CARERS, ADVOCACY, ROAD, LATER, EXTENSION, TERMINATION]]
    clock.current = datetime(2026, 9, 12, 9, 0, tzinfo=UTC)
    result = await _poll_and_deliver(config, clock)
    assert result.sent == 4
    replies = slack.messages[1:]
    assert {m["thread_ts"] for m in replies} == {digest["ts"]}
    said = json.dumps(replies)
    assert "Contract extended" in said and "extended to 31 Jan 2028" in said
    assert "Contract ended" in said and "ended 9 Sep 2026" in said
    t_replies = telegram.messages[1:]
    assert {m["reply_parameters"]["message_id"] for m in t_replies} == {t_digest["message_id"]}

    fake_cf.pages = [[BEFRIENDING, CARERS, ADVOCACY, ROAD, LATER, EXTENSION, TERMINATION, RETENDER]]
    clock.current = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
    before = len(slack.messages)
    result = await _poll_and_deliver(config, clock)
    news = slack.messages[before:]
    here = [m for m in news if "The re-tender is here" in json.dumps(m)]
    assert len(here) == 1 and here[0]["thread_ts"] == digest["ts"]
    assert "Open for bids: Befriending service for older people 2027" in json.dumps(here[0])
    # The tender itself is alerted as any matching notice is, on its own.
    assert any("thread_ts" not in m for m in news)

    # Nothing is told twice.
    clock.current = datetime(2026, 10, 16, 12, 0, tzinfo=UTC)
    count = (len(slack.messages), len(telegram.messages))
    await _poll_and_deliver(config, clock)
    assert (len(slack.messages), len(telegram.messages)) == count

    # The backtest, live from the store once the windows have closed: of the three
    # no-extension windows, one re-tender inside, one extension, one termination.
    out = io.StringIO()
    code = main(
        ["radar", "stats", "--config", str(config.path), "--format", "json"],
        clock=FakeClock(datetime(2027, 6, 1, tzinfo=UTC)),
        stdout=out,
    )
    assert code == 0
    labels = {row["label"]: row for row in json.loads(out.getvalue())["labels"]}
    graded = labels["no-extension"]
    assert graded["successor in window"] == 1
    assert graded["extended"] == 1
    assert graded["ended without successor"] == 1
    assert graded["hit_rate"] == pytest.approx(1 / 3)


async def test_radar_digests_keep_each_channels_reference_when_delivered_at_once(
    tmp_path, fake_cf, slack, telegram
):
    clock = FakeClock(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    config = _config(tmp_path, fake_cf, slack, telegram)
    fake_cf.pages = [[BEFRIENDING, CARERS, ADVOCACY]]
    assert (await _poll_and_deliver(config, clock)).sent == 0  # items wait for 08:00

    # Slack's digest is held while Telegram's goes out: the two sends overlap.
    clock.current = datetime(2026, 7, 2, 7, 1, tzinfo=UTC)
    release = threading.Event()
    slack.held["C0123456789"] = release
    async with App(config, clock=clock) as app:
        delivery = asyncio.create_task(app.deliver())
        try:
            await until(lambda: len(_telegram_digests(telegram)) == 1)
            assert slack.messages == [] and not delivery.done()
        finally:
            release.set()
        assert (await delivery).sent == 6
    (digest,) = _slack_digests(slack)
    (t_digest,) = _telegram_digests(telegram)

    # News of the items threads under each channel's own digest message.
    fake_cf.pages = [[BEFRIENDING, CARERS, ADVOCACY, EXTENSION, TERMINATION]]
    clock.current = datetime(2026, 9, 12, 9, 0, tzinfo=UTC)
    assert (await _poll_and_deliver(config, clock)).sent == 4
    assert [m.get("thread_ts") for m in slack.messages[1:]] == [digest["ts"]] * 2
    assert [m["reply_parameters"]["message_id"] for m in telegram.messages[1:]] == [
        t_digest["message_id"]
    ] * 2
