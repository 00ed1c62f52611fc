"""Keyword matching: case-insensitive, on word boundaries, ``counsel*`` for prefixes.

A notice's text is reduced once to lower-case words; a keyword is a phrase of words, so
"domestic abuse" also finds "Domestic-Abuse" and the phrase broken over two lines. No regular
expressions run here, so no keyword list can be slow.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def words_of(text: str) -> list[str]:
    """The lower-case words of `text` (apostrophes kept inside words, as in "children's")."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


@dataclass(frozen=True, slots=True)
class Keyword:
    """One keyword or phrase; `prefix` when it was written with a trailing ``*``."""

    text: str
    words: tuple[str, ...]
    prefix: bool

    def __str__(self) -> str:
        return self.text


def parse_keyword(text: str) -> Keyword:
    """Parse ``"domestic abuse"`` or ``"counsel*"``.

    Raises:
        ValueError: the keyword has no words, or a ``*`` anywhere but at the end.
    """
    stripped = text.strip()
    prefix = stripped.endswith("*")
    body = stripped[:-1] if prefix else stripped
    if "*" in body:
        raise ValueError(f"keyword {text!r}: '*' is only allowed at the end")
    words = tuple(words_of(body))
    if not words:
        raise ValueError(f"keyword {text!r} has no letters or digits")
    return Keyword(text=stripped, words=words, prefix=prefix)


class TextIndex:
    """The words of one piece of text, ready for fast keyword look-ups."""

    __slots__ = ("_joined", "_sorted", "_words")

    def __init__(self, text: str) -> None:
        words = words_of(text)
        self._words = frozenset(words)
        self._joined = " " + " ".join(words) + " "
        self._sorted = sorted(self._words)

    @property
    def words(self) -> frozenset[str]:
        """The distinct words of the text."""
        return self._words

    def has_prefix(self, prefix: str) -> bool:
        """Whether some word of the text starts with `prefix`."""
        at = bisect_left(self._sorted, prefix)
        return at < len(self._sorted) and self._sorted[at].startswith(prefix)

    def contains(self, keyword: Keyword) -> bool:
        """Whether the text contains `keyword` on word boundaries."""
        words = keyword.words
        if len(words) == 1:
            word = words[0]
            return self.has_prefix(word) if keyword.prefix else word in self._words
        if any(w not in self._words for w in words[:-1]):
            return False
        phrase = " " + " ".join(words)
        if keyword.prefix:
            return phrase in self._joined
        return phrase + " " in self._joined
