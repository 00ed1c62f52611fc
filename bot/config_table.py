"""Reading one TOML table of the config, with type checks and ``FILE: key: problem`` errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from bot.durations import parse_duration

T = TypeVar("T")


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid (raised by `load_config`)."""


class TomlTable:
    """Reads one TOML table with type checks, remembering which keys were used."""

    def __init__(self, file: Path, where: str, data: object) -> None:
        self.file = file
        self.where = where
        if not isinstance(data, Mapping):
            raise self.error("", f"expected a table, got {type_name(data)}")
        self.data: Mapping[str, Any] = data
        self.used: set[str] = set()

    def error(self, key: str, what: str) -> ConfigError:
        """A `ConfigError` naming the file, this table and `key`."""
        path = f"{self.where}.{key}" if self.where and key else (self.where or key)
        return ConfigError(f"{self.file}: {path}: {what}")

    def get(self, key: str, kind: type[T], default: T | None = None) -> T | None:
        """The value at `key`, checked to be a `kind` (an int is taken as a float)."""
        self.used.add(key)
        if key not in self.data:
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(key, f"expected {TYPE_NAMES[kind]}, got {type_name(value)}")
        return value

    def require(self, key: str, kind: type[T]) -> T:
        """The value at `key`, which must be present."""
        value = self.get(key, kind)
        if value is None:
            raise self.error(key, "is required")
        return value

    def text(self, key: str, default: str | None = None) -> str | None:
        """A non-empty string, or `default`."""
        value = self.get(key, str, default)
        if value is not None and not value.strip():
            raise self.error(key, "must not be empty")
        return value

    def name(self) -> str:
        """The table's non-empty ``name``, which then names the table in every error."""
        name = self.require("name", str).strip()
        if not name:
            raise self.error("name", "must not be empty")
        self.where = f"{self.where} ({name})"
        return name

    def one_of(self, key: str, choices: Sequence[str], default: str | None = None) -> str:
        """A string that is one of `choices` (required when there is no `default`)."""
        value = self.require(key, str) if default is None else self.text(key, default) or default
        if value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def http_url(self, key: str, default: str | None = None) -> str | None:
        """An http(s) URL, or `default`."""
        url = self.text(key, default)
        if url is not None and not url.startswith(("http://", "https://")):
            raise self.error(key, f"must be an http(s) URL, got {url!r}")
        return url

    def duration(self, key: str, default: str) -> timedelta:
        """A duration such as ``"10m"``."""
        text = self.get(key, str, default) or default
        try:
            return parse_duration(text)
        except ValueError as exc:
            raise self.error(key, str(exc)) from None

    def positive_int(self, key: str, default: int, *, minimum: int = 1) -> int:
        """An integer of at least `minimum`."""
        value = self.get(key, int, default)
        assert value is not None
        if value < minimum:
            raise self.error(key, f"must be at least {minimum}, got {value}")
        return value

    def finish(self) -> None:
        """Refuse any key that was never read (a typo, or a key of another version)."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.error(unknown[0], "unknown key")


TYPE_NAMES: dict[type, str] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true/false",
    list: "an array",
    dict: "a table",
}


def type_name(value: object) -> str:
    """How a config value's type is named in messages."""
    return TYPE_NAMES.get(type(value), type(value).__name__)
