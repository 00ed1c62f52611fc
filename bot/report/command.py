"""`tenderbot report`: make the cold-spots report from the store or from OCDS files."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import secrets
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.config import Config, ConfigError
from bot.file_args import expand_files
from bot.moments import DEFAULT_ZONE
from bot.radar.contracts import ContractRecord, compile_contracts
from bot.radar.ending import ending_soon
from bot.radar.selection import judge_with as radar_judge
from bot.radar.stored import store_records
from bot.report.build import Report, build_report
from bot.report.facts import Judge
from bot.report.inputs import (
    file_coverage,
    file_period,
    file_processes,
    store_coverage,
    store_ever_filled,
    store_processes,
)
from bot.report.settings import DEFAULT_RULES, REPORT_FORMATS
from bot.rules_cli import config_for, load_ref, parse_when, read_notices_file, zone_of
from bot.store import Store
from rules.ruleset import RuleSet
from sources.clock import Clock
from sources.notice import Notice

EXIT_OK = 0
log = logging.getLogger("tenderbot.report")


def judge_with(rule_set: RuleSet) -> Judge:
    """The tier `rule_set` gives a notice as of a moment (None: no match)."""

    def judge(notice: Notice, moment: datetime) -> str | None:
        match = rule_set.evaluate(notice, moment)
        return None if match is None else match.tier

    return judge


def with_ending(report: Report, records: list[ContractRecord], rule_set: RuleSet) -> Report:
    """The report with its section on charity-kind contracts ending in the next 12 months."""
    judge = radar_judge([rule_set], report.end)
    return dataclasses.replace(report, ending=ending_soon(records, judge, report.end))


def report_from_store(config: Config, rule_set: RuleSet, start: datetime, now: datetime) -> Report:
    """The report of everything stored from `start` up to `now`."""
    store = Store.open_existing(config.bot.store_location)
    try:
        report = build_report(
            store_processes(store, start),
            start=start,
            end=now,
            judge=judge_with(rule_set),
            rules=rule_set.name,
            rules_title=rule_set.title,
            generated=now,
            made_from=f"the tenderbot store ({_store_name(config)})",
            zone=config.bot.zone,
            coverage=store_coverage(store, start, now),
            polled=store_ever_filled(store),
        )
        return with_ending(report, store_records(store), rule_set)
    finally:
        store.close()


def report_from_files(
    paths: Sequence[Path],
    rule_set: RuleSet,
    since: datetime | None,
    now: datetime,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> Report:
    """The report of the releases in OCDS files (all of them, or those since `since`)."""
    notices: list[Notice] = []
    for path in paths:
        found, problems = read_notices_file(path, source="files")
        for problem in problems:
            print(f"skipped: {problem}", file=sys.stderr)
        notices.extend(found)
    period = file_period(notices) or (now, now)
    start = since if since is not None else period[0]
    end = max(period[1], start)
    report = build_report(
        file_processes(notices),
        start=start,
        end=end,
        coverage=file_coverage(notices, start, end),
        judge=judge_with(rule_set),
        rules=rule_set.name,
        rules_title=rule_set.title,
        generated=now,
        made_from=", ".join(p.name for p in paths),
        zone=zone,
    )
    return with_ending(report, compile_contracts(notices), rule_set)


def render(report: Report, fmt: str) -> str:
    """The report in one of `REPORT_FORMATS`."""
    if fmt == "html":
        from bot.report.html import render_html  # matplotlib and jinja2 load only here

        return render_html(report)
    from bot.report.tables import write_csv, write_json

    buffer = StringIO()
    (write_csv if fmt == "csv" else write_json)(report, buffer)
    return buffer.getvalue()


def save(text: str, path: Path) -> None:
    """Write `text` to `path` whole or not at all (a reader never sees half a report).

    The file gets the permissions the umask allows (0644 under umask 022), as any file a
    program writes, so that a web server can serve it.

    Raises:
        OSError: the folder cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_configured_report(config: Config, now: datetime) -> Path:
    """Make the report `[report]` describes from the store and write it to its `out` file.

    Raises:
        RuleFileError: the rule set cannot be loaded.
        OSError: the file cannot be written.
    """
    settings = config.report
    assert settings is not None
    rule_set = load_ref(settings.rules, config)
    report = report_from_store(config, rule_set, now - settings.since, now)
    save(render(report, settings.format), settings.out)
    log.info("report: %s written (%s)", settings.out, report.period)
    return settings.out


def _out_path(out: str | None) -> Path | None:
    """Where `--out` writes; its folder must exist (a typo must not create folders).

    Raises:
        ConfigError: the parent folder is missing or is not a folder.
    """
    if out is None:
        return None
    path = Path(out).expanduser()
    parent = path.parent
    if not parent.exists():
        raise ConfigError(f"--out {out}: no folder {parent} (create it first)")
    if not parent.is_dir():
        raise ConfigError(f"--out {out}: {parent} is not a folder")
    if path.is_dir():
        raise ConfigError(f"--out {out}: is a folder; name a file")
    return path


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    suffix = Path(args.out).suffix.lstrip(".").lower() if args.out else ""
    return suffix if suffix in REPORT_FORMATS else "html"


def run_report_command(args: argparse.Namespace, out: TextIO, clock: Clock) -> int:
    """`tenderbot report`; returns the exit code.

    Raises:
        ConfigError: a bad option, an unreadable file or no config where the store is needed.
        RuleFileError: the rule set cannot be loaded.
    """
    now = clock.now()
    files = expand_files(args.source_files or ())
    config = config_for(args, files)
    zone = zone_of(config)
    out_path = _out_path(args.out)
    rules_ref = args.rules or (config.report.rules if config and config.report else DEFAULT_RULES)
    rule_set = load_ref(rules_ref, config)
    fmt = _format(args)
    if files:
        since = parse_when(args.since, now, "--since", zone) if args.since else None
        report = report_from_files(files, rule_set, since, now, zone)
    else:
        assert config is not None
        default = config.report.since if config.report else timedelta(days=365)
        since_at = parse_when(args.since, now, "--since", zone) if args.since else now - default
        report = report_from_store(config, rule_set, since_at, now)
    text = render(report, fmt)
    if out_path is not None:
        try:
            save(text, out_path)
        except OSError as exc:
            raise ConfigError(f"--out {args.out}: cannot write: {exc}") from None
        print(f"report written to {args.out} ({fmt}, {report.period})", file=sys.stderr)
    else:
        out.write(text)
    return EXIT_OK


def _store_name(config: Config) -> str:
    """The store as the page names it: the SQLite file's name, or the server's database."""
    if config.bot.database_url:
        return config.bot.database_label.rsplit("/", 1)[-1] + " on PostgreSQL"
    return config.bot.database.name
