"""`tenderbot report`: make the cold-spots report from the store or from OCDS files."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.config import Config, ConfigError, find_config_path, load_config
from bot.radar.contracts import ContractRecord, compile_contracts
from bot.radar.ending import ending_soon
from bot.radar.selection import judge_with as radar_judge
from bot.radar.stored import store_records
from bot.report.build import Report, build_report
from bot.report.facts import Judge
from bot.report.inputs import file_period, file_processes, store_processes
from bot.report.settings import DEFAULT_RULES, REPORT_FORMATS
from bot.rules_cli import load_ref, optional_config, parse_when, read_notices_file
from bot.store import Store
from rules.ruleset import RuleSet
from sources.clock import Clock
from sources.notice import Notice

EXIT_OK = 0
log = logging.getLogger("tenderbot.report")


def judge_with(rule_set: RuleSet) -> Judge:
    """Whether `rule_set` matches a notice as of a moment."""

    def judge(notice: Notice, moment: datetime) -> bool:
        return rule_set.evaluate(notice, moment) is not None

    return judge


def with_ending(report: Report, records: list[ContractRecord], rule_set: RuleSet) -> Report:
    """The report with its section on charity-kind contracts ending in the next 12 months."""
    judge = radar_judge([rule_set], report.end)
    return dataclasses.replace(report, ending=ending_soon(records, judge, report.end))


def report_from_store(config: Config, rule_set: RuleSet, start: datetime, now: datetime) -> Report:
    """The report of everything stored from `start` up to `now`."""
    store = Store(config.bot.database)
    try:
        report = build_report(
            store_processes(store, start),
            start=start,
            end=now,
            judge=judge_with(rule_set),
            rules=rule_set.name,
            rules_title=rule_set.title,
            generated=now,
            made_from=f"the tenderbot store ({config.bot.database.name})",
            zone=config.bot.zone,
        )
        return with_ending(report, store_records(store), rule_set)
    finally:
        store.close()


def report_from_files(
    paths: Sequence[Path], rule_set: RuleSet, since: datetime | None, now: datetime
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
    report = build_report(
        file_processes(notices),
        start=start,
        end=max(period[1], start),
        judge=judge_with(rule_set),
        rules=rule_set.name,
        rules_title=rule_set.title,
        generated=now,
        made_from=", ".join(p.name for p in paths),
        zone=ZoneInfo("Europe/London"),
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

    Raises:
        OSError: the folder cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
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
    files = [Path(f) for f in args.source_files or ()]
    config = (
        optional_config(args)
        if files
        else load_config(find_config_path(getattr(args, "config", None)))
    )
    rules_ref = args.rules or (config.report.rules if config and config.report else DEFAULT_RULES)
    rule_set = load_ref(rules_ref, config)
    fmt = _format(args)
    if files:
        since = parse_when(args.since, now, "--since") if args.since else None
        report = report_from_files(files, rule_set, since, now)
    else:
        assert config is not None
        default = config.report.since if config.report else timedelta(days=365)
        since_at = parse_when(args.since, now, "--since") if args.since else now - default
        report = report_from_store(config, rule_set, since_at, now)
    text = render(report, fmt)
    if args.out:
        try:
            save(text, Path(args.out))
        except OSError as exc:
            raise ConfigError(f"--out {args.out}: cannot write: {exc}") from None
        print(f"report written to {args.out} ({fmt}, {report.period})", file=sys.stderr)
    else:
        out.write(text)
    return EXIT_OK
