"""`tenderbot poll` against an imitation of Find a Tender serving real and hand-made releases."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest

from bot.cli import main
from bot.store import Store
from tests.conftest import DATA, FakeClock, fat_day_releases, write_config
from tests.fakes.find_a_tender import PATH, serve_find_a_tender
from tests.fakes.publishers import FakePublisher

MADE = json.loads((DATA / "made" / "find_a_tender_package.json").read_text())["releases"]
OPEN_TYPES = {"UK1", "UK2", "UK3", "UK4"}
LEGACY_OPEN_TAGS = {"planning", "planningUpdate", "tender", "tenderUpdate"}


@pytest.fixture
def fat_clock():
    return FakeClock(datetime(2026, 8, 10, 23, 30, tzinfo=UTC))  # 00:30 on the 11th, London


@pytest.fixture
def web(fat_clock):
    with FakePublisher(fat_clock) as fake:
        yield fake


def config_for(tmp_path, web, since='"2d"'):
    source = (
        f'[[sources]]\nname = "fat"\nkind = "find_a_tender"\nurl = "{web.url}"\nsince = {since}\n'
        'retries = 1\nbackoff = "1s"\ntimeout = "5s"\n'
    )
    # write_config's own source is a Contracts Finder nobody serves: keep it disabled.
    path = write_config(tmp_path, web.url + "/nothing", extra=source)
    path.write_text(path.read_text().replace('name = "cf"', 'name = "cf"\nenabled = false'))
    return path


def poll(path, clock):
    out = io.StringIO()
    code = main(["poll", "--config", str(path), "--source", "fat"], clock=clock, stdout=out)
    return code, out.getvalue()


def alerted(out):
    return re.findall(r"Id:\s+fat (\S+)", out)


def own_type(release):
    sections = [release.get("planning") or {}, release.get("tender") or {}]
    sections += (release.get("awards") or []) + (release.get("contracts") or [])
    for section in sections:
        for doc in section.get("documents") or []:
            if doc.get("id") == release["id"] and doc.get("noticeType"):
                return doc["noticeType"]
    return None


def open_processes(releases):
    latest = {}
    for release in sorted(releases, key=lambda r: datetime.fromisoformat(r["date"])):
        latest[release["ocid"]] = release
    found = {}
    for ocid, release in latest.items():
        kind = own_type(release)
        legacy = release["tender"]["legalBasis"]["scheme"] == "CELEX"
        if kind in OPEN_TYPES or (
            legacy and kind is None and release["tag"][0] in LEGACY_OPEN_TAGS
        ):
            found[ocid] = release["id"]
    return found


def test_one_poll_of_a_real_day_alerts_every_open_process_once_with_its_link(
    tmp_path, web, fat_clock
):
    day = fat_day_releases()
    serve_find_a_tender(web, day)
    path = config_for(tmp_path, web)
    code, out = poll(path, fat_clock)
    assert code == 0
    expected = open_processes(day)
    assert sorted(alerted(out)) == sorted(expected)
    for ocid, release_id in expected.items():
        assert f"https://www.find-tender.service.gov.uk/Notice/{release_id}" in out, ocid
    store = Store(tmp_path / "bot.db")
    assert store.count_notices("fat") == len({r["ocid"] for r in day})
    versions = store.db.execute("SELECT COUNT(*) FROM notice_versions").fetchone()[0]
    state = store.source_state("fat")
    store.close()
    assert versions == len({r["id"] for r in day})  # no release lost when windows were split
    assert state.watermark == fat_clock.now() or state.watermark is not None
    requests = web.requests_to(PATH)
    assert all("stages" not in r["query"] and "cursor" not in r["query"] for r in requests)
    for i, start in enumerate(r["at"] for r in requests):
        assert sum(0 <= (r["at"] - start).total_seconds() < 120 for r in requests) <= 12, i
    # A second poll finds nothing new and alerts nothing.
    fat_clock.advance(minutes=10)
    code, out = poll(path, fat_clock)
    assert code == 0 and alerted(out) == []


def test_amendments_cancellations_and_plans_becoming_tenders_arrive_as_updates(
    tmp_path, web, fat_clock
):
    first = [r for r in MADE if r["id"] not in ("900004-2026", "900006-2026", "900008-2026")]
    later = [r for r in MADE if r["id"] in ("900004-2026", "900006-2026", "900008-2026")]
    for release in later:  # published after the first poll
        release = release.copy()
    serve_find_a_tender(web, first)
    path = config_for(tmp_path, web)
    code, out = poll(path, fat_clock)
    assert code == 0
    assert sorted(alerted(out)) == sorted(
        [
            "ocds-h6vhtk-0a0001",
            "ocds-h6vhtk-0a0002",
            "ocds-h6vhtk-0a0003",
            "ocds-h6vhtk-0a0005",
            "ocds-h6vhtk-0a0007",
        ]
    )
    assert "== NEW: Youth Outreach and Detached Youth Work" in out
    assert "Planned procurement" in out

    moved = [json.loads(json.dumps(r).replace('"2026-08-10T', '"2026-08-11T')) for r in later]
    serve_find_a_tender(web, first + moved)
    fat_clock.advance(hours=20)
    code, out = poll(path, fat_clock)
    assert code == 0
    assert sorted(alerted(out)) == [
        "ocds-h6vhtk-0a0003",
        "ocds-h6vhtk-0a0005",
        "ocds-h6vhtk-0a0007",
    ]
    assert out.count("== UPDATED") == 3 and "== NEW" not in out
    assert "now: open for bids" in out  # UK3 then UK4: the plan opened for bids
    assert "cancelled" in out  # UK12: the procurement was terminated
    cancelled = out[out.index("Domestic Abuse Outreach Service") :]
    assert "£4,000,000" in cancelled  # the stub did not wipe the value
    assert "value changed" not in out


def test_the_real_throttle_is_obeyed(tmp_path, web, fat_clock):
    serve_find_a_tender(web, MADE, limit=0)  # every request is over the limit
    path = config_for(tmp_path, web)
    code, _ = poll(path, fat_clock)
    assert code == 1
    store = Store(tmp_path / "bot.db")
    state = store.source_state("fat")
    store.close()
    assert (state.throttled_until - fat_clock.now()).total_seconds() == pytest.approx(120, abs=1)
    assert len(web.requests_to(PATH)) == 1


def test_a_window_in_the_repeated_october_hour_is_asked_for_wider(tmp_path):
    # 01:20 GMT on 26 October 2025, 50 minutes after 01:30 BST: both London times happen twice.
    clock = FakeClock(datetime(2025, 10, 26, 1, 20, tzinfo=UTC))
    with FakePublisher(clock) as web:
        serve_find_a_tender(web, [])
        code, _ = poll(config_for(tmp_path, web, since='"50m"'), clock)
        asked = [
            (r["query"]["updatedFrom"], r["query"]["updatedTo"]) for r in web.requests_to(PATH)
        ]
    assert code == 0
    assert asked == [("2025-10-26T00:30:00", "2025-10-26T02:20:00")]


def test_a_notice_forwarded_from_scotland_is_alerted_once_with_both_links(tmp_path, web, fat_clock):
    pcs_ocid = "ocds-r6ebe6-0000999999"
    forwarded = json.loads(json.dumps(next(r for r in MADE if r["id"] == "900007-2026")))
    forwarded["links"] = [
        {
            "rel": "canonical",
            "href": f"https://api.publiccontractsscotland.gov.uk/v1/Notice?id={pcs_ocid}",
        }
    ]
    scottish = json.loads(json.dumps(forwarded))
    del scottish["links"]
    scottish.update(ocid=pcs_ocid, id=f"{pcs_ocid}-2026-08-10T12:00:00Z")
    scottish["tender"]["title"] = "Hospital Discharge Support Service (Scotland)"
    web.serve_months("/pcs/v1/Notices", {"08-2026": [scottish]})
    serve_find_a_tender(web, [forwarded])
    path = config_for(tmp_path, web)
    path.write_text(
        path.read_text()
        + f'\n[[sources]]\nname = "pcs"\nkind = "pcs"\nurl = "{web.url}/pcs"\nsince = "2d"\n'
        "notice_types = [2]\n"
    )
    out = io.StringIO()
    assert main(["poll", "--config", str(path)], clock=fat_clock, stdout=out) == 0
    text = out.getvalue()
    assert text.count("== NEW") == 1
    store = Store(tmp_path / "bot.db")
    link = store.db.execute("SELECT source, matched_on FROM notice_links").fetchall()
    store.close()
    assert len(link) == 1 and link[0]["matched_on"] == "process"  # either may come first


def test_status_says_plainly_when_sell2wales_has_been_failing_for_days(tmp_path, web, fat_clock):
    path = config_for(tmp_path, web)
    path.write_text(
        path.read_text()
        + f'\n[[sources]]\nname = "wales"\nkind = "sell2wales"\nurl = "{web.url}/s2w"\n'
        "retries = 0\n"
    )
    web.routes["/s2w/v1/Notices"] = lambda q, h: (500, {"Content-Type": "text/html"}, b"error")
    for _ in range(3):
        main(
            ["poll", "--config", str(path), "--source", "wales"],
            clock=fat_clock,
            stdout=io.StringIO(),
        )
        fat_clock.advance(days=1)
    out = io.StringIO()
    assert main(["status", "--config", str(path)], clock=fat_clock, stdout=out) == 1
    text = out.getvalue()
    assert "failing for more than a day" in text and "HTTP 500" in text
    assert "Welsh notices above the procurement thresholds are published on Find a Tender" in text


def test_rules_preview_from_the_recorded_day_reads_it_as_the_source_does(tmp_path):
    from tests.conftest import FAT_DAY, recorded

    page = recorded(FAT_DAY) / "page-001.json"
    out = io.StringIO()
    code = main(
        ["rules", "preview", "small-charities", "--from", str(page), "--format", "json"],
        stdout=out,
    )
    assert code == 0
    rows = json.loads(out.getvalue())
    assert rows
    for row in rows:
        assert row["url"].startswith("https://www.find-tender.service.gov.uk/Notice/")
        assert row["stage"] in ("planning", "planningUpdate", "tender", "tenderUpdate")
        assert row["notice_type"] in ("UK1", "UK2", "UK3", "UK4", None)
