"""The `/healthz` write check: real, but at most once every few seconds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.health import WRITE_CHECK_EVERY, WriteCheck
from bot.store import Store
from tests.conftest import FakeClock


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "t.db")
    yield s
    s.close()


def probe(store: Store, clock: FakeClock) -> WriteCheck:
    return WriteCheck(lambda now: store.check_writable(now, key="health"), clock)


def test_a_thousand_probes_within_the_interval_write_once(store, tmp_path):
    clock = FakeClock(datetime(2026, 8, 10, 9, 0, tzinfo=UTC))
    check = probe(store, clock)
    wal = tmp_path / "t.db-wal"
    before_changes = store.db.total_changes
    assert check.reasons() == []
    size_after_first = wal.stat().st_size
    for _ in range(999):
        assert check.reasons() == []
    assert store.db.total_changes - before_changes == 1
    assert wal.stat().st_size == size_after_first
    clock.current += WRITE_CHECK_EVERY
    assert check.reasons() == []
    assert store.db.total_changes - before_changes == 2


def test_a_failed_write_is_reported_until_the_next_real_check_succeeds(store):
    clock = FakeClock(datetime(2026, 8, 10, 9, 0, tzinfo=UTC))
    check = probe(store, clock)
    store.db.execute("PRAGMA query_only = ON")  # the disk turned read-only
    sick = check.reasons()
    assert len(sick) == 1 and "database cannot be written" in sick[0]
    store.db.execute("PRAGMA query_only = OFF")
    clock.current += WRITE_CHECK_EVERY / 2
    assert check.reasons() == sick  # answered from the last check
    clock.current += WRITE_CHECK_EVERY / 2
    assert check.reasons() == []
    store.db.execute("PRAGMA query_only = ON")
    clock.current += WRITE_CHECK_EVERY / 5
    assert check.reasons() == []  # between checks: the last answer stands
    store.db.execute("PRAGMA query_only = OFF")


def test_a_clock_that_went_back_checks_again(store):
    clock = FakeClock(datetime(2026, 8, 10, 9, 0, tzinfo=UTC))
    check = probe(store, clock)
    before = store.db.total_changes
    check.reasons()
    clock.current -= WRITE_CHECK_EVERY
    check.reasons()
    assert store.db.total_changes - before == 2
