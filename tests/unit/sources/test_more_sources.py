from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rules.library import shipped_paths
from rules.loader import load_rule_set
from sources import feed, html
from sources.errors import PayloadError
from sources.extract import parse_date, parse_money
from sources.ocds import release_to_notice
from sources.ocds_notices import months
from sources.ocds_package import parse_package
from sources.options import OptionError
from tests.conftest import DATA, PCS_RELEASE, S2W_RELEASE, recorded

MADE = DATA / "made"
NOW = datetime(2025, 1, 24, 9, 0, tzinfo=UTC)


def test_scotland_and_wales_regions_are_usable_by_the_rule_engine():
    scotland = load_rule_set(shipped_paths()["scotland"])
    wales = load_rule_set(shipped_paths()["wales"])
    pcs = release_to_notice(json.loads(recorded(PCS_RELEASE).read_text()), source="pcs")
    s2w = release_to_notice(json.loads(recorded(S2W_RELEASE).read_text()), source="sell2wales")
    assert scotland.evaluate(pcs, pcs.release_date).reasons == ("region Scotland (UKM82)",)
    assert wales.evaluate(s2w, s2w.release_date).reasons == ("region Wales",)
    assert wales.evaluate(pcs, pcs.release_date) is None


def test_the_find_a_tender_package_parses_with_the_find_a_tender_mapping():
    parsed = parse_package((MADE / "find_a_tender_package.json").read_bytes(), source="fat")
    assert parsed.page.problems == () and parsed.next_url is None
    by_release = {n.release_id: n for n in parsed.page.notices}
    assert len(by_release) == 11
    befriending = by_release["900001-2026"]
    assert befriending.stage_label == "Open for bids" and befriending.regions == ("UKC22",)
    assert befriending.release_date == datetime(2026, 8, 10, 8, 15, tzinfo=UTC)
    assert by_release["900006-2026"].stage_label == "Cancelled"
    north_east = load_rule_set(shipped_paths()["north-east"])
    match = north_east.evaluate(befriending, befriending.release_date)
    assert match.reasons == ("region North East (UKC22)",)


def test_monthly_windows():
    assert months(datetime(2024, 11, 20, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)) == [
        "11-2024",
        "12-2024",
        "01-2025",
        "02-2025",
    ]


def test_money_and_dates_in_council_text():
    assert parse_money("Estimated value: £45,000 per annum") == (Decimal("45000"), Decimal("45000"))
    assert parse_money("£60,000 - £75,000") == (Decimal("60000"), Decimal("75000"))
    assert parse_money("£2.5m") == (Decimal("2500000.0"), Decimal("2500000.0"))
    assert parse_date("21/02/2025 12:00") == datetime(2025, 2, 21, 12, 0, tzinfo=UTC)
    assert parse_date("14 February 2025") == datetime(2025, 2, 14, 23, 59, 59, tzinfo=UTC)
    assert parse_date("Monday 2nd June 2025 10:00", ["%A %d %B %Y %H:%M"]) == datetime(
        2025, 6, 2, 9, 0, tzinfo=UTC
    )
    assert parse_date("next Tuesday") is None


def feed_options(**raw):
    return feed.read_options(raw)


def test_rss_council_feed_with_deadline_and_value_in_the_text():
    options = feed_options(
        deadline_pattern=r"Closing date:\s*(?P<deadline>\d\d/\d\d/\d{4} \d\d:\d\d)",
        value_pattern=r"value:\s*(?P<value>£[\d,.]+k?)",
        date_format="%d/%m/%Y %H:%M",
        region="North East",
    )
    page = feed.parse(
        (MADE / "council_rss.xml").read_bytes(),
        source="anytown",
        url="https://www.anytown.example.gov.uk/tenders.rss",
        options=options,
        now=NOW,
    )
    assert page.problems == ()
    befriending, highways, carers = page.notices
    assert befriending.id == "ANY-2025-014"
    assert befriending.buyer == "Anytown Borough Council - Current tender opportunities"
    assert befriending.deadline == datetime(2025, 2, 21, 12, 0, tzinfo=UTC)
    assert befriending.value_high == Decimal("45000")
    assert befriending.regions == ("North East",)
    assert "<p>" not in befriending.description and "£45,000 per annum" in befriending.description
    assert befriending.published == datetime(2025, 1, 23, 10, 15, tzinfo=UTC)
    assert highways.title == "Highways Resurfacing Framework 2025–2029"
    assert highways.value_high == Decimal("12000000")
    assert carers.id == carers.url == "https://www.anytown.example.gov.uk/tenders/2025-016"
    assert carers.value_high == Decimal("30000")


