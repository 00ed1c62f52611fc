"""The radar on email, signed webhook and Teams channels, end to end, and email opt-in.

The constructed history of `test_radar_daemon` (awards long ago, then an extension, a
termination and, months later, the re-tender) is polled from the Contracts Finder imitation
with a controllable clock and delivered to a real SMTP server (aiosmtpd), a webhook receiver
that checks signatures itself and a Teams Workflows imitation. Each radar item goes out in
its digest; each piece of news about it must say which item it follows: email threads under
the digest's ``Message-ID``, the webhook names the item (``radar_item``) and the digest's
``webhook-id``, Teams names the item and its digest.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App
from bot.config import load_config
from bot.radar.shown import listing, shown_lines
from tests.conftest import FakeClock, write_config
from tests.fakes.webhook import SECRET
from tests.integration.conftest import webhook_and_teams_channels
from tests.integration.test_email_subscribers import Site, link_in, subscribe
from tests.integration.test_radar_daemon import (
    ADVOCACY,
    BEFRIENDING,
    CARERS,
    EXTENSION,
    LATER,
    RETENDER,
    ROAD,
    SECTION,
    TERMINATION,
)

OFFICE = "office@charity.example"
SUBSCRIBER = "trustee@charity.example"
PUBLIC = "https://tenderbot.example.org"
AWARDS = [BEFRIENDING, CARERS, ADVOCACY, ROAD, LATER]
ITEMS = {
    "ocds-t-befriend": "Befriending service for older people",
    "ocds-t-carers": "Carers support service",
    "ocds-t-advocacy": "Independent advocacy service",
}
NEWS = {
    "alert.radar-extended": "ocds-t-carers",
    "alert.radar-ended": "ocds-t-advocacy",
    "alert.radar-retender": "ocds-t-befriend",
}


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("TB_WEBHOOK_SECRET", SECRET)


def email_channel(smtp):
    return f"""
