"""Errors of the rules package.

::

    RuleFileError   a rule-set file is unreadable or invalid (raised by the loader and the
                    library); its message reads ``FILE:LINE: what is wrong``
"""

from __future__ import annotations


class RuleFileError(Exception):
    """A rule-set file cannot be used; nothing of it is loaded."""

    def __init__(self, file: str, line: int | None, what: str) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {what}")
        self.file = file
        self.line = line
        self.what = what
