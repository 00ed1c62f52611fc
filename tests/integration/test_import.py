"""`tenderbot import`: OCDS files into the store, merged as a poll merges the same releases."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.cli import main
from bot.importer import Progress
from bot.store import Store
from sources.notice_codec import notice_to_dict
from tests.conftest import FAT_DAY, FakeClock, fat_day_releases, recorded, write_config
from tests.fakes.find_a_tender import serve_find_a_tender
from tests.fakes.publishers import FakePublisher


@pytest.fixture
def fat_clock():
    return FakeClock(datetime(2026, 8, 10, 23, 30, tzinfo=UTC))


def fat_config(tmp_path, url):
    source = (
        f'[[sources]]\nname = "fat"\nkind = "find_a_tender"\nurl = "{url}"\nsince = "2d"\n'
        'retries = 1\nbackoff = "1s"\ntimeout = "5s"\n'
    )
    path = write_config(tmp_path, url + "/nothing", extra=source)
    path.write_text(path.read_text().replace('name = "cf"', 'name = "cf"\nenabled = false'))
    return path


def cli(*argv, clock):
    out = io.StringIO()
    code = main(list(argv), clock=clock, stdout=out)
    return code, out.getvalue()


AMOUNT = re.compile(r"-?\d+\.\d+")


def _plain(value):
    # The imitation re-encodes the recorded pages (32000000.00 becomes 32000000.0): compare
    # amounts by value.
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal) or (isinstance(value, str) and AMOUNT.fullmatch(value)):
        return str(Decimal(value).normalize())
    return value if isinstance(value, str | int | float | bool | None) else str(value)


def stored(database):
    """Each notice's current release and content, the number of versions, the outbox rows."""
    store = Store(database)
    try:
        notices = {
            (n.id, n.release_id): json.dumps(_plain(notice_to_dict(n)), sort_keys=True)
            for n in store.current_notices()
        }
        versions = store.db.execute("SELECT COUNT(*) FROM notice_versions").fetchone()[0]
        outbox = store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    finally:
        store.close()
    return notices, versions, outbox


def alerted(out):
    return sorted(re.findall(r"Id:\s+fat (\S+)", out))


def test_import_stores_what_a_poll_of_the_same_day_stores(tmp_path, fat_clock):
    pages = sorted(recorded(FAT_DAY).glob("page-*.json"))
    polled_dir, imported_dir = tmp_path / "polled", tmp_path / "imported"
    polled_dir.mkdir()
    imported_dir.mkdir()
    with FakePublisher(fat_clock) as web:
        serve_find_a_tender(web, fat_day_releases())
        code, poll_out = cli(
            "poll", "--config", str(fat_config(polled_dir, web.url)), clock=fat_clock
        )
    assert code == 0
    config = fat_config(imported_dir, "http://127.0.0.1:9")
    # A quoted glob is expanded by tenderbot itself.
    code, out = cli(
        "import",
        str(FAT_DAY / "page-*.json"),
        "--source",
        "fat",
        "--config",
        str(config),
        "--alerts",
        clock=fat_clock,
    )
    assert code == 0, out
    assert alerted(out) == alerted(poll_out) != []  # the same routing as the poll
    assert f"imported {len(pages)} file(s)" in out
    polled, imported = stored(polled_dir / "bot.db"), stored(imported_dir / "bot.db")
    assert imported[0].keys() == polled[0].keys()  # every notice at the same current release
    # A process of one release is stored identically. (Where a process has several, what the
    # merge keeps can depend on the order releases arrive in: a poll reads newest first.)
    single = {k for k, n in Counter(r["ocid"] for r in fat_day_releases()).items() if n == 1}
    assert single
    for key, notice in imported[0].items():
        if key[0] in single:
            assert notice == polled[0][key], key
    assert imported[1] == polled[1] == len({r["id"] for r in fat_day_releases()})
    # Idempotent: a second import of the same files stores and alerts nothing.
    code, out = cli(
        "import",
        *map(str, pages),
        "--source",
        "fat",
        "--config",
        str(config),
        "--alerts",
        clock=fat_clock,
    )
    assert code == 0
    assert alerted(out) == []
    assert "0 new notice(s), 0 updated" in out
    assert stored(imported_dir / "bot.db") == imported


def test_import_alerts_nothing_unless_asked(tmp_path, fat_clock):
    config = fat_config(tmp_path, "http://127.0.0.1:9")
    code, out = cli(
        "import", str(recorded(FAT_DAY) / "page-001.json"), "--config", str(config), clock=fat_clock
    )
    assert code == 0
    assert alerted(out) == [] and "no alerts" in out
    notices, _, outbox = stored(tmp_path / "bot.db")
    assert notices and outbox == 0
    # The imported notices are in the store the read-only commands read.
    code, out = cli("status", "--config", str(config), clock=fat_clock)
    assert f"Notices stored: {len(notices)}" in out


def _release(ocid, release_id, date, title, tag="tender"):
    return {
        "ocid": ocid,
        "id": release_id,
        "date": date,
        "tag": [tag],
        "initiationType": "tender",
        "buyer": {"name": "Anytown Council"},
        "tender": {"id": ocid, "title": title, "description": "Support for local people"},
    }


def test_import_reads_json_lines_and_record_packages(tmp_path, fat_clock):
    config = fat_config(tmp_path, "http://127.0.0.1:9")
    lines = tmp_path / "releases.jsonl"
    lines.write_text(
        json.dumps(_release("ocds-x-1", "r1", "2026-08-01T09:00:00Z", "Befriending service"))
        + "\n\n"
        + json.dumps(_release("ocds-x-1", "r2", "2026-08-02T09:00:00Z", "Befriending service v2"))
        + "\n"
    )
    records = tmp_path / "records.json"
    records.write_text(
        json.dumps(
            {
                "records": [
                    {
                        "ocid": "ocds-x-2",
                        "releases": [
                            _release("ocds-x-2", "s1", "2026-08-03T09:00:00Z", "Advice line")
                        ],
                    }
                ]
            }
        )
    )
    code, out = cli("import", str(lines), str(records), "--config", str(config), clock=fat_clock)
    assert code == 0, out
    assert "3 release(s), 2 new notice(s)" in out
    store = Store(tmp_path / "bot.db")
    titles = {n.id: n.title for n in store.current_notices()}
    store.close()
    assert titles == {"ocds-x-1": "Befriending service v2", "ocds-x-2": "Advice line"}


def test_import_refuses_what_it_cannot_read(tmp_path, fat_clock, capsys):
    config = fat_config(tmp_path, "http://127.0.0.1:9")
    code, _ = cli("import", str(tmp_path / "none-*.json"), "--config", str(config), clock=fat_clock)
    assert code == 2
    assert "none-*.json: no file matches" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json\n")
    code, _ = cli("import", str(bad), "--config", str(config), clock=fat_clock)
    assert code == 2
    assert f"{bad}:1: not an OCDS release package" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_is_drawn_on_a_terminal_only():
    terminal, piped = _Terminal(True), _Terminal(False)
    for stream in (terminal, piped):
        progress = Progress(4, stream)
        progress.show(2, "page-003.json", 200)
        progress.close()
    assert "[############------------] 2/4 file(s), 200 release(s)" in terminal.getvalue()
    assert terminal.getvalue().endswith("\n")
    assert piped.getvalue() == ""
