"""The `tenderbot report` command line, kept light: the report's code loads only when it runs."""

from __future__ import annotations

import argparse
from typing import Any

from bot.file_args import add_from_argument
from bot.report.settings import DEFAULT_RULES, DEFAULT_SINCE, REPORT_FORMATS


def add_report_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add `tenderbot report` to the CLI parser."""
    report = commands.add_parser(
        "report",
        parents=[common],
        help="the cold-spots report: opportunities for small charities per region and buyer",
    )
    report.add_argument(
        "--since",
        metavar="DATE",
        help="the period: since DATE (in the configured timezone) or a duration ago "
        f"(default: {DEFAULT_SINCE} from the store; everything in the files with --from)",
    )
    report.add_argument(
        "--rules",
        metavar="NAME|FILE",
        default=None,
        help=f"the rule set that judges what suits a small charity (default: {DEFAULT_RULES})",
    )
    add_from_argument(
        report, "OCDS release or record packages, or JSON lines, instead of the store"
    )
    report.add_argument("--format", choices=REPORT_FORMATS, default=None)
    report.add_argument(
        "--out",
        metavar="FILE",
        help="write here (default: standard output); the format "
        "follows the file's extension when --format is not given",
    )
