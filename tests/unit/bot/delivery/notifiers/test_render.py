"""Rendering is pure: hostile feed text shows as text, within every limit."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.delivery.alerts import Alert, Digest
from bot.delivery.changes import describe_changes
from bot.delivery.digests import next_digest_time
from bot.delivery.notifiers import slack, telegram
from sources.notice import Notice

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 1, 24, 9, 0, tzinfo=UTC)
HOSTILE = "<!channel> <!here> <@U123> <https://evil.example|click me> <b>bold</b> &amp; Tom & Jerry"
NOTICE = Notice(
    source="cf",
    id="ocds-1",
    release_id="r1",
    stage="tender",
    title=HOSTILE,
    description="<script>alert(1)</script> " + "long text " * 1000,
    buyer="<@U999> Council",
    regions=("North East",),
    value_low=Decimal("48000"),
    value_high=Decimal("60000"),
    currency="GBP",
    release_date=NOW,
    deadline=NOW + timedelta(days=21),
    url="https://www.contractsfinder.service.gov.uk/Notice/1",
    portal_url="https://portal.example/advert?id=1&x=2",
)
ALERT = Alert(
    outbox_id=1,
    kind="new",
    subscription="s",
    channel="c",
    notice=NOTICE,
    reasons=('keywords: "<!channel>"',),
)


def all_text(blocks):
    return json.dumps(blocks)


def test_slack_escapes_every_inserted_value_and_never_pings():
    message = slack.render(ALERT, now=NOW, zone=LONDON)
    dumped = all_text(message)
    for raw in ("<!channel>", "<!here>", "<@U123>", "<@U999>", "<https://evil", "<b>", "<script>"):
        assert raw not in dumped
    assert "&lt;!channel&gt;" in message["blocks"][0]["text"]["text"]
    assert "&amp;amp; Tom &amp; Jerry" in message["text"]
    assert "link_names" not in message


def test_slack_limits_header_sections_and_fallback():
    long = dataclasses.replace(NOTICE, title="T" * 400, description="word " * 5000)
    message = slack.render(dataclasses.replace(ALERT, notice=long), now=NOW, zone=LONDON)
    assert len(message["blocks"][0]["text"]["text"]) <= 150
    for block in message["blocks"]:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
    description = next(
        b for b in message["blocks"] if b.get("text", {}).get("text", "").startswith("word")
    )
    assert description["text"]["text"].endswith("|Read the full notice>")
    assert "…" in description["text"]["text"]
    assert len(message["text"]) <= 3000


def test_slack_buttons_only_for_safe_urls():
    odd = dataclasses.replace(NOTICE, url="javascript:alert(1)", portal_url="https://x.example/a b")
    message = slack.render(dataclasses.replace(ALERT, notice=odd), now=NOW, zone=LONDON)
    assert all(b["type"] != "actions" for b in message["blocks"])


def test_telegram_escapes_and_stays_within_4096_after_entities():
    message = telegram.render(ALERT, now=NOW, zone=LONDON)
    assert "<b>bold</b>" not in message.text.replace("<b>New</b>", "")
    assert "&lt;b&gt;bold&lt;/b&gt;" in message.text
    assert "&lt;script&gt;" in message.text
    assert "&amp;amp; Tom &amp; Jerry" in message.text
    assert telegram.visible_length(message.text) <= 4096
    assert message.text.rstrip().endswith("</i>")  # reasons survive the cut
    assert "…" in message.text
    assert message.buttons == (
        ("View notice", NOTICE.url),
        ("Bid on portal", "https://portal.example/advert?id=1&x=2"),
    )


def test_telegram_survives_an_absurdly_long_title():
    huge = dataclasses.replace(NOTICE, title="<b>" * 3000)
    message = telegram.render(dataclasses.replace(ALERT, notice=huge), now=NOW, zone=LONDON)
    assert telegram.visible_length(message.text) <= 4096
    assert "<b><b>" not in message.text


def test_digests_split_to_fit_and_keep_every_alert():
    alerts = tuple(
        dataclasses.replace(
            ALERT,
            outbox_id=i,
            notice=dataclasses.replace(NOTICE, id=f"n{i}", title=f"Notice {i} " + "x" * 200),
        )
        for i in range(100)
    )
    digest = Digest(title="Daily digest", alerts=alerts)
    parts = telegram.split_digest(digest, now=NOW, zone=LONDON)
    assert len(parts) > 1 and [a for p in parts for a in p.alerts] == list(alerts)
    for part in parts:
        assert (
            telegram.visible_length(telegram.render_digest(part, now=NOW, zone=LONDON).text) <= 4096
        )
    parts = slack.split_digest(digest)
    assert [len(p.alerts) for p in parts] == [40, 40, 20]
    rendered = slack.render_digest(parts[2], now=NOW, zone=LONDON)
    assert rendered["blocks"][0]["text"]["text"] == "Daily digest (part 3 of 3)"
    assert "&lt;!channel&gt;" not in all_text(rendered)  # titles replaced; buyer escaped
    assert "<@U999>" not in all_text(rendered)


def test_changes_in_words():
    moved = dataclasses.replace(
        NOTICE, deadline=NOTICE.deadline + timedelta(days=7), value_high=Decimal("70000")
    )
    assert describe_changes(NOTICE, moved, LONDON) == [
        "deadline moved from 14 Feb 2025 09:00 to 21 Feb 2025 09:00",
        "value changed from £48,000–£60,000 to £48,000–£70,000",
    ]
    cancelled = dataclasses.replace(NOTICE, stage="tenderCancellation")
    assert describe_changes(NOTICE, cancelled, LONDON) == ["the notice was cancelled or withdrawn"]
    assert describe_changes(NOTICE, NOTICE, LONDON) == ["documents or details amended"]


def test_digest_times_in_local_time():
    at = time(8, 0)
    assert next_digest_time("daily", at, LONDON, NOW) == datetime(2025, 1, 25, 8, 0, tzinfo=UTC)
    summer = datetime(2025, 6, 1, 6, 0, tzinfo=UTC)  # 07:00 BST
    assert next_digest_time("daily", at, LONDON, summer) == datetime(2025, 6, 1, 7, 0, tzinfo=UTC)
    # 24 January 2025 is a Friday: the weekly digest goes on Monday 27th.
    assert next_digest_time("weekly", at, LONDON, NOW) == datetime(2025, 1, 27, 8, 0, tzinfo=UTC)
