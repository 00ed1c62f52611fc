"""What the store keeps of a process does not depend on the order its releases arrive in."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.delivery.outbox import Outbox
from bot.report.facts import region_of
from bot.store import Store
from rules.places import REGION_NAMES
from sources.find_a_tender_release import fat_release_to_notice
from sources.notice import Notice
from sources.notice_merge import merged_in_order

NOW = datetime(2026, 8, 10, 18, 0, tzinfo=UTC)
OCID = "ocds-h6vhtk-0aa001"
BUYER = {
    "id": "GB-PPON-BUYER-1",
    "name": "Midlands Care Partnership",
    "roles": ["buyer"],
    "address": {"postalCode": "ST4 8HH", "region": "UKG"},
}


def release(release_id: str, when: str, tag: str, tender: dict[str, Any]) -> dict[str, Any]:
    """A Find a Tender release of one invented process (the shape of ocds-h6vhtk-06e072)."""
    return {
        "ocid": OCID,
        "id": release_id,
        "date": when,
        "tag": [tag],
        "initiationType": "tender",
        "buyer": {"id": BUYER["id"], "name": BUYER["name"]},
        "parties": [BUYER],
        "tender": {"id": "T1", "title": "Community support service", **tender},
    }


TENDER = release(
    "000100-2026",
    "2026-08-10T09:12:00+01:00",
    "tender",
    {
        "description": "Befriending and support for older residents",
        "status": "active",
        "items": [{"id": "1", "deliveryAddresses": [{"region": "UKD36"}]}],
        "tenderPeriod": {"endDate": "2026-09-10T12:00:00+01:00"},
    },
)
AWARD = release(
    "000200-2026",
    "2026-08-10T15:46:36+01:00",
    "award",
    {"status": "complete", "items": [{"id": "1", "deliveryAddresses": [{"region": "UKD36"}]}]},
)
# The update restates the title only: no delivery address, no description.
UPDATE = release("000300-2026", "2026-08-10T16:55:28+01:00", "tenderUpdate", {"status": "active"})


def notices(*raw: dict[str, Any]) -> list[Notice]:
    return [fat_release_to_notice(r, source="fat") for r in raw]


def stored_in_pages(tmp_path, order: tuple[Notice, ...], name: str) -> Store:
    store = Store(tmp_path / f"{name}.db")
    for notice in order:  # one page each: the order the poller stores them in
        with store.transaction():
            store.save_notices([notice], NOW)
    return store


def test_an_older_award_arriving_after_the_update_is_merged_under_it(tmp_path):
    update, award = notices(UPDATE, AWARD)
    assert update.regions == () and award.regions == ("UKD36",)
    results = []
    for number, order in enumerate([(award, update), (update, award)]):
        store = stored_in_pages(tmp_path, order, f"order{number}")
        try:
            current = store.notice("fat", OCID)
        finally:
            store.close()
        assert current is not None
        assert current.release_id == update.release_id and current.stage == "tenderUpdate"
        assert current.regions == ("UKD36",)
        assert REGION_NAMES[region_of(current)] == "North West"
        results.append(current)
    assert results[0] == results[1]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_every_arrival_order_keeps_the_same_history(tmp_path, order):
    everything = notices(TENDER, AWARD, UPDATE)
    expected = merged_in_order(everything)
    arrived = tuple(everything[i] for i in order)
    store = stored_in_pages(tmp_path, arrived, "s")
    try:
        history = [store.notice("fat", OCID, n.release_id) for n in expected]
        current = store.notice("fat", OCID)
        row = store.db.execute("SELECT deadline, versions FROM notices").fetchone()
    finally:
        store.close()
    assert history == expected
    assert current == expected[-1]
    assert current.description == "Befriending and support for older residents"
    assert row["versions"] == 3
    assert row["deadline"] == current.deadline.isoformat()


def test_a_late_older_release_is_announced_only_when_it_changes_the_record(tmp_path):
    update, award = notices(UPDATE, AWARD)
    store = Store(tmp_path / "t.db")
    try:
        with store.transaction():
            first = store.save_notices([update], NOW)
        with store.transaction():
            late = store.save_notices([award], NOW)
        with store.transaction():
            again = store.save_notices([award, update], NOW)
    finally:
        store.close()
    assert [e.kind for e in first] == ["new"]
    assert [(e.kind, e.notice.release_id) for e in late] == [("updated", update.release_id)]
    assert late[0].notice.regions == ("UKD36",)
    assert late[0].previous_release_id is None
    assert again == []


def test_merged_in_order_ignores_arrival_order_and_repeats():
    everything = notices(TENDER, AWARD, UPDATE)
    compiled = merged_in_order(everything)[-1]
    for order in itertools.permutations(everything):
        assert merged_in_order([*order, order[0]])[-1] == compiled


def test_a_record_changed_by_a_late_release_alerts_only_those_not_yet_told(tmp_path):
    update, award = notices(UPDATE, AWARD)
    store = Store(tmp_path / "t.db")
    outbox = Outbox(store)
    try:
        with store.transaction():
            (first,) = store.save_notices([update], NOW)
            assert outbox.enqueue(first, subscription="told", channel="c", reasons=(), now=NOW)
        with store.transaction():
            (late,) = store.save_notices([award], NOW)
            again = outbox.enqueue(late, subscription="told", channel="c", reasons=(), now=NOW)
            fresh = outbox.enqueue(late, subscription="north", channel="c", reasons=(), now=NOW)
        rows = store.db.execute("SELECT subscription, kind, release_id FROM outbox").fetchall()
    finally:
        store.close()
    assert not again and fresh
    assert sorted(tuple(r) for r in rows) == [
        ("north", "new", update.release_id),
        ("told", "new", update.release_id),
    ]
