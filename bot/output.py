"""Where commands print: standard output whose write failures are told apart from others.

A command prints through `GuardedOutput`; when a write or flush of it fails (a full disk
behind ``> file``, a closed terminal), it raises `OutputFailed`, which the CLI's entry point
turns into one line on standard error. An ``OSError`` from anything else (a file, the
network) stays what it was. A reader that went away (``BrokenPipeError``) passes unchanged:
the entry point handles it as a Unix tool does.
"""

from __future__ import annotations

from typing import Any, TextIO


class OutputFailed(Exception):
    """Standard output could not be written; raised by `GuardedOutput`, caught by the CLI."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or str(error))
        self.error = error


class GuardedOutput:
    """A text stream whose failed writes and flushes raise `OutputFailed`.

    Everything else (``isatty``, ``encoding``, ...) is the wrapped stream's own.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write `text`; raises `OutputFailed` when the stream cannot take it."""
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputFailed(exc) from exc

    def flush(self) -> None:
        """Flush the stream; raises `OutputFailed` when what is buffered cannot be written."""
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputFailed(exc) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
