"""Email bodies and headers from hostile feed text: escaped in HTML, never a new header."""

from __future__ import annotations

import dataclasses

import pytest

from bot.delivery.notifiers.email_render import one_line, render_alert
from bot.delivery.notifiers.email_smtp import HeaderInjection, header, mail_address
from tests.unit.bot.delivery.notifiers.test_render import ALERT, LONDON, NOW


def test_feed_text_is_escaped_in_html_and_plain_in_text():
    body = render_alert(ALERT, now=NOW, zone=LONDON, links=[], reason="a test")
    assert "<script>" not in body.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in body.html
    assert "<b>bold</b>" not in body.html and "&lt;b&gt;bold&lt;/b&gt;" in body.html
    assert "<script>alert(1)</script>" in body.text
    assert 'href="https://portal.example/advert?id=1&amp;x=2"' in body.html
    assert "<style" not in body.html and 'style="' in body.html


def test_a_title_with_line_breaks_makes_a_one_line_subject():
    notice = dataclasses.replace(ALERT.notice, title="Tender\r\nBcc: spy@evil.example\x00")
    body = render_alert(
        dataclasses.replace(ALERT, notice=notice), now=NOW, zone=LONDON, links=[], reason=""
    )
    assert body.subject == "Tender Bcc: spy@evil.example"
    assert one_line("a\r\n\tb\u2028c") == "a b c"


@pytest.mark.parametrize("value", ["a\r\nBcc: x@y", "a\nb", "a\rb"])
def test_a_header_value_with_a_line_break_is_refused(value):
    with pytest.raises(HeaderInjection):
        header(value)


@pytest.mark.parametrize("text", ["not an address", "a@b@c", "a @b.example", "x@y\nBcc: z@w"])
def test_only_plain_addresses_are_accepted(text):
    with pytest.raises(ValueError):
        mail_address(text)


def test_a_named_address_gives_its_address():
    assert mail_address("tenderbot <bot@network.example>") == "bot@network.example"