[[channels]]
name = "mail"
kind = "email"
to = ["{OFFICE}"]
from = "tenderbot@network.example"
smtp = "smtp://127.0.0.1:{smtp.port}"
public_url = "{PUBLIC}"
"""


def on(path, database):
    """The config at `path` with its store at `database` (a SQLite file or PostgreSQL)."""
    text = path.read_text().replace('database = "bot.db"', f'database = "{database}"', 1)
    path.write_text(text)
    return path


def three_channels(tmp_path, cf, smtp, receiver, workflow, database):
    extra = email_channel(smtp) + webhook_and_teams_channels(receiver, workflow)
    subscriptions = "".join(
        f'[[subscriptions]]\nchannel = "{c}"\nrules = ["small-charities"]\n'
        "remind_days = 0\nradar = true\n\n"
        for c in ("mail", "crm", "teams")
    )
    path = write_config(tmp_path, cf.url, subscriptions=subscriptions, extra=extra)
    return load_config(on(path, database))


async def poll_and_deliver(config, clock):
    async with App(config, clock=clock) as app:
        await app.poll("cf")
        return await app.deliver()


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message):
    return message.get_body(preferencelist=("html",)).get_content()


def card_text(card):
    return "\n".join(e.get("text", "") for e in card["body"])


async def test_news_of_a_radar_item_follows_it_on_email_webhook_and_teams(
    tmp_path, fake_cf, smtp, receiver, workflow, database
):
    clock = FakeClock(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    config = three_channels(tmp_path, fake_cf, smtp, receiver, workflow, database)
    fake_cf.pages = [AWARDS]
    assert (await poll_and_deliver(config, clock)).sent == 0  # items wait for 08:00

    clock.current = datetime(2026, 7, 2, 7, 1, tzinfo=UTC)
    assert (await poll_and_deliver(config, clock)).sent == 9  # three contracts, three channels

    # Email: one digest, its Message-ID what later news replies to.
    (mail_digest,) = smtp.messages
    assert mail_digest["Subject"].startswith(SECTION)
    digest_text = text_of(mail_digest)
    assert all(title in digest_text for title in ITEMS.values())
    assert "Road resurfacing" not in digest_text and "Day opportunities" not in digest_text

    # Webhook: every item in the digest says which contract it is.
    (hook_digest,) = receiver.received
    assert hook_digest["type"] == "digest" and hook_digest["data"]["title"] == SECTION
    items = {a["radar_item"]["ocid"]: a["radar_item"] for a in hook_digest["data"]["alerts"]}
    assert items == {
        ocid: {"source": "cf", "ocid": ocid, "award_id": "1", "title": title}
        for ocid, title in ITEMS.items()
    }

    # Teams: one digest card.
    (teams_digest,) = workflow.cards
    assert SECTION in card_text(teams_digest)

    fake_cf.pages = [[*AWARDS, EXTENSION, TERMINATION]]
    clock.current = datetime(2026, 9, 12, 9, 0, tzinfo=UTC)
    assert (await poll_and_deliver(config, clock)).sent == 6
    fake_cf.pages = [[*AWARDS, EXTENSION, TERMINATION, RETENDER]]
    clock.current = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
    await poll_and_deliver(config, clock)

    # Email: each piece of news threads under the digest that carried its item.
    news = [m for m in smtp.messages[1:] if m["In-Reply-To"] is not None]
    assert len(news) == 3
    for message in news:
        assert message["In-Reply-To"] == mail_digest["Message-ID"]
        assert message["References"] == mail_digest["Message-ID"]
    said = {m["Subject"]: (text_of(m), html_of(m)) for m in news}
    text, html = said["Re: Carers support service"]
    assert "CONTRACT EXTENDED" in text and "extended to 31 Jan 2028" in text
    assert f"Follows the radar item “Carers support service” in “{SECTION}”." in text
    assert "Follows the radar item “Carers support service”" in html
    text, _ = said["Re: Independent advocacy service"]
    assert "CONTRACT ENDED" in text and "ended 9 Sep 2026" in text
    text, _ = said["Re: Befriending service for older people"]
    assert "THE RE-TENDER IS HERE" in text
    assert "Open for bids: Befriending service for older people 2027" in text
    assert "https://notices.example/ocds-t-new-tender" in text
    # The tender itself is alerted as any matching notice is, on its own.
    tender = [m for m in smtp.messages[1:] if m["In-Reply-To"] is None]
    assert [m["Subject"] for m in tender] == ["Befriending service for older people 2027"]

    # Webhook: each piece of news names its item and the digest that carried it.
    hook_news = [d for d in receiver.received if d["type"] in NEWS]
    assert sorted(d["type"] for d in hook_news) == sorted(NEWS)
    for document in hook_news:
        data = document["data"]
        assert data["radar_item"] == items[NEWS[document["type"]]]
        assert data["replaces"] == hook_digest["id"]
    new = [d for d in receiver.received if d["type"] == "alert.new"]
    assert len(new) == 1 and new[0]["data"]["radar_item"] is None

    # Teams: each card of news names the radar item and its digest.
    cards = {card["body"][1]["text"]: card_text(card) for card in workflow.cards[1:]}
    assert len(cards) == 4
    for contract, heading in (
        ("Carers support service", "Contract extended"),
        ("Independent advocacy service", "Contract ended"),
        ("Befriending service for older people", "The re\\-tender is here"),
    ):
        assert heading in cards[contract]
        assert f"Follows the radar item “{contract}” in “{SECTION}”\\." in cards[contract]
    assert "Follows" not in cards["Befriending service for older people 2027"]

    # Nothing is told twice.
    counts = (len(smtp.messages), len(receiver.received), len(workflow.cards))
    clock.current = datetime(2026, 10, 16, 12, 0, tzinfo=UTC)
    await poll_and_deliver(config, clock)
    assert (len(smtp.messages), len(receiver.received), len(workflow.cards)) == counts


def to_subscriber(smtp):
    return [m for m in smtp.messages if m["To"] == SUBSCRIBER]


def page_items(text):
    """The radar lines a page shows: its state, then its list."""
    section = text.split("<h2>Re-tender radar</h2>", 1)[1]
    state = re.search(r"<p><b>(.*?)</b></p>", section).group(1)
    return [state, *(f"- {item}" for item in re.findall(r"<li>(.*?)</li>", section))]


def at(app, clock, when):
    """Move the clock to `when` as the daemon lives through it: its lease kept (PostgreSQL)."""
    clock.current = when
    app.lead.step()


async def test_an_email_subscriber_turns_the_radar_on_from_its_page_and_gets_it_threaded(
    tmp_path, fake_cf, smtp, database
):
    clock = FakeClock(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    path = on(write_config(tmp_path, fake_cf.url, extra=email_channel(smtp)), database)
    code, out = await subscribe(path, clock, SUBSCRIBER, "--rules", "small-charities")
    assert code == 0, out
    confirm = link_in(to_subscriber(smtp)[0], "/email/confirm")
    config = load_config(path)
    fake_cf.pages = [AWARDS]
    async with App(config, clock=clock) as app, Site(app) as site:
        confirmed = await site.post(confirm)
        assert "Radar off. No contracts shown here yet." in confirmed.text
        await app.poll("cf")
        await app.deliver()
        assert app.radar.items() == []  # not opted in: no radar items

        # The confirmation page is the subscriber's own page: its forms hold the link.
        manage = PUBLIC + re.search(r'action="(/email/manage\?t=[^"]+)"', confirmed.text).group(1)
        for months, problem in (
            ("99", "&#x27;99&#x27; is not a number of months from 1 to 36"),
            ("0", "from 1 to 36"),
            ("twelve", "from 1 to 36"),
        ):
            refused = await site.post(manage, radar="on", radar_months=months)
            assert "Not changed" in refused.text and problem in refused.text
        refused = await site.post(manage, radar="sometimes")
        assert "Not changed" in refused.text
        assert app.config.subscriptions[-1].radar is False
        forged = await site.post(manage[:-4] + "AAAA", radar="on", radar_months="12")
        assert forged.status_code == 400
        assert app.config.subscriptions[-1].radar is False

        turned = await site.post(manage, radar="on", radar_months="12")
        assert "Radar on: contracts of your kind ending in the next 12 months" in turned.text
        subscription = app.config.subscriptions[-1]
        assert subscription.name == f"email:{SUBSCRIBER}"
        assert (subscription.radar, subscription.radar_months) == (True, 12)

        at(app, clock, clock.now() + timedelta(minutes=10))  # the next round takes it up
        await app.deliver()
        assert to_subscriber(smtp)[1:] == []  # items wait for the digest at 08:00
        at(app, clock, datetime(2026, 7, 2, 7, 1, tzinfo=UTC))
        await app.deliver()
        (digest,) = to_subscriber(smtp)[1:]
        assert digest["Subject"].startswith(SECTION)
        assert all(title in text_of(digest) for title in ITEMS.values())
        assert "change region, maximum value or radar" in text_of(digest)

        # The page lists what the radar showed, exactly as `radar list` says it in a chat.
        page = await site.get(link_in(digest, "/email/manage"))
        key = f"email:{SUBSCRIBER}"
        expected = listing(True, 12, shown_lines(app.store.db, key))
        assert expected[0] == "Radar on (12 months ahead)." and len(expected) == 4
        assert any(
            line.startswith("- Befriending service for older people: Northbridge Borough Council")
            for line in expected
        )
        assert page_items(page.text) == expected
        assert "radar on (12 months ahead)" in page.text.lower()

        # News of an item threads under the subscriber's own digest.
        fake_cf.pages = [[*AWARDS, EXTENSION]]
        at(app, clock, datetime(2026, 9, 12, 9, 0, tzinfo=UTC))
        await app.poll("cf")
        await app.deliver()
        (news,) = to_subscriber(smtp)[2:]
        assert news["In-Reply-To"] == digest["Message-ID"]
        assert "Follows the radar item “Carers support service”" in text_of(news)

        turned = await site.post(manage, radar="off")
        assert "Radar off" in turned.text
        assert app.config.subscriptions[-1].radar is False
        assert page_items(turned.text)[0] == "Radar off."


async def test_an_admin_may_subscribe_an_address_with_the_radar_on(tmp_path, fake_cf, smtp, capsys):
    clock = FakeClock(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    path = write_config(tmp_path, fake_cf.url, extra=email_channel(smtp))
    for months in ("99", "0", "six"):
        code, out = await subscribe(
            path, clock, SUBSCRIBER, "--rules", "small-charities", "--radar", months
        )
        error = capsys.readouterr().err
        assert code == 2 and f"--radar: '{months}' is not a number of months from 1 to 36" in error
    assert smtp.messages == []

    code, out = await subscribe(
        path, clock, SUBSCRIBER, "--rules", "small-charities", "--radar", "6"
    )
    assert code == 0, out
    (confirmation,) = to_subscriber(smtp)
    assert "contracts of that kind ending in the next 6 months" in text_of(confirmation)
    config = load_config(path)
    async with App(config, clock=clock) as app, Site(app) as site:
        confirm = link_in(confirmation, "/email/confirm")
        shown = await site.get(confirm)
        assert "re-tender radar items 6 months ahead" in shown.text
        confirmed = await site.post(confirm)
        assert "Radar on (6 months ahead). No contracts shown here yet." in confirmed.text
        subscription = app.config.subscriptions[-1]
        assert (subscription.radar, subscription.radar_months) == (True, 6)

    # `--radar` alone: 9 months, as `radar on` in a chat.
    other = "treasurer@charity.example"
    code, out = await subscribe(path, clock, other, "--rules", "small-charities", "--radar")
    assert code == 0, out
    (confirmation,) = [m for m in smtp.messages if m["To"] == other]
    assert "ending in the next 9 months" in text_of(confirmation)
