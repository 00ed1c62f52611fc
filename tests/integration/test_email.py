"""Email channels against a real SMTP server (aiosmtpd) on 127.0.0.1, and one-click unsubscribe."""

from __future__ import annotations

import copy
import sys
from datetime import timedelta

import httpx
import pytest

from bot.app import App
from bot.config import ConfigError, load_config
from bot.listener import Listener, make_web_app
from tests.conftest import made_releases, write_config
from tests.fakes.smtp import FakeSmtp

ALL = made_releases()
MATCHING = 4
TO = ("bids@charity.example", "chair@charity.example")
PUBLIC = "https://tenderbot.example.org"
BEFRIENDING = next(r for r in ALL if r["tender"]["title"].startswith("Befriending"))


@pytest.fixture
def smtp():
    with FakeSmtp(login=("mailer", "right password")) as fake:
        yield fake


@pytest.fixture(autouse=True)
def credentials(monkeypatch):
    monkeypatch.setenv("TB_SMTP_USER", "mailer")
    monkeypatch.setenv("TB_SMTP_PASSWORD", "right password")


def config_for(tmp_path, cf, smtp, extra=""):
    to = ", ".join(f'"{a}"' for a in TO)
    channel = f"""
[[channels]]
name = "office-email"
kind = "email"
to = [{to}]
from = "tenderbot <tenderbot@network.example>"
smtp = "smtp://127.0.0.1:{smtp.port}"
username_env = "TB_SMTP_USER"
password_env = "TB_SMTP_PASSWORD"
public_url = "{PUBLIC}"
timeout = "5s"
{extra}
"""
    subs = (
        '[[subscriptions]]\nchannel = "office-email"\nrules = ["small-charities"]\n'
        "remind_days = 0\n"
    )
    return load_config(write_config(tmp_path, cf.url, subscriptions=subs, extra=channel))


async def poll_and_deliver(config, clock):
    async with App(config, clock=clock) as app:
        await app.poll("cf")
        return await app.deliver(), app.outbox.channel_state("office-email")


async def deliver(config, clock):
    async with App(config, clock=clock) as app:
        return await app.deliver(), app.outbox.channel_state("office-email")


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


async def test_each_match_is_mailed_once_to_each_address_as_text_and_html(
    tmp_path, fake_cf, smtp, clock
):
    hostile = copy.deepcopy(BEFRIENDING)
    hostile["tender"]["title"] = "Befriending R&D <3 scheme\r\nBcc: spy@evil.example"
    fake_cf.pages = [[r if r is not BEFRIENDING else hostile for r in ALL]]
    config = config_for(tmp_path, fake_cf, smtp)
    result, _ = await poll_and_deliver(config, clock)
    assert result.sent == MATCHING
    assert len(smtp.messages) == MATCHING * len(TO)
    assert sorted(to for _, (to,) in smtp.envelopes) == sorted(TO * MATCHING)
    assert {sender for sender, _ in smtp.envelopes} == {"tenderbot@network.example"}
    assert smtp.logins and set(smtp.logins) == {"mailer"}

    by_id: dict[str, list] = {}
    for message in smtp.messages:
        by_id.setdefault(message["Message-ID"], []).append(message)
    assert len(by_id) == MATCHING and all(len(copies) == len(TO) for copies in by_id.values())

    message = next(m for m in smtp.messages if "Befriending" in m["Subject"])
    assert message["Bcc"] is None and "\n" not in message["Subject"]
    assert message["Subject"] == "Befriending R&D <3 scheme Bcc: spy@evil.example"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith(f"<{PUBLIC}/email/unsubscribe?t=")
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = parts(message)
    assert "Befriending R&D <3 scheme" in text
    assert "R&D <3" not in html and "R&amp;D &lt;3 scheme" in html
    assert "<style" not in html and 'style="' in html  # the stylesheet was inlined
    assert "View notice" in html and "Why it matched" in text

    clock.advance(minutes=10)
    result, _ = await poll_and_deliver(config, clock)
    assert result.sent == 0 and len(smtp.messages) == MATCHING * len(TO)


