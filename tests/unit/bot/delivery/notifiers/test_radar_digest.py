"""The radar digest ("Contracts of your kind ending soon") renders on every channel kind.

A radar item's entry is its contract's title and details line (the alert's first two
reasons), never the award release it was read from; both are untrusted feed text, so each
kind escapes them for its own format.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json

from bot.delivery.alerts import RADAR, RADAR_DIGEST_TITLE, RADAR_EXTENDED, RADAR_MODE, Alert, Digest
from bot.delivery.notifiers import slack, teams, telegram, webhook
from bot.delivery.notifiers.console import ConsoleNotifier
from bot.delivery.notifiers.email_render import render_alert as email_alert
from bot.delivery.notifiers.email_render import render_digest as email_digest
from bot.delivery.sender import DIGEST_TITLES
from tests.unit.bot.delivery.notifiers.test_render import LONDON, NOTICE, NOW

CONTRACT = "Befriending <b>service</b> & <!channel> *tea*"
DETAILS = "<@U999> Council · £50,000 a year · ends 31 Mar 2027 · [window](https://evil.example)"
AWARD = dataclasses.replace(
    NOTICE, stage="award", release_id="r1#radar/A1", title="The award release's own title"
)
ITEM = Alert(
    outbox_id=7,
    kind=RADAR,
    subscription="s",
    channel="c",
    notice=AWARD,
    mode=RADAR_MODE,
    reasons=(CONTRACT, DETAILS, "keywords in title: befriending"),
)
DIGEST = Digest(title=DIGEST_TITLES[RADAR_MODE], alerts=(ITEM,))
SECTION = RADAR_DIGEST_TITLE


def test_console_prints_the_radar_item_as_its_contract_in_plain_text():
    out = io.StringIO()
    asyncio.run(ConsoleNotifier(LONDON, out).send_digest(DIGEST, now=NOW))
    text = out.getvalue()
    assert "Contracts of your kind ending soon" in text
    assert f"== RADAR: {CONTRACT}" in text
    assert DETAILS in text
    assert AWARD.title not in text
    hostile = dataclasses.replace(ITEM, reasons=("Title\x1b[31m red", "line\x07 two"))
    out = io.StringIO()
    asyncio.run(
        ConsoleNotifier(LONDON, out).send_digest(Digest(title="t", alerts=(hostile,)), now=NOW)
    )
    assert "\x1b" not in out.getvalue() and "\x07" not in out.getvalue()
    assert "== RADAR: Title[31m red" in out.getvalue()


def test_slack_renders_the_radar_item_escaped():
    message = json.dumps(slack.render_digest(DIGEST, now=NOW, zone=LONDON))
    assert "Contracts of your kind ending soon" in message
    assert "Befriending &lt;b&gt;service&lt;/b&gt; &amp; &lt;!channel&gt;" in message
    assert "&lt;@U999&gt; Council" in message
    assert "<!channel>" not in message and "<@U999>" not in message
    assert AWARD.title not in message


def test_telegram_renders_the_radar_item_escaped():
    message = telegram.render_digest(DIGEST, now=NOW, zone=LONDON)
    assert "<b>Contracts of your kind ending soon</b>" in message.text
    assert "Befriending &lt;b&gt;service&lt;/b&gt; &amp; &lt;!channel&gt; *tea*" in message.text
    assert "&lt;@U999&gt; Council" in message.text
    assert "<b>service</b>" not in message.text
    assert AWARD.title not in message.text


def test_email_renders_the_radar_item_as_text_and_escaped_html():
    body = email_digest(DIGEST, now=NOW, zone=LONDON, links=[], reason="")
    assert CONTRACT in body.text and DETAILS in body.text
    assert "Befriending &lt;b&gt;service&lt;/b&gt; &amp; &lt;!channel&gt;" in body.html
    assert "&lt;@U999&gt; Council" in body.html
    assert "<b>service</b>" not in body.html
    assert AWARD.title not in body.text and AWARD.title not in body.html


def test_teams_renders_the_radar_item_with_markdown_escaped():
    card = teams.render_digest(DIGEST, now=NOW, zone=LONDON)
    texts = [block["text"] for block in card["attachments"][0]["content"]["body"]]
    assert texts[0] == "Contracts of your kind ending soon"
    entry = texts[1]
    assert "Befriending \\<b\\>service\\</b\\>" in entry and "\\*tea\\*" in entry
    assert "\\[window\\]" in entry  # a link in feed text is shown, not made
    assert AWARD.title not in json.dumps(card)


def test_webhook_marks_the_radar_item_and_carries_its_contract():
    data = webhook.digest_document(DIGEST, zone=LONDON)
    assert data["title"] == "Contracts of your kind ending soon"
    (item,) = data["alerts"]
    assert item["kind"] == RADAR
    assert item["reasons"][:2] == [CONTRACT, DETAILS]
    hostile = dataclasses.replace(ITEM, reasons=("Title\u202e reversed\x00", DETAILS))
    (item,) = webhook.digest_document(Digest(title="t", alerts=(hostile,)), zone=LONDON)["alerts"]
    assert "\u202e" not in item["reasons"][0] and "\x00" not in item["reasons"][0]


NEWS = dataclasses.replace(
    ITEM,
    outbox_id=9,
    kind=RADAR_EXTENDED,
    mode="instant",
    reasons=(CONTRACT, "extended to 31 Jan 2028"),
    radar_award="A1",
    reply_to="<tenderbot.digest.abc@network.example>",
)


def test_webhook_names_the_radar_item_on_the_item_and_on_its_news_alike():
    item = webhook.alert_document(dataclasses.replace(ITEM, radar_award="A1"), zone=LONDON)
    news = webhook.alert_document(NEWS, zone=LONDON)
    expected = {"source": AWARD.source, "ocid": AWARD.id, "award_id": "A1", "title": CONTRACT}
    assert item["radar_item"] == news["radar_item"] == expected
    assert news["replaces"] == NEWS.reply_to
    plain = dataclasses.replace(ITEM, kind="new", mode="instant", reasons=("why",))
    assert webhook.alert_document(plain, zone=LONDON)["radar_item"] is None


def test_news_names_its_radar_item_escaped_for_email_and_teams():
    body = email_alert(NEWS, now=NOW, zone=LONDON, links=[], reason="")
    assert f"Follows the radar item “{CONTRACT}” in “{SECTION}”." in body.text
    assert "Follows the radar item “Befriending &lt;b&gt;service&lt;/b&gt; &amp;" in body.html
    card = json.dumps(teams.render(NEWS, now=NOW, zone=LONDON), ensure_ascii=False)
    assert "Follows the radar item “Befriending \\\\<b\\\\>service\\\\</b\\\\>" in card
    assert "\\\\*tea\\\\*" in card


def test_news_whose_item_never_went_out_follows_nothing():
    alone = dataclasses.replace(NEWS, reply_to=None)
    assert "Follows" not in email_alert(alone, now=NOW, zone=LONDON, links=[], reason="").text
    assert "Follows" not in json.dumps(teams.render(alone, now=NOW, zone=LONDON))
