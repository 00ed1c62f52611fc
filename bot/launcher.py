"""The `tenderbot` console script: check the modules are tenderbot's own, then run the CLI.

tenderbot's top-level packages are `bot`, `rules` and `sources`. Another distribution may
install a top-level package of the same name (there are PyPI packages that install
`rules`); whichever comes first on ``sys.path`` wins, and tenderbot would then fail in
confusing ways. This module looks before anything else is imported and says what to do.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

OWN_MODULES = {"rules": "ruleset.py", "sources": "notice.py"}
"""tenderbot's other top-level packages, each with a module only tenderbot's version has."""

EXIT_USAGE = 2


def shadowing_problems() -> list[str]:
    """Why a top-level module tenderbot needs is not its own (empty when all are).

    Compares where `rules` and `sources` would be imported from with where `bot` (this
    package) lives, without importing them.
    """
    home = Path(__file__).resolve().parent.parent
    problems = []
    for name, marker in OWN_MODULES.items():
        spec = importlib.util.find_spec(name)
        origin = None if spec is None else spec.origin
        folder = Path(origin).resolve().parent if origin else None
        if folder is not None and folder.parent == home and (folder / marker).is_file():
            continue
        where = f"from {folder}" if folder else "nowhere (it is missing)"
        owner = _distributions(name)
        problems.append(
            f"the module {name!r} is imported {where}{owner}, not from tenderbot's own "
            f"{home / name}"
        )
    return problems


def _distributions(name: str) -> str:
    """The other distributions providing `name`, as ", installed by DIST VERSION" (or "")."""
    from importlib.metadata import PackageNotFoundError, packages_distributions, version

    others = [d for d in packages_distributions().get(name, []) if d.lower() != "tenderbot"]
    if not others:
        return ""
    named = []
    for dist in dict.fromkeys(others):
        try:
            named.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            named.append(dist)
    return f", installed by {', '.join(named)}"


def main() -> int:
    """Run `tenderbot`; refuse with advice when another package shadows one of its modules."""
    problems = shadowing_problems()
    if problems:
        for problem in problems:
            print(f"tenderbot: {problem}", file=sys.stderr)
        print(
            "tenderbot: another installed package uses the same top-level name. Install "
            "tenderbot in its own virtual environment (python3 -m venv ~/.venvs/tenderbot), "
            "or system-wide with pipx (pipx install tenderbot), so nothing else shares its "
            "modules; or uninstall the other package.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from bot.cli import main as cli_main

    return cli_main()
