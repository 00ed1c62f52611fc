"""Salvaging a release package that the JSON parser cannot take whole.

One hostile release (a field nested thousands deep) makes the whole document unparseable,
which would throw away every other release of the page. This splits the package's
``releases`` array into its elements without decoding them, so each element can be parsed,
and fail, on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}:,]', re.DOTALL)
_ID = re.compile(rb'"(?:id|ocid)"\s*:\s*"((?:[^"\\]|\\.){1,200})"')


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitPackage:
    """A package cut in two: the document without its releases, and each release's bytes."""

    shell: bytes
    items: tuple[bytes, ...]


def split_array(payload: bytes, key: str = "releases") -> SplitPackage | None:
    """Find the top-level `key` array and cut out each of its elements, undecoded.

    Returns:
        The document with ``[]`` in place of the array, and the elements' bytes; None when
        the document has no such array or its brackets do not balance.
    """
    wanted = b'"' + key.encode() + b'"'
    depth = 0
    expect: str | None = None  # "colon" after the key, then "open" for its bracket
    array_depth: int | None = None
    start = end = item_start = -1
    items: list[bytes] = []
    for token in _TOKEN.finditer(payload):
        text = token.group()
        if array_depth is None:
            if expect == "open":
                if text == b"[":
                    array_depth, start, item_start = depth + 1, token.start(), token.end()
                    depth += 1
                    expect = None
                    continue
                expect = None
            elif expect == "colon":
                expect = "open" if text == b":" else None
                continue
            elif depth == 1 and text == wanted:
                expect = "colon"
                continue
        if text in (b"[", b"{"):
            depth += 1
        elif text in (b"]", b"}"):
            depth -= 1
            if array_depth is not None and depth == array_depth - 1:
                tail = payload[item_start : token.start()].strip()
                if tail:
                    items.append(tail)
                end = token.end()
                break
        elif text == b"," and array_depth is not None and depth == array_depth:
            items.append(payload[item_start : token.start()].strip())
            item_start = token.end()
    if start < 0 or end < 0:
        return None
    return SplitPackage(shell=payload[:start] + b"[]" + payload[end:], items=tuple(items))


def item_label(item: bytes, index: int) -> str:
    """A name for an unreadable element: its first ``id``/``ocid`` if one shows, else ``#N``."""
    found = _ID.search(item[:100_000])
    if found:
        return found.group(1).decode("utf-8", "replace")
    return f"#{index}"
