"""A real day polled newest first from Find a Tender's imitation is stored as the files say.

Find a Tender lists the newest release first, so a process's update is often stored before
its older award or tender. What the store then holds (every merged record, every rule set's
matches, the report's region rows) must be what the same releases read from files give.
"""

from __future__ import annotations

import io
import json
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.cli import main
from bot.rules_cli import latest_by_notice, read_notices_file
from bot.store import Store
from rules.library import shipped_paths
from sources.notice import Notice
from tests.conftest import FAT_DAY, FakeClock, fat_day_releases, recorded, write_config
from tests.fakes.find_a_tender import PATH, serve_find_a_tender
from tests.fakes.publishers import FakePublisher

# The example the issue names: an update at 16:55 without a delivery address, and the
# process's award at 15:46 delivered in UKD36 (North West), on a later page.
EXAMPLE = "ocds-h6vhtk-06e072"


@pytest.fixture(scope="module")
def polled(tmp_path_factory):
    """The recorded day polled once from the imitation: config path, clock, JSON-lines copy."""
    day = fat_day_releases()
    tmp_path = tmp_path_factory.mktemp("day")
    clock = FakeClock(datetime(2026, 8, 10, 23, 30, tzinfo=UTC))  # 00:30 on the 11th, London
    with FakePublisher(clock) as web:
        serve_find_a_tender(web, day)
        source = (
            f'[[sources]]\nname = "fat"\nkind = "find_a_tender"\nurl = "{web.url}"\n'
            'since = "2d"\nretries = 1\nbackoff = "1s"\ntimeout = "5s"\n'
        )
        path = write_config(tmp_path, web.url + "/nothing", extra=source)
        path.write_text(path.read_text().replace('name = "cf"', 'name = "cf"\nenabled = false'))
        out = io.StringIO()
        command = ["poll", "--config", str(path), "--source", "fat"]
        assert main(command, clock=clock, stdout=out) == 0
        served = [r["query"] for r in web.requests_to(PATH)]
    assert served, "the imitation was never asked"
    # The same releases as one JSON-lines file, in the recorded order (newest first), for
    # `rules preview --from`, which reads one file. Written to the test's folder only.
    lines = tmp_path / "day.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in day), encoding="utf-8")
    return path, clock, lines


def pages() -> list[str]:
    return [str(p) for p in sorted(recorded(FAT_DAY).glob("page-*.json"))]


def run(args: list[str], clock: FakeClock) -> str:
    out = io.StringIO()
    assert main(args, clock=clock, stdout=out) == 0
    return out.getvalue()


def comparable(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "source"}


def test_the_imitation_lists_the_newest_release_first_as_the_real_one_does(tmp_path):
    clock = FakeClock(datetime(2026, 8, 10, 23, 30, tzinfo=UTC))
    with FakePublisher(clock) as web:
        serve_find_a_tender(web, sorted(fat_day_releases(), key=lambda r: r["date"]))

        page = httpx.get(
            f"{web.url}{PATH}",
            params={"updatedFrom": "2026-08-10T00:00:00", "updatedTo": "2026-08-11T00:00:00"},
        ).json()
    dates = [datetime.fromisoformat(r["date"]) for r in page["releases"]]
    assert len(dates) == 100 and dates[0] > dates[-1]
    recorded_first = json.loads(Path(pages()[0]).read_text())["releases"]
    assert [r["id"] for r in page["releases"]] == [r["id"] for r in recorded_first]


def test_every_merged_record_is_the_one_the_files_give(polled):
    path, _, _ = polled
    from_files: list[Notice] = []
    for page in pages():
        found, _problems = read_notices_file(Path(page), source="fat")
        from_files.extend(found)
    expected = {n.id: n for n in latest_by_notice(from_files)}
    store = Store(path.parent / "bot.db")
    try:
        stored = {n.id: n for n in store.current_notices()}
    finally:
        store.close()
    assert stored.keys() == expected.keys()
    # Field by field (money compares by value: 2379600.00 is 2379600.0).
    differing = {
        ocid: [f.name for f in fields(Notice) if getattr(n, f.name) != getattr(got, f.name)]
        for ocid, n in expected.items()
        if n != (got := stored[ocid])
    }
    assert differing == {}
    assert stored[EXAMPLE].regions == ("UKD36",)


@pytest.mark.parametrize("rule_set", sorted(shipped_paths()))
def test_every_shipped_rule_set_matches_the_same_notices_from_the_store_as_from_files(
    polled, rule_set
):
    path, clock, lines = polled
    common = ["rules", "preview", rule_set, "--format", "json"]
    from_store = json.loads(run([*common, "--config", str(path)], clock))
    from_files = json.loads(run([*common, "--from", str(lines)], clock))
    assert [comparable(m) for m in from_store] == [comparable(m) for m in from_files]
    if rule_set == "north-west":
        assert EXAMPLE in {m["id"] for m in from_store}


def test_the_reports_region_rows_agree_between_the_store_and_the_files(polled):
    path, clock, _ = polled
    common = ["report", "--format", "json", "--since", "2026-08-10T00:00:00+01:00"]
    from_store = json.loads(run([*common, "--config", str(path)], clock))
    from_files = json.loads(run([*common, "--from", *pages()], clock))
    assert from_store["regions"] == from_files["regions"]
    assert any(row["opportunities"] for row in from_store["regions"])
