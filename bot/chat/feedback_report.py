"""`tenderbot rules feedback`: what subscribers said of each rule set's alerts.

Per rule set (the sets of the subscription an alert came through): how many alerts were
judged and how many were useful, then each alert someone said was not for them with the
reasons it matched, so a curator sees where a set is too wide. The verdicts can be written
as a labels file for `rules evaluate --labels`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bot.chat.store import NOT_FOR_US, USEFUL, FeedbackRow
from bot.delivery.alerts import POSSIBLE_PREFIX
from bot.delivery.notifiers.console import plain
from rules.ruleset import MATCH, POSSIBLE, TIERS

EVERY_OPEN_NOTICE = "(every open notice)"


@dataclass(slots=True)
class AlertVotes:
    """The verdicts on one alert."""

    notice_id: str
    title: str
    reasons: tuple[str, ...]
    useful: int = 0
    not_for_us: int = 0

    @property
    def tier(self) -> str:
        """``possible`` when the alert went out as worth a look, else ``match``."""
        possible = any(r.startswith(POSSIBLE_PREFIX) for r in self.reasons)
        return POSSIBLE if possible else MATCH

    @property
    def label(self) -> str:
        """The majority verdict as a label: ``yes``, ``no``, or ``maybe`` on a tie."""
        if self.useful > self.not_for_us:
            return "yes"
        return "no" if self.not_for_us > self.useful else "maybe"


@dataclass(slots=True)
class SetFeedback:
    """The verdicts on the alerts of one rule set."""

    name: str
    alerts: dict[int, AlertVotes] = field(default_factory=dict)

    @property
    def useful(self) -> int:
        """Verdicts of "Useful"."""
        return sum(a.useful for a in self.alerts.values())

    @property
    def not_for_us(self) -> int:
        """Verdicts of "Not for us"."""
        return sum(a.not_for_us for a in self.alerts.values())


def summarise(rows: Sequence[FeedbackRow], name: str | None = None) -> list[SetFeedback]:
    """Group verdicts by rule set (only `name`'s when given), busiest set first."""
    sets: dict[str, SetFeedback] = {}
    for row in rows:
        for rule_set in row.rule_sets or (EVERY_OPEN_NOTICE,):
            if name is not None and rule_set != name:
                continue
            found = sets.setdefault(rule_set, SetFeedback(rule_set))
            votes = found.alerts.setdefault(
                row.outbox_id, AlertVotes(row.notice_id, row.title, row.reasons)
            )
            if row.verdict == USEFUL:
                votes.useful += 1
            elif row.verdict == NOT_FOR_US:
                votes.not_for_us += 1
    return sorted(sets.values(), key=lambda s: (-len(s.alerts), s.name))


def print_feedback(sets: Sequence[SetFeedback], fmt: str, out: TextIO) -> None:
    """Print the summary as a table or JSON."""
    if fmt == "json":
        json.dump([_document(s) for s in sets], out, ensure_ascii=False, indent=1)
        out.write("\n")
        return
    if not sets:
        print("No feedback yet.", file=out)
        return
    for found in sets:
        total = found.useful + found.not_for_us
        share = f" ({found.useful / total:.0%} useful)" if total else ""
        print(
            f"{found.name}: {total} verdict(s) on {len(found.alerts)} alert(s): "
            f"{found.useful} useful, {found.not_for_us} not for us{share}",
            file=out,
        )
        for tier in TIERS:
            votes_of = [a for a in found.alerts.values() if a.tier == tier]
            if votes_of and any(a.tier == POSSIBLE for a in found.alerts.values()):
                useful = sum(a.useful for a in votes_of)
                not_for_us = sum(a.not_for_us for a in votes_of)
                print(
                    f"  {tier}: {len(votes_of)} alert(s), {useful} useful, {not_for_us} not for us",
                    file=out,
                )
        wide = [a for a in found.alerts.values() if a.not_for_us]
        if wide:
            print("  Not for us:", file=out)
        for votes in wide:
            marker = " [possible]" if votes.tier == POSSIBLE else ""
            print(f"  - {plain(votes.title)[:100]} ({votes.notice_id}){marker}", file=out)
            print(
                f"    {votes.not_for_us} not for us, {votes.useful} useful; matched on: "
                + plain("; ".join(votes.reasons) or "no reasons recorded"),
                file=out,
            )


def _document(found: SetFeedback) -> dict[str, Any]:
    return {
        "rule_set": found.name,
        "alerts": len(found.alerts),
        "useful": found.useful,
        "not_for_us": found.not_for_us,
        "judged": [
            {
                "id": votes.notice_id,
                "title": votes.title,
                "useful": votes.useful,
                "not_for_us": votes.not_for_us,
                "tier": votes.tier,
                "reasons": list(votes.reasons),
            }
            for votes in found.alerts.values()
        ],
    }


def write_labels(sets: Sequence[SetFeedback], path: Path) -> int:
    """Write the verdicts as `rules evaluate --labels` CSV (``id,label,note``); rows written.

    Raises:
        OSError: the file cannot be written.
    """
    by_notice: dict[str, AlertVotes] = {}
    for found in sets:
        for votes in found.alerts.values():
            known = by_notice.setdefault(
                votes.notice_id, AlertVotes(votes.notice_id, votes.title, votes.reasons)
            )
            known.useful = max(known.useful, votes.useful)
            known.not_for_us = max(known.not_for_us, votes.not_for_us)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "label", "note"])
        for votes in by_notice.values():
            note = f"subscribers: {votes.useful} useful, {votes.not_for_us} not for us"
            writer.writerow([votes.notice_id, votes.label, note])
    return len(by_notice)
