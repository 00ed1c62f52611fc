"""Find the line of a key in TOML text, so errors can say ``FILE:LINE``.

tomllib reports no positions for valid TOML, so this reads the text the way a person would:
the table header that holds the key, then the first ``key =`` line under it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")


def _split_dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip('"').strip("'") for part in text.split("."))


class LineFinder:
    """Maps key paths such as ``("score", 2, "keywords")`` to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[tuple[str | int, ...], int]] = [((), 0)]
        counts: dict[tuple[str, ...], int] = {}
        for number, line in enumerate(self.lines, start=1):
            match = _HEADER.match(line)
            if not match:
                continue
            names = _split_dotted(match.group(2))
            path: list[str | int] = []
            for depth in range(len(names)):
                path.append(names[depth])
                prefix = names[: depth + 1]
                if match.group(1) == "[[" and depth == len(names) - 1:
                    index = counts.get(prefix, 0)
                    counts[prefix] = index + 1
                    path.append(index)
                elif prefix in counts:
                    path.append(counts[prefix] - 1)
            self.headers.append((tuple(path), number))

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line where `path` is defined, or the nearest enclosing table's header line."""
        best: tuple[tuple[str | int, ...], int] = ((), 0)
        for header, number in self.headers:
            if tuple(path[: len(header)]) == header and len(header) >= len(best[0]):
                best = (header, number)
        header, start = best
        rest = [p for p in path[len(header) :] if isinstance(p, str)]
        if not rest:
            return start or None
        key = re.compile(r"^\s*[\"']?" + re.escape(rest[0]) + r"[\"']?\s*=")
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if _HEADER.match(line):
                break
            if key.match(line):
                return number
        return start or None
