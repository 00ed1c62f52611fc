"""Alerts read as a person reads: places by name, postcodes spaced, a short grouped Why."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.alerts import Alert
from bot.delivery.formatting import format_place
from bot.delivery.notifiers import console, slack, telegram
from bot.delivery.notifiers.content import content_of
from bot.delivery.place_names import format_postcode, itl_names, itl_place, postcode_place
from bot.delivery.why import CHAT_WHY_LIMIT, full_why, short_why
from sources.notice import Notice
from sources.ocds import release_to_notice

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 8, 10, 9, 0, tzinfo=UTC)
# Reasons as the shipped rule sets give them for one recorded notice: keywords in the title
# and the description repeat, and the line ran to 300+ characters.
REASONS = (
    "open notice: updated",
    "Lot 1 £96,829 a year over 1.5 years ≤ £400,000",
    "28 days left to respond",
    'keywords in title: "community"',
    'keywords in title: "community", "voluntary"',
    'keywords in description: "community", "carers", "young people", "befriending"',
    "CPV 85311000 Social work services with accommodation",
    "marked suitable for VCSEs",
    "below the procurement threshold",
    "region South East (UKJ3)",
)


def _notice(**fields: object) -> Notice:
    base: dict[str, object] = {
        "source": "fat",
        "id": "ocds-1",
        "release_id": "ocds-1-2",
        "stage": "tender",
        "title": "Befriending",
        "release_date": NOW,
        "deadline": NOW + timedelta(days=28),
    }
    return Notice(**{**base, **fields})  # type: ignore[arg-type]


def _alert(notice: Notice, kind: str = "new", reasons: tuple[str, ...] = REASONS) -> Alert:
    return Alert(
        outbox_id=1, kind=kind, subscription="s", channel="c", notice=notice, reasons=reasons
    )


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("UKJ3", "South East · Hampshire and Isle of Wight"),
        ("TLJ3", "South East · Hampshire and Isle of Wight"),
        ("UKJ", "South East"),
        ("UKJ35", "South East · Hampshire and Isle of Wight · South Hampshire"),
        ("UKJ38", "South East · Hampshire and Isle of Wight · UKJ38"),
        ("UKN0", "Northern Ireland"),
        ("UK", "the whole UK"),
        ("North East", "North East"),
    ],
)
def test_itl_codes_read_as_names(code: str, said: str) -> None:
    assert itl_place(code) == said


def test_the_itl_data_covers_every_itl1_and_itl2_code_and_names_its_source() -> None:
    text = resources.files("rules").joinpath("data", "itl_names.csv").read_text()
    assert "Office for National Statistics" in text.split("code,name")[0]
    names = itl_names()
    assert len([c for c in names if len(c) == 3]) == 12
    assert len([c for c in names if len(c) == 4]) == 41
    rows = [r for r in csv.reader(line for line in text.splitlines() if line[:1] != "#")]
    assert all(len(row) == 2 for row in rows)


def test_postcodes_are_spaced_and_named_by_their_town() -> None:
    assert format_postcode("CH21UL") == "CH2 1UL"
    assert format_postcode("sw1a1aa") == "SW1A 1AA"
    assert format_postcode("not a postcode") == "not a postcode"
    assert postcode_place("CH21UL") == "CH2 1UL, Chester"
    assert postcode_place("NE1 4ST", "Gateshead") == "NE1 4ST, Gateshead"
    notice = _notice(buyer_postcode="CH21UL")
    assert format_place(notice) == "buyer at CH2 1UL, Chester"
    assert format_place(_notice(regions=("UKJ3",))) == "South East · Hampshire and Isle of Wight"


def test_the_buyers_town_is_read_from_the_release() -> None:
    release = {
        "ocid": "ocds-x-1",
        "id": "ocds-x-1-1",
        "date": "2026-08-10T09:00:00Z",
        "tag": ["tender"],
        "buyer": {"id": "b", "name": "Council"},
        "parties": [
            {
                "id": "b",
                "roles": ["buyer"],
                "address": {"postalCode": "ch21ul", "locality": "Chester"},
            }
        ],
        "tender": {"title": "Befriending", "status": "active"},
    }
    notice = release_to_notice(release, source="fat")
    assert notice.buyer_town == "Chester"
    assert format_place(notice) == "buyer at CH2 1UL, Chester"


def test_why_is_grouped_without_repeats_and_short_in_chat() -> None:
    why = short_why(REASONS)
    assert len(why) <= CHAT_WHY_LIMIT
    assert "keywords in" not in why
    assert why.count("community") == 1
    assert why.index("Social work") < why.index("community") < why.index("suits VCSEs")
    assert why.index("suits VCSEs") < why.index("£96,829") < why.index("28 days left")
    full = full_why(REASONS)
    assert [line.split(":")[0] for line in full] == [
        "what it is",
        "who it serves",
        "signals",
        "scale",
        "time left",
        "where",
    ]
    assert full[1] == "who it serves: community, voluntary, carers, young people, befriending"


def test_chat_alerts_carry_the_short_why_and_the_console_the_full_one() -> None:
    alert = _alert(_notice(regions=("UKJ3",)))
    message = telegram.render(alert, now=NOW, zone=LONDON).text
    line = next(x for x in message.splitlines() if x.startswith("<i>Why it matched: "))
    assert len(line.removeprefix("<i>Why it matched: ").removesuffix("</i>")) <= CHAT_WHY_LIMIT
    assert "keywords in title" not in message
    blocks = slack.render(alert, now=NOW, zone=LONDON)
    assert "keywords in title" not in str(blocks)
    block = console.render(alert, now=NOW, zone=LONDON)
    assert "who it serves: community, voluntary, carers, young people, befriending" in block
    assert "Region:   South East · Hampshire and Isle of Wight" in block


@pytest.mark.parametrize("stage", ["tenderUpdate", "tenderAmendment"])
def test_an_alert_headed_new_never_says_updated(stage: str) -> None:
    notice = _notice(stage=stage)
    fields = dict(content_of(_alert(notice), now=NOW, zone=LONDON).fields)
    assert fields["Stage"] == "Open for bids"
    assert "Updated" not in console.render(_alert(notice), now=NOW, zone=LONDON)
    updated = dict(content_of(_alert(notice, "updated"), now=NOW, zone=LONDON).fields)
    assert updated["Stage"] != "Open for bids"
