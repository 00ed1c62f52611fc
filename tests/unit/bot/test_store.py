from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import MIGRATIONS, Store, StoreError
from bot.store.migrations import scripts
from sources.ocds import map_releases
from tests.conftest import releases

NOW = datetime(2025, 1, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(database):
    s = Store(database)
    yield s
    s.close()


def notices():
    return map_releases(releases(), source="cf").notices


def save(store, batch, now=NOW):
    with store.transaction():
        return store.save_notices(batch, now)


def test_a_page_is_stored_once_per_distinct_notice(store):
    batch = notices()
    events = save(store, batch)
    distinct = {n.id for n in batch}
    assert store.count_notices() == len(distinct) == 94
    assert len(events) == 94 and {e.kind for e in events} == {"new"}
    # The same page again (next poll, or the overlap window) stores and announces nothing.
    assert save(store, batch) == []
    assert store.count_notices() == 94


def test_the_same_notice_twice_in_one_page_is_one_new_event_at_its_latest_release(store):
    batch = [n for n in notices() if n.id == "ocds-b5fd17-75afe551-b5e4-4538-a546-0547477d0f9f"]
    assert len(batch) == 2
    events = save(store, batch)
    assert [e.kind for e in events] == ["new"]
    latest = max(batch, key=lambda n: n.release_date)
    assert events[0].notice == latest
    assert store.notice("cf", latest.id) == latest
    assert store.count_versions("cf", latest.id) == 2


def test_a_changed_release_becomes_a_version_and_an_updated_event(store):
    original = notices()[5]
    save(store, [original])
    amended = dataclasses.replace(
        original,
        release_id=original.release_id + "-amended",
        stage="tenderAmendment",
        release_date=original.release_date + timedelta(days=2),
        deadline=original.deadline + timedelta(days=7),
    )
    events = save(store, [amended])
    assert [(e.kind, e.previous_release_id) for e in events] == [("updated", original.release_id)]
    assert store.count_notices() == 1
    assert store.count_versions("cf", original.id) == 2
    assert store.notice("cf", original.id) == amended
    assert store.notice("cf", original.id, original.release_id) == original
    # An older release arriving late is history, not news.
    older = dataclasses.replace(
        original, release_id="older", release_date=original.release_date - timedelta(days=1)
    )
    assert save(store, [older]) == []
    assert store.notice("cf", original.id) == amended


def test_a_failed_transaction_leaves_nothing(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.save_notices(notices()[:10], NOW)
        raise RuntimeError("boom")
    assert store.count_notices() == 0


def test_source_state_and_watermark(store):
    assert store.source_state("cf").watermark is None
    with store.transaction():
        store.record_attempt("cf", NOW)
        store.record_failure("cf", "cf: GET x: HTTP 500", now=NOW)
        store.record_failure("cf", "cf: GET x: HTTP 500", now=NOW)
    state = store.source_state("cf")
    assert state.consecutive_failures == 2 and state.watermark is None
    with store.transaction():
        store.record_success("cf", watermark=NOW, now=NOW, notices=3)
    state = store.source_state("cf")
    assert state.watermark == NOW and state.consecutive_failures == 0
    assert state.last_error == "cf: GET x: HTTP 500"


def test_schema_is_migrated_by_user_version_and_wal_is_on(tmp_path):
    path = tmp_path / "t.db"
    Store(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer than this tenderbot"):
        Store(path)


def test_reopening_keeps_everything(tmp_path):
    path = tmp_path / "t.db"
    first = Store(path)
    save(first, notices())
    first.close()
    again = Store(path)
    assert again.count_notices() == 94
    assert save(again, notices()) == []
    again.close()


def test_older_databases_are_migrated_in_place_keeping_their_notices(tmp_path):
    import json

    from sources.notice_codec import notice_to_dict

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for script in (scripts(m, "sqlite") for m in MIGRATIONS[:3]):
        for statement in script.split(";"):
            if statement.strip():
                old.execute(statement)
    notice = next(n for n in notices() if n.deadline is not None)
    stamp = NOW.isoformat()
    old.execute(
        "INSERT INTO notices VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
        (
            notice.source,
            notice.id,
            notice.release_id,
            notice.release_date.isoformat(),
            notice.stage,
            stamp,
            stamp,
        ),
    )
    old.execute(
        "INSERT INTO notice_versions VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            notice.source,
            notice.id,
            notice.release_id,
            notice.release_date.isoformat(),
            notice.stage,
            stamp,
            json.dumps(notice_to_dict(notice)),
        ),
    )
    old.execute("PRAGMA user_version = 3")
    old.commit()
    old.close()
    store = Store(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert store.notice(notice.source, notice.id) == notice
    row = store.db.execute("SELECT deadline FROM notices").fetchone()
    assert row[0] == notice.deadline.isoformat()
    store.close()


def test_a_poll_window_starts_at_the_newest_release_less_a_margin_within_the_overlap():
    from bot.config_sources import SourceConfig
    from bot.poller import window_start
    from bot.store import SourceState
    from sources.base import SourceSettings

    config = SourceConfig(
        settings=SourceSettings(name="s", kind="contracts_finder", url="https://x.example"),
        every=timedelta(minutes=10),
        since=timedelta(days=1),
        overlap=timedelta(hours=1),
        margin=timedelta(minutes=5),
    )
    last = NOW - timedelta(minutes=10)
    first = window_start(config, SourceState(source="s"), NOW)
    recent = SourceState(source="s", watermark=last, newest_release=last - timedelta(minutes=2))
    quiet = SourceState(source="s", watermark=last, newest_release=last - timedelta(days=3))
    future = SourceState(source="s", watermark=last, newest_release=NOW + timedelta(days=9))
    assert first == NOW - timedelta(days=1)
    assert window_start(config, recent, NOW) == last - timedelta(minutes=7)
    assert window_start(config, quiet, NOW) == last - timedelta(hours=1)
    assert window_start(config, future, NOW) == last


def test_migration_7_rekeys_stored_mirror_keys_with_their_hash(tmp_path):
    import sqlite3

    from bot.store import MIGRATIONS
    from bot.store.records import key_hash

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for script in (scripts(m, "sqlite") for m in MIGRATIONS[:6]):
        db.executescript(script)
    db.execute("PRAGMA user_version = 6")
    db.execute("INSERT INTO notice_keys VALUES ('link:portal.example/advert?id=1', 'cf', 'n1')")
    db.commit()
    db.close()
    store = Store(path)
    rows = store.db.execute("SELECT key, source, notice_id FROM notice_keys").fetchall()
    version = store.db.execute("PRAGMA user_version").fetchone()[0]
    store.close()
    assert version == len(MIGRATIONS) >= 7
    assert [tuple(r) for r in rows] == [(key_hash("link:portal.example/advert?id=1"), "cf", "n1")]
