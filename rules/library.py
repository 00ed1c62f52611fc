"""Where rule sets come from: the shipped sets in `rules/sets/`, or files named in the config.

`RuleLibrary` loads each referenced set once, and `refresh()` picks up edited files: a file
that now has errors is refused and the version already in force stays.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rules.errors import RuleFileError
from rules.loader import load_rule_set
from rules.ruleset import RuleSet

SETS_DIR = Path(__file__).resolve().parent / "sets"


def shipped_paths() -> dict[str, Path]:
    """The shipped rule sets, by name."""
    return {path.stem: path for path in sorted(SETS_DIR.glob("*.toml"))}


def resolve(ref: str, base_dir: Path) -> Path:
    """The file a rule-set reference names: a shipped name, or a path (relative to `base_dir`).

    Raises:
        RuleFileError: `ref` is neither a shipped name nor a path to a file.
    """
    shipped = shipped_paths()
    if ref in shipped:
        return shipped[ref]
    path = Path(ref).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    if path.is_file():
        return path
    if "/" in ref or ref.endswith(".toml"):
        raise RuleFileError(ref, None, f"no such rule-set file ({path})")
    raise RuleFileError(ref, None, f"no rule set named {ref!r} {hint(ref, shipped, 'shipped')}")


def hint(name: str, known: Iterable[str], listed: str) -> str:
    """What to say after "no X named NAME": ``(did you mean 'x'?)`` or every known name.

    Args:
        name: the name that matched nothing.
        known: the names that exist.
        listed: the word before the list when nothing is close (``shipped``, ``sources``).
    """
    names = list(known)
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return f"(did you mean {close[0]!r}?)"
    return f"({listed}: {', '.join(names) or 'none'})"


@dataclass(frozen=True, slots=True)
class _Loaded:
    path: Path
    stamp: tuple[int, int]
    rule_set: RuleSet


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return (info.st_mtime_ns, info.st_size)


@dataclass(frozen=True, slots=True)
class Reload:
    """What `RuleLibrary.refresh` did for one reference: reloaded it, or refused it (`error`)."""

    ref: str
    error: str | None


class RuleLibrary:
    """The rule sets in force, by reference."""

    def __init__(self, refs: Iterable[str], base_dir: Path) -> None:
        """Load every referenced rule set.

        Raises:
            RuleFileError: a reference cannot be resolved or its file is invalid.
        """
        self._base_dir = base_dir
        self._loaded: dict[str, _Loaded] = {}
        self.errors: dict[str, str] = {}
        for ref in dict.fromkeys(refs):
            path = resolve(ref, base_dir)
            self._loaded[ref] = _Loaded(path, _stamp(path), load_rule_set(path))

    def get(self, ref: str) -> RuleSet:
        """The rule set in force for `ref` (a reference given at construction)."""
        return self._loaded[ref].rule_set

    def refs(self) -> list[str]:
        """Every reference held."""
        return list(self._loaded)

    def refresh(self) -> list[Reload]:
        """Reload files that changed on disk; keep the old version of any that fails."""
        done = []
        for ref, loaded in list(self._loaded.items()):
            try:
                stamp = _stamp(loaded.path)
            except OSError as exc:
                message = f"{loaded.path}: cannot read: {exc}"
                if self.errors.get(ref) != message:
                    self.errors[ref] = message
                    done.append(Reload(ref, message))
                continue
            if stamp == loaded.stamp:
                continue
            try:
                rule_set = load_rule_set(loaded.path)
            except RuleFileError as exc:
                self._loaded[ref] = _Loaded(loaded.path, stamp, loaded.rule_set)
                self.errors[ref] = str(exc)
                done.append(Reload(ref, str(exc)))
                continue
            self._loaded[ref] = _Loaded(loaded.path, stamp, rule_set)
            self.errors.pop(ref, None)
            done.append(Reload(ref, None))
        return done
