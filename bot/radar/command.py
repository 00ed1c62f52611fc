"""`tenderbot radar`: upcoming re-tender windows, and how past windows turned out."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from dateutil.relativedelta import relativedelta

from bot.config import Config, ConfigError, find_config_path, load_config
from bot.file_args import expand_files
from bot.radar.backtest import OUTCOMES, LabelGrades, grade
from bot.radar.contracts import ContractRecord, compile_contracts
from bot.radar.options import DEFAULT_RULES
from bot.radar.selection import judge_with
from bot.radar.stored import store_records
from bot.radar.successors import with_successors
from bot.radar.windows import Window, day, skip_reason, window
from bot.rules_cli import load_ref, optional_config, parse_when, read_notices_file, zone_of
from bot.store import Store
from sources.clock import Clock
from sources.notice import Notice

EXIT_OK = 0
FIELDS = (
    "ocid",
    "award_id",
    "title",
    "buyer",
    "region",
    "value",
    "value_per_year",
    "start",
    "end",
    "max_end",
    "window_start",
    "window_end",
    "window",
    "label",
    "procedure",
    "suppliers",
    "small_supplier",
    "url",
)
ANY = "any"


def file_notices(paths: Sequence[Path]) -> list[Notice]:
    """Every notice in the files; what cannot be read is reported on standard error."""
    notices: list[Notice] = []
    for path in paths:
        found, problems = read_notices_file(path, source="files")
        for problem in problems:
            print(f"skipped: {problem}", file=sys.stderr)
        notices.extend(found)
    return notices


def upcoming(
    records: Iterable[ContractRecord], as_of: datetime, months: int
) -> list[tuple[ContractRecord, Window]]:
    """Records whose re-let falls within `months` of `as_of`, soonest window first."""
    horizon = as_of + relativedelta(months=months)
    found: list[tuple[ContractRecord, Window]] = []
    for record in records:
        if skip_reason(record, as_of) is not None:
            continue
        shown = window(record)
        if shown is None or shown.end < as_of:
            continue
        key_date = record.next_procurement or record.initial_end or record.end
        if key_date is None or key_date > horizon:
            continue
        found.append((record, shown))
    return sorted(found, key=lambda pair: (pair[1].start, pair[0].key))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _number(amount: Decimal | None) -> float | int | None:
    if amount is None:
        return None
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def element(record: ContractRecord, shown: Window) -> dict[str, Any]:
    """One contract of the radar as JSON-ready data."""
    return {
        "ocid": record.ocid,
        "award_id": record.award_id,
        "title": record.title,
        "buyer": record.buyer,
        "region": ", ".join(record.regions) or None,
        "value": _number(record.value),
        "value_per_year": _number(record.value_per_year),
        "start": _iso(record.start),
        "end": _iso(record.initial_end or record.end),
        "max_end": _iso(record.max_end),
        "window_start": _iso(shown.start),
        "window_end": _iso(shown.end),
        "window": shown.text,
        "label": shown.label,
        "procedure": record.procedure,
        "suppliers": [s.name for s in record.suppliers],
        "small_supplier": record.small_supplier,
        "url": record.url,
    }


def _money(amount: Decimal | None) -> str:
    return f"£{amount:,.0f}" if amount is not None else "not stated"


def _table(rows: Sequence[tuple[ContractRecord, Window]], out: TextIO) -> None:
    if not rows:
        print("no contracts of this kind end within the period", file=out)
        return
    for record, shown in rows:
        end = record.initial_end or record.end
        print(f"== {record.title}", file=out)
        print(f"   Buyer:    {record.buyer}", file=out)
        print(f"   Value:    {_money(record.value_per_year)} a year", file=out)
        print(f"   Ends:     {day(end) if end else 'not stated'}", file=out)
        print(f"   Window:   {shown.text}", file=out)
        print(f"   Label:    {shown.label}", file=out)
        held = ", ".join(s.name for s in record.suppliers) or "not stated"
        print(f"   Held by:  {held}", file=out)
        if record.url:
            print(f"   Link:     {record.url}", file=out)
        print(f"   Id:       {record.key}", file=out)
    print(f"{len(rows)} contract(s)", file=out)


def _list(
    records: list[ContractRecord],
    args: argparse.Namespace,
    config: Config | None,
    as_of: datetime,
    out: TextIO,
) -> int:
    refs = args.rules or [DEFAULT_RULES]
    if refs != [ANY]:
        judge = judge_with([load_ref(ref, config) for ref in refs], as_of)
        records = [r for r in records if judge(r) is not None]
    rows = upcoming(records, as_of, args.months)
    if args.format == "json":
        json.dump([element(r, w) for r, w in rows], out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif args.format == "csv":
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        for record, shown in rows:
            row = element(record, shown)
            row["suppliers"] = "; ".join(row["suppliers"])
            writer.writerow(row)
    else:
        _table(rows, out)
    return EXIT_OK


def grades_json(grades: dict[str, LabelGrades], as_of: datetime) -> dict[str, Any]:
    """The backtest as JSON-ready data."""
    return {
        "as_of": as_of.isoformat(),
        "labels": [
            {"label": g.kind, **g.counts, "graded": g.graded, "hit_rate": g.hit_rate}
            for g in grades.values()
        ],
    }


def _grades(grades: dict[str, LabelGrades], as_of: datetime, fmt: str, out: TextIO) -> int:
    if fmt == "json":
        json.dump(grades_json(grades, as_of), out, indent=2)
        out.write("\n")
        return EXIT_OK
    print(f"windows closed by {day(as_of)}, by label:", file=out)
    header = f"{'label':<16}" + "".join(f"{o:>26}" for o in OUTCOMES) + f"{'hit rate':>12}"
    print(header, file=out)
    for g in grades.values():
        rate = f"{g.hit_rate:.0%} of {g.graded}" if g.hit_rate is not None else "n/a"
        counts = "".join(f"{g.counts[o]:>26}" for o in OUTCOMES)
        print(f"{g.kind:<16}{counts}{rate:>12}", file=out)
    return EXIT_OK


def run_radar_command(args: argparse.Namespace, out: TextIO, clock: Clock) -> int:
    """`tenderbot radar [backtest|stats]`; returns the exit code.

    Raises:
        ConfigError: a bad option, an unreadable file or no config where the store is needed.
        RuleFileError: a rule set cannot be loaded.
    """
    now = clock.now()
    action = getattr(args, "subcommand", None)
    patterns = getattr(args, "source_files", None) or ()
    as_of_text = getattr(args, "as_of", None)
    if action == "stats" or not patterns:
        config: Config | None = load_config(find_config_path(getattr(args, "config", None)))
        assert config is not None
        store = Store.open_existing(config.bot.store_location)
        try:
            records = store_records(store)
        finally:
            store.close()
        last = now
    else:
        config = optional_config(args)
        notices = file_notices(expand_files(patterns))
        records = with_successors(compile_contracts(notices), notices)
        last = max((n.release_date for n in notices), default=now)
    if getattr(args, "months", 1) < 1:
        raise ConfigError("--months: must be at least 1")
    if action in ("backtest", "stats"):
        as_of = parse_when(as_of_text, now, "--as-of", zone_of(config)) if as_of_text else last
        return _grades(grade(records, as_of), as_of, args.format, out)
    as_of = parse_when(as_of_text, now, "--as-of", zone_of(config)) if as_of_text else now
    return _list(records, args, config, as_of, out)
