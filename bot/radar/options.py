"""The `tenderbot radar` command line, kept light: the radar's code loads only when it runs."""

from __future__ import annotations

import argparse
from typing import Any

from bot.file_args import add_from_argument

RADAR_FORMATS = ("table", "csv", "json")
DEFAULT_MONTHS = 12
DEFAULT_RULES = "small-charities"


def _inputs(parser: argparse.ArgumentParser) -> None:
    add_from_argument(
        parser, "OCDS release packages or JSON lines of releases instead of the store"
    )
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        help="judge as of this date (default: now; backtest from files: the last release)",
    )


def add_radar_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add `tenderbot radar`, `radar backtest` and `radar stats` to the CLI parser."""
    radar = commands.add_parser(
        "radar",
        parents=[common],
        help="contracts of a charity's kind ending: when each is likely to be let again",
    )
    radar.add_argument(
        "--months",
        type=int,
        default=DEFAULT_MONTHS,
        help=f"contracts ending (or to be re-let, as the buyer says) within this many months "
        f"(default: {DEFAULT_MONTHS})",
    )
    radar.add_argument(
        "--rules",
        metavar="NAME|FILE",
        action="append",
        help=f"rule set judging what is of the charity's kind (repeatable; default: "
        f"{DEFAULT_RULES}); 'any' takes every contract",
    )
    radar.add_argument("--format", choices=RADAR_FORMATS, default="table")
    _inputs(radar)
    actions = radar.add_subparsers(dest="subcommand", metavar="ACTION")
    backtest = actions.add_parser(
        "backtest",
        parents=[common],
        help="grade past windows against what followed: hit rate per label",
    )
    _inputs(backtest)
    backtest.add_argument("--format", choices=("table", "json"), default="table")
    stats = actions.add_parser(
        "stats", parents=[common], help="the backtest live from the store, as windows close"
    )
    stats.add_argument("--format", choices=("table", "json"), default="table")
