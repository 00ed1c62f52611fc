"""Email subscribers: `tenderbot subscribe email` with double opt-in, and their own page."""

from __future__ import annotations

import asyncio
import copy
import io
import re

import httpx

from bot.app import App
from bot.cli import main
from bot.config import load_config
from bot.listener import Listener, make_web_app
from tests.conftest import made_releases, write_config

ALL = made_releases()
PUBLIC = "https://tenderbot.example.org"
ADDRESS = "trustee@charity.example"


def titled(prefix):
    return next(r for r in ALL if r["tender"]["title"].startswith(prefix))


def write(tmp_path, cf, smtp):
    channel = f"""
[[channels]]
name = "mail"
kind = "email"
to = ["office@charity.example"]
from = "tenderbot@network.example"
smtp = "smtp://127.0.0.1:{smtp.port}"
public_url = "{PUBLIC}"
"""
    subs = '[[subscriptions]]\nchannel = "console"\nrules = ["small-charities"]\nremind_days = 0\n'
    return write_config(tmp_path, cf.url, subscriptions=subs, extra=channel)


def link_in(message, path):
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(rf"{re.escape(PUBLIC)}{path}\?t=\S+", text).group(0)


class Site:
    """The daemon's listener for one App, reached at the links' public URL."""

    def __init__(self, app):
        self.app = app
        self.listener = Listener(
            make_web_app(app.metrics, app.unhealthy, None, app.web_routes()), "127.0.0.1", 0
        )

    async def __aenter__(self):
        await self.listener.start()
        self.client = httpx.AsyncClient()
        return self

    async def __aexit__(self, *exc):
        await self.client.aclose()
        await self.listener.stop()

    def local(self, url):
        return url.replace(PUBLIC, f"http://127.0.0.1:{self.listener.port}")

    async def get(self, url):
        return await self.client.get(self.local(url))

    async def post(self, url, **form):
        return await self.client.post(self.local(url), data=form)


def to_subscriber(smtp):
    return [m for m in smtp.messages if m["To"] == ADDRESS]


async def subscribe(path, clock, *args):
    out = io.StringIO()
    code = await asyncio.to_thread(
        main, ["subscribe", "email", *args, "--config", str(path)], clock=clock, stdout=out
    )
    return code, out.getvalue()


async def test_nothing_is_sent_before_confirmation_then_the_page_changes_what_arrives(
    tmp_path, fake_cf, smtp, clock
):
    path = write(tmp_path, fake_cf, smtp)
    code, out = await subscribe(path, clock, ADDRESS, "--rules", "small-charities")
    assert code == 0, out
    (confirmation,) = to_subscriber(smtp)
    assert confirmation["List-Unsubscribe"] is None
    confirm = link_in(confirmation, "/email/confirm")

    config = load_config(path)
    fake_cf.pages = [[titled("Befriending")]]
    async with App(config, clock=clock) as app:
        await app.poll("cf")
        await app.deliver()
        assert len(to_subscriber(smtp)) == 1  # unconfirmed: nothing but the confirmation
        async with Site(app) as site:
            shown = await site.get(confirm)
            assert shown.status_code == 200 and len(to_subscriber(smtp)) == 1
            done = await site.post(confirm)
            assert done.status_code == 200 and "Confirmed" in done.text
            # Taken up at once by the running application.
            fake_cf.pages = [[titled("Tenancy")]]
            clock.advance(minutes=10)
            await app.poll("cf")
            await app.deliver()
            alert = to_subscriber(smtp)[-1]
            assert "Tenancy" in alert["Subject"]
            manage = link_in(alert, "/email/manage")
            assert alert["List-Unsubscribe"]

            page = await site.get(manage)
            assert page.status_code == 200 and ADDRESS in page.text
            paused = await site.post(manage, do="pause")
            assert "Paused" in paused.text
            fake_cf.pages = [[titled("Domestic Abuse Support Services - Adults")]]
            clock.advance(minutes=10)
            await app.poll("cf")
            await app.deliver()
            assert to_subscriber(smtp)[-1] is alert  # paused: nothing is sent
            await site.post(manage, do="resume")
            fake_cf.pages = [[titled("Domestic Abuse Support Services - Children")]]
            clock.advance(minutes=10)
            await app.poll("cf")
            await app.deliver()
            assert "Children" in to_subscriber(smtp)[-1]["Subject"]

            bad = await site.post(manage, max_value="lots")
            assert "Not changed" in bad.text
            await site.post(manage, max_value="£1,000")
            again = copy.deepcopy(titled("Befriending"))
            again["ocid"] += "-again"
            again["id"] += "-again"
            fake_cf.pages = [[again]]
            clock.advance(minutes=10)
            count = len(to_subscriber(smtp))
            await app.poll("cf")
            await app.deliver()
            assert len(to_subscriber(smtp)) == count  # over the subscriber's maximum value

            await site.post(manage, mode="daily")
            assert app.config.subscriptions[-1].mode == "daily"
            await site.post(manage, regions="London, North East")
            assert app.config.subscriptions[-1].regions == ("London", "North East")

            forged = await site.post(manage[:-4] + "AAAA", do="resume")
            assert forged.status_code == 400
            gone = await site.post(manage, do="unsubscribe")
            assert "Unsubscribed" in gone.text
    assert [s.name for s in app.config.subscriptions if s.name.startswith("email:")] == []


async def test_subscribe_refuses_bad_input_naming_it(tmp_path, fake_cf, smtp, clock):
    path = write(tmp_path, fake_cf, smtp)
    code, _ = await subscribe(path, clock, "not an address", "--rules", "small-charities")
    assert code == 2
    code, _ = await subscribe(path, clock, ADDRESS, "--rules", "no-such-set")
    assert code == 2
    text = path.read_text().replace(f'public_url = "{PUBLIC}"\n', "")
    path.write_text(text)
    code, _ = await subscribe(path, clock, ADDRESS, "--rules", "small-charities")
    assert code == 2 and smtp.messages == []
