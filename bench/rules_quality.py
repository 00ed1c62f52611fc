"""Rule-set quality: every shipped set's figures on the project's labelled notices.

Reads the recorded payloads where they lie (../shared/fixtures beside the project) and the
labels in rules/labels/recorded-fixtures.csv, and prints, per set: recall of the `yes`
notices, the share of its alerts labelled `yes` or `maybe`, and the same figures for the
buyers' own VCSE flag (the floor a rule set must beat). Thematic sets cover one theme, so
their recall of every `yes` is low by design; their precision is what to watch.

    python bench/rules_quality.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.rules_cli import latest_by_notice, read_notices_file  # noqa: E402
from bot.rules_evaluate import evaluate, read_labels  # noqa: E402
from rules.library import shipped_paths  # noqa: E402
from rules.loader import load_rule_set  # noqa: E402

SHARED = ROOT.parent / "shared" / "fixtures"
LABELS = ROOT / "rules" / "labels" / "recorded-fixtures.csv"


def percent(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.0%}"


def main() -> None:
    files = sorted((SHARED / "find_a_tender").glob("*/page-*.json"))
    files += sorted((SHARED / "contracts_finder").glob("*.json"))
    files += sorted((SHARED / "ocds_regional").glob("*.json"))
    if not files:
        sys.exit(f"the recorded fixtures are not at {SHARED}")
    notices = []
    for path in files:
        notices.extend(read_notices_file(path, source="files")[0])
    notices = latest_by_notice(notices)
    labels = read_labels(LABELS)
    print(f"{len(labels)} labelled notices, {sum(lab.label == 'yes' for lab in labels)} yes")
    print(f"{'rule set':<36} {'recall':>7} {'precision':>10} {'alerts':>7}")
    floor = None
    for name, path in shipped_paths().items():
        result = evaluate(load_rule_set(path), labels, notices)
        figures = result.as_dict()
        floor = figures["baseline_vcse_flag"]
        print(
            f"{name:<36} {percent(result.recall):>7} {percent(result.precision):>10} "
            f"{result.alerts:>7}"
        )
    assert floor is not None
    print(
        f"{'floor: buyers VCSE flag':<36} {percent(floor['recall']):>7} "
        f"{percent(floor['precision']):>10} {floor['alerts']:>7}"
    )


if __name__ == "__main__":
    main()
