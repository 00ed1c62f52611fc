"""`tenderbot rules evaluate`: how well a rule set does on notices people labelled by hand.

Labels are CSV with a header holding at least ``id`` and ``label`` (``yes``, ``maybe`` or
``no``), and optionally ``note``, ``part`` (``design``: notices the rules may be designed on,
the default; ``blind``: notices kept from the designers), ``source`` and ``fixture`` (where
the notice was recorded; its first folder names the source when ``source`` is absent).
Recall counts the ``yes`` notices the set alerts; the share of alerts that are ``yes`` or
``maybe`` is its precision; alerts per 100 labelled notices says how much it sends. Every
figure is given per tier (``match`` alone, and ``match`` with ``possible``), for all the
labels, for each part and for each source. Misses and false alarms are listed with what the
set said of them, so a curator can see why. The buyer's own VCSE flag, judged on the same
notices, is printed beside it as a baseline.
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
from rules.ruleset import MATCH, RuleSet
from sources.notice import Notice

LABELS = ("yes", "maybe", "no")
PARTS = ("design", "blind")
ALL_TIERS = "match+possible"


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    """A person's judgement of one notice."""

    id: str
    label: str
    note: str = ""
    part: str = "design"
    source: str = ""
    fixture: str = ""


@dataclass(slots=True)
class Figures:
    """Counts for one group of labelled notices and one way of alerting."""

    found: int = 0
    yes: int = 0
    yes_alerted: int = 0
    alerts: int = 0
    alerts_good: int = 0

    def count(self, label: str, alerted: bool) -> None:
        """Add one labelled notice, alerted or not."""
        good = label in ("yes", "maybe")
        self.found += 1
        self.yes += label == "yes"
        self.yes_alerted += label == "yes" and alerted
        self.alerts += alerted
        self.alerts_good += alerted and good

    @property
    def recall(self) -> float | None:
        """Share of `yes` notices alerted."""
        return self.yes_alerted / self.yes if self.yes else None

    @property
    def precision(self) -> float | None:
        """Share of alerts labelled `yes` or `maybe`."""
        return self.alerts_good / self.alerts if self.alerts else None

    @property
    def per_100(self) -> float | None:
        """Alerts per 100 labelled (open) notices."""
        return 100 * self.alerts / self.found if self.found else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "notices": self.found,
            "yes": self.yes,
            "yes_alerted": self.yes_alerted,
            "recall": self.recall,
            "alerts": self.alerts,
            "alerts_yes_or_maybe": self.alerts_good,
            "precision": self.precision,
            "alerts_per_100": self.per_100,
        }


@dataclass(slots=True)
class Group:
    """The figures of one group (all labels, a part, a source): per tier and the baseline."""

    match: Figures = field(default_factory=Figures)
    either: Figures = field(default_factory=Figures)
    baseline: Figures = field(default_factory=Figures)

    def count(self, label: str, tier: str | None, flagged: bool) -> None:
        """Add one labelled notice with the tier it was alerted in (None: not alerted)."""
        self.match.count(label, tier == MATCH)
        self.either.count(label, tier is not None)
        self.baseline.count(label, flagged)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures per tier and the baseline."""
        return {
            MATCH: self.match.as_dict(),
            ALL_TIERS: self.either.as_dict(),
            "baseline_vcse_flag": self.baseline.as_dict(),
        }


@dataclass(slots=True, kw_only=True)
class Evaluation:
    """The figures of one rule set on a labelled set of notices."""

    rule_set: str
    labelled: int = 0
    total: Group = field(default_factory=Group)
    parts: dict[str, Group] = field(default_factory=dict)
    sources: dict[str, Group] = field(default_factory=dict)
    part_sources: dict[str, Group] = field(default_factory=dict)
    """Per part and source together, keyed ``part/source``."""
    misses: list[dict[str, Any]] = field(default_factory=list)
    false_alarms: list[dict[str, Any]] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    blind_unlisted: int = 0
    """Misses and false alarms of the blind part: counted in the figures, never listed (a
    curator who reads them would be designing on the blind part)."""

    @property
    def found(self) -> int:
        """Labelled notices found in the data."""
        return self.total.either.found

    @property
    def recall(self) -> float | None:
        """Share of `yes` notices alerted in either tier."""
        return self.total.either.recall

    @property
    def precision(self) -> float | None:
        """Share of alerts (either tier) labelled `yes` or `maybe`."""
        return self.total.either.precision

    @property
    def alerts(self) -> int:
        """Alerts in either tier."""
        return self.total.either.alerts

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures: the headline (both tiers), then per tier, part and source."""
        either, baseline = self.total.either, self.total.baseline
        return {
            "rule_set": self.rule_set,
            "labelled": self.labelled,
            "found_in_data": self.found,
            "yes": either.yes,
            "yes_alerted": either.yes_alerted,
            "recall": either.recall,
            "alerts": either.alerts,
            "alerts_yes_or_maybe": either.alerts_good,
            "precision": either.precision,
            "alerts_per_100": either.per_100,
            "baseline_vcse_flag": {
                "alerts": baseline.alerts,
                "recall": baseline.recall,
                "precision": baseline.precision,
                "alerts_per_100": baseline.per_100,
            },
            "tiers": {MATCH: self.total.match.as_dict(), ALL_TIERS: either.as_dict()},
            "parts": {name: group.as_dict() for name, group in self.parts.items()},
            "sources": {name: group.as_dict() for name, group in self.sources.items()},
            "parts_by_source": {
                name: group.as_dict() for name, group in sorted(self.part_sources.items())
            },
            "misses": self.misses,
            "false_alarms": self.false_alarms,
            "not_found": self.not_found,
            "blind_unlisted": self.blind_unlisted,
        }


