"""`Store.backup`: written beside the target, checked, named only when complete."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from bot.store import Store, StoreError
from sources.ocds import map_releases
from tests.conftest import made_releases

NOW = datetime(2025, 1, 24, 9, 0, tzinfo=UTC)


def filled(path) -> Store:
    store = Store(path)
    with store.transaction():
        store.save_notices(map_releases(made_releases(), source="cf").notices, NOW)
    return store


def test_a_failed_backup_leaves_no_file_and_the_next_one_succeeds(tmp_path):
    target = tmp_path / "backups" / "copy.db"
    target.parent.mkdir()
    broken = filled(tmp_path / "bot.db")
    broken.db.close()  # the copy fails half-way: the source cannot be read
    with pytest.raises(StoreError, match=r"copy\.db: cannot write the backup"):
        broken.backup(target)
    assert list(target.parent.iterdir()) == []
    store = Store(tmp_path / "bot.db")
    try:
        store.backup(target)
        expected = store.count_notices()
    finally:
        store.close()
    assert [p.name for p in target.parent.iterdir()] == ["copy.db"]
    db = sqlite3.connect(target)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*) FROM notices").fetchone()[0] == expected > 0
    db.close()


def test_a_backup_never_replaces_a_file_that_took_its_name(tmp_path):
    target = tmp_path / "copy.db"
    target.write_text("someone else's file")
    store = filled(tmp_path / "bot.db")
    try:
        with pytest.raises(StoreError, match="already exists"):
            store.backup(target)
    finally:
        store.close()
    assert target.read_text() == "someone else's file"
    assert sorted(p.name for p in tmp_path.iterdir() if "copy" in p.name) == ["copy.db"]
