"""Reading TOML values for rule files: typed readers that fail with the path of the bad value.

Every reader raises `Problem` naming where the value is (``score[2].keywords.any[0]``) and
what is wrong; the loader turns that into ``FILE:LINE: message``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

Path_ = Sequence[str | int]


class Problem(Exception):
    """A bad value in a rule file, with the path to it."""

    def __init__(self, path: Path_, what: str) -> None:
        super().__init__(what)
        self.path = tuple(path)
        self.what = what


def where(path: Path_) -> str:
    """The path as written in TOML: ``score[2].keywords.any[0]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def fail(path: Path_, what: str) -> Problem:
    """A `Problem` at `path`."""
    return Problem(path, f"{where(path)}: {what}" if path else what)


def type_name(value: object) -> str:
    """The TOML name of a value's type, for messages."""
    names = {str: "a string", int: "an integer", float: "a number", bool: "true/false"}
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return names.get(type(value), type(value).__name__)


def string(value: object, path: Path_) -> str:
    """A string, or a problem."""
    if not isinstance(value, str) or not value.strip():
        raise fail(path, f"expected a non-empty string, got {type_name(value)}")
    return value.strip()


def strings(value: object, path: Path_) -> list[str]:
    """A string or an array of strings, as a list."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise fail(path, f"expected a non-empty array of strings, got {type_name(value)}")
    return [string(item, [*path, i]) for i, item in enumerate(value)]


def number(value: object, path: Path_, *, minimum: float | None = None) -> Decimal:
    """A number (at least `minimum`), as a Decimal."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(path, f"expected a number, got {type_name(value)}")
    number = Decimal(str(value))
    if not number.is_finite() or (minimum is not None and number < Decimal(str(minimum))):
        raise fail(path, f"expected a number of at least {minimum}, got {value}")
    return number


def bool_value(value: object, path: Path_) -> bool:
    """A boolean, or a problem."""
    if not isinstance(value, bool):
        raise fail(path, f"expected true or false, got {type_name(value)}")
    return value


def table_value(value: object, path: Path_) -> Mapping[str, Any]:
    """A table, or a problem."""
    if not isinstance(value, dict):
        raise fail(path, f"expected a table, got {type_name(value)}")
    return value


def missing_passes(table: Mapping[str, Any], path: Path_, what: str) -> bool:
    """Whether a `missing` key says an unstated value passes (``"pass"``) or fails."""
    if "missing" not in table:
        raise fail(
            path, f'say what a notice with no {what} does: missing = "pass" or missing = "fail"'
        )
    choice = table["missing"]
    if choice not in ("pass", "fail"):
        raise fail([*path, "missing"], f'expected "pass" or "fail", got {choice!r}')
    return bool(choice == "pass")


def check_keys(table: Mapping[str, Any], allowed: set[str], path: Path_) -> None:
    """Refuse keys that are not `allowed`."""
    for key in table:
        if key not in allowed:
            raise fail([*path, key], f"unknown key (expected one of {', '.join(sorted(allowed))})")
