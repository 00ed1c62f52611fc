"""Rule-set quality: every shipped set's figures, per tier and per part of the labelled corpus.

Reads the labels (``rules/labels/corpus.csv`` when present, else
``rules/labels/recorded-fixtures.csv``, or the file given as the first argument) and the
recorded payloads their ``fixture`` column names, where they lie (../shared/fixtures beside
the project). For each shipped set, each tier (``match`` alone; ``match`` and ``possible``)
and each part (``design``: notices the rules were designed on; ``blind``: notices kept from
the designers), it prints recall of the ``yes`` notices, the share of alerts labelled
``yes`` or ``maybe``, and alerts per 100 labelled open notices, beside the same figures for
the buyers' own VCSE flag (the floor a rule set must beat). Thematic and regional sets cover
one theme or place, so their recall of every ``yes`` is low by design; their share of good
alerts is what to watch.

    python bench/rules_quality.py [LABELS.csv]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.rules_cli import latest_by_notice, read_notices_file  # noqa: E402
from bot.rules_evaluate import ALL_TIERS, PARTS, evaluate, read_labels  # noqa: E402
from rules.library import shipped_paths  # noqa: E402
from rules.loader import load_rule_set  # noqa: E402
from rules.ruleset import MATCH  # noqa: E402

SHARED = ROOT.parent / "shared" / "fixtures"
LABELS_DIR = ROOT / "rules" / "labels"
DEFAULT_FILES = ("find_a_tender/day-2026-08-10", "find_a_tender/walk-2026-07", "contracts_finder")


def percent(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.0%}"


def labels_path() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    corpus = LABELS_DIR / "corpus.csv"
    return corpus if corpus.is_file() else LABELS_DIR / "recorded-fixtures.csv"


def payload_files(labels: Path) -> list[Path]:
    """The recorded payloads the labels name (a folder stands for every page in it)."""
    named = {label.fixture for label in read_labels(labels)}
    named.discard("")
    files: list[Path] = []
    for fixture in sorted(named or {*DEFAULT_FILES, "ocds_regional"}):
        place = SHARED / fixture
        if place.is_dir():
            files += sorted(p for p in place.rglob("*") if p.suffix in (".json", ".jsonl"))
        elif place.is_file():
            files.append(place)
        elif found := sorted(place.parent.glob(place.name + "*")):
            files += found  # a short name, such as ocds_regional/pcs for pcs_release_....json
        else:
            print(f"{labels}: fixture {fixture!r} is not at {place}", file=sys.stderr)
    return list(dict.fromkeys(files))


def line(name: str, figures: dict[str, float | int | None]) -> str:
    per_100 = figures["alerts_per_100"]
    per = "  n/a" if per_100 is None else f"{per_100:5.1f}"
    return (
        f"{name:<46} {percent(figures['recall']):>7} {percent(figures['precision']):>10} "
        f"{figures['alerts']:>7} {per:>9}"
    )


def main() -> None:
    labels_file = labels_path()
    files = payload_files(labels_file)
    if not files:
        sys.exit(f"the recorded fixtures are not at {SHARED}")
    notices = []
    for path in files:
        notices.extend(read_notices_file(path, source="files")[0])
    notices = latest_by_notice(notices)
    labels = read_labels(labels_file)
    shown = labels_file.relative_to(ROOT) if labels_file.is_relative_to(ROOT) else labels_file
    print(f"labels: {shown}")
    for part in PARTS:
        chosen = [label for label in labels if label.part == part]
        if not chosen:
            continue
        yes = sum(label.label == "yes" for label in chosen)
        print(f"\n== {part} part: {len(chosen)} labelled open notices, {yes} yes ==")
        print(
            f"{'rule set, tier':<46} {'recall':>7} {'precision':>10} {'alerts':>7} {'per 100':>9}"
        )
        baseline = None
        for name, path in shipped_paths().items():
            figures = evaluate(load_rule_set(path), chosen, notices).as_dict()["parts"][part]
            baseline = figures["baseline_vcse_flag"]
            print(line(f"{name} ({MATCH})", figures[MATCH]))
            print(line(f"{name} ({ALL_TIERS})", figures[ALL_TIERS]))
        if baseline is not None:
            print(line("floor: buyers' VCSE flag", baseline))


if __name__ == "__main__":
    main()
