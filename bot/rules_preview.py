"""What `rules preview` prints: matching notices as a table, JSON or CSV, or explanations."""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TextIO

from bot.delivery.formatting import format_value
from bot.delivery.notifiers.console import plain
from rules.explain import explain, render_explanation
from rules.ruleset import POSSIBLE, Match, RuleSet
from rules.scale import contract_scale, scale_text
from sources.notice import Notice

EXIT_OK, EXIT_FAILED = 0, 1


def print_explanations(
    args: argparse.Namespace,
    rule_sets: dict[str, RuleSet],
    notices: Sequence[Notice],
    as_of: datetime | None,
    out: TextIO,
) -> int:
    """`--explain ID` (one notice, condition by condition) or `--near-misses`."""
    if args.explain:
        found = [n for n in notices if args.explain in (n.id, n.release_id)]
        if not found:
            print(f"{args.explain}: no such notice in the data", file=out)
            return EXIT_FAILED
        notice = found[0]
        print(f"{notice.id}: {plain(notice.title)}", file=out)
        print(f"  {notice.stage_label} · {plain(notice.buyer)} · {format_value(notice)}", file=out)
        print(f"  value read: {scale_text(contract_scale(notice))}", file=out)
        for rule_set in rule_sets.values():
            verdict = explain(rule_set, notice, as_of or notice.release_date)
            for line in render_explanation(verdict):
                print(line, file=out)
        return EXIT_OK
    count = 0
    for notice in notices:
        if not notice.is_open_stage:
            continue  # an award or a contract is no opportunity to have nearly matched
        for rule_set in rule_sets.values():
            verdict = explain(rule_set, notice, as_of or notice.release_date)
            if not verdict.near_miss:
                continue
            count += 1
            print(f"{notice.id}  {plain(notice.title)[:80]}", file=out)
            print(f"   {rule_set.name}: lacking {'; '.join(verdict.lacking)}", file=out)
    print(f"{count} near miss(es)", file=out)
    return EXIT_OK


def _row(notice: Notice, match: Match) -> dict[str, Any]:
    return {
        "source": notice.source,
        "id": notice.id,
        "title": notice.title,
        "buyer": notice.buyer,
        "value": format_value(notice),
        "deadline": notice.deadline.isoformat() if notice.deadline else None,
        "stage": notice.stage,
        "stage_label": notice.stage_label,
        "notice_type": notice.notice_type,
        "release_date": notice.release_date.isoformat(),
        "url": notice.url,
        "value_low": _number(notice.value_low),
        "value_high": _number(notice.value_high),
        "value_per_year": _number(notice.value_per_year),
        "score": match.score,
        "tier": match.tier,
        "reasons": list(match.reasons),
    }


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _blank(value: object) -> str:
    return "" if value is None else str(value)


CSV_COLUMNS = (
    "source",
    "id",
    "title",
    "buyer",
    "value",
    "deadline",
    "stage",
    "url",
    "value_low",
    "value_high",
    "value_per_year",
    "score",
    "tier",
    "reasons",
    "stage_label",
    "notice_type",
    "release_date",
)
"""The CSV's columns: the JSON's keys (a test keeps them so), later additions at the end."""


def print_preview(matches: Iterable[tuple[Notice, Match]], fmt: str, out: TextIO) -> None:
    """Print matches as a table, JSON or CSV, one at a time.

    A year of matches never waits in memory at once.
    """
    rows = (_row(n, m) for n, m in matches)
    count = 0
    if fmt == "json":
        out.write("[")
        for count, row in enumerate(rows, start=1):
            out.write(("," if count > 1 else "") + "\n  ")
            out.write(json.dumps(row, ensure_ascii=False))
        out.write("\n]\n" if count else "]\n")
        return
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow(
                [
                    _blank(row[c]) if c != "reasons" else " | ".join(row["reasons"])
                    for c in CSV_COLUMNS
                ]
            )
        return
    possible = 0
    for row in rows:
        count += 1
        possible += row["tier"] == POSSIBLE
        deadline = row["deadline"][:10] if row["deadline"] else "no deadline"
        tier = f"{row['tier']:<8}"
        print(f"{row['score']:>5g}  {tier}  {deadline:<11}  {plain(row['title'])[:80]}", file=out)
        print(f"       {plain(row['buyer'])} · {row['value']}", file=out)
        print(f"       why: {plain('; '.join(row['reasons']))}", file=out)
    tiers = f"{count - possible} match, {possible} possible: " if possible else ""
    print(f"{tiers}{count} matching notice(s)", file=out)