def _comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def read_labels(path: Path) -> list[Label]:
    """Read a labels CSV (header with at least ``id`` and ``label``; ``#`` lines are comments).

    Raises:
        ConfigError: the file cannot be read, or a row is malformed (the message names it).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read labels: {exc}") from None
    lines = text.splitlines(keepends=True)
    # Lines starting with "#" are comments (how the labels were made); the header follows.
    skipped = 0
    while skipped < len(lines) and (not lines[skipped].strip() or _comment(lines[skipped])):
        skipped += 1
    body = "".join("\n" if _comment(line) else line for line in lines[skipped:])
    reader = csv.DictReader(io.StringIO(body))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "id" not in header or "label" not in header:
        raise ConfigError(f"{path}:{skipped + 1}: the header must name the columns id and label")
    if len(set(header)) != len(header):
        raise ConfigError(f"{path}:{skipped + 1}: a column is named twice")
    labels: list[Label] = []
    seen: set[str] = set()
    for row in reader:
        number = skipped + reader.line_num
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
        part = clean.get("part", "").lower() or "design"
        if part not in PARTS:
            raise ConfigError(
                f"{path}:{number}: part {part!r} for {notice_id} must be design or blind"
            )
        seen.add(notice_id)
        source = clean.get("source", "") or clean.get("fixture", "").split("/")[0]
        labels.append(
            Label(
                id=notice_id,
                label=label,
                note=clean.get("note", ""),
                part=part,
                source=source or "unknown",
                fixture=clean.get("fixture", ""),
            )
        )
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
        match = rule_set.evaluate(notice, notice.release_date)
        tier = match.tier if match is not None else None
        flagged = notice.suitable_vcse is True
        groups = (
            result.total,
            result.parts.setdefault(label.part, Group()),
            result.sources.setdefault(label.source, Group()),
            result.part_sources.setdefault(f"{label.part}/{label.source}", Group()),
        )
        for group in groups:
            group.count(label.label, tier, flagged)
        good = label.label in ("yes", "maybe")
        wrong = (match is not None and not good) or (match is None and label.label == "yes")
        if label.part == "blind":
            result.blind_unlisted += wrong
            continue
        row = {
            "id": label.id,
            "title": notice.title,
            "label": label.label,
            "note": label.note,
            "part": label.part,
            "source": label.source,
        }
        if match is not None:
            if not good:
                result.false_alarms.append(
                    {**row, "tier": match.tier, "reasons": list(match.reasons)}
                )
        elif label.label == "yes":
            verdict = explain(rule_set, notice, notice.release_date)
            result.misses.append({**row, "lacking": list(verdict.lacking)})
    return result


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _figure_line(name: str, figures: dict[str, Any]) -> str:
    per_100 = figures["alerts_per_100"]
    return (
        f"  {name:<16} recall {_percent(figures['recall']):>4} "
        f"({figures['yes_alerted']} of {figures['yes']} yes)   "
        f"yes or maybe {_percent(figures['precision']):>4} "
        f"({figures['alerts_yes_or_maybe']} of {figures['alerts']} alerts)   "
        f"{'n/a' if per_100 is None else f'{per_100:.0f}'} alerts per 100 notices"
    )


def _print_group(title: str, group: dict[str, Any], out: TextIO) -> None:
    print(f"{title} ({group[ALL_TIERS]['notices']} notices)", file=out)
    print(_figure_line(MATCH, group[MATCH]), file=out)
    print(_figure_line(ALL_TIERS, group[ALL_TIERS]), file=out)
    print(_figure_line("buyer's VCSE flag", group["baseline_vcse_flag"]), file=out)


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
        f"({data['yes_alerted']} of {data['yes']} yes notices alerted, match or possible)",
        file=out,
    )
    print(
        f"  alerts yes or maybe:  {_percent(result.precision)} "
        f"({data['alerts_yes_or_maybe']} of {result.alerts} alerts)",
        file=out,
    )
    print(
        f"  baseline (buyer's VCSE flag): recall {_percent(baseline['recall'])}, "
        f"alerts yes or maybe {_percent(baseline['precision'])} ({baseline['alerts']} alerts)",
        file=out,
    )
    print("", file=out)
    _print_group("All labelled notices", result.total.as_dict(), out)
    for name in PARTS:
        if name in data["parts"]:
            _print_group(f"Part {name}", data["parts"][name], out)
    for name in sorted(data["sources"]):
        _print_group(f"Source {name}", data["sources"][name], out)
    for name, group in data["parts_by_source"].items():
        part, source = name.split("/", 1)
        _print_group(f"Part {part}, source {source}", group, out)
    if result.blind_unlisted:
        print(
            f"\n{result.blind_unlisted} miss(es) and false alarm(s) of the blind part are counted "
            "above and not listed: reading them would make the blind part a design part.",
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
            print(f"  {alarm['id']}  [{alarm['tier']}] {alarm['title'][:70]}", file=out)
            print(f"      why it matched: {'; '.join(alarm['reasons'])}", file=out)
            if alarm["note"]:
                print(f"      label note: {alarm['note']}", file=out)
    if result.not_found:
        print(f"\n{len(result.not_found)} labelled notice(s) not in the data", file=out)
