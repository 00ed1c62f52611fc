"""`tenderbot backfill` against the Find a Tender imitation: interrupted, resumed, never alerted."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from bot.cli import main
from bot.store import Store
from tests.conftest import FakeClock, fat_day_releases
from tests.fakes.find_a_tender import PATH, serve_find_a_tender
from tests.fakes.publishers import FakePublisher
from tests.integration.test_find_a_tender import config_for


def _backfill(path, clock, since="2026-08-09"):
    out = io.StringIO()
    code = main(
        ["backfill", "--config", str(path), "--source", "fat", "--since", since],
        clock=clock,
        stdout=out,
    )
    return code, out.getvalue()


def _failing_after(web, count):
    """Make the imitation answer 500 from request `count` on, until `heal()` is called."""
    route = web.routes[PATH]
    state = {"broken": True}

    def reply(query, headers):
        if state["broken"] and len(web.requests_to(PATH)) > count:
            return 500, {"Content-Type": "text/plain"}, b"down"
        return route(query, headers)

    web.routes[PATH] = reply
    return lambda: state.update(broken=False)


def test_an_interrupted_backfill_resumes_and_nothing_is_lost_or_alerted(tmp_path):
    day = fat_day_releases()
    clock = FakeClock(datetime(2026, 8, 10, 23, 30, tzinfo=UTC))
    with FakePublisher(clock) as web:
        serve_find_a_tender(web, day)
        path = config_for(tmp_path, web)
        heal = _failing_after(web, 6)
        code, out = _backfill(path, clock)
        assert code == 1
        assert "stopped:" in out and "run the same command to resume" in out
        lines = [line for line in out.splitlines() if "reached" in line]
        # Dates are the config's timezone (London): the clock's 23:30 UTC is 00:30 on the 11th.
        assert lines and "% of 2026-08-09 to 2026-08-11" in lines[0]
        assert "left" in lines[0]
        store = Store(tmp_path / "bot.db")
        try:
            partial = store.count_notices("fat")
        finally:
            store.close()
        assert 0 < partial < len({r["ocid"] for r in day})
        before = len(web.requests_to(PATH))

        heal()
        code, out = _backfill(path, clock)
        assert code == 0, out
        assert "resuming from" in out
        assert "nothing was alerted" in out
        resumed = len(web.requests_to(PATH)) - before

        # Run again once finished: only what was published since is read (nothing new).
        code, again = _backfill(path, clock)
        assert code == 0 and "0 release(s) read" in again
    store = Store(tmp_path / "bot.db")
    try:
        assert store.count_notices("fat") == len({r["ocid"] for r in day})
        stored = store.db.execute("SELECT COUNT(*) FROM notice_versions").fetchone()[0]
        assert stored == len({r["id"] for r in day})
        assert store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    finally:
        store.close()
    assert resumed < 12  # the resumed run did not start over


def test_backfill_names_a_bad_source_and_date(tmp_path):
    clock = FakeClock(datetime(2026, 8, 10, 23, 30, tzinfo=UTC))
    with FakePublisher(clock) as web:
        path = config_for(tmp_path, web)
        out = io.StringIO()
        assert (
            main(
                ["backfill", "--config", str(path), "--source", "nope", "--since", "1d"],
                clock=clock,
                stdout=out,
            )
            == 2
        )
        assert (
            main(
                ["backfill", "--config", str(path), "--source", "fat", "--since", "2030-01-01"],
                clock=clock,
                stdout=out,
            )
            == 2
        )
