"""The `tenderbot rules ...` arguments, kept apart so the CLI builds its parser cheaply.

The commands themselves (`bot.rules_cli`) load the rules engine, the store and the
mappings; they are imported only when a `rules` command runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.file_args import add_from_argument


def add_rules_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the `rules` command and its subcommands to the CLI parser."""
    rules = commands.add_parser(
        "rules", parents=[common], help="list, check, test, preview rule sets"
    )
    sub = rules.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    listing = sub.add_parser("list", parents=[common], help="rule sets available, with titles")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    check = sub.add_parser("check", parents=[common], help="validate rule-set files")
    check.add_argument("files", nargs="+", metavar="FILE")
    test = sub.add_parser("test", parents=[common], help="run the examples embedded in rule sets")
    test.add_argument("refs", nargs="*", metavar="NAME|FILE")
    preview = sub.add_parser(
        "preview", parents=[common], help="which notices a rule set matches, and why"
    )
    preview.add_argument("refs", nargs="+", metavar="NAME|FILE")
    add_from_argument(
        preview, "OCDS release or record packages, or JSON lines, instead of the store"
    )
    preview.add_argument(
        "--since",
        metavar="DATE",
        help="only notices released since DATE (2026-08-10, a date in the configured "
        "timezone, or 30d ago)",
    )
    preview.add_argument(
        "--as-of",
        metavar="DATE",
        help="judge deadlines as of DATE (in the configured timezone) instead of each "
        "notice's release date",
    )
    preview.add_argument("--format", choices=("table", "json", "csv"), default="table")
    preview.add_argument(
        "--explain",
        metavar="ID",
        help="why the notice with this id did or did not match, condition by condition",
    )
    preview.add_argument(
        "--near-misses",
        action="store_true",
        help="list the notices that almost matched, and what each lacked",
    )
    evaluate = sub.add_parser(
        "evaluate",
        parents=[common],
        help="recall and precision of a rule set on notices labelled by hand",
    )
    evaluate.add_argument("ref", metavar="NAME|FILE")
    evaluate.add_argument(
        "--labels", required=True, metavar="FILE.csv", help="CSV with columns id,label[,note]"
    )
    add_from_argument(
        evaluate, "OCDS release or record packages, or JSON lines (default: the store)"
    )
    evaluate.add_argument("--format", choices=("table", "json"), default="table")
    feedback = sub.add_parser(
        "feedback",
        parents=[common],
        help='what subscribers said of the alerts ("Useful" / "Not for us") per rule set',
    )
    feedback.add_argument("ref", nargs="?", metavar="NAME", help="one rule set (default: all)")
    feedback.add_argument(
        "--since", default="30d", metavar="DATE", help="verdicts since DATE or a duration ago"
    )
    feedback.add_argument("--format", choices=("table", "json"), default="table")
    feedback.add_argument(
        "--labels-out",
        metavar="FILE.csv",
        help="also write the verdicts as labels for `rules evaluate --labels`",
    )
