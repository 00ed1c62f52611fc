"""The rule sets a chat may subscribe to: the shipped sets and the bot's default ones.

Chat users name sets, never files: a name that is not in the catalogue is refused, so no
chat can make the daemon read a file of its choosing.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from rules.errors import RuleFileError
from rules.library import resolve, shipped_paths
from rules.loader import load_rule_set


class SetCatalogue:
    """Names and titles of the rule sets on offer."""

    def __init__(self, defaults: tuple[str, ...], base_dir: Path) -> None:
        """The shipped sets plus `defaults` (names or files the admin configured)."""
        self._defaults = defaults
        self._base_dir = base_dir

    @cached_property
    def _titles(self) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        refs = [*self._defaults, *shipped_paths()]
        for ref in refs:
            try:
                rule_set = load_rule_set(resolve(ref, self._base_dir))
            except RuleFileError:
                continue  # the admin hears of a broken file from the rules check, not here
            found.setdefault(ref, (rule_set.title, rule_set.description))
        return found

    def names(self) -> list[str]:
        """Every set a chat may name."""
        return list(self._titles)

    def search(self, words: str) -> list[tuple[str, str]]:
        """(name, title) of the sets whose name, title or description has every word."""
        wanted = words.lower().split()
        return [
            (name, title)
            for name, (title, description) in self._titles.items()
            if all(w in f"{name} {title} {description}".lower() for w in wanted)
        ]