async def test_an_update_is_threaded_under_the_first_alert(tmp_path, fake_cf, smtp, clock):
    fake_cf.pages = [[BEFRIENDING]]
    config = config_for(tmp_path, fake_cf, smtp)
    await poll_and_deliver(config, clock)
    amended = copy.deepcopy(BEFRIENDING)
    amended["id"] += "-2"
    amended["tag"] = ["tenderAmendment"]
    amended["date"] = "2025-01-24T09:30:00Z"
    amended["tender"]["tenderPeriod"]["endDate"] = "2025-03-28T12:00:00Z"
    fake_cf.pages = [[amended]]
    clock.advance(hours=1)
    await poll_and_deliver(config, clock)
    first, update = smtp.messages[0], smtp.messages[len(TO)]
    assert update["In-Reply-To"] == first["Message-ID"] == update["References"]
    assert update["Message-ID"] != first["Message-ID"]
    assert update["Subject"] == "Re: " + first["Subject"]
    text, _ = parts(update)
    assert "What changed" in text and "deadline moved" in text


async def test_one_click_unsubscribe_through_the_listener_stops_mail_to_that_address(
    tmp_path, fake_cf, smtp, clock
):
    fake_cf.pages = [[BEFRIENDING]]
    config = config_for(tmp_path, fake_cf, smtp)
    async with App(config, clock=clock) as app:
        await app.poll("cf")
        await app.deliver()
        listener = Listener(
            make_web_app(app.metrics, app.unhealthy, None, app.web_routes()), "127.0.0.1", 0
        )
        await listener.start()
        try:
            header = next(m for m in smtp.messages if m["To"] == TO[1])["List-Unsubscribe"]
            url = header.strip("<>").replace(PUBLIC, f"http://127.0.0.1:{listener.port}")
            async with httpx.AsyncClient() as client:
                page = await client.get(url)
                assert page.status_code == 200 and 'method="post"' in page.text
                forged = await client.post(url[:-3] + "AAA", data={"List-Unsubscribe": "One-Click"})
                assert forged.status_code == 400
                done = await client.post(url, data={"List-Unsubscribe": "One-Click"})
                assert done.status_code == 200 and TO[1] in done.text
        finally:
            await listener.stop()
    other = copy.deepcopy(next(r for r in ALL if r["tender"]["title"].startswith("Tenancy")))
    fake_cf.pages = [[other]]
    clock.advance(hours=1)
    sent_before = len(smtp.messages)
    result, _ = await poll_and_deliver(config, clock)
    assert result.sent == 1
    assert [m["To"] for m in smtp.messages[sent_before:]] == [TO[0]]


async def test_a_421_is_retried_and_each_address_gets_exactly_one_copy(
    tmp_path, fake_cf, smtp, clock
):
    fake_cf.pages = [[BEFRIENDING]]
    smtp.fail(("rcpt", None), ("rcpt", "421 4.3.2 try again later"))
    config = config_for(tmp_path, fake_cf, smtp)
    result, state = await poll_and_deliver(config, clock)
    assert result.retrying == 1 and [m["To"] for m in smtp.messages] == [TO[0]]
    clock.current = state.retry_at + timedelta(seconds=1)
    result, _ = await deliver(config, clock)
    assert result.sent == 1
    assert sorted(m["To"] for m in smtp.messages) == sorted(TO)
    assert len({m["Message-ID"] for m in smtp.messages}) == 1


async def test_a_550_refuses_the_message_and_keeps_it(tmp_path, fake_cf, smtp, clock):
    fake_cf.pages = [[BEFRIENDING]]
    smtp.fail(("data", "550 5.7.1 rejected by policy"))
    config = config_for(tmp_path, fake_cf, smtp)
    result, state = await poll_and_deliver(config, clock)
    assert result.failed == 1 and result.retrying == 0 and state.retry_at is None
    assert smtp.messages == []


