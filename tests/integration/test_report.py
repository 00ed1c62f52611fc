"""`tenderbot report`: figures checked against a hand-made store, recomputed here independently."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from statistics import median

import pytest
from bs4 import BeautifulSoup

from bot.cli import main
from bot.mirrors import Mirror, Mirrors
from bot.report.population import POPULATION, UK_POPULATION
from bot.store import Store
from sources.notice import Award, Lot, Notice, Supplier
from tests.conftest import FAT_DAY, ROOT, FakeClock, recorded

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
RULES = """
name = "befriending-test"
title = "Befriending services (test)"
[require]
stage = ["planning", "planningUpdate", "tender", "tenderUpdate"]
keywords = { fields = ["title"], any = ["befriending"] }
"""


@dataclass(frozen=True)
class Row:
    """One hand-made process and the facts the test expects of it."""

    number: int
    region: str
    title: str
    value: int | None
    days: int | None
    below: bool = False
    lots: int = 0
    reserved: bool = False
    regions: tuple[str, ...] = ()
    postcode: str | None = None
    cpv: str = "85310000"
    age_days: int = 30

    @property
    def suitable(self) -> bool:
        return "befriending" in self.title.lower()


ROWS = [
    Row(1, "UKC", "Befriending older people", 60_000, 30, below=True, regions=("UKC21",)),
    Row(2, "UKC", "Befriending carers", 90_000, 20, regions=("North East",)),
    Row(3, "UKC", "Grounds maintenance", 900_000, 14, cpv="77310000", postcode="NE1 4ST"),
    Row(4, "UKI", "Befriending in Hackney", 40_000, 35, reserved=True, regions=("UKI41",)),
    Row(5, "UKI", "Adult social care", 2_000_000, 21, lots=3, regions=("London",)),
    Row(6, "UKI", "Advocacy service", 500_000, 28, regions=("UKI",)),
    Row(7, "UKM", "Youth work", None, None, regions=("UKM82",)),
    Row(8, "national", "Befriending nationwide", 300_000, 40, regions=("UK",)),
    Row(9, "national", "Two-region support", 120_000, 30, regions=("UKC", "UKD")),
    Row(10, "UKL", "Befriending in Cardiff", 30_000, 26, postcode="CF10 1EP"),
    Row(11, "UKC", "Befriending long ago", 50_000, 30, regions=("UKC",), age_days=500),
]
AWARDS = [
    # (number, region code, supplier flags)
    (20, "UKC", (True, False)),
    (21, "UKC", (False, False)),
    (22, "UKI", (False, True)),
]


def _notice(row: Row) -> Notice:
    released = NOW - timedelta(days=row.age_days)
    return Notice(
        source="fat",
        id=f"ocds-test-{row.number}",
        release_id=f"ocds-test-{row.number}-1",
        stage="tender",
        title=row.title,
        buyer=f"Buyer {row.region}",
        regions=row.regions,
        buyer_postcode=row.postcode,
        value_low=None if row.value is None else Decimal(row.value),
        value_high=None if row.value is None else Decimal(row.value),
        currency="GBP",
        cpv_main=row.cpv,
        published=released,
        release_date=released,
        deadline=None if row.days is None else released + timedelta(days=row.days),
        above_threshold=not row.below,
        reserved=("smeVcse",) if row.reserved else (),
        lots=tuple(Lot(id=str(i), value=Decimal(row.value or 0) / 3) for i in range(row.lots)),
        contract_start=released + timedelta(days=60),
        contract_end=released + timedelta(days=60 + 365),
    )


def _award(number: int, region: str, flags: tuple[bool, bool]) -> Notice:
    released = NOW - timedelta(days=10)
    return Notice(
        source="fat",
        id=f"ocds-award-{number}",
        release_id=f"ocds-award-{number}-1",
        stage="award",
        title=f"Award {number}",
        buyer=f"Buyer {region}",
        regions=(region,),
        release_date=released,
        awards=(
            Award(
                id="1",
                status="active",
                suppliers=(Supplier(name="S", sme=flags[0], vcse=flags[1]),),
            ),
        ),
    )


@pytest.fixture
def store_config(tmp_path: Path) -> Path:
    database = tmp_path / "report.db"
    store = Store(database)
    notices = [_notice(r) for r in ROWS] + [_award(*a) for a in AWARDS]
    # A later update of process 4 (still open) and its award: counted once, with its award.
    update = Notice(
        **{
            **{f: getattr(notices[3], f) for f in notices[3].__dataclass_fields__},
            "release_id": "ocds-test-4-2",
            "stage": "tenderUpdate",
            "release_date": notices[3].release_date + timedelta(days=2),
        }
    )
    copy = Notice(
        source="council-feed",
        id="copy-of-1",
        release_id="copy-of-1",
        stage="tender",
        title="Befriending older people",
        regions=("UKC21",),
        release_date=NOW - timedelta(days=29),
    )
    with store.transaction():
        store.save_notices([*notices, update, copy], NOW)
        Mirrors(store).link(copy, Mirror("fat", "ocds-test-1", "ocid"))
    store.close()
    (tmp_path / "befriending.toml").write_text(RULES)
    config = tmp_path / "tenderbot.toml"
    config.write_text(
        f'[bot]\ndatabase = "{database.name}"\n[[channels]]\nname = "console"\nkind = "console"\n'
    )
    return config


def _report(config: Path, fmt: str) -> str:
    out = io.StringIO()
    code = main(
        ["report", "--config", str(config), "--rules", "befriending.toml", "--format", fmt],
        stdout=out,
        clock=FakeClock(NOW),
    )
    assert code == 0
    return out.getvalue()


def _expected(rows: list[Row], population: int | None) -> dict[str, object]:
    values = [Decimal(r.value) if r.lots <= 1 else Decimal(r.value) / 3 for r in rows if r.value]
    suitable = [r for r in rows if r.suitable]
    days = [r.days for r in rows if r.days is not None]
    count = len(rows)
    return {
        "opportunities": count,
        "suitable": len(suitable),
        "suitable_per_100k": round(len(suitable) * 100_000 / population, 3) if population else None,
        "value_per_year_median": round(median(values)) if values else None,
        "below_threshold_share": round(sum(r.below for r in rows) / count, 4) if count else None,
        "lots_share": round(sum(r.lots > 1 for r in rows) / count, 4) if count else None,
        "reserved_share": round(sum(r.reserved for r in rows) / count, 4) if count else None,
        "response_days_median": round(median(days), 1) if days else None,
    }


def test_population_table_adds_up_to_the_uk_total() -> None:
    assert sum(POPULATION.values()) == UK_POPULATION
    assert len(POPULATION) == 12


def test_region_figures_match_an_independent_count(store_config: Path) -> None:
    document = json.loads(_report(store_config, "json"))
    counted = [r for r in ROWS if r.age_days <= 365]
    by_region = {r["key"]: r for r in document["regions"]}
    assert set(by_region) == {*POPULATION, "national", "not-stated"}
    for key, figures in by_region.items():
        rows = [r for r in counted if r.region == key]
        expected = _expected(rows, POPULATION.get(key))
        got = {name: figures[name] for name in expected}
        assert got == expected, key
    total = document["total"]
    assert total["opportunities"] == len(counted) == 10
    assert total["suitable"] == 5
    awards = {r["key"]: (r["awards"], r["awards_small"]) for r in document["regions"]}
    assert awards["UKC"] == (2, 1) and awards["UKI"] == (1, 1)
    assert total["awards_small_share"] == round(2 / 3, 4)


def test_cold_spots_rank_regions_by_the_charity_services_they_missed(store_config: Path) -> None:
    document = json.loads(_report(store_config, "json"))
    cold = document["cold_spots"]["regions"]
    # London: 3 social-work services, 1 suitable (2 missed); Scotland 1 missed; the North
    # East missed none of its social-work services (its grounds contract is not one).
    assert [(c["key"], c["missed"]) for c in cold] == [("UKI", 2), ("UKM", 1)]
    assert cold[0]["large"] == 2 and cold[0]["single"] == 1 and cold[0]["short"] == 1
    assert "3 service opportunities" in cold[0]["facts"]


def test_csv_carries_the_same_numbers_as_json(store_config: Path) -> None:
    document = json.loads(_report(store_config, "json"))
    table = list(csv.DictReader(io.StringIO(_report(store_config, "csv"))))
    regions = {row["key"]: row for row in table if row["level"] == "region"}
    buyers = [row for row in table if row["level"] == "buyer"]
    for figures in document["regions"]:
        row = regions[figures["key"]]
        for name, value in figures.items():
            assert row[name] == ("" if value is None else str(value)), (figures["key"], name)
    assert len(buyers) == len(document["buyers"])


def test_html_holds_the_map_charts_table_and_summary(store_config: Path) -> None:
    page = BeautifulSoup(_report(store_config, "html"), "html.parser")
    assert page.select_one("#map figure svg") is not None
    assert len(page.select("svg")) == 4
    region_rows = page.select("#region-table tbody tr")
    assert len(region_rows) == 14
    buyer_rows = page.select("#buyer-table tbody tr")
    assert {r.td.get_text() for r in buyer_rows} >= {"Buyer UKC", "Buyer UKI"}
    summary = [li.get_text() for li in page.select("#summary li")]
    assert summary[0].startswith("The data covers 2 Aug 2026 to 22 Aug 2026 (first and last")
    assert "the period asked for was 1 Sep 2025 to 1 Sep 2026" in summary[0]
    assert summary[1].startswith("From 2 Aug 2026 to 22 Aug 2026, tenderbot saw 10 opportunities")
    assert any(s.startswith("Too few to compare regions") for s in summary)
    assert not any(s.startswith("Coldest:") or "Highest:" in s for s in summary)
    cold = [li.get_text(" ", strip=True) for li in page.select("#cold-spots ol.cold li")]
    assert cold and all("Too few to compare (under 5 such services)" in c for c in cold)
    assert not page.find_all(src=True), "the page must need nothing from the network"
    assert not page.select('link[rel="stylesheet"]')


def _add_buyer(database: Path, buyer: str) -> None:
    """Store one open befriending tender in the North East from `buyer`."""
    store = Store(database)
    notice = Notice(
        source="fat",
        id="ocds-extra",
        release_id="ocds-extra-1",
        stage="tender",
        title="Befriending",
        buyer=buyer,
        regions=("UKC",),
        release_date=NOW - timedelta(days=3),
    )
    with store.transaction():
        store.save_notices([notice], NOW)
    store.close()


def test_untrusted_titles_and_buyers_are_escaped(tmp_path: Path, store_config: Path) -> None:
    _add_buyer(tmp_path / "report.db", '<script>alert("x")</script> Council')
    page = _report(store_config, "html")
    assert '<script>alert("x")' not in page
    assert "&lt;script&gt;alert" in page


def test_report_writes_a_file_in_the_format_of_its_extension(store_config: Path) -> None:
    out = store_config.parent / "figures.csv"
    code = main(
        ["report", "--config", str(store_config), "--rules", "befriending.toml", "--out", str(out)],
        stdout=io.StringIO(),
        clock=FakeClock(NOW),
    )
    assert code == 0
    assert out.read_text().startswith("level,key,name,region,opportunities")


def test_a_bad_since_or_unknown_rule_set_is_a_usage_error(store_config: Path, capsys) -> None:
    args = ["report", "--config", str(store_config)]
    assert main([*args, "--since", "last week"], clock=FakeClock(NOW)) == 2
    assert "--since" in capsys.readouterr().err
    assert main([*args, "--rules", "no-such-set"], clock=FakeClock(NOW)) == 2
    assert "no-such-set" in capsys.readouterr().err


def test_recorded_find_a_tender_day_makes_a_report(tmp_path: Path) -> None:
    pages = sorted(recorded(FAT_DAY).glob("page-*.json"))
    outputs = {}
    for fmt in ("html", "json", "csv"):
        out = tmp_path / f"report.{fmt}"
        code = main(["report", "--from", *map(str, pages), "--out", str(out)], clock=FakeClock(NOW))
        assert code == 0
        outputs[fmt] = out.read_text()
    document = json.loads(outputs["json"])
    total = document["total"]
    assert total["opportunities"] > 100
    assert 0 < total["suitable"] < total["opportunities"]
    assert total["awards"] > 0
    assert sum(r["opportunities"] for r in document["regions"]) == total["opportunities"]
    assert sum(r["awards"] for r in document["regions"]) == total["awards"]
    table = list(csv.DictReader(io.StringIO(outputs["csv"])))
    assert int(table[0]["opportunities"]) == total["opportunities"]
    page = BeautifulSoup(outputs["html"], "html.parser")
    summary = [li.get_text() for li in page.select("#summary li")]
    assert summary[0].startswith("The data covers 10 Aug 2026 (first and last release")
    assert f"tenderbot saw {total['opportunities']} opportunities" in summary[1]


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTEFACTS = ROOT / "artefacts"


# Rendered size of every text of the inline charts: the font size times the SVG's scale.
SVG_TEXT_SIZES = """
Array.from(document.querySelectorAll("svg text")).map(function (t) {
  var m = t.getScreenCTM();
  var scale = Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
  return [t.textContent.trim(), parseFloat(getComputedStyle(t).fontSize) * scale];
}).filter(function (pair) { return pair[0] !== ""; })
"""
# Text cut off by its box, or a scrolling box that scrolls sideways, and where.
OVERFLOWS = """
Array.from(document.querySelectorAll(".scroll, caption, figcaption, th, td, li, p"))
  .filter(function (e) { return e.scrollWidth > e.clientWidth + 1; })
  .map(function (e) { return e.tagName + ": " + e.textContent.trim().slice(0, 40); })
