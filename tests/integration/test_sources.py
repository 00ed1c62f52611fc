"""Every source kind polled against local imitations, side by side, with `tenderbot poll`."""

from __future__ import annotations

import copy
import io
import itertools
import re

import pytest

from bot.cli import main
from bot.store import Store
from tests.conftest import DATA, PCS_RELEASE, S2W_RELEASE, recorded, releases, write_config
from tests.fakes.find_a_tender import redated, serve_find_a_tender
from tests.fakes.publishers import ENTITY_BOMB, FakePublisher, release_json

MADE = DATA / "made"
FAT_PATH = "/api/1.0/ocdsReleasePackages"


@pytest.fixture
def web(clock):
    with FakePublisher(clock) as fake:
        yield fake


def source(name, kind, url, since='"1000d"', **extra):
    lines = [
        f'[[sources]]\nname = "{name}"\nkind = "{kind}"\nurl = "{url}"\nsince = {since}',
        'retries = 1\nbackoff = "1s"\ntimeout = "5s"',
    ]
    lines += [f"{key} = {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n\n"


FEED_OPTIONS = {
    "region": '"North East"',
    "deadline_pattern": r"'Closing date:\s*(?P<deadline>\d\d/\d\d/\d{4} \d\d:\d\d)'",
    "value_pattern": r"'value:\s*(?P<value>£[\d,.]+k?)'",
}
HTML_OPTIONS = {
    "selectors": '{ item = "li.tender", title = "h3.title", link = "h3 a", id = ".ref", '
    'buyer = ".org", deadline = ".closing", value = ".value" }',
    "next_page": '"a.next"',
    "date_format": '"Closing: %d/%m/%Y %H:%M"',
}


def poll(config, clock, *args):
    out = io.StringIO()
    code = main(["poll", "--config", str(config), *args], clock=clock, stdout=out)
    return code, out.getvalue()


def stored(config, source_name=None):
    store = Store(config.parent / "bot.db")
    try:
        return store.count_notices(source_name)
    finally:
        store.close()


def test_every_kind_side_by_side_stores_each_item_once(tmp_path, fake_cf, web, clock):
    fake_cf.pages = [releases()[:20]]
    fat_releases = release_json(MADE / "find_a_tender_package.json")["releases"]
    serve_find_a_tender(web, redated(fat_releases, "2026-08-10", "2025-01-23"))
    web.serve_months("/pcs/v1/Notices", {"04-2019": [release_json(recorded(PCS_RELEASE))]})
    web.serve_months("/s2w/v1/Notices", {"12-2024": [release_json(recorded(S2W_RELEASE))]})
    web.serve("/anytown/tenders.rss", (MADE / "council_rss.xml").read_bytes())
    web.serve("/northtown/feed.atom", (MADE / "council_atom.xml").read_bytes())
    web.serve("/westshire/opportunities", (MADE / "listing_page1.html").read_bytes(), "text/html")
    page2 = (MADE / "listing_page2.html").read_bytes()
    web.routes["/westshire/opportunities"] = _paged(web.routes["/westshire/opportunities"], page2)
    extra = (
        source("fat", "find_a_tender", web.url)
        + source("pcs", "pcs", web.url + "/pcs", since='"2400d"', notice_types="[2]")
        + source("s2w", "sell2wales", web.url + "/s2w", since='"700d"')
        + source("anytown", "feed", web.url + "/anytown/tenders.rss", **FEED_OPTIONS)
        + source(
            "northtown", "feed", web.url + "/northtown/feed.atom", buyer='"Northtown City Council"'
        )
        + source("westshire", "html", web.url + "/westshire/opportunities", **HTML_OPTIONS)
    )
    config = write_config(tmp_path, fake_cf.url, extra=extra)

    code, out = poll(config, clock)
    assert code == 0, out
    assert stored(config, "fat") == 8  # eight processes (11 releases)
    assert stored(config, "pcs") == 1 and stored(config, "s2w") == 1
    assert stored(config, "anytown") == 3 and stored(config, "northtown") == 1
    assert stored(config, "westshire") == 3
    assert "== NEW: Befriending and Social Isolation Service for Older People" in out
    assert "== NEW: Holiday Activities and Food Programme 2025" in out
    assert "== NEW: Befriending & Social Isolation Service for Older People" in out
    assert "Library Volunteering Programme" not in out  # UK7: a contract, never an opportunity
    assert "Dynamic Market for Community Transport" not in out  # UK15: never an opportunity
    fat = web.requests_to(FAT_PATH)
    # The last window ends at the poll's time, in London time (GMT in January).
    assert fat[-1]["query"]["updatedTo"] == "2025-01-24T09:00:00"
    assert "stages" not in fat[0]["query"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", fat[0]["query"]["updatedFrom"])
    s2w_months = [r["query"]["dateFrom"] for r in web.requests_to("/s2w/v1/Notices")]
    assert s2w_months[0] == "02-2023" and s2w_months[-1] == "01-2025" and len(s2w_months) == 96
    s2w_types = {r["query"]["noticeType"] for r in web.requests_to("/s2w/v1/Notices")}
    assert s2w_types == {"2", "21", "101", "102"}  # below-threshold site notices too
    assert all(r["headers"]["User-Agent"].startswith("tenderbot/") for r in web.requests)

    # Second poll: feeds and the first listing page answer 304; nothing new anywhere.
    before = len(web.requests)
    clock.advance(hours=2)
    code, out = poll(config, clock)
    assert code == 0 and "== NEW" not in out
    cf_distinct = len({r["ocid"] for r in releases()[:20]})
    assert stored(config) == cf_distinct + 8 + 1 + 1 + 3 + 1 + 3
    conditional = [r for r in web.requests[before:] if "If-None-Match" in r["headers"]]
    assert {r["path"] for r in conditional} == {
        "/anytown/tenders.rss",
        "/northtown/feed.atom",
        "/westshire/opportunities",
    }


def _paged(first_route, page2_body):
    def route(query, headers):
        if query.get("page") == "2":
            return 200, {"Content-Type": "text/html"}, page2_body
        return first_route(query, headers)

    return route


def test_find_a_tender_pacing_never_exceeds_12_requests_in_any_2_minutes(
    tmp_path, fake_cf, web, clock
):
    base = release_json(MADE / "find_a_tender_package.json")["releases"][0]
    many = []
    for n in range(250):  # one day holding two and a half pages
        release = copy.deepcopy(base)
        release["ocid"] += f"-{n}"
        release["id"] += f"-{n}"
        release["date"] = f"2025-01-23T{n // 60 % 24:02d}:{n % 60:02d}:00+00:00"
        many.append(release)
    serve_find_a_tender(web, many)
    fake_cf.pages = [[]]
    config = write_config(tmp_path, fake_cf.url, extra=source("fat", "find_a_tender", web.url))
    code, _ = poll(config, clock, "--source", "fat")
    assert code == 0
    times = [r["at"] for r in web.requests_to(FAT_PATH)]
    assert len(times) > 3  # full windows were split
    for i, start in enumerate(times):
        window = [t for t in times[i:] if (t - start).total_seconds() < 120]
        assert len(window) <= 12
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 13
    assert all("cursor" not in r["query"] for r in web.requests_to(FAT_PATH))
    assert stored(config, "fat") == 250


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/huge.rss", b"<rss>" + b" " * (50 * 1024 * 1024) + b"</rss>", "exceeds"),
        (
            "/bad-utf8.rss",
            b'<?xml version="1.0" encoding="utf-8"?><rss><channel>\xff\xfe\xfd',
            "not a readable RSS or Atom feed",
        ),
        ("/bomb.rss", ENTITY_BOMB, "not a readable RSS or Atom feed"),
    ],
)
def test_hostile_feeds_fail_cleanly_while_the_other_sources_succeed(
    tmp_path, fake_cf, web, clock, capsys, path, body, message
):
    web.serve(path, body)
    web.serve("/anytown/tenders.rss", (MADE / "council_rss.xml").read_bytes())
    fake_cf.pages = [releases()[:10]]
    extra = source("hostile", "feed", web.url + path) + source(
        "anytown", "feed", web.url + "/anytown/tenders.rss"
    )
    config = write_config(tmp_path, fake_cf.url, extra=extra)
    code, _ = poll(config, clock)
    assert code == 1
    store = Store(config.parent / "bot.db")
    state = store.source_state("hostile")
    assert state.consecutive_failures == 1 and message in state.last_error
    assert state.last_error.startswith(f"hostile: GET {web.url}{path}")
    assert store.count_notices("anytown") == 3 and store.count_notices("cf") > 0
    assert store.count_notices("hostile") == 0
    store.close()
    assert "Traceback" not in capsys.readouterr().err


