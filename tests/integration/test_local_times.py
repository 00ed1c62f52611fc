"""Times shown to people are in the config's timezone (London), never UTC.

The clock stands at 08:30 UTC on 10 August 2026, which is 09:30 BST: a message that printed
UTC would show 08:30.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.lead import LeadKeeper, Outage
from bot.moments import DEFAULT_ZONE as LONDON
from bot.report.outcome import ReportOutcome, failure_message
from bot.store import Store
from bot.store.instances import Instance
from tests.conftest import FakeClock, write_config
from tests.fakes.smtp import FakeSmtp
from tests.integration.conftest import chat_channels

SUMMER = datetime(2026, 8, 10, 8, 30, tzinfo=UTC)
SHOWN = "2026-08-10 09:30 BST"


def send_test(config: Path, channel: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(
        ["send-test", channel, "--config", str(config)], clock=FakeClock(SUMMER), stdout=out
    )
    return code, out.getvalue()


def test_send_test_on_the_console_shows_london_time(tmp_path):
    code, out = send_test(write_config(tmp_path, "http://127.0.0.1:9"), "console")
    assert code == 0
    assert f"tenderbot test message ({SHOWN})" in out
    assert "UTC" not in out


def test_send_test_to_slack_and_telegram_shows_london_time(tmp_path, slack, telegram, chat_tokens):
    config = write_config(tmp_path, "http://127.0.0.1:9", extra=chat_channels(slack, telegram))
    assert send_test(config, "slack")[0] == 0
    assert send_test(config, "telegram")[0] == 0
    assert f"({SHOWN})" in slack.messages[0]["text"]
    assert f"({SHOWN})" in telegram.messages[0]["text"]


def test_the_database_in_use_message_shows_london_time():
    holder = Instance(id="x", command="run", pid=42, host="elsewhere", started_at=SUMMER)
    assert (
        holder.describe(LONDON)
        == "tenderbot run (pid 42 on elsewhere, since 2026-08-10 09:30:00 BST)"
    )


def test_a_report_that_cannot_be_written_says_when_the_kept_one_was_written(tmp_path):
    kept = tmp_path / "report.html"
    kept.write_text("an older report")
    outcome = ReportOutcome(out=kept, written_at=SUMMER, failed_at=SUMMER, error="disk full")
    assert f"the one written {SHOWN} stays" in failure_message(outcome, kept, LONDON)


def test_database_outage_messages_show_london_time(tmp_path):
    store = Store(tmp_path / "bot.db")
    try:
        instance = Instance.this_process("run", SUMMER)
        keeper = LeadKeeper(store, instance, FakeClock(SUMMER), timedelta(seconds=10), zone=LONDON)
        keeper.outage = Outage(since=SUMMER, error="connection refused")
        assert keeper.health() == [
            "the database is unreachable since 2026-08-10 09:30:00 BST: connection refused"
        ]
        told = keeper.outage.back_again("db", lambda text: text, LONDON)
        assert "unreachable from 2026-08-10 09:30:00 BST (connection refused)" in told
    finally:
        store.close()


def test_a_backlog_stopped_at_a_checkpoint_logs_it_in_london_time(caplog):
    from bot.poller import _log_backlog
    from bot.store import SourceState

    with caplog.at_level(logging.WARNING, logger="tenderbot"):
        _log_backlog(
            "fat", 2, SourceState(source="fat", watermark=SUMMER), SourceState(source="fat"), LONDON
        )
    assert f"the next poll continues from the checkpoint {SHOWN}" in caplog.text


def test_the_lock_file_names_its_holder_in_london_time(tmp_path):
    from bot.instance import InstanceError, InstanceLock

    database = tmp_path / "bot.db"
    with InstanceLock(database, "run", zone=LONDON), pytest.raises(InstanceError) as refused:
        InstanceLock(database, "poll", zone=LONDON).acquire()
    local = datetime.now(LONDON).tzname()  # GMT or BST, whichever it is now
    assert re.search(
        rf"already in use by tenderbot run \(pid \d+, since [\d-]+ [\d:]+ {local}\)",
        str(refused.value),
    )


def test_send_test_by_email_shows_london_time(tmp_path, monkeypatch):
    monkeypatch.setenv("TB_SMTP_USER", "mailer")
    monkeypatch.setenv("TB_SMTP_PASSWORD", "right password")
    with FakeSmtp(login=("mailer", "right password")) as smtp:
        channel = f"""
[[channels]]
name = "office-email"
kind = "email"
to = ["bids@charity.example"]
from = "tenderbot@network.example"
smtp = "smtp://127.0.0.1:{smtp.port}"
username_env = "TB_SMTP_USER"
password_env = "TB_SMTP_PASSWORD"
timeout = "5s"
"""
        config = write_config(tmp_path, "http://127.0.0.1:9", extra=channel)
        assert send_test(config, "office-email")[0] == 0
        body = smtp.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert f"({SHOWN})" in body and "UTC" not in body