"""
TEXT_CUT = """
Array.from(document.querySelectorAll("caption, figcaption, p, li, h1, h2, h3"))
  .filter(function (e) {
    var box = e.getBoundingClientRect();
    return box.right > document.documentElement.clientWidth + 1 || box.left < -1;
  })
  .map(function (e) { return e.tagName + ": " + e.textContent.trim().slice(0, 40); })
"""


@pytest.mark.parametrize(
    ("name", "width", "smallest"),
    [("desktop", 1280, 11.0), ("phone", 390, 10.0)],
)
def test_report_reads_well_offline_in_chromium(
    store_config: Path, name: str, width: int, smallest: float
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/install-chromium could not)")
    from playwright.sync_api import sync_playwright

    html = store_config.parent / "report.html"
    assert (
        main(
            [
                "report",
                "--config",
                str(store_config),
                "--rules",
                "befriending.toml",
                "--out",
                str(html),
            ],
            clock=FakeClock(NOW),
        )
        == 0
    )
    ARTEFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-dev-shm-usage",
            ],
        )
        try:
            context = browser.new_context(offline=True, viewport={"width": width, "height": 900})
            context.on("request", lambda request: requests.append(request.url))
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(html.as_uri())
            page.screenshot(path=str(ARTEFACTS / f"report-{name}.png"), full_page=True)
            assert page.locator("#map svg").count() == 1
            assert page.locator("svg").count() == 4
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"the page scrolls sideways at {width} px"
            if name == "desktop":
                assert page.evaluate(OVERFLOWS) == [], "something is cut or scrolls sideways"
            assert page.evaluate(TEXT_CUT) == [], "text runs off the screen"
            sizes = page.evaluate(SVG_TEXT_SIZES)
            assert sizes, "the charts have no text"
            small = [(text, round(size, 1)) for text, size in sizes if size < smallest]
            assert small == [], f"chart text under {smallest} px at {width} px: {small[:8]}"
            page.click("#region-table th:nth-child(3) button")  # "Suitable", most first
            first = page.inner_text("#region-table tbody tr:first-child td:first-child")
            assert first == "North East"
            assert page.get_attribute("#region-table th:nth-child(3)", "aria-sort") == "descending"
        finally:
            browser.close()
    assert errors == []
    assert [url for url in requests if not url.startswith("file:")] == []


def test_report_files_are_readable_by_others_as_the_umask_allows(
    tmp_path: Path, store_config: Path
) -> None:
    out = tmp_path / "public" / "report.html"
    out.parent.mkdir()
    previous = os.umask(0o022)
    try:
        code = main(
            [
                "report",
                "--config",
                str(store_config),
                "--rules",
                "befriending.toml",
                "--out",
                str(out),
            ],
            clock=FakeClock(NOW),
        )
    finally:
        os.umask(previous)
    assert code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_csv_cells_never_run_as_spreadsheet_formulas(tmp_path: Path, store_config: Path) -> None:
    _add_buyer(tmp_path / "report.db", '=HYPERLINK("http://evil.example","x")')
    table = list(csv.DictReader(io.StringIO(_report(store_config, "csv"))))
    names = [row["name"] for row in table if row["level"] == "buyer"]
    assert '\'=HYPERLINK("http://evil.example","x")' in names
    assert not any(name.startswith("=") for name in names)
