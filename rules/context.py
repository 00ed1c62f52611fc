"""The evaluation context: one notice at one moment, with its text indexed once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rules.text import TextIndex
from sources.notice import Notice


class Context:
    """What conditions look at; shared by every rule set evaluated for the same notice."""

    __slots__ = ("_indexes", "memo", "notice", "now")

    def __init__(self, notice: Notice, now: datetime) -> None:
        self.notice = notice
        self.now = now
        self._indexes: dict[str, TextIndex] = {}
        self.memo: dict[Any, Any] = {}

    def index(self, field: str) -> TextIndex:
        """The word index of one text field of the notice (built on first use)."""
        found = self._indexes.get(field)
        if found is None:
            value = getattr(self.notice, field) or ""
            found = self._indexes[field] = TextIndex(value)
        return found

    def text(self, field: str) -> str:
        """The raw text of one text field."""
        return str(getattr(self.notice, field) or "")