async def test_a_connection_dropped_mid_data_is_retried_with_the_same_message_id(
    tmp_path, fake_cf, smtp, clock
):
    fake_cf.pages = [[BEFRIENDING]]
    smtp.fail(("drop", None))
    config = config_for(tmp_path, fake_cf, smtp, extra="")
    result, state = await poll_and_deliver(config, clock)
    assert result.retrying == 1 and len(smtp.dropped) == 1 and smtp.messages == []
    clock.current = state.retry_at + timedelta(seconds=1)
    result, _ = await deliver(config, clock)
    assert result.sent == 1 and sorted(m["To"] for m in smtp.messages) == sorted(TO)
    # The server had the first copy; SMTP cannot say so, so it is sent again, same id.
    assert smtp.dropped[0]["Message-ID"] == smtp.messages[0]["Message-ID"]


async def test_rejected_credentials_pause_the_channel(tmp_path, fake_cf, smtp, clock, monkeypatch):
    monkeypatch.setenv("TB_SMTP_PASSWORD", "wrong")
    fake_cf.pages = [[BEFRIENDING]]
    config = config_for(tmp_path, fake_cf, smtp)
    result, state = await poll_and_deliver(config, clock)
    assert "office-email" in result.paused and "credentials" in result.paused["office-email"]
    assert state.paused_reason and smtp.messages == []


@pytest.mark.parametrize(
    ("replace", "key"),
    [
        (('from = "tenderbot <tenderbot@network.example>"', 'from = "a@b\\nBcc: c@d"'), "from"),
        (('smtp = "smtp://', 'smtp = "http://'), "smtp"),
        (("to = [", 'to = ["not an address", '), "to"),
        (
            ('password_env = "TB_SMTP_PASSWORD"', 'oauth_token_command = "x"\npassword_env = "P"'),
            "oauth_token_command",
        ),
    ],
)
def test_a_bad_key_is_a_config_error_naming_it(tmp_path, fake_cf, smtp, replace, key):
    config_for(tmp_path, fake_cf, smtp)
    path = tmp_path / "tenderbot.toml"
    path.write_text(path.read_text().replace(*replace))
    with pytest.raises(ConfigError, match=rf"channels\[1\] \(office-email\)\.{key}: "):
        load_config(path)


@pytest.mark.parametrize(("token", "delivered"), [("tok-1", True), ("expired", False)])
async def test_xoauth2_with_a_token_command(tmp_path, fake_cf, clock, token, delivered):
    fake_cf.pages = [[BEFRIENDING]]
    with FakeSmtp(oauth=("mailer", "tok-1")) as server:
        config_for(tmp_path, fake_cf, server)
        path = tmp_path / "tenderbot.toml"
        script = tmp_path / "token.py"
        script.write_text(f"print({token!r})\n")
        command = f"{sys.executable} {script}"
        path.write_text(
            path.read_text().replace(
                'password_env = "TB_SMTP_PASSWORD"', f'oauth_token_command = "{command}"'
            )
        )
        result, state = await poll_and_deliver(load_config(path), clock)
        assert server.logins == ["mailer"]
        if delivered:
            assert result.sent == 1 and len(server.messages) == len(TO)
        else:
            assert state.paused_reason and "credentials" in state.paused_reason
            assert server.messages == []


async def test_starttls_required_but_not_offered_pauses_the_channel(tmp_path, fake_cf, smtp, clock):
    fake_cf.pages = [[BEFRIENDING]]
    config = config_for(tmp_path, fake_cf, smtp, extra="starttls = true")
    _, state = await poll_and_deliver(config, clock)
    assert "does not offer STARTTLS" in (state.paused_reason or "")
    assert smtp.messages == [] and smtp.logins == []
