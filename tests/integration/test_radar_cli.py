"""`tenderbot radar`, `radar backtest` and `radar stats` on files and on a store."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.cli import main
from bot.store import Store
from sources.releases import map_any_releases
from tests.conftest import FAT_DAY, FakeClock, recorded

NOW = datetime(2026, 9, 1, tzinfo=UTC)
BUYER = "Northbridge Borough Council"


def _award(
    ocid: str, date: str, title: str, end: str, cpv: str = "85312000", **extra: Any
) -> dict[str, Any]:
    award: dict[str, Any] = {
        "id": "1",
        "value": {"amount": 240000, "currency": "GBP"},
        "suppliers": [{"id": "S1", "name": "Large Care plc"}],
        "contractPeriod": {"startDate": "2024-04-01T00:00:00Z", "endDate": end},
        "items": [{"id": "1", "additionalClassifications": [{"scheme": "CPV", "id": cpv}]}],
        "documents": [
            {
                "id": f"{ocid}-a",
                "documentType": "awardNotice",
                "noticeType": "UK6",
                "url": f"https://x.test/{ocid}",
            }
        ],
    }
    award.update(extra)
    return {
        "ocid": ocid,
        "id": f"{ocid}-a",
        "date": date,
        "tag": ["award"],
        "buyer": {"name": BUYER},
        "parties": [{"id": "S1", "name": "Large Care plc", "details": {"scale": "large"}}],
        "tender": {
            "title": title,
            "legalBasis": {"scheme": "UKPGA"},
            "procurementMethodDetails": "Open procedure",
        },
        "awards": [award],
    }


def _tender(ocid: str, date: str, title: str) -> dict[str, Any]:
    return {
        "ocid": ocid,
        "id": f"{ocid}-t",
        "date": date,
        "tag": ["tender"],
        "buyer": {"name": BUYER},
        "tender": {
            "title": title,
            "legalBasis": {"scheme": "UKPGA"},
            "items": [
                {"id": "1", "additionalClassifications": [{"scheme": "CPV", "id": "85312000"}]}
            ],
        },
    }


def _history() -> list[dict[str, Any]]:
    """Four contracts ending 2026; two re-tendered inside their windows, one outside, one not."""
    return [
        _award("ocds-t-1", "2024-03-01T00:00:00Z", "Befriending service", "2026-03-31T00:00:00Z"),
        _award("ocds-t-2", "2024-03-01T00:00:00Z", "Carers support", "2026-04-30T00:00:00Z"),
        _award("ocds-t-3", "2024-03-01T00:00:00Z", "Advocacy service", "2026-05-31T00:00:00Z"),
        _award(
            "ocds-t-4",
            "2024-03-01T00:00:00Z",
            "Day opportunities",
            "2026-06-30T00:00:00Z",
            "92000000",
        ),
        _award(
            "ocds-t-5",
            "2025-06-01T00:00:00Z",
            "Young carers service",
            "2027-03-31T00:00:00Z",
            contractPeriod={
                "startDate": "2025-07-01T00:00:00Z",
                "endDate": "2027-03-31T00:00:00Z",
                "maxExtentDate": "2028-03-31T00:00:00Z",
            },
        ),
        # Re-tenders: inside t-1's window (Sep 2025 - Feb 2026) and t-2's (Oct 2025 - Mar 2026),
        # after t-3's window closed (Nov 2025 - Apr 2026).
        _tender("ocds-n-1", "2025-11-10T00:00:00Z", "Befriending service 2026"),
        _tender("ocds-n-2", "2026-01-20T00:00:00Z", "Carers support service"),
        _tender("ocds-n-3", "2026-05-20T00:00:00Z", "Advocacy service"),
    ]


def _write(tmp_path: Path, releases: list[dict[str, Any]]) -> Path:
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"releases": releases}))
    return path


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), clock=FakeClock(NOW), stdout=out)
    return code, out.getvalue()


def test_radar_lists_upcoming_windows_as_json(tmp_path: Path) -> None:
    path = _write(tmp_path, _history())
    code, text = _run("radar", "--from", str(path), "--rules", "any", "--format", "json")
    assert code == 0
    (item,) = json.loads(text)  # only t-5 ends after NOW + 2 months and within 12 months
    assert item["ocid"] == "ocds-t-5"
    assert item["buyer"] == BUYER
    # Over the longest stated duration, as rules.scale reads it: 1 Jul 2025 - 31 Mar 2028.
    assert item["value_per_year"] == round(240000 / (1004 / 365.25))
    assert item["end"] == "2027-03-31T00:00:00+00:00"
    assert item["max_end"] == "2028-03-31T00:00:00+00:00"
    assert item["window_start"] == "2026-09-30T00:00:00+00:00"
    assert item["window_end"] == "2027-02-28T00:00:00+00:00"
    assert item["label"] == "may be extended to 31 Mar 2028"
    assert item["url"] == "https://x.test/ocds-t-5"
    assert {"title", "region", "start"} <= set(item)
    code, text = _run("radar", "--from", str(path), "--rules", "any", "--months", "6")
    assert (code, text.strip()) == (0, "no contracts of this kind end within the period")


def test_radar_csv_and_rules(tmp_path: Path) -> None:
    path = _write(tmp_path, _history())
    code, text = _run("radar", "--from", str(path), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["ocid"] for r in rows] == ["ocds-t-5"]  # young carers: a small-charities service
    code, text = _run(
        "radar", "--from", str(path), "--format", "csv", "--rules", "environment-and-green-spaces"
    )
    assert code == 0
    assert list(csv.DictReader(io.StringIO(text))) == []


def test_backtest_grades_the_constructed_history(tmp_path: Path) -> None:
    path = _write(tmp_path, _history())
    code, text = _run(
        "radar", "backtest", "--from", str(path), "--as-of", "2026-08-01", "--format", "json"
    )
    assert code == 0
    labels = {row["label"]: row for row in json.loads(text)["labels"]}
    graded = labels["no-extension"]
    assert graded["successor in window"] == 2
    assert graded["successor outside window"] == 1
    assert graded["unknown"] == 1
    assert graded["hit_rate"] == 2 / 3
    code, text = _run("radar", "backtest", "--from", str(path), "--as-of", "2026-08-01")
    assert "67% of 3" in text


def test_stats_reads_the_store(tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    config = tmp_path / "tenderbot.toml"
    config.write_text(f'[bot]\ndatabase = "{database}"\n')
    store = Store(database)
    try:
        mapped = map_any_releases(_history(), source="fat")
        with store.transaction():
            store.save_notices(list(mapped.notices), NOW)
    finally:
        store.close()
    code, text = _run("radar", "stats", "--config", str(config), "--format", "json")
    assert code == 0
    graded = {row["label"]: row for row in json.loads(text)["labels"]}["no-extension"]
    assert (graded["successor in window"], graded["graded"]) == (2, 3)


def test_radar_reads_the_recorded_day() -> None:
    pattern = str(recorded(FAT_DAY) / "page-*.json")
    code, text = _run("radar", "--from", pattern, "--rules", "any", "--format", "json")
    assert code == 0
    items = json.loads(text)
    assert len(items) > 20
    assert all(item["window_start"] < item["window_end"] for item in items)


def test_bad_options_are_refused(tmp_path: Path) -> None:
    code, _ = _run("radar", "--from", str(tmp_path / "none-*.json"))
    assert code == 2


def test_the_report_lists_contracts_of_its_kind_ending_soon(tmp_path: Path) -> None:
    path = _write(tmp_path, _history())
    code, text = _run("report", "--from", str(path), "--format", "json")
    assert code == 0
    ending = json.loads(text)["ending_soon"]
    # As of the last release (20 May 2026): t-3 and t-4 end within 2 months, t-1 and t-2
    # ended; t-5 (young carers, extendable to 2028) ends within 12 months.
    assert ending["total"]["contracts"] == 1
    assert ending["total"]["extendable"] == 1
    assert ending["total"]["extendable_or_without_competition_share"] == 1.0
    assert [b["name"] for b in ending["buyers"]] == [BUYER]
    code, page = _run("report", "--from", str(path), "--format", "html")
    assert code == 0 and 'id="ending-soon"' in page


def test_radar_from_follows_the_one_convention(tmp_path: Path, capsys) -> None:
    # Awards in one file, their re-tenders in another: only both together grade a hit.
    folder = tmp_path / "pages"
    folder.mkdir()
    history = _history()
    awards = [r for r in history if r["ocid"].startswith("ocds-t-")]
    tenders = [r for r in history if r["ocid"].startswith("ocds-n-")]
    first, second = folder / "page-1.json", folder / "page-2.json"
    first.write_text(json.dumps({"releases": awards}))
    second.write_text(json.dumps({"releases": tenders}))

    def hits(*from_args: object) -> int:
        code, text = _run(
            "radar", "backtest", *map(str, from_args), "--as-of", "2026-08-01", "--format", "json"
        )
        assert code == 0, text
        labels = {row["label"]: row for row in json.loads(text)["labels"]}
        return int(labels["no-extension"]["successor in window"])

    assert hits("--from", first) == 0
    assert hits("--from", first, second) == 2
    assert hits("--from", first, "--from", second) == 2
    assert hits("--from", folder / "page-*.json") == 2
    assert hits("--from", first, first, second) == 2  # a file named twice is read once
    code, _ = _run("radar", "--from", str(tmp_path / "nope-*.json"))
    assert code == 2
    assert "nope-*.json: no file matches this pattern" in capsys.readouterr().err
