"""The email channels' pages: text a subscriber or a feed supplied is escaped on every page."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from bot.delivery.notifiers.email_templates import PAGES, render_page

HOSTILE = "\"'><script>alert(1)</script>"
"""Closes an attribute, then opens a script: harmless only if escaped in text and attributes."""

VALUES = {
    "link_not_valid": {"error": HOSTILE},
    "unsubscribe": {"address": HOSTILE, "action": HOSTILE},
    "unsubscribed": {"address": HOSTILE},
    "confirm": {
        "address": HOSTILE,
        "rule_sets": (HOSTILE, "small-charities"),
        "radar": True,
        "radar_months": 24,
        "action": HOSTILE,
    },
    "manage": {
        "action": HOSTILE,
        "note": HOSTILE,
        "address": HOSTILE,
        "state": HOSTILE,
        "rule_sets": (HOSTILE,),
        "regions": HOSTILE,
        "max_value": HOSTILE,
        "pause": "pause",
        "other_modes": ["daily", "weekly"],
        "radar": True,
        "radar_months": 24,
        "max_radar_months": 60,
        "radar_state": HOSTILE,
        "radar_items": [HOSTILE, "Meals on wheels, ends 2027-03-31"],
    },
}


def test_every_page_has_hostile_values_here():
    assert set(VALUES) == set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_hostile_text_is_escaped_on_every_page(name):
    page = render_page(name, **VALUES[name])
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find_all("script") == []
    # The text reads as typed: escaped, not dropped.
    shown = soup.get_text() + "".join(
        str(value) for tag in soup.find_all(True) for value in tag.attrs.values()
    )
    assert HOSTILE in shown


def test_the_manage_page_keeps_its_forms():
    page = render_page("manage", **{**VALUES["manage"], "action": "/email/manage?t=abc.def"})
    soup = BeautifulSoup(page, "html.parser")
    forms = soup.find_all("form")
    assert {f["action"] for f in forms} == {"/email/manage?t=abc.def"}
    assert [b.get_text() for b in soup.find_all("button")] == [
        "Pause",
        "Switch to daily",
        "Switch to weekly",
        "Change regions",
        "Change maximum value",
        "Change months",
        "Turn radar off",
        "Unsubscribe",
    ]
    assert soup.find("input", attrs={"name": "regions"})["value"] == HOSTILE
    assert [li.get_text() for li in soup.find_all("li")] == VALUES["manage"]["radar_items"]
    off = render_page("manage", **{**VALUES["manage"], "radar": False, "radar_items": []})
    soup = BeautifulSoup(off, "html.parser")
    assert "Turn radar on" in [b.get_text() for b in soup.find_all("button")]
    assert "Turn radar off" not in off and soup.find("ul") is None
