from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.alerts import Alert
from bot.delivery.formatting import format_deadline, format_value
from bot.delivery.notifiers import SendError
from bot.delivery.notifiers.console import ConsoleNotifier, render
from sources.notice import Notice

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 1, 24, 9, 0, tzinfo=UTC)
NOTICE = Notice(
    source="cf",
    id="ocds-1",
    release_id="r1",
    stage="tender",
    title="Befriending service",
    buyer="Anytown Council",
    regions=("North East",),
    value_low=Decimal("48000"),
    value_high=Decimal("60000"),
    currency="GBP",
    release_date=NOW,
    deadline=datetime(2025, 2, 14, 14, 0, tzinfo=UTC),
    url="https://example.org/notice/1",
)


def alert(notice=NOTICE, kind="new", reasons=("open notice: open for bids",)):
    return Alert(
        outbox_id=1, kind=kind, subscription="s", channel="console", notice=notice, reasons=reasons
    )


def test_block_has_what_who_value_deadline_where_link_and_why():
    text = render(alert(), now=NOW, zone=LONDON)
    assert text.splitlines() == [
        "== NEW: Befriending service",
        "   Buyer:    Anytown Council",
        "   Value:    £48,000–£60,000",
        "   Deadline: Fri 14 Feb 2025 14:00 GMT (21 days left)",
        "   Region:   North East",
        "   Stage:    Open for bids",
        "   Link:     https://example.org/notice/1",
        "   Why:      what it is: open notice (open for bids)",
        "   Id:       cf ocds-1",
    ]


def test_updated_label_and_missing_fields():
    bare = dataclasses.replace(
        NOTICE, buyer="", regions=(), value_low=None, value_high=None, deadline=None, url=None
    )
    text = render(alert(bare, kind="updated", reasons=()), now=NOW, zone=LONDON)
    assert "== UPDATED: Befriending service" in text
    assert "Buyer:    not stated" in text and "Value:    not stated" in text
    assert "Deadline: not stated" in text and "Region:   not stated" in text
    assert "Why:" not in text


def test_terminal_control_sequences_in_feed_text_are_neutralised():
    hostile = dataclasses.replace(NOTICE, title="Evil\x1b[2J\x1b]0;pwned\x07 title\r\nsecond line")
    text = render(alert(hostile), now=NOW, zone=LONDON)
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "== NEW: Evil [2J ]0;pwned title second line" in text


def test_deadline_wording_in_the_configured_timezone():
    summer = dataclasses.replace(NOTICE, deadline=datetime(2025, 6, 2, 11, 0, tzinfo=UTC))
    assert format_deadline(summer, NOW, LONDON).startswith("Mon 2 Jun 2025 12:00 BST")
    today = dataclasses.replace(NOTICE, deadline=NOW + timedelta(hours=3))
    assert format_deadline(today, NOW, LONDON).endswith("(closes today, 3h left)")
    past = dataclasses.replace(NOTICE, deadline=NOW - timedelta(days=1))
    assert format_deadline(past, NOW, LONDON).endswith("(closed)")
    tomorrow = dataclasses.replace(NOTICE, deadline=NOW + timedelta(days=1))
    assert format_deadline(tomorrow, NOW, LONDON).endswith("(1 day left)")


def test_values():
    assert (
        format_value(
            dataclasses.replace(NOTICE, value_low=Decimal("1250.5"), value_high=Decimal("1250.5"))
        )
        == "£1,250.50"
    )
    assert format_value(dataclasses.replace(NOTICE, currency="EUR", value_low=None)) == "€60,000"


async def test_send_writes_and_a_broken_stream_is_a_send_error():
    stream = io.StringIO()
    await ConsoleNotifier(LONDON, stream).send(alert(), now=NOW)
    assert "Befriending service" in stream.getvalue()
    stream.close()
    with pytest.raises(SendError) as caught:
        await ConsoleNotifier(LONDON, stream).send(alert(), now=NOW)
    assert caught.value.retryable is False
