"""`tenderbot status` shows what `tenderbot import` loaded, as text and as JSON."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from bot.cli import main
from bot.store import Store, StoredSource
from sources.ocds import map_releases
from tests.conftest import DATA, FakeClock, write_config

MADE = DATA / "made" / "find_a_tender_package.json"
"""11 releases of 8 processes, released on 10 August 2026 between 08:00 and 18:00 BST."""
IMPORTED_AT = datetime(2026, 8, 11, 8, 0, tzinfo=UTC)


def run(*argv, clock):
    out = io.StringIO()
    code = main([str(a) for a in argv], clock=clock, stdout=out)
    return code, out.getvalue()


def test_status_lists_the_import_source_with_when_and_how_many(tmp_path):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    clock = FakeClock(IMPORTED_AT)
    assert run("import", MADE, "--config", config, clock=clock)[0] == 0
    clock.current = datetime(2026, 8, 11, 10, 0, tzinfo=UTC)

    code, text = run("status", "--config", config, clock=clock)
    assert code == 0, text
    assert (
        "Stored, not polled:\n"
        "  import (loaded by tenderbot import)\n"
        "    last stored:   2026-08-11 09:00:00 BST (2h ago)\n"
        "    releases:      11, released 2026-08-10 to 2026-08-10\n"
        "    notices:       8 stored\n"
    ) in text

    code, text = run("status", "--config", config, "--format", "json", clock=clock)
    status = json.loads(text)
    assert status["unpolled_sources"] == [
        {
            "name": "import",
            "why": "loaded by tenderbot import",
            "notices_stored": 8,
            "releases_stored": 11,
            "last_stored": IMPORTED_AT.isoformat(),
            # The notices' current releases: the earliest and latest of them.
            "first_release": "2026-08-10T08:15:00+00:00",
            "last_release": "2026-08-10T17:00:00+00:00",
        }
    ]
    assert status["notices_stored"] == 8


def test_a_configured_source_is_listed_once_and_no_section_when_nothing_else_is(tmp_path):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    clock = FakeClock(IMPORTED_AT)
    assert run("import", MADE, "--source", "cf", "--config", config, clock=clock)[0] == 0
    code, text = run("status", "--config", config, clock=clock)
    assert code == 0, text
    assert "Stored, not polled" not in text
    assert "    notices:       8 stored" in text  # under cf, the configured source
    _, text = run("status", "--config", config, "--format", "json", clock=clock)
    assert json.loads(text)["unpolled_sources"] == []


def test_the_store_counts_each_source_name_on_either_backend(database):
    releases = json.loads(MADE.read_text())["releases"]
    store = Store(database)
    try:
        with store.transaction():
            store.save_notices(map_releases(releases, source="import").notices, IMPORTED_AT)
            store.save_notices(map_releases(releases[:3], source="fat").notices, IMPORTED_AT)
        held = store.stored_sources()
    finally:
        store.close()
    assert [h.source for h in held] == ["fat", "import"]
    assert held[1] == StoredSource(
        source="import",
        notices=8,
        releases=11,
        first_release=datetime(2026, 8, 10, 8, 15, tzinfo=UTC),
        last_release=datetime(2026, 8, 10, 17, 0, tzinfo=UTC),
        last_stored=IMPORTED_AT,
    )
    assert held[0].releases == 3
