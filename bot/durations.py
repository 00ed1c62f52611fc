"""Durations as people write them in the config: "90s", "10m", "1h30m", "1d", "2w", "2y"."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdwy])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 365 * 86400}


def parse_duration(text: str) -> timedelta:
    """Parse a duration such as ``"90s"``, ``"10m"``, ``"1h30m"``, ``"1d"``, ``"2w"``, ``"2y"``.

    A year (``y``) is 365 days.

    Raises:
        ValueError: the text is not such a duration, or is zero.
    """
    compact = text.strip().lower().replace(" ", "")
    if not compact or _PART.sub("", compact):
        raise ValueError(f"{text!r} is not a duration (examples: 90s, 10m, 1h, 1d)")
    seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(compact))
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Format a duration compactly, the inverse of `parse_duration` for whole units."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