def test_the_same_tender_on_contracts_finder_and_a_council_feed_is_alerted_once(
    tmp_path, fake_cf, web, clock
):
    dudley = [
        r
        for r in releases()
        if r["tender"]["title"] == "Domestic Abuse Support Services - Children"
    ]
    fake_cf.pages = [dudley]
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Dudley tenders</title>
    <item><title>Domestic Abuse Support Services - Children</title>
    <link>https://dudley.example.gov.uk/tenders/DA-77</link><guid>DA-77</guid>
    <pubDate>Thu, 23 Jan 2025 10:00:00 GMT</pubDate>
    <description>Closing date: 14/02/2025 14:00</description></item></channel></rss>"""
    web.serve("/dudley.rss", feed)
    extra = source(
        "dudley",
        "feed",
        web.url + "/dudley.rss",
        buyer='"Dudley Metropolitan Borough Council"',
        deadline_pattern=r"'Closing date:\s*(?P<deadline>[\d/]+ [\d:]+)'",
    )
    config = write_config(tmp_path, fake_cf.url, extra=extra)
    code, out = poll(config, clock)
    assert code == 0
    assert out.count("Domestic Abuse Support Services - Children") == 1
    assert "Also at:" in out
    store = Store(config.parent / "bot.db")
    links = store.db.execute(
        "SELECT source, primary_source, matched_on FROM notice_links"
    ).fetchall()
    store.close()
    assert len(links) == 1 and links[0]["matched_on"] == "same"


def test_source_kind_errors_name_the_key(tmp_path, capsys, clock):
    extra = source("bad", "feed", "https://x.example/rss", deadline_pattern="'Closing (.*)'")
    config = write_config(tmp_path, "http://127.0.0.1:9", extra=extra)
    assert main(["poll", "--config", str(config)], clock=clock) == 2
    err = capsys.readouterr().err
    assert (
        "sources[1] (bad).deadline_pattern: the pattern needs a named group (?P<deadline>...)"
        in err
    )
    extra = '[[sources]]\nname = "nourl"\nkind = "html"\nselectors = { item = "li", title = "a" }\n'
    config = write_config(tmp_path, "http://127.0.0.1:9", extra=extra)
    assert main(["poll", "--config", str(config)], clock=clock) == 2
    assert "sources[1] (nourl).url: is required for a html source" in capsys.readouterr().err


def test_a_source_with_its_own_ca_bundle_trusts_a_server_the_usual_roots_do_not(
    tmp_path, fake_cf, clock
):
    import ssl

    import trustme

    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server)
    bundle = tmp_path / "publisher-chain.pem"
    authority.cert_pem.write_to_path(str(bundle))
    with FakePublisher(clock, tls=server) as secure:
        secure.serve("/tenders.rss", (MADE / "council_rss.xml").read_bytes())
        url = secure.url + "/tenders.rss"
        assert url.startswith("https://")
        extra = source("trusted", "feed", url, ca_bundle='"publisher-chain.pem"') + source(
            "untrusted", "feed", url
        )
        config = write_config(tmp_path, fake_cf.url, extra=extra)
        fake_cf.pages = [[]]
        code, _ = poll(config, clock)
    assert code == 1
    assert stored(config, "trusted") == 3 and stored(config, "untrusted") == 0
    store = Store(config.parent / "bot.db")
    assert "CERTIFICATE_VERIFY_FAILED" in store.source_state("untrusted").last_error
    store.close()


def test_a_missing_ca_bundle_is_a_config_error_naming_it(tmp_path, fake_cf, clock, capsys):
    extra = source("s", "feed", "https://example.org/feed.rss", ca_bundle='"nope.pem"')
    config = write_config(tmp_path, fake_cf.url, extra=extra)
    assert main(["status", "--config", str(config)], clock=clock, stdout=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "sources[1] (s).ca_bundle: no such certificate file" in err and "nope.pem" in err
