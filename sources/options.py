"""Reading the kind-specific keys of a `[[sources]]` entry (each source kind declares its own)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import re2


class OptionError(ValueError):
    """A kind-specific key is missing or wrong; the message starts with the key."""


def unknown_keys(raw: Mapping[str, Any], allowed: set[str]) -> None:
    """Refuse keys the kind does not know.

    Raises:
        OptionError: naming the first unknown key.
    """
    for key in sorted(raw):
        if key not in allowed:
            hint = f" (this kind takes: {', '.join(sorted(allowed))})" if allowed else ""
            raise OptionError(f"{key}: unknown key{hint}")


def no_options(raw: Mapping[str, Any]) -> dict[str, Any]:
    """For kinds that take no keys beyond the common ones.

    Raises:
        OptionError: any key is given.
    """
    unknown_keys(raw, set())
    return {}


def text(raw: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    """An optional non-empty string.

    Raises:
        OptionError: the value is not a non-empty string.
    """
    value = raw.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise OptionError(f"{key}: expected a non-empty string")
    return value.strip()


def required_text(raw: Mapping[str, Any], key: str) -> str:
    """A required non-empty string.

    Raises:
        OptionError: the key is missing or not a non-empty string.
    """
    value = text(raw, key)
    if value is None:
        raise OptionError(f"{key}: is required for this kind of source")
    return value


def string_list(raw: Mapping[str, Any], key: str, default: list[str]) -> list[str]:
    """A list of strings (a single string or integer is taken as a list of one).

    Raises:
        OptionError: the value is not a list of strings or integers.
    """
    value = raw.get(key, default)
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in value
    ):
        raise OptionError(f"{key}: expected a list of strings")
    return [str(v) for v in value]


def pattern(raw: Mapping[str, Any], key: str, group: str) -> Any:
    """An optional regular expression (run by RE2) that must have the named `group`.

    Raises:
        OptionError: the pattern is invalid or lacks the group.
    """
    source = text(raw, key)
    if source is None:
        return None
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = False
    try:
        compiled = re2.compile(source, options)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise OptionError(f"{key}: bad regular expression: {detail}") from None
    if group not in compiled.groupindex:
        raise OptionError(f"{key}: the pattern needs a named group (?P<{group}>...)")
    return compiled
