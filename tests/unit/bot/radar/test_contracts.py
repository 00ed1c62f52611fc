"""Contract records compiled from recorded and constructed releases.

Every figure checked is recomputed here from the raw JSON, not from the mapping under test.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.radar.contracts import (
    DIRECT,
    ENDED,
    EXTENDED,
    FRAMEWORK,
    SUPERSEDED,
    compile_contracts,
    compile_process,
)
from sources.releases import map_any_releases
from tests.conftest import FAT_DAY, SHARED, fat_day_releases, recorded, releases

WALK = SHARED / "find_a_tender" / "walk-2026-07"
NOT_CONTRACTS = {"UK12", "UK15"}


def _walk_releases() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in sorted(recorded(WALK).glob("page-*.json")):
        found.extend(json.loads(page.read_text())["releases"])
    return found


def _own_type(release: dict[str, Any]) -> str | None:
    sections = [release.get("tender") or {}, release.get("planning") or {}]
    sections += release.get("awards") or []
    sections += release.get("contracts") or []
    for section in sections:
        for doc in section.get("documents") or []:
            if doc.get("id") == release["id"] and doc.get("noticeType"):
                return str(doc["noticeType"])
    return None


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _records(raw: list[dict[str, Any]]) -> dict[str, Any]:
    mapped = map_any_releases(raw, source="fat")
    assert not mapped.problems
    return {r.key: r for r in compile_contracts(mapped.notices)}


def test_every_contract_release_of_the_recorded_pages_is_in_a_record() -> None:
    raw = fat_day_releases() + _walk_releases()
    records = _records(raw)
    expected_keys: set[str] = set()
    expected_releases: set[str] = set()
    for release in raw:
        if _own_type(release) in NOT_CONTRACTS:
            continue
        keys = {f"{release['ocid']}/{a['id']}" for a in release.get("awards") or []}
        keys |= {f"{release['ocid']}/{c['awardID']}" for c in release.get("contracts") or []}
        if keys:
            expected_keys |= keys
            expected_releases.add(release["id"])
    assert len(expected_keys) > 400
    assert set(records) == expected_keys
    seen = {rid for record in records.values() for rid in record.release_ids}
    assert seen == expected_releases


def test_a_contract_details_notice_supersedes_its_award_notice() -> None:
    raw = fat_day_releases() + _walk_releases()
    by_ocid: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for release in raw:
        kind = _own_type(release)
        if kind in ("UK6", "UK7"):
            by_ocid[release["ocid"]][kind] = release
    pairs = [kinds for kinds in by_ocid.values() if set(kinds) == {"UK6", "UK7"}]
    assert len(pairs) >= 3
    records = _records(raw)
    for pair in pairs:
        for contract in pair["UK7"]["contracts"]:
            record = records[f"{pair['UK7']['ocid']}/{contract['awardID']}"]
            assert record.notice_types == ("UK6", "UK7")
            assert record.end == _when(contract["period"]["endDate"])
            assert record.initial_end == record.end
            money = contract["value"]
            assert record.value == Decimal(str(money.get("amount", money.get("amountGross"))))
            assert record.status == "active"
            assert set(record.release_ids) == {pair["UK6"]["id"], pair["UK7"]["id"]}


def test_terms_of_every_contract_details_notice_are_read() -> None:
    raw = fat_day_releases()
    records = _records(raw)
    checked = extendable = 0
    for release in raw:
        if _own_type(release) != "UK7":
            continue
        for contract in release["contracts"]:
            record = records[f"{release['ocid']}/{contract['awardID']}"]
            period = contract.get("period") or {}
            if "endDate" in period:
                checked += 1
                assert record.end == _when(period["endDate"]), record.key
                assert record.start == _when(period["startDate"]), record.key
            if "maxExtentDate" in period:
                extendable += 1
                assert record.max_end == _when(period["maxExtentDate"])
                words = (contract.get("renewal") or {}).get("description", "").split()
                assert record.renewal.split() == words
    assert checked > 150
    assert extendable > 20


def test_suppliers_keep_their_sme_and_vcse_flags() -> None:
    raw = fat_day_releases()
    records = _records(raw)
    flagged = 0
    for release in raw:
        parties = {p["id"]: p for p in release.get("parties") or []}
        for award in release.get("awards") or []:
            key = f"{release['ocid']}/{award['id']}"
            if key not in records or _own_type(release) != "UK6":
                continue
            vcse = [
                (parties.get(s["id"]) or {}).get("details", {}).get("vcse") is True
                for s in award.get("suppliers") or []
            ]
            got = [s.vcse is True for s in records[key].suppliers]
            assert got == vcse
            flagged += sum(vcse)
    assert flagged >= 1


def test_terminations_end_their_contracts() -> None:
    raw = fat_day_releases() + _walk_releases()
    records = _records(raw)
    terminated = {
        f"{r['ocid']}/{c['awardID']}"
        for r in raw
        if _own_type(r) == "UK11"
        for c in r.get("contracts") or []
    }
    assert terminated
    for key in terminated:
        assert records[key].status == ENDED


def test_contracts_finder_awards_read_their_contract_period() -> None:
    raw = releases()
    mapped = map_any_releases(raw, source="cf")
    records = {r.key: r for r in compile_contracts(mapped.notices)}
    checked = 0
    for release in raw:
        for award in release.get("awards") or []:
            period = award.get("contractPeriod") or {}
            record = records[f"{release['ocid']}/{award['id']}"]
            if "endDate" in period:
                checked += 1
                assert record.end == _when(period["endDate"])
    assert checked > 40


# Constructed processes (written for these tests) ---------------------------------------


def _release(ocid: str, rid: str, date: str, tags: list[str], **sections: Any) -> dict[str, Any]:
    release: dict[str, Any] = {
        "ocid": ocid,
        "id": rid,
        "date": date,
        "tag": tags,
        "buyer": {"name": "Northbridge Borough Council"},
        "tender": {"title": "Befriending service", "legalBasis": {"scheme": "CELEX"}},
    }
    for key, value in sections.items():
        if key == "tender":
            release["tender"].update(value)
        else:
            release[key] = value
    return release


def _notices(raw: list[dict[str, Any]]) -> list[Any]:
    mapped = map_any_releases(raw, source="fat")
    assert not mapped.problems, mapped.problems
    return list(mapped.notices)


def test_a_legacy_award_is_joined_to_its_lots_periods() -> None:
    tender = _release(
        "ocds-x-1",
        "r1",
        "2025-01-10T09:00:00Z",
        ["tender"],
        tender={
            "lots": [
                {
                    "id": "1",
                    "value": {"amount": 300000, "currency": "GBP"},
                    "contractPeriod": {
                        "startDate": "2025-04-01T00:00:00Z",
                        "endDate": "2028-03-31T00:00:00Z",
                        "maxExtentDate": "2030-03-31T00:00:00Z",
                    },
                },
                {
                    "id": "2",
                    "contractPeriod": {
                        "startDate": "2025-04-01T00:00:00Z",
                        "endDate": "2027-03-31T00:00:00Z",
                    },
                },
            ],
        },
    )
    award = _release(
        "ocds-x-1",
        "r2",
        "2025-03-01T09:00:00Z",
        ["award", "contract"],
        tender={"lots": [{"id": "1", "status": "complete"}, {"id": "2", "status": "complete"}]},
        awards=[
            {"id": "A1", "relatedLots": ["1"], "suppliers": [{"name": "Big Care Ltd"}]},
            {"id": "A2", "relatedLots": ["2"], "suppliers": [{"name": "Small Charity"}]},
        ],
    )
    records = {r.award_id: r for r in compile_process(_notices([award, tender]))}
    assert records["A1"].start == datetime(2025, 4, 1, tzinfo=UTC)
    assert records["A1"].end == datetime(2028, 3, 31, tzinfo=UTC)
    assert records["A1"].max_end == datetime(2030, 3, 31, tzinfo=UTC)
    assert records["A1"].value == Decimal(300000)
    years = Decimal(1825) / Decimal("365.25")  # 1 Apr 2025 to 31 Mar 2030, extension included
    assert records["A1"].value_per_year == (Decimal(300000) / years).quantize(Decimal(1))
    assert records["A2"].end == datetime(2027, 3, 31, tzinfo=UTC)
    assert records["A2"].max_end is None
    assert records["A2"].release_ids == ("r2",)


def _act(kind: str, rid: str) -> list[dict[str, Any]]:
    return [{"id": rid, "noticeType": kind, "url": f"https://example.org/{rid}"}]


def test_change_extends_termination_ends_and_cancellation_supersedes() -> None:
    period = {"startDate": "2025-04-01T00:00:00Z", "endDate": "2027-03-31T00:00:00Z"}
    act = {"legalBasis": {"scheme": "UKPGA"}, "procurementMethodDetails": "Direct award"}
    uk6 = _release(
        "ocds-x-2",
        "p1",
        "2025-03-01T00:00:00Z",
        ["award"],
        tender=act,
        awards=[
            {"id": "1", "contractPeriod": period, "documents": _act("UK6", "p1")},
            {"id": "2", "contractPeriod": period, "documents": _act("UK6", "p1")},
            {"id": "3", "contractPeriod": period, "documents": _act("UK6", "p1")},
        ],
    )
    uk10 = _release(
        "ocds-x-2",
        "p2",
        "2026-01-01T00:00:00Z",
        ["contractAmendment"],
        tender=act,
        contracts=[
            {
                "id": "1",
                "awardID": "1",
                "period": {"startDate": period["startDate"], "endDate": "2028-03-31T00:00:00Z"},
                "documents": _act("UK10", "p2"),
            }
        ],
    )
    uk11 = _release(
        "ocds-x-2",
        "p3",
        "2026-02-01T00:00:00Z",
        ["contractTermination"],
        tender=act,
        contracts=[
            {
                "id": "2",
                "awardID": "2",
                "status": "terminated",
                "implementation": {"endDate": "2026-01-31T00:00:00Z"},
                "documents": _act("UK11", "p3"),
            }
        ],
    )
    cancelled = _release(
        "ocds-x-2",
        "p4",
        "2026-03-01T00:00:00Z",
        ["contract"],
        tender=act,
        contracts=[{"id": "3", "awardID": "3", "status": "cancelled"}],
    )
    records = {r.award_id: r for r in compile_process(_notices([uk11, cancelled, uk10, uk6]))}
    assert records["1"].status == EXTENDED
    assert records["1"].initial_end == datetime(2027, 3, 31, tzinfo=UTC)
    assert records["1"].end == datetime(2028, 3, 31, tzinfo=UTC)
    assert records["2"].status == ENDED
    assert records["2"].ended == datetime(2026, 1, 31, tzinfo=UTC)
    assert records["3"].status == SUPERSEDED
    assert {r.procedure for r in records.values()} == {DIRECT}


def test_a_call_off_is_recognised_from_its_procedure() -> None:
    release = _release(
        "ocds-x-3",
        "c1",
        "2025-03-01T00:00:00Z",
        ["award"],
        tender={"procurementMethodDetails": "Below threshold - award under framework"},
        awards=[{"id": "1", "contractPeriod": {"endDate": "2027-01-01T00:00:00Z"}}],
    )
    (record,) = compile_process(_notices([release]))
    assert record.procedure == FRAMEWORK


def test_store_versions_do_not_repeat_kept_awards() -> None:
    from sources.notice_merge import merge_notice

    first = _release(
        "ocds-x-4",
        "v1",
        "2025-03-01T00:00:00Z",
        ["award"],
        awards=[{"id": "1", "contractPeriod": {"endDate": "2027-01-01T00:00:00Z"}}],
    )
    second = _release("ocds-x-4", "v2", "2025-04-01T00:00:00Z", ["awardUpdate"])
    one, two = _notices([first, second])
    versions = [one, merge_notice(one, two)]
    assert versions[1].awards == one.awards  # the store keeps the earlier awards
    (record,) = compile_process(versions, merged=True)
    assert record.release_ids == ("v1",)


def test_fixture_folder_is_where_the_tests_expect_it() -> None:
    assert recorded(FAT_DAY).is_dir()


def test_recorded_legacy_awards_are_joined_to_their_lots_durations() -> None:
    """Legacy awards state no dates: their term is the days their contract or lots run."""
    raw = fat_day_releases() + _walk_releases()
    records = _records(raw)
    by_ocid: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for release in raw:
        if release["tender"].get("legalBasis", {}).get("scheme") == "CELEX":
            by_ocid[release["ocid"]].append(release)
    joined = 0
    for process in by_ocid.values():
        lot_days: dict[str, int] = {}
        for release in sorted(process, key=lambda r: _when(r["date"])):
            for lot in release["tender"].get("lots") or []:
                days = (lot.get("contractPeriod") or {}).get("durationInDays")
                if days:
                    lot_days[lot["id"]] = int(days)
            contracts = {c["awardID"]: c for c in release.get("contracts") or []}
            for award in release.get("awards") or []:
                contract = contracts.get(award["id"], {})
                days = (contract.get("period") or {}).get("durationInDays") or max(
                    (lot_days.get(lot, 0) for lot in award.get("relatedLots") or []), default=0
                )
                if not days or "dateSigned" not in contract:
                    continue
                record = records[f"{release['ocid']}/{award['id']}"]
                signed = _when(contract["dateSigned"])
                assert record.start == signed
                assert record.end == signed + timedelta(days=days)
                joined += 1
    assert joined >= 2