def test_atom_feed_and_fixed_buyer():
    options = feed_options(
        buyer="Northtown City Council",
        deadline_pattern=r"Deadline for responses:\s*(?P<deadline>\d+ \w+ \d{4})",
        value_pattern=r"value (?P<value>£[\d,]+ to £[\d,]+)",
    )
    (notice,) = feed.parse(
        (MADE / "council_atom.xml").read_bytes(),
        source="northtown",
        url="https://northtown.example.gov.uk/feed",
        options=options,
        now=NOW,
    ).notices
    assert notice.buyer == "Northtown City Council"
    assert (notice.value_low, notice.value_high) == (Decimal("80000"), Decimal("95000"))
    assert notice.deadline == datetime(2025, 2, 14, 23, 59, 59, tzinfo=UTC)
    assert notice.release_date == datetime(2025, 1, 23, 12, 0, tzinfo=UTC)


def test_malformed_feed_that_still_has_items_is_used_with_a_warning():
    page = feed.parse(
        (MADE / "malformed_rss.xml").read_bytes(),
        source="smalltown",
        url="https://smalltown.example.org/rss",
        options=feed_options(),
        now=NOW,
    )
    assert [n.title for n in page.notices][:1] == ["Village Hall Youth Club Sessions"]
    assert page.problems[0].record_id == "feed" and "malformed feed" in page.problems[0].what


@pytest.mark.parametrize(
    "body", [b"", b"<html><body>Service unavailable</body></html>", b"\xff\xfe\x00garbage"]
)
def test_a_feed_with_nothing_readable_is_an_error(body):
    with pytest.raises(PayloadError, match="not a readable RSS or Atom feed"):
        feed.parse(body, source="x", url="https://x.example/rss", options=feed_options(), now=NOW)


def test_feed_options_are_checked():
    with pytest.raises(OptionError, match=r"deadline_pattern: the pattern needs a named group"):
        feed_options(deadline_pattern=r"Closing: (\S+)")
    with pytest.raises(OptionError, match="colour: unknown key"):
        feed_options(colour="red")


def html_options(**raw):
    return html.read_options(raw)


LISTING = {
    "selectors": {
        "item": "li.tender",
        "title": "h3.title",
        "link": "h3 a",
        "id": ".ref",
        "buyer": ".org",
        "deadline": ".closing",
        "value": ".value",
    },
    "next_page": "a.next",
    "date_format": "Closing: %d/%m/%Y %H:%M",
}


def test_html_listing_page_with_next_page():
    options = html_options(**LISTING)
    url = "https://westshire.example.gov.uk/procurement/opportunities"
    page, next_url = html.parse(
        (MADE / "listing_page1.html").read_bytes(),
        source="westshire",
        url=url,
        options=options,
        now=NOW,
    )
    assert next_url == "https://westshire.example.gov.uk/procurement/opportunities?page=2"
    carers, library = page.notices
    assert carers.id == "W-1001" and carers.title == "Carers Advice and Information Service"
    assert carers.url == "https://westshire.example.gov.uk/procurement/opportunity/W-1001"
    assert carers.deadline == datetime(2025, 2, 28, 12, 0, tzinfo=UTC)
    assert carers.value_high == Decimal("120000") and carers.buyer == "Westshire Council"
    assert library.value_high == Decimal("2500000.0")
    page2, last = html.parse(
        (MADE / "listing_page2.html").read_bytes(),
        source="westshire",
        url=next_url,
        options=options,
        now=NOW,
    )
    assert last is None
    (haf,) = page2.notices
    assert haf.buyer == "Westshire Council & Partners"
    assert (haf.value_low, haf.value_high) == (Decimal("60000"), Decimal("75000"))


def test_html_options_and_empty_pages():
    with pytest.raises(OptionError, match=r"selectors\.title: is required"):
        html_options(selectors={"item": "li"})
    with pytest.raises(OptionError, match="invalid CSS selector"):
        html_options(selectors={"item": "li[", "title": "a"})
    with pytest.raises(PayloadError, match=r"no listing items match 'li\.tender'"):
        html.parse(
            b"<html><body>Maintenance</body></html>",
            source="w",
            url="https://w.example/",
            options=html_options(**LISTING),
            now=NOW,
        )
