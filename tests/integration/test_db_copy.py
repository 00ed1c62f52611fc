"""`tenderbot db copy`: a store of the recorded Find a Tender day, SQLite → PostgreSQL → SQLite."""

from __future__ import annotations

import io
import re
import sqlite3
from datetime import UTC, datetime

import pytest

from bot.cli import main
from bot.store import Store
from tests.conftest import (
    FAT_DAY,
    NO_PG,
    PG_DSN,
    FakeClock,
    drop_pg_database,
    fresh_pg_database,
    recorded,
    write_config,
)

pytestmark = pytest.mark.skipif(not PG_DSN, reason=NO_PG)
SUMMARY = re.compile(r"^(\w+): (\d+) rows, checksum ([0-9a-f]{16}): same$", re.M)


def cli(*argv):
    out = io.StringIO()
    code = main(list(argv), clock=FakeClock(datetime(2026, 8, 10, 23, 30, tzinfo=UTC)), stdout=out)
    return code, out.getvalue()


@pytest.fixture
def pg_url():
    url = fresh_pg_database()
    yield url
    drop_pg_database(url)


def imported_store(tmp_path):
    """A SQLite store of the recorded day, imported with alerts queued."""
    source = (
        '[[sources]]\nname = "fat"\nkind = "find_a_tender"\nurl = "http://127.0.0.1:9"\n'
        'since = "2d"\n'
    )
    config = write_config(tmp_path, "http://127.0.0.1:9/nothing", extra=source)
    config.write_text(config.read_text().replace('name = "cf"', 'name = "cf"\nenabled = false'))
    pages = str(recorded(FAT_DAY) / "page-*.json")
    code, _ = cli("import", pages, "--source", "fat", "--config", str(config), "--alerts")
    assert code == 0
    return tmp_path / "bot.db"


def counts(path):
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        db.close()


def test_a_recorded_day_round_trips_with_identical_counts_and_checksums(tmp_path, pg_url):
    first = imported_store(tmp_path)
    code, there = cli("db", "copy", "--from", str(first), "--to", pg_url)
    assert code == 0, there
    back = tmp_path / "back.db"
    code, again = cli("db", "copy", "--from", pg_url, "--to", str(back))
    assert code == 0, again
    out, home = dict_of(there), dict_of(again)
    assert out == home
    assert out["notices"][0] > 0 and out["outbox"][0] > 0 and out["notice_versions"][0] > 0
    assert counts(first) == counts(back)
    # The copy is a working store: new rows get ids after the copied ones.
    store = Store(pg_url)
    try:
        assert store.count_notices() == out["notices"][0]
        with store.transaction():
            store.db.execute(
                "INSERT INTO events (kind, source, notice_id, release_id, created_at) "
                "VALUES ('closing', 'fat', 'x', 'x', '2026-08-11')"
            )
        assert store.db.execute("SELECT MAX(id) FROM events").fetchone()[0] > out["events"][0]
    finally:
        store.close()


def dict_of(text):
    return {m[0]: (int(m[1]), m[2]) for m in SUMMARY.findall(text)}


def test_a_target_holding_data_is_refused_without_force_and_replaced_with_it(
    tmp_path, pg_url, capsys
):
    first = imported_store(tmp_path)
    assert cli("db", "copy", "--from", str(first), "--to", pg_url)[0] == 0
    code, _ = cli("db", "copy", "--from", str(first), "--to", pg_url)
    assert code == 2
    assert "already holds data" in capsys.readouterr().err
    code, out = cli("db", "copy", "--from", str(first), "--to", pg_url, "--force")
    assert code == 0 and "counts and checksums equal" in out


def test_a_source_at_another_schema_version_is_refused(tmp_path, pg_url, capsys):
    first = imported_store(tmp_path)
    db = sqlite3.connect(first)
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    code, _ = cli("db", "copy", "--from", str(first), "--to", pg_url)
    assert code == 2
    assert "schema version 3" in capsys.readouterr().err
