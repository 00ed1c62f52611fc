"""`tenderbot poll` against a local imitation of Contracts Finder, with real HTTP and SQLite."""

from __future__ import annotations

import copy
import io
import re
from datetime import timedelta

import pytest

from bot.cli import main
from bot.store import Store
from tests.conftest import made_releases, write_config

ALL = made_releases()
DISTINCT = len({r["ocid"] for r in ALL})
OPEN_STAGES = {"planning", "tender", "tenderAmendment"}


def open_notices(rels):
    latest = {}
    for r in sorted(rels, key=lambda r: r["date"]):
        latest[r["ocid"]] = r
    return {ocid for ocid, r in latest.items() if r["tag"][0] in OPEN_STAGES}


def poll(config, clock, *extra):
    out = io.StringIO()
    code = main(["poll", "--config", str(config), *extra], clock=clock, stdout=out)
    return code, out.getvalue()


def printed_ids(output):
    return re.findall(r"Id:\s+cf (\S+)", output)


def open_store(config):
    return Store(config.parent / "bot.db")


def test_poll_stores_each_notice_once_and_prints_each_open_one_once(tmp_path, fake_cf, clock):
    fake_cf.pages = [ALL[:40], ALL[40:80], ALL[80:]]
    config = write_config(tmp_path, fake_cf.url)

    started = clock.now()
    code, out = poll(config, clock)
    assert code == 0
    ids = printed_ids(out)
    assert len(ids) == len(set(ids))
    assert set(ids) == open_notices(ALL)
    assert fake_cf.page_requests() == [0, 1, 2]
    assert clock.sleeps == [1.0, 1.0], "one request at a time, a second apart"
    first = fake_cf.requests[0]["query"]
    assert first["limit"] == "100"
    assert first["publishedFrom"] == (started - timedelta(days=1000)).strftime("%Y-%m-%dT%H:%M:%S")
    assert fake_cf.requests[0]["user_agent"].startswith("tenderbot/0.1.0 (+https://")
    store = open_store(config)
    assert store.count_notices() == DISTINCT
    assert store.source_state("cf").watermark == started
    store.close()

    # A second poll finds the same notices (overlap window) and neither stores nor prints any.
    clock.advance(minutes=10)
    code, out = poll(config, clock)
    assert code == 0 and printed_ids(out) == []
    second = fake_cf.requests[3]["query"]
    # The newest release stored is older than the overlap: the window is the last hour.
    assert second["publishedFrom"] == (started - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    store = open_store(config)
    assert store.count_notices() == DISTINCT
    store.close()


def test_console_block_reads_well(tmp_path, fake_cf, clock):
    dudley = [
        r for r in ALL if r["tender"]["title"] == "Domestic Abuse Support Services - Children"
    ]
    fake_cf.pages = [dudley]
    code, out = poll(write_config(tmp_path, fake_cf.url), clock)
    assert code == 0
    assert "== NEW: Domestic Abuse Support Services - Children" in out
    assert "Buyer:    Anytown Borough Council" in out
    assert "Value:    £48,000–£60,000" in out
    assert re.search(r"Deadline: \w{3} \d+ \w{3} 2025 \d\d:\d\d GMT \(\d+ days left\)", out)
    assert "Link:     https://www.contractsfinder.service.gov.uk/Notice/" in out


def test_amendment_becomes_a_version_and_an_updated_alert(tmp_path, fake_cf, clock):
    tender = next(r for r in ALL if r["tag"] == ["tender"] and r["tender"].get("value"))
    fake_cf.pages = [[tender]]
    config = write_config(tmp_path, fake_cf.url)
    code, out = poll(config, clock)
    assert "== NEW: " in out

    amended = copy.deepcopy(tender)
    amended["id"] = tender["id"] + "-amended"
    amended["tag"] = ["tenderAmendment"]
    amended["date"] = "2025-01-24T08:00:00Z"
    amended["tender"]["tenderPeriod"]["endDate"] = "2025-03-31T12:00:00Z"
    fake_cf.pages = [[amended, tender]]
    clock.advance(minutes=10)
    code, out = poll(config, clock)
    assert code == 0
    assert out.count("== UPDATED: ") == 1 and "== NEW" not in out
    assert "Mon 31 Mar 2025 13:00 BST" in out
    store = open_store(config)
    assert store.count_notices() == 1
    assert store.count_versions("cf", tender["ocid"]) == 2
    kinds = [r[0] for r in store.db.execute("SELECT kind FROM events ORDER BY id")]
    assert kinds == ["new", "updated"]
    store.close()


@pytest.mark.parametrize(
    ("fault", "times"), [("500", 3), ("reset", 3), ("truncated", 1), ("html", 1)]
)
def test_a_failed_page_keeps_the_watermark_and_the_next_poll_recovers(
    tmp_path, fake_cf, clock, fault, times
):
    fake_cf.pages = [ALL[:50], ALL[50:]]
    # Server errors and resets are retried (2 retries), bad bodies are not: either way the
    # pass fails on page 1 after page 0 was stored.
    fake_cf.fail(1, *[fault] * times)
    config = write_config(tmp_path, fake_cf.url)
    code, out = poll(config, clock)
    assert code == 1
    store = open_store(config)
    state = store.source_state("cf")
    assert state.watermark is None and state.consecutive_failures == 1
    assert state.last_error.startswith("cf: GET http://127.0.0.1:")
    assert store.count_notices() == len({r["ocid"] for r in ALL[:50]})
    store.close()
    first_ids = printed_ids(out)

    clock.advance(minutes=10)
    code, out = poll(config, clock)
    assert code == 0
    ids = first_ids + printed_ids(out)
    assert sorted(ids) == sorted(open_notices(ALL))
    store = open_store(config)
    assert store.count_notices() == DISTINCT
    assert store.source_state("cf").consecutive_failures == 0
    store.close()


def test_transient_errors_are_retried_with_backoff(tmp_path, fake_cf, clock):
    fake_cf.pages = [ALL[:10]]
    fake_cf.fail(0, "500", "reset")
    # Backoff above the 1 s politeness gap, so the only waits are the retries' own.
    config = write_config(tmp_path, fake_cf.url, source={"backoff": '"2s"'})
    code, _ = poll(config, clock)
    assert code == 0
    assert fake_cf.page_requests() == [0, 0, 0]
    assert len(clock.sleeps) == 2
    assert 1.5 <= clock.sleeps[0] <= 2 and 3 <= clock.sleeps[1] <= 4, "doubling, jitter within"


def test_a_slow_response_times_out_and_is_retried(tmp_path, fake_cf, clock):
    fake_cf.pages = [ALL[:10]]
    fake_cf.fail(0, "slow")
    config = write_config(tmp_path, fake_cf.url, source={"timeout": '"0.5s"', "backoff": '"2s"'})
    code, _ = poll(config, clock)
    assert code == 0
    assert len(clock.sleeps) == 1, "one retry"


@pytest.mark.parametrize(
    ("fault", "retry_after", "wait"), [("throttle", None, 300), ("429", "120", 120)]
)
def test_throttling_ends_the_pass_and_is_honoured(
    tmp_path, fake_cf, clock, caplog, fault, retry_after, wait
):
    fake_cf.pages = [ALL[:10]]
    fake_cf.retry_after = retry_after
    fake_cf.fail(0, fault)
    config = write_config(tmp_path, fake_cf.url)
    code, out = poll(config, clock)
    assert code == 1 and out == ""
    assert fake_cf.page_requests() == [0]  # not retried
    assert clock.sleeps == []
    store = open_store(config)
    state = store.source_state("cf")
    assert state.watermark is None
    assert state.throttled_until == clock.now() + timedelta(seconds=wait)
    assert "throttled (HTTP" in state.last_error
    store.close()

    # Polling again before the wait is over does not touch the server.
    clock.advance(seconds=wait - 1)
    code, _ = poll(config, clock)
    assert code == 0 and fake_cf.page_requests() == [0]
    clock.advance(seconds=2)
    code, out = poll(config, clock)
    assert code == 0 and fake_cf.page_requests() == [0, 0]
    assert printed_ids(out)


def test_an_unmappable_release_is_reported_and_the_rest_of_the_page_kept(
    tmp_path, fake_cf, clock, caplog
):
    page = copy.deepcopy(ALL[:20])
    page[3]["date"] = "not a date"
    fake_cf.pages = [page]
    config = write_config(tmp_path, fake_cf.url)
    code, _ = poll(config, clock)
    assert code == 0
    assert (
        f"cf: release {page[3]['id']}: date: 'not a date' is not an ISO 8601 date-time"
        in caplog.text
    )
    store = open_store(config)
    assert store.count_notices() == len({r["ocid"] for i, r in enumerate(page) if i != 3})
    store.close()


def test_response_size_is_capped(tmp_path, fake_cf, clock):
    fake_cf.pages = [ALL]
    config = write_config(tmp_path, fake_cf.url, source={"max_bytes": "10000"})
    code, _ = poll(config, clock)
    assert code == 1
    store = open_store(config)
    assert "exceeds" in store.source_state("cf").last_error
    assert store.count_notices() == 0
    store.close()


def test_an_unreachable_source_is_one_clear_line_per_attempt(tmp_path, clock, caplog):
    config = write_config(tmp_path, "http://127.0.0.1:9", source={"retries": "1"})
    code, out = poll(config, clock)
    assert code == 1 and out == ""
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "tenderbot.sources" or r.name == "tenderbot.poll"
    ]
    assert len(lines) == 2
    assert all("cf: GET http://127.0.0.1:9/" in line and "cannot connect" in line for line in lines)
    assert "Traceback" not in caplog.text


