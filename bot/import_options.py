"""The `tenderbot import` and `tenderbot init` arguments, kept light for the CLI's parser."""

from __future__ import annotations

import argparse
from typing import Any

from bot.config import DEFAULT_CONFIG_NAME

IMPORT_SOURCE = "import"
"""The source name imported notices are filed under unless `--source` names another."""


def add_import_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add `tenderbot import` and `tenderbot init` to the CLI parser."""
    importing = commands.add_parser(
        "import",
        parents=[common],
        help="load OCDS files (release or record packages, JSON lines) into the store, "
        "merged as polling merges them; no alerts unless --alerts",
    )
    importing.add_argument(
        "files", nargs="+", metavar="FILE", help="files or globs ('page-*.json' is expanded)"
    )
    importing.add_argument(
        "--source",
        metavar="NAME",
        default=IMPORT_SOURCE,
        help="file the notices under this source name: a configured source's name (merges "
        f"them with what it polls) or {IMPORT_SOURCE} (the default); any other is refused",
    )
    importing.add_argument(
        "--alerts",
        action="store_true",
        help="queue and send alerts for what is new, as a poll would (default: none)",
    )
    init = commands.add_parser(
        "init", parents=[common], help="write the commented example config (never overwrites)"
    )
    init.add_argument(
        "file",
        nargs="?",
        default=DEFAULT_CONFIG_NAME,
        metavar="FILE",
        help=f"where to write it (default: ./{DEFAULT_CONFIG_NAME})",
    )
