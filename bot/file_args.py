"""The one `--from FILE...` convention: several files and globs after one flag, repeatable.

Every command that reads OCDS files instead of the store (`rules preview`, `rules evaluate`,
`report`, `import`, `radar`) takes its files through `add_from_argument` and `expand_files`, so
``--from a.json b.json``, ``--from a.json --from b.json`` and ``--from 'page-*.json'`` mean
the same everywhere.
"""

from __future__ import annotations

import argparse
import glob
from collections.abc import Iterable
from pathlib import Path

from bot.config_table import ConfigError

GLOB_CHARACTERS = frozenset("*?[")


def add_from_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    """Add ``--from FILE...`` (several files or globs, repeatable) as `source_files`."""
    parser.add_argument(
        "--from",
        dest="source_files",
        action="extend",
        nargs="+",
        metavar="FILE",
        help=f"{help_text}; several files and globs, and the flag may repeat",
    )


def expand_files(patterns: Iterable[str], option: str = "--from") -> list[Path]:
    """The files `patterns` name, globs expanded (sorted), each file once, in order given.

    Raises:
        ConfigError: a pattern matches no file, or names a file that does not exist.
    """
    found: dict[Path, None] = {}
    for pattern in patterns:
        text = str(Path(pattern).expanduser())
        if GLOB_CHARACTERS & set(text):
            matches = sorted(glob.glob(text, recursive=True))
            files = [Path(m) for m in matches if Path(m).is_file()]
            if not files:
                raise ConfigError(f"{option} {pattern}: no file matches this pattern")
        else:
            path = Path(text)
            if path.is_dir():
                raise ConfigError(f"{option} {pattern}: is a folder; name files (or a glob)")
            if not path.is_file():
                raise ConfigError(f"{option} {pattern}: no such file")
            files = [path]
        for file in files:
            found.setdefault(file, None)
    return list(found)