def test_poll_one_source_by_name_and_unknown_name(tmp_path, fake_cf, clock, capsys):
    fake_cf.pages = [ALL[:5]]
    config = write_config(tmp_path, fake_cf.url)
    assert poll(config, clock, "--source", "cf")[0] == 0
    assert poll(config, clock, "--source", "nope")[0] == 2
    assert "--source: no source named 'nope' (sources: cf)" in capsys.readouterr().err


def test_status_shows_sources_notices_and_outbox(tmp_path, fake_cf, clock):
    fake_cf.pages = [ALL]
    config = write_config(tmp_path, fake_cf.url)
    poll(config, clock)
    out = io.StringIO()
    assert main(["status", "--config", str(config)], clock=clock, stdout=out) == 0
    text = out.getvalue()
    assert "cf (contracts_finder, every 10m)" in text
    assert "last error:    none" in text
    assert f"Notices stored: {DISTINCT}" in text
    assert "Outbox: 0 pending" in text
    assert "Paused channels: none" in text
    out = io.StringIO()
    main(["status", "--config", str(config), "--format", "json"], clock=clock, stdout=out)
    assert f'"notices_stored": {DISTINCT}' in out.getvalue()


def test_bad_config_is_exit_2_with_file_and_key(tmp_path, capsys, clock):
    config = write_config(tmp_path, "http://127.0.0.1:9", source={"every": '"often"'})
    assert main(["poll", "--config", str(config)], clock=clock) == 2
    err = capsys.readouterr().err
    assert f"{config}: sources[0] (cf).every: 'often' is not a duration" in err


def test_missing_secret_is_exit_2_naming_channel_and_variable(tmp_path, capsys, clock, monkeypatch):
    monkeypatch.delenv("TB_TEST_TOKEN", raising=False)
    extra = (
        '[[channels]]\nname = "tg"\nkind = "telegram"\n'
        'token_env = "TB_TEST_TOKEN"\nchat_id = "-100"\n'
    )
    config = write_config(tmp_path, "http://127.0.0.1:9", extra=extra)
    assert main(["poll", "--config", str(config)], clock=clock) == 2
    assert (
        "channels (tg).token_env: environment variable TB_TEST_TOKEN is not set"
        in capsys.readouterr().err
    )
