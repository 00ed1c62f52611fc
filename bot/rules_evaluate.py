"""`tenderbot rules evaluate`: how well a rule set does on notices people labelled by hand.

Labels are CSV with a header holding at least ``id`` and ``label`` (``yes``, ``maybe`` or
``no``), and optionally ``note``. Recall counts the ``yes`` notices the set alerts; the
share of alerts that are ``yes`` or ``maybe`` is its precision. Misses and false alarms are
listed with what the set said of them, so a curator can see why. The buyer's own VCSE flag,
judged on the same notices, is printed beside it as a baseline.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bot.config import ConfigError
from rules.explain import explain
from rules.ruleset import RuleSet
from sources.notice import Notice

LABELS = ("yes", "maybe", "no")


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    """A person's judgement of one notice."""

    id: str
    label: str
    note: str = ""


@dataclass(slots=True, kw_only=True)
class Evaluation:
    """The figures of one rule set on a labelled set of notices."""

    rule_set: str
    labelled: int = 0
    found: int = 0
    yes: int = 0
    yes_alerted: int = 0
    alerts: int = 0
    alerts_good: int = 0
    baseline_yes_alerted: int = 0
    baseline_alerts: int = 0
    baseline_alerts_good: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)
    false_alarms: list[dict[str, Any]] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        """Share of `yes` notices alerted."""
        return self.yes_alerted / self.yes if self.yes else None

    @property
    def precision(self) -> float | None:
        """Share of alerts labelled `yes` or `maybe`."""
        return self.alerts_good / self.alerts if self.alerts else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        baseline_recall = self.baseline_yes_alerted / self.yes if self.yes else None
        baseline_precision = (
            self.baseline_alerts_good / self.baseline_alerts if self.baseline_alerts else None
        )
        return {
            "rule_set": self.rule_set,
            "labelled": self.labelled,
            "found_in_data": self.found,
            "yes": self.yes,
            "yes_alerted": self.yes_alerted,
            "recall": self.recall,
            "alerts": self.alerts,
            "alerts_yes_or_maybe": self.alerts_good,
            "precision": self.precision,
            "baseline_vcse_flag": {
                "alerts": self.baseline_alerts,
                "recall": baseline_recall,
                "precision": baseline_precision,
            },
            "misses": self.misses,
            "false_alarms": self.false_alarms,
            "not_found": self.not_found,
        }


def read_labels(path: Path) -> list[Label]:
    """Read a labels CSV (header with at least ``id`` and ``label``).

    Raises:
        ConfigError: the file cannot be read, or a row is malformed (the message names it).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read labels: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "id" not in header or "label" not in header:
        raise ConfigError(f"{path}:1: the header must name the columns id and label")
    labels: list[Label] = []
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        clean = {str(k).strip().lower(): (v or "").strip() for k, v in row.items() if k}
        notice_id, label = clean.get("id", ""), clean.get("label", "").lower()
        if not notice_id and not label:
            continue
        if not notice_id:
            raise ConfigError(f"{path}:{number}: the id is empty")
        if label not in LABELS:
            raise ConfigError(
                f"{path}:{number}: label {label!r} for {notice_id} must be yes, maybe or no"
            )
        if notice_id in seen:
            raise ConfigError(f"{path}:{number}: {notice_id} is labelled twice")
        seen.add(notice_id)
        labels.append(Label(id=notice_id, label=label, note=clean.get("note", "")))
    return labels


def evaluate(rule_set: RuleSet, labels: Sequence[Label], notices: Sequence[Notice]) -> Evaluation:
    """Judge every labelled notice found in `notices` (as of its own release date)."""
    by_id = {n.id: n for n in notices}
    result = Evaluation(rule_set=rule_set.name, labelled=len(labels))
    for label in labels:
        notice = by_id.get(label.id)
        if notice is None:
            result.not_found.append(label.id)
            continue
        result.found += 1
        match = rule_set.evaluate(notice, notice.release_date)
        good = label.label in ("yes", "maybe")
        flagged = notice.suitable_vcse is True
        if label.label == "yes":
            result.yes += 1
            result.yes_alerted += match is not None
            result.baseline_yes_alerted += flagged
        if flagged:
            result.baseline_alerts += 1
            result.baseline_alerts_good += good
        row = {"id": label.id, "title": notice.title, "label": label.label, "note": label.note}
        if match is not None:
            result.alerts += 1
            result.alerts_good += good
            if not good:
                result.false_alarms.append({**row, "reasons": list(match.reasons)})
        elif label.label == "yes":
            verdict = explain(rule_set, notice, notice.release_date)
            result.misses.append({**row, "lacking": list(verdict.lacking)})
    return result


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def print_evaluation(result: Evaluation, fmt: str, out: TextIO) -> None:
    """Print the figures as a table (with misses and false alarms) or as JSON."""
    if fmt == "json":
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False), file=out)
        return
    data = result.as_dict()
    baseline = data["baseline_vcse_flag"]
    print(
        f"{result.rule_set}: {result.found} of {result.labelled} labelled notices found", file=out
    )
    print(
        f"  recall of yes:        {_percent(result.recall)} "
        f"({result.yes_alerted} of {result.yes} yes notices alerted)",
        file=out,
    )
    print(
        f"  alerts yes or maybe:  {_percent(result.precision)} "
        f"({result.alerts_good} of {result.alerts} alerts)",
        file=out,
    )
    print(
        f"  baseline (buyer's VCSE flag): recall {_percent(baseline['recall'])}, "
        f"alerts yes or maybe {_percent(baseline['precision'])} ({baseline['alerts']} alerts)",
        file=out,
    )
    if result.misses:
        print(f"\nMisses ({len(result.misses)}): labelled yes, not alerted", file=out)
        for miss in result.misses:
            print(f"  {miss['id']}  {miss['title'][:70]}", file=out)
            print(f"      lacking: {'; '.join(miss['lacking'])}", file=out)
    if result.false_alarms:
        print(f"\nFalse alarms ({len(result.false_alarms)}): alerted, labelled no", file=out)
        for alarm in result.false_alarms:
            print(f"  {alarm['id']}  {alarm['title'][:70]}", file=out)
            print(f"      why it matched: {'; '.join(alarm['reasons'])}", file=out)
            if alarm["note"]:
                print(f"      label note: {alarm['note']}", file=out)
    if result.not_found:
        print(f"\n{len(result.not_found)} labelled notice(s) not in the data", file=out)
