"""What every command agrees on: --from, dates typed by people, pipes, the config, the store."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys

import pytest

from bot.cli import main
from bot.store import Store
from tests.conftest import DATA, ROOT, write_config

MADE = DATA / "made" / "find_a_tender_package.json"
MADE_RELEASES = json.loads(MADE.read_text())["releases"]


def cli(*argv, clock=None):
    out = io.StringIO()
    code = main([str(a) for a in argv], stdout=out, clock=clock)
    return code, out.getvalue()


def split_made(tmp_path):
    """The hand-made package as two files in one folder (a process may span both)."""
    folder = tmp_path / "pages"
    folder.mkdir()
    first, second = folder / "page-1.json", folder / "page-2.json"
    first.write_text(json.dumps({"releases": MADE_RELEASES[::2]}))
    second.write_text(json.dumps({"releases": MADE_RELEASES[1::2]}))
    return first, second


def preview_ids(*from_args):
    code, out = cli("rules", "preview", "small-charities", *from_args, "--format", "json")
    assert code == 0, out
    return sorted(row["id"] for row in json.loads(out))


def test_rules_preview_from_takes_several_files_globs_and_repeats(tmp_path):
    first, second = split_made(tmp_path)
    everything = preview_ids("--from", MADE)
    assert preview_ids("--from", first) != everything  # each half alone is not the whole
    assert preview_ids("--from", second) != everything
    assert preview_ids("--from", first, second) == everything
    assert preview_ids("--from", first, "--from", second) == everything
    assert preview_ids("--from", tmp_path / "pages" / "page-*.json") == everything


def test_rules_evaluate_from_takes_several_files_globs_and_repeats(tmp_path):
    first, second = split_made(tmp_path)
    labels = tmp_path / "labels.csv"
    labels.write_text("id,label\n" + "".join(f"{i},yes\n" for i in preview_ids("--from", MADE)))

    def evaluated(*from_args):
        code, out = cli(
            "rules",
            "evaluate",
            "small-charities",
            "--labels",
            labels,
            *from_args,
            "--format",
            "json",
        )
        assert code == 0, out
        return json.loads(out)

    whole = evaluated("--from", MADE)
    assert evaluated("--from", first) != whole
    assert evaluated("--from", first, second) == whole
    assert evaluated("--from", first, "--from", second) == whole
    assert evaluated("--from", tmp_path / "pages" / "*.json") == whole


def test_report_from_takes_several_files_globs_and_repeats(tmp_path):
    first, second = split_made(tmp_path)

    def total(*from_args):
        code, out = cli("report", *from_args, "--format", "json")
        assert code == 0, out
        return json.loads(out)["total"]

    whole = total("--from", MADE)
    assert total("--from", first) != whole
    assert total("--from", first, second) == whole
    assert total("--from", first, "--from", second) == whole
    assert total("--from", tmp_path / "pages" / "page-?.json") == whole


def test_a_from_pattern_that_matches_nothing_is_named(tmp_path, capsys):
    code, _ = cli("rules", "preview", "small-charities", "--from", tmp_path / "nope-*.json")
    assert code == 2
    assert "nope-*.json: no file matches this pattern" in capsys.readouterr().err


# --- Dates typed by people are dates in the configured timezone --------------------------


def _award_at(utc: str, number: int) -> dict:
    release = copy.deepcopy(next(r for r in MADE_RELEASES if r["ocid"] == "ocds-h6vhtk-0a0009"))
    release["ocid"] = f"ocds-h6vhtk-0b{number:04d}"
    release["id"] = f"9100{number:02d}-2026"
    release["date"] = utc
    for section in release.get("awards", []) + release.get("contracts", []):
        section["date"] = utc
    return release


def test_report_since_a_date_starts_at_london_midnight(tmp_path):
    # 00:16 and 00:27 BST on 10 August are 23:16 and 23:27 UTC on the 9th; 23:40 BST on
    # the 9th is before the day.
    awards = tmp_path / "awards.jsonl"
    awards.write_text(
        "\n".join(
            json.dumps(_award_at(utc, n))
            for n, utc in enumerate(
                ("2026-08-09T23:16:00Z", "2026-08-09T23:27:00Z", "2026-08-09T22:40:00Z")
            )
        )
    )
    code, out = cli("report", "--from", awards, "--since", "2026-08-10", "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    assert report["period"]["start"] == "2026-08-09T23:00:00+00:00"
    assert report["total"]["awards"] == 2


def test_preview_since_and_as_of_are_read_in_the_configured_timezone(tmp_path):
    early = copy.deepcopy(next(r for r in MADE_RELEASES if r["ocid"] == "ocds-h6vhtk-0a0002"))
    late = copy.deepcopy(early)
    early["ocid"], early["id"], early["date"] = "ocds-h6vhtk-0c0001", "e1", "2026-08-09T23:16:00Z"
    late["ocid"], late["id"], late["date"] = "ocds-h6vhtk-0c0002", "e2", "2026-08-09T23:27:00Z"
    before = copy.deepcopy(early)
    before["ocid"], before["id"], before["date"] = (
        "ocds-h6vhtk-0c0003",
        "e3",
        "2026-08-09T22:40:00Z",
    )
    package = tmp_path / "day.json"
    package.write_text(json.dumps({"releases": [early, late, before]}))
    found = preview_ids("--from", package, "--since", "2026-08-10")
    assert found == ["ocds-h6vhtk-0c0001", "ocds-h6vhtk-0c0002"]
    # A config with another timezone moves the day's start with it.
    config = tmp_path / "tenderbot.toml"
    config.write_text('[bot]\ntimezone = "UTC"\n')
    code, out = cli(
        "rules",
        "preview",
        "small-charities",
        "--from",
        package,
        "--since",
        "2026-08-10",
        "--config",
        config,
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out) == []


def test_dates_typed_by_people_are_local(tmp_path):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.moments import parse_when

    now = datetime(2026, 8, 20, tzinfo=UTC)
    assert parse_when("2026-08-10", now, "--since") == datetime(2026, 8, 9, 23, tzinfo=UTC)
    assert parse_when("2026-01-10", now, "--since") == datetime(2026, 1, 10, tzinfo=UTC)
    assert parse_when("2026-08-10T09:00", now, "--as-of") == datetime(2026, 8, 10, 8, tzinfo=UTC)
    assert parse_when("2026-08-10T09:00+00:00", now, "--as-of") == datetime(
        2026, 8, 10, 9, tzinfo=UTC
    )
    assert parse_when("2026-08-10", now, "--since", ZoneInfo("UTC")) == datetime(
        2026, 8, 10, tzinfo=UTC
    )


# --- Piped output ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["rules", "list"],
        ["rules", "test"],
        ["rules", "preview", "small-charities", "--from", str(MADE)],
    ],
    ids=["list", "test", "preview"],
)
def test_a_reader_that_went_away_stops_the_output_quietly(command, tmp_path):
    # A pipe whose reader has gone (as `| head -1` leaves it once it has its line).
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot", *command],
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 141


# --- One validation of the config, for every command ---------------------------------------


def _config_with(tmp_path, subscription_keys):
    subs = f'[[subscriptions]]\nchannel = "console"\n{subscription_keys}\n'
    config = write_config(tmp_path, "http://127.0.0.1:9", subscriptions=subs)
    Store(tmp_path / "bot.db").close()
    return config


def test_a_missing_rule_set_is_a_problem_for_status_poll_and_run(tmp_path, clock, capsys):
    config = _config_with(tmp_path, 'rules = ["small-charites"]')
    message = (
        f"{config}: subscriptions[0].rules: no rule set named 'small-charites' "
        "(did you mean 'small-charities'?)"
    )
    code, out = cli("status", "--config", config, clock=clock)
    assert code == 1
    assert message in out
    code, out = cli("status", "--config", config, "--format", "json", clock=clock)
    assert code == 1
    assert json.loads(out)["rule_sets"][0]["error"] == message
    for command in ("poll", "run"):
        code, out = cli(command, "--config", config, clock=clock)
        assert code == 2, command
        assert message in capsys.readouterr().err


def test_status_rejects_an_unknown_region_as_poll_does(tmp_path, clock, capsys):
    config = _config_with(tmp_path, 'rules = ["small-charities"]\nregions = ["Narnia"]')
    errors = []
    for command in ("poll", "status"):
        code, _ = cli(command, "--config", config, clock=clock)
        assert code == 2, command
        errors.append(capsys.readouterr().err)
    assert errors[0] == errors[1]
    assert f"{config}: subscriptions[0].regions" in errors[1] and "Narnia" in errors[1]


# --- Only run, poll and import create a store ----------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["report", "--format", "json"],
        ["rules", "preview", "small-charities"],
        ["rules", "feedback"],
        ["outbox", "retry"],
        ["backup", "copy.db"],
        ["radar", "--format", "json"],
        ["radar", "stats"],
    ],
    ids=["status", "report", "preview", "feedback", "outbox", "backup", "radar", "radar-stats"],
)
def test_read_only_commands_never_create_a_store(command, tmp_path, clock, capsys):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    config.write_text(config.read_text().replace('database = "bot.db"', 'database = "typo/bot.db"'))
    missing = tmp_path / "typo" / "bot.db"
    code, _ = cli(*command, "--config", config, clock=clock)
    assert code == 2
    assert (
        f"no database at {missing} (run `tenderbot run` or `tenderbot import` first)"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "typo").exists()


def test_a_read_only_folder_is_named_as_such(tmp_path, clock, capsys):
    # /sys refuses new folders even to root, as a read-only mount does.
    if not os.path.isdir("/sys") or (os.access("/sys", os.W_OK) and os.geteuid() != 0):
        pytest.skip("no read-only /sys here")
    config = write_config(tmp_path, "http://127.0.0.1:9")
    config.write_text(
        config.read_text().replace('database = "bot.db"', 'database = "/sys/tenderbot/bot.db"')
    )
    code, _ = cli("poll", "--config", config, clock=clock)
    assert code == 2
    assert "/sys: folder is read-only for this user" in capsys.readouterr().err


def test_report_out_refuses_a_missing_folder(tmp_path, capsys):
    target = tmp_path / "nonexistent" / "a.html"
    code, _ = cli("report", "--from", MADE, "--out", target)
    assert code == 2
    assert f"no folder {target.parent}" in capsys.readouterr().err
    assert not target.parent.exists()
